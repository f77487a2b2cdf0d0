"""checkpoints and replies: their own tables, instead of rows of the cursors table.

The cursors table doubled as a key-value store: ``backfill:...`` rows held backfill
resume points (JSON that outgrew ``since_id``'s 64 characters) and ``reply:<sha256>``
rows the ledger of public replies. Each gets a table of its own, rows carried over; the
cursors table keeps the sources' cursors only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REPLY = "reply:"
_BACKFILL = "backfill:"

# Lightweight tables: only the columns this migration reads or writes.
cursors = sa.table(
    "cursors",
    sa.column("source", sa.String),
    sa.column("since_id", sa.String),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
checkpoints = sa.table(
    "checkpoints",
    sa.column("key", sa.String),
    sa.column("value", sa.Text),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
replies = sa.table(
    "replies",
    sa.column("key", sa.String),
    sa.column("url", sa.Text),
    sa.column("posted_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_checkpoints"),
    )
    op.create_table(
        "replies",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_replies"),
    )
    is_checkpoint = cursors.c.source.like(f"{_BACKFILL}%")
    is_reply = cursors.c.source.like(f"{_REPLY}%")
    op.execute(
        checkpoints.insert().from_select(
            ["key", "value", "updated_at"],
            sa.select(cursors.c.source, cursors.c.since_id, cursors.c.updated_at).where(
                is_checkpoint
            ),
        )
    )
    op.execute(
        replies.insert().from_select(
            ["key", "url", "posted_at"],
            sa.select(
                sa.func.substr(cursors.c.source, len(_REPLY) + 1),
                cursors.c.since_id,
                cursors.c.updated_at,
            ).where(is_reply),
        )
    )
    op.execute(cursors.delete().where(is_checkpoint | is_reply))


def downgrade() -> None:
    op.execute(
        cursors.insert().from_select(
            ["source", "since_id", "updated_at"],
            sa.select(checkpoints.c.key, checkpoints.c.value, checkpoints.c.updated_at),
        )
    )
    op.execute(
        cursors.insert().from_select(
            ["source", "since_id", "updated_at"],
            sa.select(
                sa.literal(_REPLY) + replies.c.key, replies.c.url, replies.c.posted_at
            ),
        )
    )
    op.drop_table("replies")
    op.drop_table("checkpoints")
