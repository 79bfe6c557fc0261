"""What the channel says when it refuses a message."""

from __future__ import annotations

from channels.webchat.gate import Verdict
from channels.webchat.notices import refusal_text


def test_refusal_notices_follow_message_then_interface_language() -> None:
    zh = refusal_text(Verdict.TOO_LONG, "充值失败" * 600, "en", length=2400, limit=2000)
    assert "2000" in zh and "太长" in zh
    en = refusal_text(Verdict.TOO_LONG, "1" * 2001, "en", length=2001, limit=2000)
    assert "2,000" in en and "too long" in en
    assert "稍等" in refusal_text(Verdict.RATE_LIMITED, "😀", "zh-CN")
    assert refusal_text(Verdict.EMPTY, "", "en") == ""
