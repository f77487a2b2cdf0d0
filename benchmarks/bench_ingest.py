"""Ingest throughput and poll -> stored latency: the real tweepy against the local fake X
server over HTTP on 127.0.0.1, into a SQLite store (or ``--db`` PostgreSQL / memory://).

    python benchmarks/bench_ingest.py                 # 20,000 mentions into SQLite
    python benchmarks/bench_ingest.py --n 5000 --db memory://
    python benchmarks/bench_ingest.py --db postgresql+psycopg://...   # a scratch database:
                                                  # the rows stay there

Figures printed:
- cold ingest: one poll that pages through N seeded mentions (100 per page) and stores
  them; mentions/s stored, and how the time splits between X+tweepy+mapping and the store;
- a re-poll of the same posts from an interrupted cursor: every row a duplicate, none new;
- poll -> stored latency: with the cursor current, ``--batch`` new mentions appear, one
  poll; the time from the poll's start to their commit (p50 / p95 / max). The delay a
  user sees adds up to ``x.poll_interval_seconds`` of waiting for the next poll.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listener.config import Secrets, Settings
from listener.domain import Mention
from listener.health import Health
from listener.ingest import IngestStore, Poller
from listener.store import open_store
from listener.x.client import build_app_client
from listener.x.mapping import BrandContext
from listener.x.sources import MentionsTimelineSource
from tests.fakes.x_server import FakeXServer


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class TimedStore:
    """Wraps a store to time its writes."""

    def __init__(self, inner: IngestStore) -> None:
        self.inner = inner
        self.seconds = 0.0

    def add_mentions(self, mentions: Sequence[Mention]) -> int:
        t = time.perf_counter()
        try:
            return self.inner.add_mentions(mentions)
        finally:
            self.seconds += time.perf_counter() - t

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def check(ok: bool, detail: object) -> None:
    if not ok:
        raise SystemExit(f"bench_ingest: unexpected result {detail}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="mentions to ingest cold")
    ap.add_argument("--db", default=None, help="store URL (default: a temp SQLite file)")
    ap.add_argument("--rounds", type=int, default=50, help="latency rounds")
    ap.add_argument("--batch", type=int, default=10, help="new mentions per latency round")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    clock = Clock()
    with FakeXServer(brand_username="acme") as fake:
        t = time.perf_counter()
        fake.seed_tweets(args.n, authors=2000)
        seed_s = time.perf_counter() - t
        settings = Settings(x={"api_base_url": fake.base_url, "max_results": 100})  # type: ignore[arg-type]
        secrets = Secrets(x_bearer_token=fake.bearer_token)  # type: ignore[arg-type]
        ctx = BrandContext(brand="Acme", handles=frozenset({"acme"}), user_ids=frozenset({"1000"}))
        source = MentionsTimelineSource(
            client=build_app_client(settings, secrets), ctx=ctx, handle="acme", clock=clock,
            user_id="1000",
        )  # fmt: skip
        store = TimedStore(open_store(url, create=True, clock=clock))
        poller = Poller(store=store, clock=clock, health=Health(clock=clock))

        t = time.perf_counter()
        out = poller.poll(source)
        cold_s = time.perf_counter() - t
        check(out.ok and out.stored == args.n, out)
        store_cold = store.seconds

        store.inner.set_cursor(source.name, str(int(out.cursor or 0) - 1000 * args.n), clock.now())
        store.seconds = 0.0
        t = time.perf_counter()
        again = poller.poll(source)
        reread_s = time.perf_counter() - t
        check(again.ok and again.stored == 0 and again.read == args.n, again)

        latencies = []
        for _ in range(args.rounds):
            fake.seed_tweets(args.batch)
            t = time.perf_counter()
            res = poller.poll(source)
            latencies.append((time.perf_counter() - t) * 1000)
            check(res.stored == args.batch, res)
        latencies.sort()

    backend = url.split(":", 1)[0]
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, int(0.95 * len(latencies)) - 1)]
    rows = [
        ("seeding the fake (not counted)", f"{seed_s:.2f} s", ""),
        (
            f"cold ingest, {out.pages} pages",
            f"{cold_s:.2f} s",
            f"{args.n / cold_s:,.0f} mentions/s stored",
        ),
        (
            "  of which store.add_mentions",
            f"{store_cold:.2f} s",
            f"{args.n / store_cold:,.0f} rows/s; X+tweepy+mapping {cold_s - store_cold:.2f} s",
        ),
        (
            "re-read after a lost cursor",
            f"{reread_s:.2f} s",
            f"{args.n / reread_s:,.0f} posts/s, 0 new rows",
        ),
        (
            f"poll -> stored, {args.batch} new/poll",
            f"p50 {p50:.1f} ms",
            f"p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms over {args.rounds} polls",
        ),
    ]
    print(f"bench_ingest: {args.n:,} mentions, real tweepy -> fake X on 127.0.0.1 -> {backend}")
    for label, value, note in rows:
        print(f"  {label:<34} {value:>12}  {note}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
