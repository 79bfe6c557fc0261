"""Who a chat socket talks as: session ids and JWT subjects."""

from __future__ import annotations

from support.webchat import SESSION

from channels.webchat import identity


def test_session_ids_are_128_bit_hex_or_replaced() -> None:
    assert identity.accept_session_id(SESSION.upper()) == SESSION
    fresh = identity.accept_session_id("../../etc/passwd")
    assert len(fresh) == 32 and set(fresh) <= set("0123456789abcdef")
    assert identity.accept_session_id(None) != identity.accept_session_id(None)


def test_user_id_comes_from_the_sub_claim_only() -> None:
    assert identity.user_id_from_claims({"sub": "alice"}) == "alice"
    assert identity.user_id_from_claims({"sub": 42}) == "42"
    for claims in (None, {}, {"user": "alice"}, {"sub": ""}, {"sub": True}, {"sub": "x" * 129}):
        assert identity.user_id_from_claims(claims) is None


def test_conversation_ids_are_keyed_digests_of_the_secret() -> None:
    conversation = identity.conversation_for_session("key-1", SESSION)
    assert conversation.startswith("webchat:") and SESSION not in conversation
    assert conversation == identity.conversation_for_session("key-1", SESSION), "stable"
    assert conversation != identity.conversation_for_session("key-2", SESSION), "keyed"
    assert conversation != identity.conversation_for_session("key-1", "f" * 32)
    user = identity.conversation_for_user("key-1", "alice")
    assert user.startswith("webchat:user-") and "alice" not in user
