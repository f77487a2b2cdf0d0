"""Compact storage: under 1.5 KB a mention.

``scores`` keeps its key, ``packed`` (``compact.pack_scores``: every field but the
embedding, positional JSON deflated against a preset dictionary) and the embedding, now
int8 with a per-vector scale (float16 before); ``data`` (JSON) and the copies of four of
its fields, which no query has read since the mention carries the digest's (0006), go.
``verdicts.reasons`` is deflated against a dictionary of the policy's phrases, and
``mentions.payload`` against one of the networks' payloads followed by the row's own
text, ids and names (``codec.payload_context``), instead of zlib'd alone. On SQLite
``scores`` and ``verdicts`` become WITHOUT ROWID tables, clustered on their key: no
second copy of it in an index (they are copied once for that; nothing references them).
``ix_verdicts_incident_id`` is dropped: no statement reads it.

Every row is converted here, in keyset pages of 2,000 (no lazy conversion: the readers
decode every format, but no row is left in an old one). Down converts back; the int8
embeddings are widened to float16, not restored.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from classifiers.base import Scores

# The formats are the codec's; each is named, so that a later default never changes what
# runs here.
from listener.store.codec import payload_context
from listener.store.compact import (
    EMBED_F16,
    EMBED_I8,
    PAYLOAD_DEFLATE,
    PAYLOAD_ZLIB,
    pack_embedding,
    pack_payload,
    pack_reasons,
    pack_scores,
    unpack_embedding,
    unpack_payload,
    unpack_reasons,
    unpack_scores,
)

revision: str = "0009"
down_revision: str | None = "0008"
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
#: The scores' copies of four of their fields, which this revision drops.
_COPIES = (("complaint_probability", sa.Float()), ("sentiment", sa.String(16)),
           ("urgency", sa.Integer()), ("topic", sa.String(64)))
#: Both shapes' columns (and the temporary ones): each step names those it reads.
scores = sa.table(
    "scores",
    sa.column("source", sa.String),
    sa.column("mention_id", sa.String),
    sa.column("data", sa.JSON),
    sa.column("packed", sa.LargeBinary),
    sa.column("embedding", sa.LargeBinary),
    *(sa.column(name, type_) for name, type_ in _COPIES),
)
verdicts_up = sa.table(
    "verdicts",
    sa.column("source", sa.String),
    sa.column("mention_id", sa.String),
    sa.column("reasons", sa.JSON),
    sa.column("reasons_packed", sa.LargeBinary),
)
verdicts_down = sa.table(
    "verdicts",
    sa.column("source", sa.String),
    sa.column("mention_id", sa.String),
    sa.column("reasons", sa.LargeBinary),
    sa.column("reasons_json", sa.JSON),
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
    columns: Sequence[str],
    convert: Callable[[Any], dict[str, Any]],
) -> None:
    """Each row of ``table`` updated with ``convert(row)`` (of ``columns``), page by page."""
    conn = op.get_bind()
    key = ("source", "id") if "id" in table.c else ("source", "mention_id")
    a, b = (table.c[k] for k in key)
    put: Any = None
    for rows in _pages(conn, table, key, columns):
        values = [convert(r) for r in rows]
        if put is None:
            put = (
                sa.update(table)
                .where(a == sa.bindparam("k_a"), b == sa.bindparam("k_b"))
                .values({c: sa.bindparam(f"k_{c}") for c in values[0]})
            )
        conn.execute(put, [
            {"k_a": r[key[0]], "k_b": r[key[1]], **{f"k_{c}": v for c, v in new.items()}}
            for r, new in zip(rows, values, strict=True)
        ])


def _embedding(blob: bytes | None, fmt: int) -> bytes | None:
    if not blob or blob[0] == fmt:
        return blob
    return pack_embedding(unpack_embedding(blob), fmt)


_MENTION_COLUMNS = ("author_id", "author_username", "author_name", "text", "payload")


def _context(r: Any) -> bytes:
    return payload_context({"id": r["id"], **{c: r[c] for c in _MENTION_COLUMNS}})


def _key_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["source", "mention_id"], ["mentions.source", "mentions.id"],
        name=f"fk_{table}_mention", ondelete="CASCADE",
    )


def _scores_shape(new: bool) -> list[Any]:
    """``scores``' columns and constraints as this revision leaves it (``new``), or as it
    found it."""
    cols: list[Any] = [sa.Column("source", sa.String(64), nullable=False),
                       sa.Column("mention_id", sa.String(64), nullable=False)]
    if new:
        cols.append(sa.Column("packed", sa.LargeBinary(), nullable=False))
    else:
        cols.append(sa.Column("data", sa.JSON(), nullable=False))
        cols += [sa.Column(name, type_, nullable=False) for name, type_ in _COPIES]
    return [*cols, sa.Column("embedding", sa.LargeBinary()),
            sa.PrimaryKeyConstraint("source", "mention_id", name="pk_scores"),
            _key_fk("scores")]


def _verdicts_shape(new: bool) -> list[Any]:
    return [
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("mention_id", sa.String(64), nullable=False),
        sa.Column("actionable", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(128)),
        sa.Column("reasons", sa.LargeBinary() if new else sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.String(64)),
        sa.Column("thread_of_source", sa.String(64)),
        sa.Column("thread_of_id", sa.String(64)),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "mention_id", name="pk_verdicts"),
        _key_fk("verdicts"),
    ]


def _recreate(name: str, shape: list[Any], sources: dict[str, str], *, rowid: bool) -> None:
    """SQLite: ``name`` copied into ``shape`` (``sources``: a new column's old one).

    Safe for these tables: nothing references them, so dropping the old one cascades to
    nothing."""
    conn = op.get_bind()
    made = op.create_table(f"{name}_new", *shape, sqlite_with_rowid=rowid)
    names = [c.name for c in shape if isinstance(c, sa.Column)]
    old = sa.table(name, *(sa.column(sources.get(c, c)) for c in names))
    conn.execute(sa.insert(made).from_select(
        names, sa.select(*(old.c[sources.get(c, c)] for c in names))
    ))
    op.drop_table(name)
    op.rename_table(f"{name}_new", name)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("scores", sa.Column("packed", sa.LargeBinary(), nullable=True))
    _rewrite(scores, ("data", "embedding"),
             lambda r: {"packed": pack_scores(Scores.from_dict(r["data"])),
                        "embedding": _embedding(r["embedding"], EMBED_I8)})
    op.drop_index("ix_verdicts_incident_id", table_name="verdicts")
    op.add_column("verdicts", sa.Column("reasons_packed", sa.LargeBinary(), nullable=True))
    _rewrite(verdicts_up, ("reasons",),
             lambda r: {"reasons_packed": pack_reasons(r["reasons"])})
    if sqlite:
        _recreate("scores", _scores_shape(True), {}, rowid=False)
        _recreate("verdicts", _verdicts_shape(True), {"reasons": "reasons_packed"}, rowid=False)
    else:
        for name in ("data", *(c for c, _ in _COPIES)):
            op.drop_column("scores", name)
        op.alter_column("scores", "packed", nullable=False)
        op.drop_column("verdicts", "reasons")
        op.alter_column("verdicts", "reasons_packed", new_column_name="reasons",
                        nullable=False)
    _rewrite(mentions, _MENTION_COLUMNS,
             lambda r: {"payload": pack_payload(unpack_payload(r["payload"], _context(r)),
                                                _context(r), fmt=PAYLOAD_DEFLATE)})


def _old_scores(r: Any) -> dict[str, Any]:
    s = unpack_scores(r["packed"])
    return {"data": s.to_dict(with_embedding=False), "embedding":
            _embedding(r["embedding"], EMBED_F16), "complaint_probability":
            s.complaint_probability, "sentiment": s.sentiment, "urgency": s.urgency,
            "topic": s.topic}


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _rewrite(mentions, _MENTION_COLUMNS,
             lambda r: {"payload": pack_payload(unpack_payload(r["payload"], _context(r)),
                                                fmt=PAYLOAD_ZLIB)})
    op.add_column("scores", sa.Column("data", sa.JSON(), nullable=True))
    for name, type_ in _COPIES:
        op.add_column("scores", sa.Column(name, type_, nullable=True))
    _rewrite(scores, ("packed", "embedding"), _old_scores)
    op.add_column("verdicts", sa.Column("reasons_json", sa.JSON(), nullable=True))
    _rewrite(verdicts_down, ("reasons",),
             lambda r: {"reasons_json": list(unpack_reasons(r["reasons"]))})
    if sqlite:
        _recreate("scores", _scores_shape(False), {}, rowid=True)
        _recreate("verdicts", _verdicts_shape(False), {"reasons": "reasons_json"}, rowid=True)
    else:
        op.drop_column("scores", "packed")
        for name in ("data", *(c for c, _ in _COPIES)):
            op.alter_column("scores", name, nullable=False)
        op.drop_column("verdicts", "reasons")
        op.alter_column("verdicts", "reasons_json", new_column_name="reasons",
                        nullable=False)
    op.create_index("ix_verdicts_incident_id", "verdicts", ["incident_id"])
