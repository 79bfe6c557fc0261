"""Conversation ids and message metadata every channel uses."""

from __future__ import annotations

import pytest

from channels.toolkit import conventions


def test_conversation_ids_carry_their_channel_and_round_trip() -> None:
    sender = conventions.conversation_id("telegram", 123)
    assert sender == "telegram:123" and conventions.channel_of(sender) == "telegram"
    assert conventions.local_id("telegram", sender) == "123"


@pytest.mark.parametrize("sender", ["webchat:abc", "telegram:", "123", ""])
def test_another_channels_id_is_refused(sender: str) -> None:
    with pytest.raises(ValueError):
        conventions.local_id("telegram", sender)


def test_ids_of_no_channel_have_none() -> None:
    assert conventions.channel_of("0123456789abcdef") is None
    assert conventions.channel_of(":x") is None


def test_metadata_normalises_the_hint_and_nests_channel_details() -> None:
    assert conventions.metadata("telegram", "zh-hans", update_id=5) == {
        "channel": "telegram",
        "language": "zh",
        "telegram": {"update_id": 5},
    }
    assert conventions.metadata("webchat", "fr") == {"channel": "webchat"}
