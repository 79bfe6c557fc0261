"""Agent console (issue 14): the learning loop's review list and read cursors.

Revision ID: 0006_console
Revises: 0007_channel_records (the head of main when this branch merged it; the integrator relinks the chain)
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_console"
down_revision = "0007_channel_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nlu_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text_key", sa.String(64), nullable=False, unique=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("predicted", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("label", sa.String(64)),
        sa.Column("reviewed_by", sa.String(64)),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_nlu_reviews_status", "nlu_reviews", ["status"])
    op.create_table(
        "console_cursors",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("console_cursors")
    op.drop_index("ix_nlu_reviews_status", table_name="nlu_reviews")
    op.drop_table("nlu_reviews")
