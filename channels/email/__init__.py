"""E-mail channel: support mails in, answers out.

Phase 1 holds the pure mail handling, with no Rasa imports: reading a raw mail
(:mod:`.parse`, :mod:`.charsets`, :mod:`.htmltext`, :mod:`.quoting`), telling customer mail
from automatic mail (:mod:`.noise`), threading and reply composition (:mod:`.threads`,
:mod:`.compose`), buttons as numbered options (:mod:`.options`), limits and settings
(:mod:`.limits`, :mod:`.settings`). Setup and safety rules: ``docs/email.md``.
"""
