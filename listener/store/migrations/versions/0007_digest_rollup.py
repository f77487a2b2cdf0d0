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
    hour = _HOUR[op.get_bind().dialect.name]
    # The status's class, as ``rollup.STATUS_CLASS`` has it.
    cls = ("CASE WHEN alert_status IN ('open', 'claimed', 'snoozed') THEN 'waiting'"
           " WHEN alert_status IN ('replied', 'resolved') THEN 'done'"
           " ELSE COALESCE(alert_status, '') END")
    keys = f"COALESCE(topic, ''), COALESCE(incident_id, ''), COALESCE(model, ''), {cls}"
    yes = "CASE WHEN {} THEN 1 ELSE 0 END"
    op.execute(
        "INSERT INTO digest_hours (brand, hour, topic, incident_id, model, status, n,"
        " complaints, negative, high, first, last, first_complaint)"
        f" SELECT brand, {hour}, {keys}, COUNT(*),"
        f" SUM({yes.format('is_complaint')}), SUM({yes.format('negative')}),"
        f" SUM({yes.format('priority >= 3')}), MIN(created_at), MAX(created_at),"
        " MIN(CASE WHEN is_complaint THEN created_at END)"
        f" FROM mentions WHERE topic IS NOT NULL GROUP BY brand, {hour}, {keys}"
    )


def downgrade() -> None:
    op.drop_table("digest_hours")
    op.drop_index("ix_mentions_brand_created_at", table_name="mentions")
    op.create_index("ix_mentions_brand_created_at", "mentions", _BEFORE)
    op.drop_column("mentions", "alert_status")
    op.create_index("ix_scores_urgency", "scores", ["urgency"])
    op.create_index("ix_scores_topic", "scores", ["topic"])
