"""Conversation ids, public ids and keyed pseudonyms."""

from __future__ import annotations

from gopay_support.core import conversation


def test_ids_name_their_channel() -> None:
    assert conversation.conversation_id("telegram", 42) == "telegram:42"
    assert conversation.channel_of("webchat:ab:cd") == "webchat"
    for no_channel in ("plain", ":x", "rest:"):
        assert conversation.channel_of(no_channel) is None
    assert conversation.local_id("rest", "rest:me") == "me"


def test_public_ids_are_short_stable_and_do_not_reveal_the_id() -> None:
    secret_id = "webchat:0123456789abcdef0123456789abcdef"
    public = conversation.public_id(secret_id)
    assert public.startswith("webchat-") and len(public) == len("webchat-") + 10
    assert public == conversation.public_id(secret_id)
    assert "0123456789abcdef" not in public
    assert conversation.public_id("old-style-id").startswith("other-")


def test_pseudonyms_are_keyed_and_separated_by_purpose() -> None:
    a = conversation.pseudonym("k", "address", "127.0.0.1", 16)
    assert len(a) == 16 and a == conversation.pseudonym("k", "address", "127.0.0.1", 16)
    assert a != conversation.pseudonym("other", "address", "127.0.0.1", 16)
    assert a != conversation.pseudonym("k", "session", "127.0.0.1", 16)
