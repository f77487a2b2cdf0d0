"""The digest's per-hour rollup, and each mention's primary alert status on the mention.

``mentions.alert_status`` is the status of the mention's first alert of kind "alert"
(kept by ``rollup.refresh_status`` from now on), and ``ix_mentions_brand_created_at``
covers it: "ruled out" and "waiting" without a lookup per mention. ``digest_hours``
counts the mentions that carry the digest's copies (the triaged ones) per brand, UTC
hour, topic, incident, model and class of status (``rollup.py``); it is filled here from the
mentions, in one ``INSERT ... SELECT``. ``ix_scores_topic`` and ``ix_scores_urgency``
are dropped: no query has used them since the digest reads the mention's copies (0006),
and they cost ~35 bytes a mention.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = [
    "brand", "created_at", "source", "id", "topic", "is_complaint", "negative", "model",
    "urgency", "priority", "incident_id", "author_followers",
]
_HOUR = {
    "sqlite": "CAST(strftime('%s', created_at) AS INTEGER) / 3600",
    "postgresql": "CAST(floor(extract(epoch FROM created_at) / 3600) AS INTEGER)",
}


def upgrade() -> None:
    op.drop_index("ix_scores_topic", table_name="scores")
    op.drop_index("ix_scores_urgency", table_name="scores")
    op.add_column("mentions", sa.Column("alert_status", sa.String(16), nullable=True))
    # The primary alert is the mention's first of kind "alert" (``ix_alerts_primary``).
    op.execute(
        "UPDATE mentions SET alert_status = (SELECT a.status FROM alerts a"
        " WHERE a.source = mentions.source AND a.mention_id = mentions.id"
        " AND a.kind = 'alert' ORDER BY a.id LIMIT 1)"
    )
    op.drop_index("ix_mentions_brand_created_at", table_name="mentions")
    op.create_index("ix_mentions_brand_created_at", "mentions", [*_BEFORE, "alert_status"])
    op.create_table(
        "digest_hours",
        sa.Column("brand", sa.String(128), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(64), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.Column("high", sa.Integer(), nullable=False),
        sa.Column("first", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_complaint", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "brand", "hour", "topic", "incident_id", "model", "status", name="pk_digest_hours"
        ),
        sqlite_with_rowid=False,
    )
    hour: sa.ColumnElement[int] = sa.literal_column(_HOUR[op.get_bind().dialect.name])
    m = sa.table("mentions", sa.column("brand"), sa.column("created_at"), sa.column("topic"),
                 sa.column("incident_id"), sa.column("model"), sa.column("alert_status"),
                 sa.column("is_complaint", sa.Boolean), sa.column("negative", sa.Boolean),
                 sa.column("priority", sa.Integer))
    columns = ("brand", "hour", "topic", "incident_id", "model", "status", "n", "complaints",
               "negative", "high", "first", "last", "first_complaint")
    rollup = sa.table("digest_hours", *(sa.column(c) for c in columns))
    # The status's class, as ``rollup.STATUS_CLASS`` has it.
    status = sa.case(
        (m.c.alert_status.in_(("open", "claimed", "snoozed")), "waiting"),
        (m.c.alert_status.in_(("replied", "resolved")), "done"),
        else_=sa.func.coalesce(m.c.alert_status, ""),
    )

    def count_of(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    rows = (
        sa.select(
            m.c.brand, hour, sa.func.coalesce(m.c.topic, ""),
            sa.func.coalesce(m.c.incident_id, ""), sa.func.coalesce(m.c.model, ""), status,
            sa.func.count(), count_of(m.c.is_complaint), count_of(m.c.negative),
            count_of(m.c.priority >= 3), sa.func.min(m.c.created_at),
            sa.func.max(m.c.created_at),
            sa.func.min(sa.case((m.c.is_complaint, m.c.created_at))),
        )
        .where(m.c.topic.is_not(None))
        # By position: the keys' bound parameters ('' and the class names) would make
        # PostgreSQL see the grouped expressions as different from the selected ones.
        .group_by(*(sa.literal_column(str(i)) for i in range(1, 7)))
    )
    op.execute(rollup.insert().from_select(list(columns), rows))


def downgrade() -> None:
    op.drop_table("digest_hours")
    op.drop_index("ix_mentions_brand_created_at", table_name="mentions")
    op.create_index("ix_mentions_brand_created_at", "mentions", _BEFORE)
    op.drop_column("mentions", "alert_status")
    op.create_index("ix_scores_urgency", "scores", ["urgency"])
    op.create_index("ix_scores_topic", "scores", ["topic"])
