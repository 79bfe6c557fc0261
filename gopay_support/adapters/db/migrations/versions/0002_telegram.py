"""Telegram channel: processed update ids and long inline-button payloads.

Processed ``update_id``s must survive a restart so that an update Telegram re-delivers is
not answered twice; button payloads over Telegram's 64-byte ``callback_data`` limit are
kept here under a short key (see channels/telegram/store.py).

Revision ID: 0002_telegram
Revises: 0001_initial
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_telegram"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_processed_updates",
        sa.Column("bot_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_telegram_processed_updates_received_at",
        "telegram_processed_updates",
        ["received_at"],
    )
    op.create_table(
        "telegram_callback_payloads",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("telegram_callback_payloads")
    op.drop_index("ix_telegram_processed_updates_received_at", table_name="telegram_processed_updates")
    op.drop_table("telegram_processed_updates")
