"""History at interactive speed and compact: the digest's columns on the mention, in one
index; the raw payload zlib'd, embeddings float16.

``mentions`` gains copies of the scores' and the verdict's fields that the digest
counts by (topic, complaint, negative sentiment, model, urgency, priority, incident),
set when the triage is recorded, and ``ix_mentions_brand_created_at`` covers them: a
90-day digest's aggregates scan one index instead of joining three tables per mention.
``ix_alerts_primary`` finds a mention's primary alert and its status in one seek, and
``ix_alerts_kind_resolved_at`` the alerts resolved in a period.

``mentions.raw`` (JSON) becomes ``payload`` (zlib'd compact JSON) and float32 embeddings
float16, converted in keyset pages of 2,000 rows. ``rejected.key`` (unique) keeps the
rejects of a backfill's lines read again on resume from being stored twice; rows kept
before have none.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op

# The formats are the codec's; this migration converts into the ones of its time (and
# back), named explicitly: later revisions changed the defaults (0009).
from listener.store.compact import (
    EMBED_F16,
    PAYLOAD_ZLIB,
    pack_embedding,
    pack_payload,
    unpack_embedding,
    unpack_float32,
    unpack_payload,
)

revision: str = "0006"
down_revision: str | None = "0005"
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
                sa.func.coalesce(
                    scores.c.data[("complaint", "is_complaint")].as_boolean(), False
                ),
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
    _compact()
    # Rows kept before have no key (NULLs never conflict): they stay as they are.
    op.add_column("rejected", sa.Column("key", sa.String(64), nullable=True))
    op.create_index("ix_rejected_key", "rejected", ["key"], unique=True)


#: Rows converted per statement: bounds memory on a million-row database.
_PAGE = 2000
raw_side = sa.table(
    "mentions",
    sa.column("source", sa.String),
    sa.column("id", sa.String),
    sa.column("raw", sa.JSON),
    sa.column("payload", sa.LargeBinary),
)
embedded = sa.table(
    "scores",
    sa.column("source", sa.String),
    sa.column("mention_id", sa.String),
    sa.column("embedding", sa.LargeBinary),
)


def _pages(
    conn: sa.Connection, table: sa.TableClause, key: tuple[str, str], value: str
) -> Iterator[list[Any]]:
    """``(key..., value)`` rows in keyset pages, so that updating them is safe meanwhile."""
    a, b = (table.c[k] for k in key)
    after: tuple[str, str] | None = None
    while True:
        q = sa.select(a, b, table.c[value]).order_by(a, b).limit(_PAGE)
        if after is not None:
            q = q.where(sa.tuple_(a, b) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
        rows = list(conn.execute(q))
        if not rows:
            return
        yield rows
        after = (rows[-1][0], rows[-1][1])


def _compact() -> None:
    """The raw payload zlib'd into ``payload``; embeddings from float32 to float16."""
    conn = op.get_bind()
    op.add_column("mentions", sa.Column("payload", sa.LargeBinary(), nullable=True))
    put = (
        sa.update(raw_side)
        .where(raw_side.c.source == sa.bindparam("k_s"), raw_side.c.id == sa.bindparam("k_i"))
        .values(payload=sa.bindparam("k_v"))
    )
    for rows in _pages(conn, raw_side, ("source", "id"), "raw"):
        conn.execute(put, [{"k_s": s, "k_i": i, "k_v": pack_payload(raw or {}, fmt=PAYLOAD_ZLIB)}
                           for s, i, raw in rows])
    # Never a batch (copy-and-move) on SQLite: dropping the old mentions table would
    # cascade to every score, verdict and alert. SQLite >= 3.35 drops a column in place.
    op.drop_column("mentions", "raw")
    put = (
        sa.update(embedded)
        .where(embedded.c.source == sa.bindparam("k_s"),
               embedded.c.mention_id == sa.bindparam("k_i"))
        .values(embedding=sa.bindparam("k_v"))
    )
    for rows in _pages(conn, embedded, ("source", "mention_id"), "embedding"):
        todo = [(s, i, e) for s, i, e in rows if e]  # all float32 at revision 0004
        if todo:
            conn.execute(put, [{"k_s": s, "k_i": i,
                                "k_v": pack_embedding(unpack_float32(e), EMBED_F16)}
                               for s, i, e in todo])


def _expand() -> None:
    conn = op.get_bind()
    op.add_column("mentions", sa.Column("raw", sa.JSON(), nullable=True))
    put = (
        sa.update(raw_side)
        .where(raw_side.c.source == sa.bindparam("k_s"), raw_side.c.id == sa.bindparam("k_i"))
        .values(raw=sa.bindparam("k_v"))
    )
    for rows in _pages(conn, raw_side, ("source", "id"), "payload"):
        conn.execute(put, [{"k_s": s, "k_i": i, "k_v": unpack_payload(p)} for s, i, p in rows])
    op.drop_column("mentions", "payload")  # ``raw`` stays nullable: no table copy
    put = (
        sa.update(embedded)
        .where(embedded.c.source == sa.bindparam("k_s"),
               embedded.c.mention_id == sa.bindparam("k_i"))
        .values(embedding=sa.bindparam("k_v"))
    )
    for rows in _pages(conn, embedded, ("source", "mention_id"), "embedding"):
        todo = [(s, i, e) for s, i, e in rows if e]
        if todo:
            conn.execute(put, [{"k_s": s, "k_i": i, "k_v": np.asarray(
                unpack_embedding(e), dtype="<f4").tobytes()} for s, i, e in todo])


def downgrade() -> None:
    op.drop_index("ix_rejected_key", table_name="rejected")
    op.drop_column("rejected", "key")
    op.drop_index("ix_alerts_kind_resolved_at", table_name="alerts")
    op.drop_index("ix_alerts_primary", table_name="alerts")
    op.drop_index("ix_mentions_brand_created_at", table_name="mentions")
    op.create_index("ix_mentions_brand_created_at", "mentions", ["brand", "created_at"])
    for name, _ in reversed(_COPIES):
        op.drop_column("mentions", name)
    _expand()
