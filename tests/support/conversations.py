"""Serialised Rasa events as the tracker store keeps them, for tests of the dashboard and
the learning loop, and a Rasa-shaped ``events`` table to store them in."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import create_engine, text

T0 = 1_764_547_200.0  # 2025-12-01 00:00 UTC (08:00 in Asia/Shanghai)


def user(
    text_: str,
    intent: str,
    ts: float,
    *,
    channel: str = "webchat",
    topic: str | None = None,
    language: str | None = None,
    confidence: float = 0.9,
    ranking: list[tuple[str, float]] | None = None,
) -> dict[str, Any]:
    parse: dict[str, Any] = {
        "text": text_,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in (ranking or [(intent, confidence)])],
        "entities": [],
    }
    if language:
        parse["language"] = language
    if topic:
        parse["response_selector"] = {
            "faq": {"response": {"intent_response_key": topic}, "ranking": [{"intent_response_key": topic}]}
        }
    return {
        "event": "user",
        "timestamp": ts,
        "text": text_,
        "parse_data": parse,
        "input_channel": channel,
        "metadata": {},
    }


def bot(text_: str, ts: float, agent: str | None = None) -> dict[str, Any]:
    return {
        "event": "bot",
        "timestamp": ts,
        "text": text_,
        "metadata": {"gopay_agent": agent} if agent else {},
    }


def action(name: str, ts: float) -> dict[str, Any]:
    return {"event": "action", "timestamp": ts, "name": name}


def pause(ts: float) -> dict[str, Any]:
    return {"event": "pause", "timestamp": ts}


def session_started(ts: float) -> dict[str, Any]:
    return {"event": "session_started", "timestamp": ts}


def tracker_db(path: str, conversations: dict[str, list[dict[str, Any]]]) -> str:
    """An SQLite file with Rasa's ``events`` table holding ``conversations``; returns its URL."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )
    add_events(url, conversations)
    engine.dispose()
    return url


def add_events(url: str, conversations: dict[str, list[dict[str, Any]]]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for sender, events in conversations.items():
            for event in events:
                conn.execute(
                    text(
                        "INSERT INTO events (sender_id, type_name, timestamp, intent_name, "
                        "action_name, data) VALUES (:s, :t, :ts, :i, :a, :d)"
                    ),
                    {
                        "s": sender,
                        "t": event["event"],
                        "ts": event["timestamp"],
                        "i": ((event.get("parse_data") or {}).get("intent") or {}).get("name"),
                        "a": event.get("name"),
                        "d": json.dumps(event),  # ASCII-escaped, as Rasa's SQL store writes it
                    },
                )
    engine.dispose()
