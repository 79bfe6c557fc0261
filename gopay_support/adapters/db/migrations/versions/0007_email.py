"""E-mail channel: mailbox read positions, claimed mails, threads, Message-IDs, outbox.

Every mail of the support mailbox is claimed by (mailbox, UIDVALIDITY, UID) before it is
processed, so a restart processes nothing twice; threads remember whom to answer and in
which thread; replies wait in the outbox until the SMTP relay accepted them
(channels/email/store.py, channels/email/outbox.py).

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
        "email_inbox",
        sa.Column("mailbox", sa.String(64), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("uid", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32)),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_email_inbox_state", "email_inbox", ["state"])
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
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(128), nullable=False, unique=True),
        sa.Column("conversation_key", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.String(255)),
    )
    op.create_index("ix_email_outbox_state", "email_outbox", ["state"])


def downgrade() -> None:
    op.drop_index("ix_email_outbox_state", table_name="email_outbox")
    op.drop_table("email_outbox")
    op.drop_index("ix_email_message_ids_created_at", table_name="email_message_ids")
    op.drop_index("ix_email_message_ids_conversation_key", table_name="email_message_ids")
    op.drop_table("email_message_ids")
    op.drop_table("email_threads")
    op.drop_index("ix_email_inbox_state", table_name="email_inbox")
    op.drop_table("email_inbox")
    op.drop_table("email_mailboxes")
