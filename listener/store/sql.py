"""``SqlStore``: the ``Store`` port on SQLAlchemy Core, for SQLite (default) and PostgreSQL.

Every write is one short transaction; every statement is built with SQLAlchemy, never
from strings. Idempotency lives in the schema: mentions are inserted with
``ON CONFLICT DO NOTHING`` on their primary key ``(source, id)``, and the verdict's
primary key makes ``record_triage`` a no-op the second time, even when two workers race.
The outbox side (``due_alerts`` and friends) is in ``sql_outbox.py``, the small records
(cursors, checkpoints, replies, feedback, digests) in ``sql_records.py``, what a chunk of
triage writes besides the verdicts (alerts, the mention's copies, the rollup) in
``sql_triage.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    literal,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from listener.domain import Alert, Mention, MentionKey, Rejected, Scores, Verdict
from listener.errors import StoreError
from listener.ports import Clock, SystemClock, TriagedMention, TriageRecord
from listener.store import migrate
from listener.store.codec import (
    clean_mention,
    mention_row,
    rejected_row,
    row_to_mention,
    scores_row,
    verdict_row,
)
from listener.store.engine import make_engine
from listener.store.sql_hours import HourlyDigestQueries
from listener.store.sql_outbox import db_error
from listener.store.sql_read import _triaged_select, triaged_from
from listener.store.sql_records import SqlRecords
from listener.store.sql_triage import write_triaged
from listener.store.tables import (
    UTCDateTime,
    mentions,
    rejected,
    scores,
    verdicts,
)

__all__ = ["SqlStore"]

#: Rows per INSERT batch: bounds statement size and memory for 20,000-mention pages.
CHUNK = 2000
#: Mentions per query when streaming ``history``.
HISTORY_PAGE = 500

#: Matches the partial index ``ix_mentions_pending``; set with the verdict, in one transaction.
_NOT_TRIAGED = mentions.c.triaged_at.is_(None)


class SqlStore(SqlRecords):
    """The ``Store`` port on a SQLAlchemy URL (``sqlite:///path.db``, ``postgresql+psycopg://``).

    The database must be at the newest migration (``firstreply db upgrade``); otherwise
    the constructor raises ``StoreError``. ``create=True`` builds the schema in a database
    that has none yet (a new SQLite file: first runs, the demo, the tests); it never
    migrates one that has tables.
    """

    def __init__(
        self,
        url: str,
        *,
        create: bool = False,
        clock: Clock | None = None,
        claim_ttl: timedelta = timedelta(minutes=5),
        map_file: bool = False,
    ) -> None:
        self._clock = clock or SystemClock()
        self.claim_ttl = claim_ttl
        try:
            self._engine = make_engine(url, map_file=map_file)
            self._dialect = self._engine.dialect.name
            self._check_schema(create)
        except SQLAlchemyError as exc:
            raise db_error("cannot open the database", exc) from exc
        except ValueError as exc:  # a URL of an unsupported database
            raise StoreError(str(exc)) from exc

    def _check_schema(self, create: bool) -> None:
        want = migrate.head()
        have = migrate.current_revision(self._engine)
        if have == want:
            return
        if not create or have is not None or migrate.has_tables(self._engine):
            self._engine.dispose()
            raise StoreError(
                f"database {self._engine.url.render_as_string()} is at schema revision "
                f"{have or 'none'}, this version needs {want}: run `firstreply db upgrade`"
            )
        migrate.upgrade_engine(self._engine)

    @property
    def dialect(self) -> str:
        return self._dialect

    def close(self) -> None:
        self._engine.dispose()

    # -- MentionRepo ----------------------------------------------------------------------

    def add_mentions(self, mentions_: Sequence[Mention]) -> int:
        now = self._clock.now()
        rows: list[dict[str, Any]] = []
        seen: set[MentionKey] = set()
        for m in mentions_:
            m = clean_mention(m)
            if m.key not in seen:
                seen.add(m.key)
                rows.append(mention_row(m, now))
        if not rows:
            return 0
        insert = self._insert(mentions).on_conflict_do_nothing(index_elements=["source", "id"])
        new = 0
        with self._write() as conn:
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                stored = self._stored_keys(conn, chunk)
                fresh = [r for r in chunk if (r["source"], r["id"]) not in stored]
                if fresh:
                    # Counted from what was inserted: a parallel backfill writer may store
                    # the same post between the look-up and the insert.
                    new += len(conn.execute(insert.returning(mentions.c.id), fresh).all())
        return new

    def _brands_and_times(
        self, conn: Connection, items: Sequence[TriageRecord]
    ) -> dict[MentionKey, tuple[str, datetime]]:
        """Each stored mention's brand and creation time: what places it in the rollup."""
        by_source: dict[str, list[str]] = {}
        for i in items:
            by_source.setdefault(i.key[0], []).append(i.key[1])
        m = mentions.c
        out: dict[MentionKey, tuple[str, datetime]] = {}
        for source, ids in by_source.items():
            q = select(m.id, m.brand, m.created_at).where(m.source == source, m.id.in_(ids))
            out.update({(source, r.id): (r.brand, r.created_at) for r in conn.execute(q)})
        return out

    def _stored_keys(self, conn: Connection, rows: list[dict[str, Any]]) -> set[MentionKey]:
        """Which of ``rows`` are stored already: one indexed query per source in the chunk.

        Skipping them makes the common overlapping poll (mostly known posts) cheap;
        ``ON CONFLICT DO NOTHING`` keeps the insert safe when another writer stores the
        same post at the same moment, and ``RETURNING`` keeps the count exact.
        """
        by_source: dict[str, list[str]] = {}
        for r in rows:
            by_source.setdefault(r["source"], []).append(r["id"])
        stored: set[MentionKey] = set()
        for source, ids in by_source.items():
            q = select(mentions.c.id).where(mentions.c.source == source, mentions.c.id.in_(ids))
            stored.update((source, mid) for mid in conn.execute(q).scalars())
        return stored

    def add_rejected(self, rejected_: Sequence[Rejected]) -> None:
        rows = list({row["key"]: row for row in map(rejected_row, rejected_)}.values())
        if rows:
            insert = self._insert(rejected).on_conflict_do_nothing(index_elements=["key"])
            with self._write() as conn:
                for start in range(0, len(rows), CHUNK):
                    conn.execute(insert, rows[start : start + CHUNK])

    def list_rejected(self, limit: int | None = None) -> list[Rejected]:
        q = select(rejected).order_by(rejected.c.pk).limit(limit)
        with self._read() as conn:
            return [
                Rejected(r.source, r.reason, r.raw, r.received_at) for r in conn.execute(q)
            ]

    def get_mention(self, key: MentionKey) -> Mention | None:
        with self._read() as conn:
            row = conn.execute(
                select(mentions).where(mentions.c.source == key[0], mentions.c.id == key[1])
            ).first()
        return row_to_mention(row._mapping) if row else None

    def pending_triage(self, limit: int) -> list[Mention]:
        q = (
            select(mentions)
            .where(_NOT_TRIAGED)
            .order_by(mentions.c.created_at, mentions.c.source, mentions.c.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [row_to_mention(r._mapping) for r in conn.execute(q)]

    # -- TriageRepo -----------------------------------------------------------------------

    def _has_verdict(self, conn: Connection, key: MentionKey) -> bool:
        q = select(verdicts.c.source).where(
            verdicts.c.source == key[0], verdicts.c.mention_id == key[1]
        )
        return conn.execute(q).first() is not None

    def record_triage(
        self, key: MentionKey, scores_: Scores, verdict: Verdict, alerts_: Sequence[Alert]
    ) -> bool:
        return self.record_triage_many([TriageRecord(key, scores_, verdict, alerts_)])[0]

    def record_triage_many(
        self, items: Sequence[TriageRecord], *, retry: bool = True
    ) -> list[bool]:
        # Each verdict goes first, with ON CONFLICT DO NOTHING on its primary key: that is
        # where two racing workers meet (PostgreSQL makes the second wait for the first
        # to commit); an item whose verdict did not go in writes nothing else. One commit
        # for the batch: the commit, not the statements, is what each mention used to cost.
        if not items:
            return []
        for item in items:
            _same_key(item.verdict.mention, item.key, "verdict")
            for a in item.alerts:
                _same_key(a.mention, item.key, "alert")
        key: MentionKey = items[0].key
        try:
            # Claimed in key order, so two workers' overlapping batches take the verdict
            # keys' locks in the same order and cannot deadlock (PostgreSQL).
            order = sorted(range(len(items)), key=lambda i: items[i].key)
            claim = (
                self._insert(verdicts)
                .on_conflict_do_nothing(index_elements=["source", "mention_id"])
                .returning(verdicts.c.source, verdicts.c.mention_id)
            )
            with self._engine.begin() as conn:
                # Set-based: one multi-row statement per chunk rather than two per item;
                # building statements per item, not SQLite, capped backfill at ~2k/s.
                claimed: set[MentionKey] = set()
                for start in range(0, len(order), CHUNK):
                    chunk = [items[i] for i in order[start : start + CHUNK]]
                    rows = [verdict_row(item.verdict) for item in chunk]
                    claimed.update((s, m) for s, m in conn.execute(claim, rows))
                # A key twice in one batch: the first occurrence holds the claim.
                results = [False] * len(items)
                for i in order:
                    if items[i].key in claimed:
                        claimed.discard(items[i].key)
                        results[i] = True
                # Alerts in the batch's order: outbox ids are the dispatch order.
                fresh = [item for item, ok in zip(items, results, strict=True) if ok]
                for start in range(0, len(fresh), CHUNK):
                    chunk = fresh[start : start + CHUNK]
                    where = self._brands_and_times(conn, chunk)
                    for item in chunk:
                        if item.key not in where:
                            key = item.key
                            raise _NotStored
                    write_triaged(conn, self._insert, chunk, where)
                score_rows = [scores_row(item.key, item.scores) for item in fresh]
                if score_rows:
                    conn.execute(scores.insert(), score_rows)
            return results
        except _NotStored:
            raise StoreError(f"cannot record triage of {key}: mention not stored") from None
        except IntegrityError as exc:  # a foreign key, or a unique key that we did not expect
            # A racing worker may have committed one of ours meanwhile: the batch was
            # rolled back, and once more skips what is now decided.
            with self._read() as conn:
                raced = any(self._has_verdict(conn, item.key) for item in items)
            if raced and retry:
                return self.record_triage_many(items, retry=False)
            raise db_error(f"cannot record triage of {key}", exc) from exc
        except SQLAlchemyError as exc:
            raise db_error(f"cannot record triage of {key}", exc) from exc

    def history(
        self,
        start: datetime,
        end: datetime,
        *,
        brand: str | None = None,
        embeddings: bool = True,
    ) -> Iterator[TriagedMention]:
        # Keyset pages, each read in its own short transaction: a slow consumer (the
        # digest renderer) never holds a connection, and each page costs two queries.
        after: tuple[datetime, str, str] | None = None
        while True:
            page = self._history_page(start, end, brand, after, embeddings)
            yield from page
            if len(page) < HISTORY_PAGE:
                return
            last = page[-1].mention
            after = (last.created_at, last.source, last.id)

    def digest_queries(
        self, start: datetime, end: datetime, *, brand: str | None = None
    ) -> HourlyDigestQueries:
        return HourlyDigestQueries(self._engine, self._triaged_by_key, start, end, brand)

    def _history_page(
        self,
        start: datetime,
        end: datetime,
        brand: str | None,
        after: tuple[datetime, str, str] | None,
        embeddings: bool,
    ) -> list[TriagedMention]:
        m = mentions.c
        q = (
            _triaged_select(embeddings)
            .where(m.created_at >= start, m.created_at < end)
            .order_by(m.created_at, m.source, m.id)
            .limit(HISTORY_PAGE)
        )
        if brand is not None:
            q = q.where(m.brand == brand)
        if after is not None:
            at, src, mid = after
            # A row-value comparison: one range scan of ix_mentions_created_at.
            q = q.where(
                tuple_(m.created_at, m.source, m.id)
                > tuple_(literal(at, UTCDateTime()), literal(src), literal(mid))
            )
        with self._read() as conn:
            return self._triaged(conn, q)

    def _triaged_by_key(self, keys: Collection[MentionKey]) -> list[TriagedMention]:
        """The stored mentions of ``keys`` (without embeddings), in history order."""
        m = mentions.c
        by_source: dict[str, list[str]] = {}
        for source, mid in sorted(set(keys)):
            by_source.setdefault(source, []).append(mid)
        out: list[TriagedMention] = []
        with self._read() as conn:
            # Per source with IN on the id: SQLite scans the table for a row-value IN.
            for source, ids in by_source.items():
                for start in range(0, len(ids), HISTORY_PAGE):
                    chunk = ids[start : start + HISTORY_PAGE]
                    q = _triaged_select(False).where(m.source == source, m.id.in_(chunk))
                    out.extend(self._triaged(conn, q))
        out.sort(key=lambda tm: (tm.mention.created_at, tm.mention.source, tm.mention.id))
        return out

    def _triaged(self, conn: Connection, q: Select[Any]) -> list[TriagedMention]:
        return triaged_from(conn, q)


class _NotStored(Exception):
    """Rolls back ``record_triage`` of a mention that was never stored."""


def _same_key(about: MentionKey, key: MentionKey, what: str) -> bool:
    if about != key:
        raise StoreError(f"{what} is about {about}, not {key}")
    return True
