"""Compact storage: under 1.5 KB a mention.

``scores.data`` (JSON) becomes ``scores.packed`` (``compact.pack_scores``: positional JSON
deflated against a preset dictionary, without the four fields the scores' columns hold),
embeddings go from float16 to int8 with a per-vector scale, and ``mentions.payload`` is
deflated against a preset dictionary and the row's own text, ids and names
(``codec.payload_context``) instead of zlib'd alone. Every row is converted here, in keyset
pages of 2,000 (no lazy conversion: the readers decode every format, but no row is left
in an old one). ``ix_verdicts_incident_id`` is dropped: no statement reads it.

Down converts back (``data`` comes back nullable: SQLite adds a NOT NULL column only by
copying the table); the int8 embeddings are widened to float16, not restored.

Revision ID: 0009
Revises: 0008 (0007 until the digest's 0008 is merged: set ``down_revision`` then)
Create Date: 2026-12-01
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from classifiers.base import Scores

# The formats are the codec's; the old ones are named, the new ones are the defaults of
# this revision's time, named too, so that a later default never changes what runs here.
from listener.store.codec import payload_context
from listener.store.compact import (
    EMBED_F16,
    EMBED_I8,
    PAYLOAD_DEFLATE,
    PAYLOAD_ZLIB,
    pack_embedding,
    pack_payload,
    pack_scores,
    unpack_embedding,
    unpack_payload,
    unpack_scores,
)

revision: str = "0009"
# "0008" once the digest's revision 0008 is merged (its branch: digest90b).
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Rows converted per statement: bounds memory on a million-row database.
_PAGE = 2000

mentions = sa.table(
    "mentions",
    *(sa.column(c, sa.String) for c in (
        "source", "id", "author_id", "author_username", "author_name", "text")),
    sa.column("payload", sa.LargeBinary),
)
scores = sa.table(
    "scores",
    sa.column("source", sa.String),
    sa.column("mention_id", sa.String),
    sa.column("data", sa.JSON),
    sa.column("packed", sa.LargeBinary),
    sa.column("complaint_probability", sa.Float),
    sa.column("sentiment", sa.String),
    sa.column("urgency", sa.Integer),
    sa.column("topic", sa.String),
    sa.column("embedding", sa.LargeBinary),
)


def _pages(
    conn: sa.Connection, table: sa.TableClause, key: tuple[str, str], columns: Sequence[str]
) -> Iterator[list[Any]]:
    """Rows of ``key`` + ``columns`` in keyset pages, so that updating them is safe meanwhile."""
    a, b = (table.c[k] for k in key)
    after: tuple[str, str] | None = None
    while True:
        q = sa.select(a, b, *(table.c[c] for c in columns)).order_by(a, b).limit(_PAGE)
        if after is not None:
            q = q.where(sa.tuple_(a, b) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
        rows = [r._mapping for r in conn.execute(q)]
        if not rows:
            return
        yield rows
        after = (rows[-1][key[0]], rows[-1][key[1]])


def _rewrite(
    table: sa.TableClause,
    key: tuple[str, str],
    columns: Sequence[str],
    sets: Sequence[str],
    convert: Callable[[Any], dict[str, Any]],
) -> None:
    """``sets`` of every row of ``table`` to ``convert(row)``, page by page."""
    conn = op.get_bind()
    a, b = (table.c[k] for k in key)
    put = (
        sa.update(table)
        .where(a == sa.bindparam("k_a"), b == sa.bindparam("k_b"))
        .values({c: sa.bindparam(f"k_{c}") for c in sets})
    )
    for rows in _pages(conn, table, key, columns):
        conn.execute(put, [
            {"k_a": r[key[0]], "k_b": r[key[1]],
             **{f"k_{c}": v for c, v in convert(r).items()}} for r in rows
        ])


def _embedding(blob: bytes | None, fmt: int) -> bytes | None:
    if not blob or blob[0] == fmt:
        return blob
    return pack_embedding(unpack_embedding(blob), fmt)


_MENTION_COLUMNS = ("author_id", "author_username", "author_name", "text", "payload")
_SCORE_COLUMNS = ("complaint_probability", "sentiment", "urgency", "topic", "embedding")


def _mention_key(r: Any) -> dict[str, Any]:
    return {"id": r["id"], **{c: r[c] for c in _MENTION_COLUMNS}}


def upgrade() -> None:
    op.add_column("scores", sa.Column("packed", sa.LargeBinary(), nullable=True))
    _rewrite(
        scores, ("source", "mention_id"), ("data", *_SCORE_COLUMNS), ("packed", "embedding"),
        lambda r: {"packed": pack_scores(Scores.from_dict(r["data"])),
                   "embedding": _embedding(r["embedding"], EMBED_I8)},
    )
    # Never a batch (copy-and-move) on SQLite: SQLite >= 3.35 drops a column in place.
    op.drop_column("scores", "data")
    _rewrite(
        mentions, ("source", "id"), _MENTION_COLUMNS, ("payload",),
        lambda r: {"payload": pack_payload(
            unpack_payload(r["payload"], payload_context(_mention_key(r))),
            payload_context(_mention_key(r)), fmt=PAYLOAD_DEFLATE)},
    )
    op.drop_index("ix_verdicts_incident_id", table_name="verdicts")


def _scores_dict(r: Any) -> dict[str, object]:
    s = unpack_scores(r["packed"], sentiment=r["sentiment"],
                      complaint_probability=r["complaint_probability"],
                      urgency=r["urgency"], topic=r["topic"])
    return dataclasses.replace(s, embedding=()).to_dict(with_embedding=False)


def downgrade() -> None:
    op.create_index("ix_verdicts_incident_id", "verdicts", ["incident_id"])
    _rewrite(
        mentions, ("source", "id"), _MENTION_COLUMNS, ("payload",),
        lambda r: {"payload": pack_payload(
            unpack_payload(r["payload"], payload_context(_mention_key(r))), fmt=PAYLOAD_ZLIB)},
    )
    op.add_column("scores", sa.Column("data", sa.JSON(), nullable=True))
    _rewrite(
        scores, ("source", "mention_id"), ("packed", *_SCORE_COLUMNS), ("data", "embedding"),
        lambda r: {"data": _scores_dict(r), "embedding": _embedding(r["embedding"], EMBED_F16)},
    )
    op.drop_column("scores", "packed")
