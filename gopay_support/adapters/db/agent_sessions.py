"""Agent console logins, kept in the app database.

The cookie carries a random token; only its SHA-256 is stored, so a leaked database does not
hand out sessions. A session ends at logout, after its absolute lifetime, or after being
idle too long. Recently used sessions are also the agents' presence: the escalation action
counts them to decide whether anyone can take a conversation now.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from gopay_support.adapters.db.database import Database, aware
from gopay_support.adapters.db.schema import AgentSessionRow
from gopay_support.core.clock import Clock, utcnow


@dataclass(frozen=True)
class AgentSession:
    agent: str
    csrf_token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AgentSessions:
    def __init__(
        self,
        db: Database,
        *,
        lifetime: timedelta = timedelta(hours=8),
        idle_timeout: timedelta = timedelta(hours=1),
        presence: timedelta = timedelta(minutes=2),
        clock: Clock = utcnow,
    ) -> None:
        self.db = db
        self.lifetime = lifetime
        self.idle_timeout = idle_timeout
        #: An agent counts as on duty while their console was used within this time.
        self.presence = presence
        self.clock = clock

    def create(self, agent: str) -> tuple[str, AgentSession]:
        """Start a login; returns the cookie value (shown once) and the session."""
        now = self.clock()
        token = secrets.token_urlsafe(32)
        row = AgentSessionRow(
            token_hash=_digest(token),
            agent=agent,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self.lifetime,
            last_seen=now,
        )
        with self.db.session() as session:
            session.add(row)
        return token, AgentSession(agent, row.csrf_token, row.expires_at)

    def resume(self, token: str | None) -> AgentSession | None:
        """The live session behind a cookie value, marked as used now; ``None`` if none."""
        if not token:
            return None
        now = self.clock()
        idle = self.idle_timeout
        with self.db.session() as session:
            row = session.get(AgentSessionRow, _digest(token))
            if row is None:
                return None
            if aware(row.expires_at) <= now or aware(row.last_seen) <= now - idle:
                session.delete(row)
                return None
            row.last_seen = now
            return AgentSession(row.agent, row.csrf_token, aware(row.expires_at))

    def end(self, token: str | None) -> None:
        if token:
            with self.db.session() as session:
                session.execute(delete(AgentSessionRow).where(AgentSessionRow.token_hash == _digest(token)))

    def agents_on_duty(self) -> int:
        """Agents whose console was used within the presence window."""
        now = self.clock()
        since = now - self.presence
        with self.db.session() as session:
            return session.execute(
                select(func.count(func.distinct(AgentSessionRow.agent))).where(
                    AgentSessionRow.last_seen >= since, AgentSessionRow.expires_at > now
                )
            ).scalar_one()

    def on_duty_names(self) -> list[str]:
        """Names of the agents counted by :meth:`agents_on_duty`, sorted."""
        now = self.clock()
        since = now - self.presence
        with self.db.session() as session:
            names = session.execute(
                select(func.distinct(AgentSessionRow.agent)).where(
                    AgentSessionRow.last_seen >= since, AgentSessionRow.expires_at > now
                )
            ).scalars()
            return sorted(names)
