"""Limits of incoming mail (channels/email/limits.py)."""

from __future__ import annotations

import pytest

from channels.email.limits import MailLimits


def test_defaults_allow_an_ordinary_mail_with_a_few_attachments() -> None:
    limits = MailLimits()
    assert limits.max_message_bytes >= 5 * 1024 * 1024
    assert limits.max_attachments >= 5
    assert limits.max_text_chars >= 2000


@pytest.mark.parametrize("field", ["max_message_bytes", "max_parts", "max_text_chars"])
def test_zero_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        MailLimits(**{field: 0})


def test_attachments_can_be_refused_altogether() -> None:
    assert MailLimits(max_attachments=0).max_attachments == 0
    with pytest.raises(ValueError):
        MailLimits(max_attachments=-1)
