"""alerts.attempt_started_at, interrupted: a send in flight is recorded before it starts.

The dispatcher stamps ``attempt_started_at`` before it calls Slack and clears it when the
attempt is settled (sent, failed, deferred). A row claimed again with the stamp still
set was being sent by a dispatcher that died mid-call: Slack may have posted it, so the
next send may be a duplicate. ``interrupted`` counts those, for ``firstreply outbox
list`` and the metrics, instead of the duplicate leaving no trace.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "alerts", sa.Column("attempt_started_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "alerts",
        sa.Column("interrupted", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("interrupted")
        batch.drop_column("attempt_started_at")
