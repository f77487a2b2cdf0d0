"""The primary alert's id and times on its mention; authors in the digest's index.

A 90-day digest at 10,000 mentions a day measures the response times of ~375,000
alerts and lists those resolved in the period; since 0007 it joined each alerted
mention to its primary alert (a seek for the first alert's id, then the alert's row)
for their times. ``mentions.alert_id`` and ``alert_sent_at`` / ``alert_claimed_at`` /
``alert_replied_at`` / ``alert_resolved_at`` are that alert's, kept where its status is
(``rollup.refresh_status``), and ``ix_mentions_alert_times`` (partial: the alerted
mentions only) covers them. ``ix_mentions_brand_created_at`` also covers ``author_id``
and ``author_verified_type``, which notable authors are found by, and
``ix_mentions_incident`` (partial: mentions with an incident) holds each incident's
mentions in the order its example is chosen by.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = [
    "brand", "created_at", "source", "id", "topic", "is_complaint", "negative", "model",
    "urgency", "priority", "incident_id", "author_followers", "alert_status",
]
_TIMES = ["sent_at", "claimed_at", "replied_at", "resolved_at"]
_ALERT_TIMES = ["brand", "created_at", "source", "id", "alert_status",
                *(f"alert_{t}" for t in _TIMES)]
_DESCENDING = ("urgency", "author_followers")
_INCIDENT = ["incident_id", "brand", "urgency", "author_followers", "created_at", "source",
             "id", "is_complaint", "alert_status"]


def upgrade() -> None:
    op.add_column("mentions", sa.Column("alert_id", sa.Integer(), nullable=True))
    for t in _TIMES:
        op.add_column("mentions", sa.Column(f"alert_{t}", sa.DateTime(timezone=True)))
    m = sa.table("mentions", sa.column("source"), sa.column("id"), sa.column("alert_id"),
                 *(sa.column(f"alert_{t}") for t in _TIMES))
    a = sa.table("alerts", sa.column("id"), sa.column("source"), sa.column("mention_id"),
                 sa.column("kind"), *(sa.column(t) for t in _TIMES))
    # The primary alert is the mention's first of kind "alert" (``ix_alerts_primary``).
    first = (
        sa.select(sa.func.min(a.c.id))
        .where(a.c.source == m.c.source, a.c.mention_id == m.c.id, a.c.kind == "alert")
        .scalar_subquery()
    )
    op.execute(sa.update(m).values(alert_id=first))
    # UPDATE ... FROM (SQLite 3.33+, PostgreSQL): one look-up of the alert per mention.
    op.execute(
        sa.update(m)
        .values({f"alert_{t}": a.c[t] for t in _TIMES})
        .where(a.c.id == m.c.alert_id)
    )
    op.drop_index("ix_mentions_brand_created_at", table_name="mentions")
    op.create_index("ix_mentions_brand_created_at", "mentions",
                    [*_BEFORE, "author_id", "author_verified_type"])
    alerted = sa.text("alert_status IS NOT NULL")
    op.create_index("ix_mentions_alert_times", "mentions", _ALERT_TIMES,
                    sqlite_where=alerted, postgresql_where=alerted)
    in_incident = sa.text("incident_id IS NOT NULL")
    op.create_index("ix_mentions_incident", "mentions",
                    [sa.column(c).desc() if c in _DESCENDING else c for c in _INCIDENT],
                    sqlite_where=in_incident, postgresql_where=in_incident)


def downgrade() -> None:
    op.drop_index("ix_mentions_incident", table_name="mentions")
    op.drop_index("ix_mentions_alert_times", table_name="mentions")
    op.drop_index("ix_mentions_brand_created_at", table_name="mentions")
    op.create_index("ix_mentions_brand_created_at", "mentions", _BEFORE)
    for t in reversed(_TIMES):
        op.drop_column("mentions", f"alert_{t}")
    op.drop_column("mentions", "alert_id")
