"""History at interactive speed: what the digest counts by, on the mention, in one index.

``mentions`` gains copies of the scores' and the verdict's fields that the digest
counts by (topic, complaint, negative sentiment, model, urgency, priority, incident),
set when the triage is recorded, and ``ix_mentions_brand_created_at`` covers them: a
90-day digest's aggregates scan one index instead of joining three tables per mention.
``ix_alerts_primary`` finds a mention's primary alert and its status in one seek, and
``ix_alerts_kind_resolved_at`` the alerts resolved in a period. ``rejected.key`` (unique)
keeps the rejects of a backfill's lines read again on resume from being stored twice.

Revision ID: 0006
Revises: 0004 (re-chained onto 0005 when the outbox branch merges)
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

mentions = sa.table(
    "mentions",
    sa.column("source", sa.String),
    sa.column("id", sa.String),
    sa.column("topic", sa.String),
    sa.column("is_complaint", sa.Boolean),
    sa.column("negative", sa.Boolean),
    sa.column("model", sa.String),
    sa.column("urgency", sa.Integer),
    sa.column("priority", sa.Integer),
    sa.column("incident_id", sa.String),
)
scores = sa.table(
    "scores",
    sa.column("source", sa.String),
    sa.column("mention_id", sa.String),
    sa.column("data", sa.JSON),
    sa.column("sentiment", sa.String),
    sa.column("urgency", sa.Integer),
    sa.column("topic", sa.String),
)
verdicts = sa.table(
    "verdicts",
    sa.column("source", sa.String),
    sa.column("mention_id", sa.String),
    sa.column("priority", sa.Integer),
    sa.column("incident_id", sa.String),
)

_COPIES: tuple[tuple[str, Any], ...] = (
    ("topic", sa.String(64)),
    ("is_complaint", sa.Boolean()),
    ("negative", sa.Boolean()),
    ("model", sa.String(128)),
    ("urgency", sa.Integer()),
    ("priority", sa.Integer()),
    ("incident_id", sa.String(64)),
)
DIGEST_COLUMNS = [
    "brand", "created_at", "source", "id", "topic", "is_complaint", "negative", "model",
    "urgency", "priority", "incident_id", "author_followers",
]


def _of(table: sa.TableClause, key: str, value: sa.ColumnElement[Any]) -> Any:
    return (
        sa.select(value)
        .where(table.c.source == mentions.c.source, table.c[key] == mentions.c.id)
        .scalar_subquery()
    )


def upgrade() -> None:
    for name, type_ in _COPIES:
        op.add_column("mentions", sa.Column(name, type_, nullable=True))
    op.execute(
        sa.update(mentions).values(
            topic=_of(scores, "mention_id", scores.c.topic),
            is_complaint=_of(
                scores, "mention_id",
                sa.func.coalesce(scores.c.data["is_complaint"].as_boolean(), False),
            ),
            negative=_of(scores, "mention_id", scores.c.sentiment == "negative"),
            model=_of(scores, "mention_id", scores.c.data["model"].as_string()),
            urgency=_of(scores, "mention_id", scores.c.urgency),
            priority=_of(verdicts, "mention_id", verdicts.c.priority),
            incident_id=_of(verdicts, "mention_id", verdicts.c.incident_id),
        )
    )
    op.drop_index("ix_mentions_brand_created_at", table_name="mentions")
    op.create_index("ix_mentions_brand_created_at", "mentions", DIGEST_COLUMNS)
    op.create_index(
        "ix_alerts_primary", "alerts", ["source", "mention_id", "kind", "id", "status"]
    )
    op.create_index("ix_alerts_kind_resolved_at", "alerts", ["kind", "resolved_at"])
    # Rows kept before have no key (NULLs never conflict): they stay as they are.
    op.add_column("rejected", sa.Column("key", sa.String(64), nullable=True))
    op.create_index("ix_rejected_key", "rejected", ["key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_rejected_key", table_name="rejected")
    with op.batch_alter_table("rejected") as batch:
        batch.drop_column("key")
    op.drop_index("ix_alerts_kind_resolved_at", table_name="alerts")
    op.drop_index("ix_alerts_primary", table_name="alerts")
    op.drop_index("ix_mentions_brand_created_at", table_name="mentions")
    op.create_index("ix_mentions_brand_created_at", "mentions", ["brand", "created_at"])
    with op.batch_alter_table("mentions") as batch:
        for name, _ in reversed(_COPIES):
            batch.drop_column(name)
