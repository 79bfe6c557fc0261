"""Transcripts built from tracker events: masked, agents told apart from the bot."""

from __future__ import annotations

from gopay_support.core.handoff import transcript


def user(text: str, ts: float = 1.0) -> dict:
    return {"event": "user", "text": text, "timestamp": ts, "parse_data": {"language": "zh"}}


def test_transcript_masks_and_separates_agents_from_the_bot():
    events = [
        user("my card 6222 0212 3456 7890 and mail li.lei@example.com"),
        {"event": "user", "text": "EXTERNAL: EXTERNAL_ticket_update"},
        {"event": "bot", "text": "hello"},
        {"event": "bot", "text": "I'm Alice", "metadata": {transcript.AGENT_KEY: "alice"}},
        {"event": "action", "name": "action_listen"},
    ]
    turns = transcript.turns(events)
    assert [t.role for t in turns] == ["user", "bot", "agent"]
    assert "7890" in turns[0].text and "6222 0212" not in turns[0].text
    assert "li.lei@example.com" not in turns[0].text
    assert turns[2].agent == "alice"
    assert transcript.loads(transcript.dumps(turns)) == tuple(turns)


def test_plain_text_rendering_labels_each_role_in_the_tickets_language():
    turns = transcript.turns([user("充值失败"), {"event": "bot", "text": "请稍等"}])
    assert transcript.as_text(turns, "zh") == "用户: 充值失败\n机器人: 请稍等"
    assert transcript.as_text(turns, "en") == "User: 充值失败\nBot: 请稍等"
