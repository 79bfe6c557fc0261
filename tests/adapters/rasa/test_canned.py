"""Canned answers for agents, read from the bot's own FAQ responses."""

from __future__ import annotations

from gopay_support.adapters.rasa import canned
from gopay_support.core.settings import ContactDetails


def test_canned_answers_follow_the_conversation_language():
    contact = ContactDetails(phone="400-000-0000")
    zh = {a.key: a for a in canned.answers("zh", contact)}
    en = {a.key: a for a in canned.answers("en", contact)}
    assert set(zh) == set(en) and "faq/topup_failed" in zh
    assert "充值" in zh["faq/topup_failed"].text and zh["faq/topup_failed"].title == "充值失败/未到账"
    assert "top-up" in en["faq/topup_failed"].text.lower()
    assert all("{support_phone}" not in a.text for a in zh.values())
    assert any("400-000-0000" in a.text for a in en.values())
