"""Agent console sessions on a real SQLite database: expiry, logout and presence."""

from __future__ import annotations

from datetime import timedelta

from gopay_support.adapters.db import AgentSessions


def test_sessions_expire_when_idle_and_absolutely_and_end_at_logout(db, clock):
    sessions = AgentSessions(
        db, lifetime=timedelta(minutes=60), idle_timeout=timedelta(minutes=30), clock=clock
    )
    token, session = sessions.create("alice")
    assert sessions.resume(token).csrf_token == session.csrf_token
    clock.advance(minutes=29)
    assert sessions.resume(token) is not None
    clock.advance(minutes=29)
    assert sessions.resume(token) is not None  # used 29 min ago: not idle
    clock.advance(minutes=3)
    assert sessions.resume(token) is None  # 61 min after login
    token, _ = sessions.create("alice")
    clock.advance(minutes=31)
    assert sessions.resume(token) is None  # idle
    token, _ = sessions.create("alice")
    sessions.end(token)
    assert sessions.resume(token) is None
    assert sessions.resume("forged") is None and sessions.resume(None) is None


def test_presence_expires_after_the_window(db, clock):
    sessions = AgentSessions(db, presence=timedelta(seconds=60), clock=clock)
    token, _ = sessions.create("alice")
    assert sessions.agents_on_duty() == 1
    clock.advance(seconds=61)
    assert sessions.agents_on_duty() == 0
    sessions.resume(token)
    assert sessions.agents_on_duty() == 1
