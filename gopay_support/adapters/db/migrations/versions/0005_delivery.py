"""Durable delivery: the inbox of inbound messages and the outbox of everything that leaves
(issue 11, channels/toolkit/inbox.py and outbox.py).

Revision ID: 0005_delivery
Revises: 0003_handoff
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_delivery"
down_revision = "0003_handoff"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbox_messages",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("dedup_key", sa.String(191), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("result", sa.Text()),
        sa.Column("last_error", sa.String(255)),
        sa.UniqueConstraint("channel", "dedup_key", name="uq_inbox_messages_channel_dedup_key"),
    )
    op.create_index("ix_inbox_messages_due", "inbox_messages", ["state", "next_attempt_at"])
    op.create_index(
        "ix_inbox_messages_conversation",
        "inbox_messages",
        ["channel", "conversation_id", "state", "sequence"],
    )
    op.create_index("ix_inbox_messages_received_at", "inbox_messages", ["received_at"])
    op.create_table(
        "outbox_messages",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("idempotency_key", sa.String(191), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("in_doubt", sa.Boolean(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("result", sa.Text()),
        sa.Column("last_error", sa.String(255)),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_messages_idempotency_key"),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["state", "next_attempt_at"])
    op.create_index(
        "ix_outbox_messages_conversation",
        "outbox_messages",
        ["channel", "conversation_id", "state", "id"],
    )
    op.create_index("ix_outbox_messages_created_at", "outbox_messages", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_created_at", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_conversation", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_index("ix_inbox_messages_received_at", table_name="inbox_messages")
    op.drop_index("ix_inbox_messages_conversation", table_name="inbox_messages")
    op.drop_index("ix_inbox_messages_due", table_name="inbox_messages")
    op.drop_table("inbox_messages")
