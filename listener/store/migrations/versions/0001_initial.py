"""Initial schema: mentions, rejected, scores, verdicts, alerts (outbox), cursors, feedback,
sent_digests. Written to match ``listener/store/tables.py``; a test compares the two.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    # UTC everywhere; SQLite stores it naive (see tables.UTCDateTime).
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _key_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["source", "mention_id"],
        ["mentions.source", "mentions.id"],
        name=f"fk_{table}_mention",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "mentions",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(64), nullable=False),
        sa.Column("author_username", sa.String(64), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("author_followers", sa.Integer(), nullable=False),
        sa.Column("author_verified_type", sa.String(16), nullable=False),
        _ts("created_at"),
        sa.Column("brand", sa.String(128), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        sa.Column("in_reply_to_id", sa.String(64), nullable=True),
        sa.Column("quoted_id", sa.String(64), nullable=True),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("addresses_brand", sa.Boolean(), nullable=False),
        sa.Column("found_by", sa.String(128), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        _ts("received_at"),
        sa.PrimaryKeyConstraint("source", "id", name="pk_mentions"),
    )
    op.create_index("ix_mentions_created_at", "mentions", ["created_at"])
    op.create_index("ix_mentions_brand_created_at", "mentions", ["brand", "created_at"])
    op.create_index("ix_mentions_conversation_id", "mentions", ["conversation_id"])

    op.create_table(
        "rejected",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        _ts("received_at"),
        sa.PrimaryKeyConstraint("pk", name="pk_rejected"),
    )

    op.create_table(
        "scores",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("mention_id", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("complaint_probability", sa.Float(), nullable=False),
        sa.Column("sentiment", sa.String(16), nullable=False),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        _key_fk("scores"),
        sa.PrimaryKeyConstraint("source", "mention_id", name="pk_scores"),
    )
    op.create_index("ix_scores_topic", "scores", ["topic"])
    op.create_index("ix_scores_urgency", "scores", ["urgency"])

    op.create_table(
        "verdicts",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("mention_id", sa.String(64), nullable=False),
        sa.Column("actionable", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(128), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.String(64), nullable=True),
        sa.Column("thread_of_source", sa.String(64), nullable=True),
        sa.Column("thread_of_id", sa.String(64), nullable=True),
        _ts("decided_at"),
        _key_fk("verdicts"),
        sa.PrimaryKeyConstraint("source", "mention_id", name="pk_verdicts"),
    )
    op.create_index("ix_verdicts_incident_id", "verdicts", ["incident_id"])

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("mention_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("sent_at", nullable=True),
        sa.Column("slack_channel", sa.String(128), nullable=True),
        sa.Column("slack_ts", sa.String(32), nullable=True),
        sa.Column("thread_channel", sa.String(128), nullable=True),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        _ts("status_changed_at", nullable=True),
        _key_fk("alerts"),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_mention", "alerts", ["source", "mention_id"])
    op.create_index("ix_alerts_state_next_attempt_at", "alerts", ["state", "next_attempt_at"])
    op.create_index("ix_alerts_channel_created_at", "alerts", ["channel", "created_at"])

    op.create_table(
        "cursors",
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("since_id", sa.String(64), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("source", name="pk_cursors"),
    )

    op.create_table(
        "feedback",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("mention_id", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("pk", name="pk_feedback"),
    )
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])

    op.create_table(
        "sent_digests",
        sa.Column("brand", sa.String(128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        _ts("sent_at"),
        sa.PrimaryKeyConstraint("brand", "day", name="pk_sent_digests"),
    )


def downgrade() -> None:
    for table in (
        "sent_digests",
        "feedback",
        "cursors",
        "alerts",
        "verdicts",
        "scores",
        "rejected",
        "mentions",
    ):
        op.drop_table(table)
