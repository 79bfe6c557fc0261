"""The web chat channel running for real: a Sanic server on a free loopback port with
the channel's blueprint and a recording stand-in for Rasa, driven by python-socketio."""

from __future__ import annotations

import jwt
import pytest
import socketio
from support.webchat import IDENTITY_KEY, JWT_KEY, SESSION, ChatClient, channel, conversation_of, run, running

from channels.webchat import WebChatInput, identity


def test_answers_reach_the_session_room_and_ack_follows_them() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            client = ChatClient(live)
            assert await client.connect() == SESSION
            ack = await client.say("hello", client_id="c" * 32, language="en-US")
            assert ack == {"status": "accepted", "client_message_id": "c" * 32}
            # One answer, one bubble (paragraphs stay together), in the session's room before the ack.
            assert client.received == [{"text": "echo: hello\n\nsecond part"}]
            (message,) = live.bot.messages
            # The conversation is a keyed digest of the browser's secret, never the secret.
            assert message.sender_id == conversation_of(SESSION)
            assert message.sender_id.startswith("webchat:") and SESSION not in message.sender_id
            assert message.message_id == "c" * 32
            assert message.input_channel == "webchat"
            client_key = message.metadata.pop("client")
            assert len(client_key) == 16 and "127.0.0.1" not in client_key, "an address digest"
            assert message.metadata == {"channel": "webchat", "language": "en"}, "only the UI language passes"
            assert SESSION not in repr(message.metadata)
            await client.close()

    run(scenario())


def test_malformed_session_ids_are_replaced_by_random_ones() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            client = ChatClient(live)
            confirmed = await client.connect(session_id="other-user's-session")
            assert confirmed != "other-user's-session" and len(confirmed) == 32
            await client.close()

    run(scenario())


def test_messages_over_the_limit_are_refused_with_a_notice() -> None:
    async def scenario() -> None:
        async with running(channel(max_message_chars=2000)) as live:
            client = ChatClient(live)
            await client.connect()
            ack = await client.say("1" * 2001, client_id="t" * 32, language="en")
            assert ack["status"] == "too_long"
            assert live.bot.messages == []
            (notice,) = client.received
            assert notice["notice"] == "too_long"
            assert "2,000" in notice["text"] and "2,001" in notice["text"]
            ack = await client.say("我" * 2000, client_id="t" * 32)
            assert ack["status"] == "accepted", "exactly the limit passes, and may reuse the id"
            assert len(live.bot.messages) == 1
            await client.close()

    run(scenario())


def test_rate_limit_answers_politely_and_spares_the_bot() -> None:
    async def scenario() -> None:
        async with running(channel(rate_limit_messages=3, rate_limit_window=60)) as live:
            client = ChatClient(live)
            await client.connect()
            statuses = [(await client.say(f"问题 {i}"))["status"] for i in range(5)]
            assert statuses == ["accepted"] * 3 + ["rate_limited"] * 2
            assert len(live.bot.messages) == 3
            notices = [m for m in client.received if m.get("notice") == "rate_limited"]
            assert len(notices) == 2 and "稍等" in notices[0]["text"]
            # The limit is per conversation: another conversation is unaffected.
            other = ChatClient(live)
            await other.connect(session_id="f" * 32)
            assert (await other.say("hello"))["status"] == "accepted"
            await client.close()
            await other.close()

    run(scenario())


def test_a_new_session_before_each_message_does_not_dodge_the_limit() -> None:
    async def scenario() -> None:
        async with running(channel(rate_limit_messages=3, rate_limit_window=60)) as live:
            client = ChatClient(live)
            await client.connect()
            statuses = []
            for _ in range(6):
                await client.sio.emit("session_request", {"session_id": None})
                statuses.append((await client.say("hi"))["status"])
            assert statuses == ["accepted"] * 3 + ["rate_limited"] * 3, "counted per connection"
            await client.close()

    run(scenario())


def test_new_connections_from_one_address_share_its_budget() -> None:
    async def scenario() -> None:
        limits = {"rate_limit_messages": 3, "rate_limit_window": 60, "address_rate_limit": 4}
        async with running(channel(**limits)) as live:
            first, second = ChatClient(live), ChatClient(live)
            await first.connect(session_id=None)
            assert [(await first.say(f"q{i}"))["status"] for i in range(3)] == ["accepted"] * 3
            await second.connect(session_id=None)  # another connection and conversation
            statuses = [(await second.say(f"q{i}"))["status"] for i in range(3)]
            assert statuses == ["accepted", "rate_limited", "rate_limited"], "4 per address"
            await first.close()
            await second.close()
            # Connections count against the address too: the 5th is refused.
            for _ in range(2):
                extra = ChatClient(live)
                await extra.connect(session_id=None)
                await extra.close()
            assert await ChatClient(live).refused() == {"message": "rate_limited"}

    run(scenario())


def test_a_resent_message_reaches_the_bot_once_even_after_reconnecting() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            first = ChatClient(live)
            await first.connect()
            assert (await first.say("top up failed", client_id="d" * 32))["status"] == "accepted"
            await first.close()
            again = ChatClient(live)
            await again.connect()
            assert (await again.say("top up failed", client_id="d" * 32))["status"] == "duplicate"
            assert again.received == [], "a duplicate is not answered again"
            assert [m.text for m in live.bot.messages] == ["top up failed"]
            await again.close()

    run(scenario())


def test_foreign_origins_are_refused_at_the_handshake() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            client = ChatClient(live, origin="https://evil.example")
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect()
            assert await ChatClient(live, origin=None).connect() == SESSION
            same = ChatClient(live)
            assert await same.connect() == SESSION
            await same.close()
        async with running(channel(allowed_origins=("https://shop.example",))) as live:
            assert await ChatClient(live, origin="https://shop.example").connect() == SESSION
            assert await ChatClient(live).connect() == SESSION, "the demo page still works"
            with pytest.raises(socketio.exceptions.ConnectionError):
                await ChatClient(live, origin="https://shop.example:8443").connect()

    run(scenario())


def test_jwt_binds_the_conversation_to_the_sites_user() -> None:
    token = jwt.encode({"sub": "alice"}, JWT_KEY, algorithm="HS256")
    forged = jwt.encode({"sub": "alice"}, "another-secret-key-of-32-bytes-or-more", algorithm="HS256")
    no_subject = jwt.encode({"name": "alice"}, JWT_KEY, algorithm="HS256")

    async def scenario() -> None:
        async with running(channel(jwt_key=JWT_KEY)) as live:
            for bad in (None, forged, no_subject):
                assert await ChatClient(live, token=bad).refused() == {"message": "unauthorized"}
            client = ChatClient(live, token=token)
            # Whatever session the browser claims, the conversation is alice's.
            assert await client.connect(session_id=SESSION) == "user"
            assert (await client.say("hi"))["status"] == "accepted"
            alice = identity.conversation_for_user(IDENTITY_KEY, "alice")
            assert alice.startswith("webchat:user-") and "alice" not in alice
            assert [m.sender_id for m in live.bot.messages] == [alice]
            assert client.received[0] == {"text": "echo: hi\n\nsecond part"}
            await client.close()

    run(scenario())


def test_credentials_default_to_persistent_sessions() -> None:
    assert WebChatInput.from_credentials(None).session_persistence is True
    assert WebChatInput.from_credentials({"session_persistence": False}).session_persistence is False
    assert WebChatInput.from_credentials({}).url_prefix() == "/webchat"


def test_events_without_or_with_extra_arguments_are_still_acknowledged() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            client = ChatClient(live)
            await client.connect()
            assert await client.sio.call("user_uttered", timeout=5) == {"status": "invalid"}
            assert await client.sio.call("user_uttered", ({"message": "hi"}, "extra"), timeout=5)
            await client.sio.emit("session_request")
            assert (await client.say("still works"))["status"] == "accepted"
            await client.close()

    run(scenario())


def test_action_server_away_gets_a_notice_not_silence_and_the_ack_says_not_delivered() -> None:
    from support.webchat import RecordingBot

    from gopay_support.adapters.rasa.action_calls import ActionServerUnavailable
    from gopay_support.core import catalogue

    class Away(RecordingBot):
        async def __call__(self, message):  # type: ignore[no-untyped-def]
            self.messages.append(message)
            raise ActionServerUnavailable("action_submit_ticket")

    async def scenario() -> None:
        async with running(channel(), bot) as live:
            client = ChatClient(live)
            await client.connect()
            ack = await client.say("yes", client_id="d" * 32, language="en")
            assert ack == {"status": "unavailable", "client_message_id": "d" * 32}
            assert client.received == [{"text": catalogue.text("notice.temporarily_unavailable_retry", "en")}]
            # The widget's resend of that message is a new try, not a duplicate.
            again = await client.say("yes", client_id="d" * 32, language="en")
            assert again["status"] == "unavailable" and len(bot.messages) == 2
            await client.close()

    bot = Away()
    run(scenario())


def test_a_turn_that_failed_gets_the_notice_and_its_resend_is_not_dropped_as_a_duplicate() -> None:
    """Redis or the tracker's database away: Rasa's turn raised and saved nothing. The
    message's id must be released (as when the action server is away), or the widget's
    resend would be dropped as already handled: a message lost."""
    from support.webchat import RecordingBot

    from gopay_support.core import catalogue

    class StoreAway(RecordingBot):
        async def __call__(self, message):  # type: ignore[no-untyped-def]
            self.messages.append(message)
            if len(self.messages) == 1:
                raise ConnectionRefusedError("the tracker store's database")
            await super().__call__(message)
            self.messages.pop()

    async def scenario() -> None:
        async with running(channel(), bot) as live:
            client = ChatClient(live)
            await client.connect()
            ack = await client.say("yes", client_id="e" * 32, language="en")
            assert ack == {"status": "unavailable", "client_message_id": "e" * 32}
            assert client.received == [{"text": catalogue.text("notice.temporarily_unavailable_retry", "en")}]
            again = await client.say("yes", client_id="e" * 32, language="en")
            assert again["status"] == "accepted" and len(bot.messages) == 2
            await client.close()

    bot = StoreAway()
    run(scenario())
