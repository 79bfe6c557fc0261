"""E-mail channel: support mails in, answers out.

The pure mail handling, with no Rasa imports: reading a raw mail
(:mod:`.parse`, :mod:`.charsets`, :mod:`.htmltext`, :mod:`.quoting`), telling customer mail
from automatic mail (:mod:`.noise`), threading and reply composition (:mod:`.threads`,
:mod:`.compose`), buttons as numbered options (:mod:`.options`), limits and settings
(:mod:`.limits`, :mod:`.settings`). Phase 2 connects it: the intake and the answers
(:mod:`.service`), the durable records (:mod:`.store`, :mod:`.outbox`), IMAP and SMTP
(:mod:`.transport`), problem reports (:mod:`.triage`), Rasa (:mod:`.conversation`,
:mod:`.output`, :mod:`.channel`). Setup and safety rules: ``docs/email.md``.
"""

from channels.email.channel import EmailInput
from channels.email.output import EmailOutput
from channels.email.settings import EmailSettings, EmailSettingsError

__all__ = ["EmailInput", "EmailOutput", "describe"]


def describe(server_url: str) -> str:
    """The channel's status line for ``make run`` (``channels/README.md``)."""
    try:
        settings = EmailSettings.from_env()
    except EmailSettingsError as error:
        return f"misconfigured: {error}"
    if settings is None:
        return "off (set GOPAY_EMAIL_*, see docs/email.md)"
    return f"reading the support mailbox; status: curl -s {server_url}/webhooks/email/"
