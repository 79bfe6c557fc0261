"""E-mail channel: mailbox read positions, threads, Message-IDs.

How far the support folder was read (UIDVALIDITY, last UID); whom each mail conversation
answers and in which thread; the Message-IDs seen and sent per conversation, so replies find
their thread (channels/email/store.py). Mails in and out go through the shared inbox and
outbox (0005_delivery).

Revision ID: 0007_email
Revises: 0005_delivery
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_email"
down_revision = "0005_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_mailboxes",
        sa.Column("mailbox", sa.String(64), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "email_threads",
        sa.Column("conversation_key", sa.String(64), primary_key=True),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("ticket_number", sa.String(11)),
        sa.Column("last_message_id", sa.String(255)),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "email_message_ids",
        sa.Column("message_id", sa.String(255), primary_key=True),
        sa.Column("conversation_key", sa.String(64), nullable=False),
        sa.Column("outbound", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_email_message_ids_conversation_key", "email_message_ids", ["conversation_key"])
    op.create_index("ix_email_message_ids_created_at", "email_message_ids", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_email_message_ids_created_at", table_name="email_message_ids")
    op.drop_index("ix_email_message_ids_conversation_key", table_name="email_message_ids")
    op.drop_table("email_message_ids")
    op.drop_table("email_threads")
    op.drop_table("email_mailboxes")
