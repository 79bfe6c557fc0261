"""The app database adapter: one schema, one Alembic chain, and the stores built on them."""

from gopay_support.adapters.db.agent_sessions import AgentSession, AgentSessions
from gopay_support.adapters.db.database import Database
from gopay_support.adapters.db.handoffs import HandoffStore
from gopay_support.adapters.db.tickets import TicketStore

__all__ = ["AgentSession", "AgentSessions", "Database", "HandoffStore", "TicketStore"]
