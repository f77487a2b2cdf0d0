"""The schema, as SQLAlchemy Core tables. ``migrations/versions`` must produce exactly this.

A mention is identified by ``(source, id)``; the rows about it (scores, verdict, alerts)
carry ``(source, mention_id)`` with a foreign key. Enumerations are stored as short
strings, not database enums, so adding a value never needs a migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

__all__ = [
    "ALERT_COPIES",
    "UTCDateTime",
    "alerts",
    "checkpoints",
    "cursors",
    "digest_hours",
    "feedback",
    "mentions",
    "metadata",
    "rejected",
    "replies",
    "scores",
    "sent_digests",
    "verdicts",
]

# Constraint names are deterministic so that migrations can refer to them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in, timezone-aware (UTC) out, on every dialect.

    SQLite has no timezone type: values are stored as naive UTC, which also keeps their
    text form sortable. A naive input is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value.replace(
            tzinfo=UTC
        )

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: ``ix_mentions_brand_created_at``: a brand's mentions in time order, with what the
#: digest counts by (and, since 0008, who wrote them: notable authors are found in it).
DIGEST_COLUMNS = (
    "brand", "created_at", "source", "id", "topic", "is_complaint", "negative", "model",
    "urgency", "priority", "incident_id", "author_followers", "alert_status", "author_id",
    "author_verified_type",
)
#: The primary alert's id and response times, copied onto its mention (revision 0008).
ALERT_COPIES = ("alert_id", "alert_sent_at", "alert_claimed_at", "alert_replied_at",
                "alert_resolved_at")
#: ``ix_mentions_alert_times``: the alerted mentions in time order, with those times.
ALERT_TIME_COLUMNS = ("brand", "created_at", "source", "id", "alert_status",
                      *ALERT_COPIES[1:])
#: ``ix_mentions_incident``: an incident's mentions in the order its example is chosen
#: by (most urgent, widest reach, oldest), with what that choice filters on.
INCIDENT_COLUMNS = ("incident_id", "brand", "urgency", "author_followers", "created_at",
                    "source", "id", "is_complaint", "alert_status")


def _key_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["source", "mention_id"],
        ["mentions.source", "mentions.id"],
        name=f"fk_{table}_mention",
        ondelete="CASCADE",
    )


mentions = Table(
    "mentions",
    metadata,
    Column("source", String(64), nullable=False),
    Column("id", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("author_id", String(64), nullable=False),
    Column("author_username", String(64), nullable=False),
    Column("author_name", Text, nullable=False),
    Column("author_followers", Integer, nullable=False),
    Column("author_verified_type", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("brand", String(128), nullable=False),
    Column("conversation_id", String(64)),
    Column("in_reply_to_id", String(64)),
    Column("quoted_id", String(64)),
    Column("lang", String(16)),
    Column("url", Text, nullable=False),
    Column("addresses_brand", Boolean, nullable=False),
    Column("found_by", String(128), nullable=False),
    #: The source's raw payload, compact JSON deflated (``compact.pack_payload``; zlib'd in
    #: 0006-0008) against ``codec.payload_context``: the id, author and text columns. Never
    #: update those without packing the payload again. Always set; nullable because SQLite
    #: adds a NOT NULL column only by copying the table.
    Column("payload", LargeBinary),
    Column("received_at", UTCDateTime, nullable=False),
    #: Set with the verdict, in the same transaction (revision 0002): it lets
    #: ``pending_triage`` read a small partial index instead of anti-joining every verdict.
    Column("triaged_at", UTCDateTime),
    #: What the digest counts by, copied from the scores and the verdict when they are
    #: recorded (revision 0006): its aggregates read one index, never the joined rows.
    Column("topic", String(64)),
    Column("is_complaint", Boolean),
    Column("negative", Boolean),
    Column("model", String(128)),
    Column("urgency", Integer),
    Column("priority", Integer),
    Column("incident_id", String(64)),
    #: The status of the mention's primary alert (its first of kind "alert"), kept with
    #: every change of it (revision 0007): "ruled out" and "waiting" without a join.
    Column("alert_status", String(16)),
    #: That alert's id and times (``ALERT_COPIES``), kept with every change of them
    #: (revision 0008): the digest's response times and resolved list read no alert.
    Column("alert_id", Integer),
    Column("alert_sent_at", UTCDateTime),
    Column("alert_claimed_at", UTCDateTime),
    Column("alert_replied_at", UTCDateTime),
    Column("alert_resolved_at", UTCDateTime),
    PrimaryKeyConstraint("source", "id", name="pk_mentions"),
    # With the key, so history's keyset pages are index range scans (revision 0002).
    Index("ix_mentions_created_at", "created_at", "source", "id"),
    # Covers the digest's aggregates (and history by brand): index-only scans (0006).
    Index("ix_mentions_brand_created_at", *DIGEST_COLUMNS),
    Index("ix_mentions_conversation_id", "conversation_id"),
)
_untriaged = mentions.c.triaged_at.is_(None)
Index(
    "ix_mentions_pending",
    mentions.c.created_at,
    mentions.c.source,
    mentions.c.id,
    sqlite_where=_untriaged,
    postgresql_where=_untriaged,
)
# Partial: only the mentions with a primary alert (0008), and those with an incident.
_alerted = mentions.c.alert_status.is_not(None)
Index(
    "ix_mentions_alert_times",
    *(mentions.c[c] for c in ALERT_TIME_COLUMNS),
    sqlite_where=_alerted,
    postgresql_where=_alerted,
)
_in_incident = mentions.c.incident_id.is_not(None)
_DESCENDING = ("urgency", "author_followers")
Index(
    "ix_mentions_incident",
    *(mentions.c[c].desc() if c in _DESCENDING else mentions.c[c] for c in INCIDENT_COLUMNS),
    sqlite_where=_in_incident,
    postgresql_where=_in_incident,
)

rejected = Table(
    "rejected",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    #: ``codec.rejected_key``: a resumed backfill's lines are kept once (revision 0006;
    #: NULL for rows kept before it).
    Column("key", String(64)),
    Index("ix_rejected_key", "key", unique=True),
)

scores = Table(
    "scores",
    metadata,
    Column("source", String(64), nullable=False),
    Column("mention_id", String(64), nullable=False),
    #: ``compact.pack_scores``: every field but the embedding (revision 0009; before, the
    #: JSON ``data`` column and copies of four fields, which no query read since 0006: the
    #: mention carries the digest's copies).
    Column("packed", LargeBinary, nullable=False),
    #: ``codec.pack_embedding`` (int8 + scale since 0009, float16 in 0006-0008, float32
    #: before), or NULL.
    Column("embedding", LargeBinary),
    PrimaryKeyConstraint("source", "mention_id", name="pk_scores"),
    _key_fk("scores"),
    # ix_scores_topic and ix_scores_urgency went with revision 0007: nothing asks the
    # scores by topic or urgency since the digest reads the mention's copies (0006).
    # Clustered on its key (0009): no second copy of the key in an index.
    sqlite_with_rowid=False,
)

verdicts = Table(
    "verdicts",
    metadata,
    # The primary key is what makes ``record_triage`` idempotent and race-safe.
    Column("source", String(64), nullable=False),
    Column("mention_id", String(64), nullable=False),
    Column("actionable", Boolean, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("route", String(16), nullable=False),
    Column("channel", String(128)),
    #: ``compact.pack_reasons`` (revision 0009; a JSON list before).
    Column("reasons", LargeBinary, nullable=False),
    Column("incident_id", String(64)),
    Column("thread_of_source", String(64)),
    Column("thread_of_id", String(64)),
    Column("decided_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("source", "mention_id", name="pk_verdicts"),
    _key_fk("verdicts"),
    # ix_verdicts_incident_id went with revision 0009: incidents are counted from the
    # mention's copy (0006); no statement asks the verdicts by incident.
    sqlite_with_rowid=False,
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("mention_id", String(64), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
    Column("slack_channel", String(128)),
    Column("slack_ts", String(32)),
    Column("thread_channel", String(128)),
    Column("thread_ts", String(32)),
    Column("status", String(16), nullable=False),
    Column("claimed_by", String(64)),
    Column("status_changed_at", UTCDateTime),
    Column("claimed_at", UTCDateTime),
    Column("replied_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    #: Set while a dispatcher sends the row; still set on the next claim means that send
    #: was interrupted and may have posted (revision 0005). ``interrupted`` counts those.
    Column("attempt_started_at", UTCDateTime),
    Column("interrupted", Integer, nullable=False, server_default=text("0")),
    _key_fk("alerts"),
    Index("ix_alerts_mention", "source", "mention_id"),
    # A mention's primary alert (its first of kind "alert") and status: one index seek.
    Index("ix_alerts_primary", "source", "mention_id", "kind", "id", "status"),
    # The digest's "resolved in the period", whenever the mentions were created.
    Index("ix_alerts_kind_resolved_at", "kind", "resolved_at"),
    Index("ix_alerts_state_next_attempt_at", "state", "next_attempt_at"),
    Index("ix_alerts_channel_created_at", "channel", "created_at"),
)

#: Each mention source's cursor (its next ``since_id``), and nothing else (revision 0004).
cursors = Table(
    "cursors",
    metadata,
    Column("source", String(128), nullable=False),
    Column("since_id", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("source", name="pk_cursors"),
)

#: Where a backfill resumes: a file position or an archive query's page (revision 0004).
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("key", String(255), nullable=False),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("key", name="pk_checkpoints"),
)

#: Public replies posted, by idempotency key (a sha256): never posted twice (revision 0004).
replies = Table(
    "replies",
    metadata,
    Column("key", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("posted_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("key", name="pk_replies"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    # No foreign key: labels may be imported for mentions this database never stored.
    Column("source", String(64), nullable=False),
    Column("mention_id", String(64), nullable=False),
    Column("label", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_feedback_created_at", "created_at"),
)

sent_digests = Table(
    "sent_digests",
    metadata,
    Column("brand", String(128), nullable=False),
    Column("day", Date, nullable=False),
    Column("ref", Text, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("brand", "day", name="pk_sent_digests"),
)


#: Triaged mentions counted per brand, UTC hour and what the digest groups by (revision
#: 0007, ``rollup.py``): a 90-day digest sums ~4,000 hours, not a million mentions. The
#: key's strings are '' for none (a primary key has no NULLs); ``status`` is the primary
#: alert's. ``first``/``last``/``first_complaint`` are exact: a row a mention leaves is
#: recounted from its hour's mentions.
digest_hours = Table(
    "digest_hours",
    metadata,
    Column("brand", String(128), nullable=False),
    #: Hours since the Unix epoch, UTC.
    Column("hour", Integer, nullable=False),
    Column("topic", String(64), nullable=False),
    Column("incident_id", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("n", Integer, nullable=False),
    Column("complaints", Integer, nullable=False),
    Column("negative", Integer, nullable=False),
    #: Priority HIGH or above.
    Column("high", Integer, nullable=False),
    Column("first", UTCDateTime, nullable=False),
    Column("last", UTCDateTime, nullable=False),
    Column("first_complaint", UTCDateTime),
    PrimaryKeyConstraint(
        "brand", "hour", "topic", "incident_id", "model", "status", name="pk_digest_hours"
    ),
    # Clustered on its key: a digest's range of hours is one contiguous read, and there
    # is no second copy of the key in an index.
    sqlite_with_rowid=False,
)
