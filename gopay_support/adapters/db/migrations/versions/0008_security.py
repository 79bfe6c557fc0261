"""Public edge (issue 9): ticket verification tries counted per client address.

Revision ID: 0008_security
Revises: 0006_console
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_security"
down_revision = "0006_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_verification_attempts") as batch:
        batch.add_column(sa.Column("client_key", sa.String(32)))
    op.create_index(
        "ix_ticket_verification_client", "ticket_verification_attempts", ["client_key", "attempted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_verification_client", table_name="ticket_verification_attempts")
    with op.batch_alter_table("ticket_verification_attempts") as batch:
        batch.drop_column("client_key")
