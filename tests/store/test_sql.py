"""What only the SQL store has: migrations, schema checks, batching, concurrent claims."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Column, Float, Integer, LargeBinary, MetaData, String, Table, event

from listener.errors import StoreError
from listener.store import MemoryStore, migrate, open_store
from listener.store.codec import DIGEST_COPIES as DIGEST_COPIES_
from listener.store.compact import EMBED_F16
from listener.store.engine import is_new_sqlite, make_engine, normalise_url
from listener.store.sql import CHUNK, HISTORY_PAGE, SqlStore
from listener.store.tables import ALERT_COPIES, metadata
from listener.store.tables import mentions as mentions_table
from listener.store.tables import verdicts as verdicts_table
from tests.store import factories as f
from tests.store.factories import T0


def test_migrations_build_exactly_the_tables_module(sql_url: str) -> None:
    engine = make_engine(sql_url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diffs == []
    assert migrate.current(sql_url) == migrate.head()


def _as_before_0006(row: dict[str, Any]) -> dict[str, Any]:
    """A ``mentions`` row as revisions before 0006 held it: raw JSON, no digest copies."""
    from listener.store.codec import DIGEST_COPIES, payload_context
    from listener.store.compact import unpack_payload

    row = {k: v for k, v in row.items() if k not in DIGEST_COPIES}
    row["raw"] = unpack_payload(row.pop("payload"), payload_context(row))
    return row


_OLD = MetaData()
#: The 0004 shape of the tables 0006 changes.
old_mentions = Table(
    "mentions", _OLD,
    *(Column(c.name, c.type) for c in mentions_table.c
      if c.name not in ("payload", "alert_status", *ALERT_COPIES, *DIGEST_COPIES_)),
    Column("raw", JSON),
)


#: The shapes of the tables 0009 changes, before it: the scores as JSON in ``data`` (with
#: copies of four fields), a verdict's reasons as a JSON list.
old_scores = Table(
    "scores", _OLD,
    Column("source", String(64)), Column("mention_id", String(64)), Column("data", JSON),
    Column("complaint_probability", Float), Column("sentiment", String(16)),
    Column("urgency", Integer), Column("topic", String(64)), Column("embedding", LargeBinary),
)
old_verdicts = Table(
    "verdicts", _OLD,
    *(Column(c.name, c.type) for c in verdicts_table.c if c.name != "reasons"),
    Column("reasons", JSON),
)


def _scores_before_0009(key: tuple[str, str], s: Any) -> dict[str, Any]:
    from listener.store.compact import pack_embedding

    return {"source": key[0], "mention_id": key[1], "data": s.to_dict(with_embedding=False),
            "complaint_probability": s.complaint_probability, "sentiment": s.sentiment,
            "urgency": s.urgency, "topic": s.topic,
            "embedding": pack_embedding(s.embedding, EMBED_F16)}


def _verdict_before_0009(v: Any) -> dict[str, Any]:
    from listener.store.codec import verdict_row

    return {**verdict_row(v), "reasons": list(v.reasons)}


def test_upgrade_from_0001_backfills_what_was_triaged(tmp_path: Path) -> None:
    from listener.store.codec import mention_row

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:  # rows as a 0001 database held them
        conn.execute(old_mentions.insert(), [_as_before_0006(mention_row(f.mention(i), T0))
                                         for i in (1, 2)])
        conn.execute(old_verdicts.insert(), _verdict_before_0009(f.verdict(("x", "1"))))
    engine.dispose()
    with pytest.raises(StoreError, match="at schema revision 0001"):
        SqlStore(url)
    with pytest.raises(StoreError, match="run `firstreply db upgrade`"):
        SqlStore(url, create=True)  # create builds a new database; it never migrates one
    migrate.upgrade(url)
    store = SqlStore(url)
    assert [m.id for m in store.pending_triage(10)] == ["2"]
    store.close()


def test_only_a_sqlite_database_not_there_yet_counts_as_new(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    assert is_new_sqlite(f"sqlite:///{path}")
    path.touch()  # there, empty: migrating it is `db upgrade`'s job
    assert not is_new_sqlite(f"sqlite:///{path}")
    assert is_new_sqlite("sqlite://")
    assert is_new_sqlite("sqlite:///:memory:")
    assert not is_new_sqlite("postgresql://u@h/db")
    assert not is_new_sqlite("not a url")


def test_unmigrated_database_is_refused_with_advice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with pytest.raises(StoreError, match="firstreply db upgrade"):
        SqlStore(url)
    assert migrate.current(url) is None
    store = SqlStore(url, create=True)
    store.close()
    assert migrate.current(url) == migrate.head()


def test_open_store_picks_the_implementation(sqlite_url: str) -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    store = open_store(sqlite_url)
    assert isinstance(store, SqlStore)
    assert store.dialect == "sqlite"
    store.close()
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open the database"):
        SqlStore("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_large_batches_are_chunked_and_counted(sql_store: SqlStore) -> None:
    n = CHUNK * 2 + 7
    first = [f.mention(i) for i in range(0, n, 2)]
    assert sql_store.add_mentions(first) == len(first)
    assert sql_store.add_mentions([f.mention(i) for i in range(n)]) == n - len(first)
    assert sql_store.counts().mentions == n


def test_history_batches_its_queries(sql_store: SqlStore) -> None:
    batch = [f.mention(i) for i in range(HISTORY_PAGE * 2 + 3)]
    sql_store.add_mentions(batch)
    for m in batch[:50]:
        sql_store.record_triage(m.key, f.scores(), f.verdict(m.key), [f.alert(m.key)])
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(sql_store._engine, "before_cursor_execute", count)
    try:
        items = list(sql_store.history(T0, T0 + timedelta(days=30)))
    finally:
        event.remove(sql_store._engine, "before_cursor_execute", count)
    assert len(items) == len(batch)
    assert sum(len(i.alerts) for i in items) == 50
    # Three pages, each one mentions query plus one alerts query: never one per mention.
    assert len([s for s in statements if "SELECT" in s]) <= 6


def test_concurrent_dispatchers_never_share_an_alert(sql_url: str) -> None:
    seed = SqlStore(sql_url)
    keys = [("x", str(i)) for i in range(60)]
    seed.add_mentions([f.mention(i) for i in range(60)])
    for k in keys:
        seed.record_triage(k, f.scores(), f.verdict(k), [f.alert(k)])
    seed.close()

    stores = [SqlStore(sql_url) for _ in range(3)]
    claimed: list[list[int]] = [[] for _ in stores]
    barrier = threading.Barrier(len(stores))

    def dispatcher(n: int) -> None:
        barrier.wait(timeout=10)
        while batch := stores[n].due_alerts(T0 + timedelta(hours=1), limit=7):
            claimed[n].extend(a.id for a in batch if a.id is not None)

    threads = [threading.Thread(target=dispatcher, args=(n,)) for n in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for s in stores:
        s.close()
    every = [i for ids in claimed for i in ids]
    assert len(every) == len(set(every)) == 60


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    import uuid

    from psycopg import sql

    from tests.conftest import PG_DB, PG_HOST, PG_PORT, _pg_connect

    conn, user = _pg_connect()
    schema = f"fr_mig_{uuid.uuid4().hex[:10]}"
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield (f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{PG_DB}"
               f"?options=-csearch_path%3D{schema}")
    finally:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.close()


def test_0004_moves_checkpoints_and_replies_out_of_the_cursors_table(empty_url: str) -> None:
    from sqlalchemy import select

    from listener.store.tables import cursors

    long = '{"token": "' + "t" * 40 + '", "skip": 0, "done": false}'
    migrate.upgrade(empty_url, "0003")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:  # as the cursors table of a 0003 database held them
            conn.execute(cursors.insert(), [
                {"source": "mentions:acme", "since_id": "1900", "updated_at": T0},
                {"source": "backfill:/data/twcs.csv", "since_id": "10,2,0", "updated_at": T0},
                {"source": "backfill:archive:ab12", "since_id": long[:64], "updated_at": T0},
                {"source": "reply:" + "f" * 64, "since_id": "https://x.com/acme/status/7",
                 "updated_at": T0},
            ])
    finally:
        engine.dispose()
    assert migrate.upgrade(empty_url) == migrate.head()
    store = SqlStore(empty_url)
    try:
        assert store.get_cursor("mentions:acme") == "1900"
        assert store.get_checkpoint("backfill:/data/twcs.csv") == "10,2,0"
        assert store.get_checkpoint("backfill:archive:ab12") == long[:64]
        assert store.reply_for("f" * 64) == "https://x.com/acme/status/7"
        for moved in ("backfill:/data/twcs.csv", "backfill:archive:ab12", "reply:" + "f" * 64):
            assert store.get_cursor(moved) is None, moved
    finally:
        store.close()
    assert migrate.downgrade(empty_url, "0003") == "0003"
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            back = dict(conn.execute(select(cursors.c.source, cursors.c.since_id)).all())
    finally:
        engine.dispose()
    assert back == {"mentions:acme": "1900", "backfill:/data/twcs.csv": "10,2,0",
                    "backfill:archive:ab12": long[:64],
                    "reply:" + "f" * 64: "https://x.com/acme/status/7"}


def test_0006_converts_an_existing_database(empty_url: str) -> None:
    """Raw payloads compressed, float32 embeddings to float16, the digest's copies filled,
    rejects keyed; on SQLite and PostgreSQL, and back down again."""
    import numpy as np

    from listener.digest import build_digest, collect_digest, period_bounds
    from listener.domain import Rejected
    from listener.store.codec import mention_row
    from listener.store.tables import rejected

    migrate.upgrade(empty_url, "0004")
    vec = np.linspace(-1, 1, 384).astype("<f4")
    raw = {"id": "1", "text": "AT&T [down] 😡", "nested": {"a": [1, None]}}
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:  # as a 0004 database held them
            conn.execute(old_mentions.insert(), [
                _as_before_0006(mention_row(f.mention(i, raw=raw), T0)) for i in (1, 2)
            ])
            for i in (1, 2):
                key = ("x", str(i))
                row = _scores_before_0009(key, f.scores())
                row["embedding"] = vec.tobytes()
                conn.execute(old_scores.insert(), row)
                conn.execute(old_verdicts.insert(), _verdict_before_0009(f.verdict(key)))
            conn.execute(rejected.insert(), [
                {"source": "file", "reason": "line 3: bad", "raw": "x", "received_at": T0}
            ] * 2)
    finally:
        engine.dispose()
    assert migrate.upgrade(empty_url) == migrate.head()
    store = SqlStore(empty_url)
    try:
        m = store.get_mention(("x", "1"))
        assert m is not None and m.raw == raw
        [item, _] = store.history(T0, T0 + timedelta(days=1))
        assert item.scores is not None
        # int8 since 0009: a step of 1/127 of the largest component (1 here).
        assert np.allclose(item.scores.embedding, vec, atol=4e-3)
        store.add_rejected([Rejected("file", "line 3: bad", "x", T0)])
        assert store.counts().rejected == 3  # rows kept before 0006 have no key
        start, end = period_bounds(T0.date(), 1, "UTC")
        pool = list(store.history(start - timedelta(days=30), end))
        assert collect_digest(store, last_day=T0.date(), tz="UTC") == build_digest(
            pool, period_start=start, period_end=end, tz="UTC"
        )
        assert collect_digest(store, last_day=T0.date(), tz="UTC").volume.value == 2
    finally:
        store.close()
    migrate.downgrade(empty_url, "0004")
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            back = conn.execute(old_mentions.select()).first()
            emb = conn.execute(old_scores.select()).first()
    finally:
        engine.dispose()
    assert back is not None and back._mapping["raw"] == raw
    assert emb is not None and np.allclose(np.frombuffer(emb.embedding, "<f4"), vec, atol=4e-3)


def test_a_post_another_writer_stored_after_the_look_up_is_not_counted_new(
    sql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Parallel backfill writers race: both look a post up, find nothing, and insert.
    first, second = SqlStore(sql_url), SqlStore(sql_url)
    try:
        assert first.add_mentions([f.mention(1)]) == 1
        monkeypatch.setattr(second, "_stored_keys", lambda conn, rows: set())
        assert second.add_mentions([f.mention(1), f.mention(2)]) == 1
        assert second.counts().mentions == 2
    finally:
        first.close()
        second.close()


def test_only_a_history_reader_maps_the_sqlite_file(tmp_path: Path) -> None:
    """The digest reads through a memory map; writers do not (their RSS would grow)."""
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'm.db'}"
    for map_file, want in ((False, 0), (True, 1 << 30)):
        engine = make_engine(url, map_file=map_file)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA mmap_size")).scalar() == want
        finally:
            engine.dispose()
