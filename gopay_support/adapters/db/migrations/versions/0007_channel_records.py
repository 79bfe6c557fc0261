"""Channels' own durable records: one generic table instead of tables per channel.

A JSON value per ``(channel, kind, key)`` (channels/toolkit/records.py): the e-mail
channel's read positions, threads and Message-IDs, and whatever a future channel must
remember, so adding a channel needs no table and no revision. Messages in and out go through
the shared inbox and outbox (0005_delivery).

Revision ID: 0007_channel_records
Revises: 0005_delivery
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_channel_records"
down_revision = "0005_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_records",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_channel_records_updated", "channel_records", ["channel", "kind", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_channel_records_updated", table_name="channel_records")
    op.drop_table("channel_records")
