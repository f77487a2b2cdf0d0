"""Insert rate of one ``add_mentions`` call with 20,000 mentions, per store.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_store.py [--n 20000] [--postgres URL]

SQLite runs in a temporary file; PostgreSQL in a throwaway schema of the given database
(skipped with a note if it can't be reached). Prints one line per store, then the rate
of re-adding the same batch (all duplicates, the steady state of an overlapping poll).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from classifiers.base import Scores
from listener.domain import Alert, Author, Mention, Priority, Route, Verdict
from listener.ports import Store
from listener.store import MemoryStore, SqlStore

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def mentions(n: int) -> list[Mention]:
    return [
        Mention(
            source="x",
            id=str(10**18 + i),
            text=f"@acme order #{i} still not here after 2 weeks, refund please 😡 " * 3,
            author=Author(id=str(i % 5000), username=f"user{i % 5000}", name="Some User",
                          followers=i % 90_000, verified_type="none"),
            created_at=T0 + timedelta(seconds=i),
            brand="Acme",
            conversation_id=str(10**18 + i - i % 4),
            lang="en",
            url=f"https://x.com/user/status/{10**18 + i}",
            addresses_brand=True,
            found_by="mentions:Acme",
            raw={"id": str(10**18 + i), "author_id": str(i % 5000), "text": "…",
                 "public_metrics": {"like_count": i % 7, "retweet_count": 0}},
        )
        for i in range(n)
    ]


def timed(label: str, store: Store, batch: list[Mention]) -> None:
    start = time.perf_counter()
    new = store.add_mentions(batch)
    took = time.perf_counter() - start
    start = time.perf_counter()
    again = store.add_mentions(batch)
    took_again = time.perf_counter() - start
    print(
        f"{label:<11} {len(batch):>6} mentions: {took:6.2f} s, {len(batch) / took:>8,.0f}/s "
        f"(new={new}); re-add {took_again:5.2f} s, {len(batch) / took_again:>8,.0f}/s "
        f"(new={again})"
    )


def triage_rate(store: Store, batch: list[Mention], n: int) -> None:
    """``record_triage`` one mention at a time (one transaction each), then the reads."""
    scores = Scores("negative", {"negative": 1.0}, 0.9, True, 3, (), "delivery",
                    {"delivery": 1.0}, "", "bench", embedding=tuple([0.01] * 384))
    start = time.perf_counter()
    for m in batch[:n]:
        v = Verdict(m.key, True, Priority.HIGH, Route.ALERT, "#cx", ("bench",), T0)
        store.record_triage(m.key, scores, v, [Alert(m.key, "#cx")])
    took = time.perf_counter() - start
    start = time.perf_counter()
    pending = store.pending_triage(100)
    took_pending = time.perf_counter() - start
    start = time.perf_counter()
    streamed = sum(1 for _ in store.history(T0, T0 + timedelta(days=365)))
    took_history = time.perf_counter() - start
    print(
        f"{'':<11} record_triage x{n}: {n / took:,.0f}/s; pending_triage(100) after it: "
        f"{took_pending * 1000:.0f} ms ({len(pending)} rows); history of {streamed}: "
        f"{took_history:.2f} s"
    )


def with_pg_schema(url: str, run: Callable[[str], None]) -> None:
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    u = make_url(url)
    try:
        conn = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username,
                               dbname=u.database, connect_timeout=3, autocommit=True)
    except psycopg.Error as exc:
        print(f"postgresql  skipped: {exc}".strip())
        return
    schema = f"fr_bench_{uuid.uuid4().hex[:8]}"
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        sep = "&" if "?" in url else "?"
        run(f"{url}{sep}options=-csearch_path%3D{schema}")
    finally:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--postgres", default=PG_DEFAULT)
    parser.add_argument("--triage", type=int, default=2_000, help="record_triage calls")
    args = parser.parse_args()
    batch = mentions(args.n)

    memory = MemoryStore()
    timed("memory", memory, batch)
    triage_rate(memory, batch, args.triage)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlStore(f"sqlite:///{Path(tmp) / 'bench.db'}", create=True)
        timed("sqlite", store, batch)
        triage_rate(store, batch, args.triage)
        store.close()

    def pg(url: str) -> None:
        store = SqlStore(url, create=True)
        timed("postgresql", store, batch)
        triage_rate(store, batch, args.triage)
        store.close()

    with_pg_schema(args.postgres, pg)


if __name__ == "__main__":
    main()
