"""Helpers shared by the tests, imported as ``support.<module>`` (``tests/`` is on the path);
test modules import from here, never from ``conftest``.

``clock`` a controllable clock; ``databases`` SQLite/PostgreSQL fixtures; ``services`` the
assistant's services on a test database; ``replies`` reading bot answers; ``actions`` running
rasa_sdk actions; ``browser`` headless Chromium; ``telegram_fake`` a fake Bot API server;
``mail`` real mail servers (Dovecot, aiosmtpd) on loopback.
"""
