"""Fixtures of the e-mail channel tests: the real mail server from :mod:`support.mail`."""

from support.mail import mail_server  # noqa: F401  (re-exported as a fixture)
