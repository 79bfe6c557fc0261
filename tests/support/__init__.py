"""Helpers shared by the tests, imported as ``support.<module>`` (``tests/`` is on the path).

``clock`` a controllable clock; ``databases`` SQLite/PostgreSQL fixtures; ``services`` the
assistant's services on a test database; ``replies`` reading bot answers; ``browser``
headless Chromium; ``telegram_fake`` a fake Bot API server.
"""
