"""alerts.claimed_at, replied_at, resolved_at: when a human first claimed an alert, first
replied publicly, last resolved it. The digest's response times need each step;
``status_changed_at`` alone keeps only the latest.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("claimed_at", "replied_at", "resolved_at")


def upgrade() -> None:
    for name in _COLUMNS:
        op.add_column("alerts", sa.Column(name, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        for name in _COLUMNS:
            batch.drop_column(name)
