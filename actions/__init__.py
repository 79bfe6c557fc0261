"""Custom actions of the Gopay support assistant, served by ``python -m actions``.

rasa_sdk registers every Action subclass found in the modules imported here. Actions stay
thin: domain logic lives in :mod:`gopay_support`.
"""

from actions import fallback  # noqa: F401
