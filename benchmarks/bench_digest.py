"""How long the leadership digest takes: 1 day and 90 days at 10,000 mentions a day.

    python benchmarks/bench_digest.py                  # in memory: build + render
    python benchmarks/bench_digest.py --sqlite         # also read from a SQLite store
    python benchmarks/bench_digest.py --per-day 2000 --periods 1,30
    python benchmarks/bench_digest.py --no-memory --sqlite --sqlite-periods 1,90 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/bench_digest.py --no-memory --per-day 2000 --sqlite-periods 1,90 \\
        --no-old --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --baseline-tree /work/main --baseline-revision 0007   # main reads 0007
    python benchmarks/bench_digest.py --no-memory --sqlite --sqlite-periods 1,90 \\
        --db /tmp/digest-10k.db    # seed once (~10 min), time again later
    python benchmarks/bench_digest.py --no-memory --sqlite --sqlite-periods 1,90 --no-old \\
        --db /tmp/digest-10k.db --baseline-tree /work/main   # against another checkout
    python benchmarks/bench_digest.py --no-memory --sqlite --sqlite-periods 1,90 --no-old \\
        --db /tmp/digest-10k.db --baseline-tree /work/main \\
        --baseline-db /tmp/digest-10k-0007.db   # the checkout needs an older schema

In memory, the digest is built the way ``collect_digest`` builds it: the period plus the
days before it that the 7-day baseline and the 30-day chart need. ``--sqlite`` seeds a
SQLite file (bulk inserts, not timed) and times, side by side, ``collect_digest`` (the
store answers in SQL aggregates) and the old path (``history`` read back into
``TriagedMention`` objects, then ``build_digest``), and checks the two digests are equal.
``--baseline-tree`` also times ``collect_digest`` of another checkout of this code (say
main, before a change) on the same store, in a process of its own, and compares digests;
``--baseline-db`` gives it a copy of the SQLite file at the revision it expects (``cp``
the file before ``--db`` upgrades it: a schema migration changes no digest).
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listener.digest import Digest, ItemQueries, build_digest, collect_digest, period_bounds
from listener.domain import (
    Alert,
    AlertKind,
    AlertStatus,
    Author,
    DeliveryState,
    Feedback,
    Mention,
    Priority,
    Route,
    Scores,
    Verdict,
)
from listener.ports import TriagedMention
from listener.timewindow import Window

TZ = "America/Los_Angeles"
LAST_DAY = date(2026, 3, 9)
TOPICS = ("delivery", "billing/refund", "product defect", "account/login", "outage", "other")


def _scores() -> list[Scores]:
    out = []
    for topic in TOPICS:
        for complaint in (True, False):
            for urgency in (1, 3):
                out.append(
                    Scores(
                        sentiment="negative" if complaint else "neutral",
                        sentiment_scores={"negative": 0.8},
                        complaint_probability=0.9 if complaint else 0.1,
                        is_complaint=complaint,
                        urgency=urgency if complaint else 0,
                        signals=(),
                        topic=topic,
                        topic_scores={topic: 0.7},
                        explanation="",
                        model="bench",
                    )
                )
    return out


def synthetic(days: int, per_day: int, seed: int = 1) -> Iterator[TriagedMention]:
    """``per_day`` mentions on each of ``days`` local days ending ``LAST_DAY``.

    Authors and scores are shared objects (as a real store's cache would not, but this
    keeps 1M items in a few GB); mentions, verdicts and alerts are one per item.
    """
    rng = random.Random(seed)
    authors = [
        Author(f"a{i}", f"user{i}", f"User {i}", rng.choice([10, 200, 5_000, 80_000]))
        for i in range(2_000)
    ]
    pool = _scores()
    start, _ = period_bounds(LAST_DAY, days, TZ)
    n = 0
    for d in range(days):
        day_start = start + timedelta(days=d)  # close enough for load; DST is tested elsewhere
        for _ in range(per_day):
            n += 1
            created = day_start + timedelta(seconds=rng.randrange(86_400))
            s = pool[rng.randrange(len(pool))]
            m = Mention("x", str(n), "my order is late again", authors[n % 2_000], created, "Acme")
            v = Verdict(
                m.key,
                s.is_complaint,
                Priority.HIGH if s.urgency >= 3 else Priority.NORMAL,
                Route.ALERT if s.is_complaint else Route.DIGEST,
                "#cx" if s.is_complaint else None,
                ("bench",),
                created,
                incident_id=f"INC-{d}-{n % 7}" if s.topic == "outage" else None,
            )
            alerts: tuple[Alert, ...] = ()
            if s.is_complaint:
                sent = created + timedelta(seconds=rng.randrange(30, 300))
                replied = sent + timedelta(minutes=rng.randrange(5, 180))
                status = rng.choice(list(AlertStatus))
                alerts = (
                    Alert(
                        m.key,
                        "#cx",
                        AlertKind.ALERT,
                        n,
                        DeliveryState.SENT,
                        1,
                        created,
                        sent_at=sent,
                        status=status,
                        claimed_by="U1",
                        claimed_at=sent + timedelta(minutes=2),
                        replied_at=replied if status is AlertStatus.REPLIED else None,
                        resolved_at=replied if status is AlertStatus.RESOLVED else None,
                    ),
                )
            yield TriagedMention(m, s, v, alerts)


def timed(label: str, fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs, printed with that run's CPU time: on a shared
    machine the CPU time (SQLite's included: it runs in this process) is the steadier."""
    best, cpu = float("inf"), 0.0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        took = time.perf_counter() - t0
        if took < best:
            best, cpu = took, time.process_time() - c0
    print(f"  {label:<52} {best * 1000:10.1f} ms (CPU {cpu * 1000:,.0f} ms)")
    return best


class ListSource:
    """``history`` over a sorted in-memory list: ``collect_digest`` without a database."""

    def __init__(self, items: list[TriagedMention]) -> None:
        self.items = sorted(items, key=lambda t: t.mention.created_at)
        self.stamps = [t.mention.created_at for t in self.items]

    def history(
        self, start: datetime, end: datetime, *, brand: str | None = None,
        embeddings: bool = True,
    ) -> Iterator[TriagedMention]:
        lo, hi = bisect.bisect_left(self.stamps, start), bisect.bisect_left(self.stamps, end)
        return iter(self.items[lo:hi])

    def digest_queries(
        self, start: datetime, end: datetime, *, brand: str | None = None
    ) -> ItemQueries:
        return ItemQueries(self.history(start, end, brand=brand))

    def list_feedback(self, since: datetime | None = None) -> list[Feedback]:
        return []


def bench_memory(periods: list[int], per_day: int) -> None:
    try:
        from listener.report.chart import digest_png
        from listener.report.html import render_html
    except ImportError as exc:  # a bare interpreter: time the maths only
        print(f"(rendering skipped: {exc})")
        digest_png = render_html = None  # type: ignore[assignment]

    # collect_digest reads the period and, before it, max(period, 7-day baseline,
    # 14-day lookback, the rest of the 30-day chart).
    span = max(max(2 * p, p + 29) for p in periods)
    t0 = time.perf_counter()
    source = ListSource(list(synthetic(span, per_day)))
    print(
        f"generated {len(source.items):,} mentions over {span} days "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    now = datetime(2026, 3, 10, tzinfo=UTC)
    for days in periods:
        start, end = period_bounds(LAST_DAY, days, TZ)
        back = max(days, 7, 14, 30 - days)
        fetched = len(list(source.history(start - timedelta(days=back), end)))
        in_period = len(list(source.history(start, end)))
        print(f"{days}-day digest: {in_period:,} mentions in the period, {fetched:,} read")

        def build(days: int = days) -> Digest:
            return collect_digest(
                source,
                last_day=LAST_DAY,
                days=days,
                tz=TZ,
                brand="Acme",
                sla_minutes=60,
                business_hours=Window.parse("Mon-Fri 09:00-18:00"),
            )

        repeat = 1 if fetched > 200_000 else 3
        timed("collect_digest, in memory (the maths)", build, repeat)
        digest = build()
        if digest_png is None or render_html is None:
            continue
        timed("chart PNG (trend + themes)", lambda d=digest: digest_png(d), 2)  # type: ignore[misc]
        timed(
            "HTML report incl. charts",
            lambda d=digest: render_html(d, generated_at=now),  # type: ignore[misc]
            2,
        )


def _seed(url: str, span: int, per_day: int) -> int:
    """Bulk-insert ``synthetic`` rows (not timed: this is not how mentions arrive)."""
    from sqlalchemy import create_engine
    from sqlalchemy.dialects import postgresql, sqlite

    from listener.store import rollup
    from listener.store.codec import (
        alert_row,
        digest_copies,
        mention_row,
        scores_row,
        verdict_row,
    )
    from listener.store.sql_triage import primary_copies
    from listener.store.tables import alerts, mentions, scores, verdicts

    engine = create_engine(url)
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    now = datetime.now(UTC)
    batch: dict[str, list[dict[str, object]]] = {"m": [], "s": [], "v": [], "a": []}
    facts: list[rollup.Fact] = []

    def flush() -> None:
        if not batch["m"]:
            return
        with engine.begin() as conn:
            conn.execute(mentions.insert(), batch["m"])
            conn.execute(scores.insert(), batch["s"])
            conn.execute(verdicts.insert(), batch["v"])
            if batch["a"]:
                conn.execute(alerts.insert(), batch["a"])
            rollup.add(conn, insert, facts)
        for rows in batch.values():
            rows.clear()
        facts.clear()

    count = 0
    alert_id = 0
    for t in synthetic(span, per_day):
        assert t.scores is not None
        assert t.verdict is not None
        # As record_triage stores them: the mention carries the digest's copies and its
        # primary alert's status, id and times, and is counted in the rollup. The ids are
        # given here (a fresh store: 1, 2, ...) so that the mention can carry its alert's.
        copies = digest_copies(t.scores, t.verdict)
        status = t.alerts[0].status.value if t.alerts else None
        rows = [{**alert_row(a, t.mention.created_at), "id": alert_id + 1 + i}
                for i, a in enumerate(t.alerts)]
        alert_id += len(rows)
        primary = primary_copies(rows[0]["id"], rows[0]) if rows else primary_copies(None, None)
        batch["m"].append({**mention_row(t.mention, now), **copies, "alert_status": status,
                           **primary, "triaged_at": t.verdict.decided_at})
        facts.append(rollup.Fact.of(t.mention.brand, t.mention.created_at, copies, status))
        batch["s"].append(scores_row(t.mention.key, t.scores))
        batch["v"].append(verdict_row(t.verdict))
        batch["a"].extend(rows)
        count += 1
        if len(batch["m"]) >= 20_000:
            flush()
    flush()
    engine.dispose()
    return count


def _old_path(store: object, days: int, hours: Window | None) -> Digest:
    """What ``collect_digest`` did before the store answered in aggregates: read every
    mention of the window back into objects (``history``), then ``build_digest``."""
    from listener.timewindow import day_bounds

    start, end = period_bounds(LAST_DAY, days, TZ)
    back = max(days, 7, 14, 30 - days)
    fetch_from = day_bounds(LAST_DAY - timedelta(days=days - 1 + back), TZ)[0]
    pool = list(store.history(fetch_from, end, brand="Acme", embeddings=False))  # type: ignore[attr-defined]
    return build_digest(
        [t for t in pool if t.mention.created_at >= start],
        store.list_feedback(start),  # type: ignore[attr-defined]
        period_start=start,
        period_end=end,
        tz=TZ,
        previous=[t for t in pool if t.mention.created_at < start],
        brand="Acme",
        business_hours=hours,
    )


class _NoRollup:
    """The same store asked without its rollup: the aggregates over the mentions that
    revision 0006 answered with (the baseline of the rollup)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def digest_queries(self, start: datetime, end: datetime, *, brand: str | None = None) -> Any:
        from listener.store.sql_digest import SqlDigestQueries

        s = self.store
        return SqlDigestQueries(s._engine, s._triaged_by_key, start, end, brand)

    def list_feedback(self, since: datetime | None = None) -> list[Feedback]:
        return self.store.list_feedback(since)  # type: ignore[no-any-return]


_TREE_RUN = """
import datetime, pickle, sys, time
sys.path.insert(0, {tree!r})
from listener.digest import collect_digest
from listener.store import open_store
from listener.timewindow import Window
import listener
assert listener.__file__.startswith({tree!r}), listener.__file__
store = open_store({url!r})
best, cpu, digest = float("inf"), 0.0, None
for _ in range(2):
    t0, c0 = time.perf_counter(), time.process_time()
    digest = collect_digest(store, last_day={day!r}, days={days}, tz={tz!r}, brand="Acme",
                            business_hours=Window.parse("Mon-Fri 09:00-18:00"))
    if time.perf_counter() - t0 < best:
        best, cpu = time.perf_counter() - t0, time.process_time() - c0
store.close()
sys.stdout.buffer.write(pickle.dumps((best, cpu, digest)))
"""


def _baseline_tree(tree: Path, url: str, days: int, label: str, new: float, digest: Digest) -> None:
    """``collect_digest`` of the checkout at ``tree``, timed in a process of its own."""
    import pickle
    import subprocess

    code = _TREE_RUN.format(tree=str(tree), url=url, day=LAST_DAY, days=days, tz=TZ)
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    took, cpu, theirs = pickle.loads(got.stdout)
    print(f"  {f'{days}-day digest from {label}: {tree}':<52} {took * 1000:10.1f} ms "
          f"(CPU {cpu * 1000:,.0f} ms)")
    same = "identical" if theirs == digest else "DIFFERENT"
    print(f"  -> {took / new:.1f}x faster than {tree}; digests {same}")


def bench_store(
    url: str, label: str, periods: list[int], per_day: int, old: bool, seed: bool = True,
    tree: Path | None = None, tree_url: str | None = None, tree_revision: str | None = None,
) -> None:
    """``tree_revision``: downgrade the store to it (after timing this code: a migration
    changes no digest) before timing ``tree``, which needs that schema."""
    from listener.store import open_store

    span = max(max(2 * p, p + 29) for p in periods)
    if seed:
        t0 = time.perf_counter()
        count = _seed(url, span, per_day)
        print(f"seeded {label} with {count:,} mentions in {time.perf_counter() - t0:.1f} s "
              "(not timed)")
    store = open_store(url)
    if not seed:
        print(f"{label}: {store.counts().mentions:,} mentions already stored")
    hours = Window.parse("Mon-Fri 09:00-18:00")
    later: list[tuple[int, float, Digest]] = []
    try:
        for days in periods:
            new_digest: list[Digest] = []
            new = timed(
                f"{days}-day digest from {label}: hourly rollup (new)",
                lambda days=days, out=new_digest: out.append(  # type: ignore[misc]
                    collect_digest(
                        store, last_day=LAST_DAY, days=days, tz=TZ, brand="Acme",
                        business_hours=hours,
                    )
                ),
                repeat=2,
            )
            flat: list[Digest] = []
            before = timed(
                f"{days}-day digest from {label}: SQL over mentions (0006)",
                lambda days=days, out=flat: out.append(  # type: ignore[misc]
                    collect_digest(
                        _NoRollup(store), last_day=LAST_DAY, days=days, tz=TZ, brand="Acme",
                        business_hours=hours,
                    )
                ),
                repeat=1,
            )
            same = "identical" if flat[0] == new_digest[0] else "DIFFERENT"
            print(f"  -> {before / new:.1f}x faster; digests {same}")
            if tree is not None and tree_revision is None:
                _baseline_tree(tree, tree_url or url, days, label, new, new_digest[0])
            elif tree is not None:
                later.append((days, new, new_digest[0]))
            if not old:
                continue
            old_digest: list[Digest] = []
            before = timed(
                f"{days}-day digest from {label}: history + build_digest (old)",
                lambda days=days, out=old_digest: out.append(  # type: ignore[misc]
                    _old_path(store, days, hours)
                ),
                repeat=1,
            )
            same = "identical" if old_digest[0] == new_digest[0] else "DIFFERENT"
            print(f"  -> {before / new:.0f}x faster; digests {same}")
    finally:
        store.close()
    if later and tree is not None and tree_revision is not None:
        from listener.store import migrate

        t0 = time.perf_counter()
        migrate.downgrade(url, tree_revision)
        print(f"downgraded {label} to {tree_revision} for {tree} in "
              f"{time.perf_counter() - t0:.1f} s (not timed)")
        for days, new, digest in later:
            _baseline_tree(tree, url, days, label, new, digest)


def bench_sqlite(
    periods: list[int], per_day: int, old: bool, keep: Path | None, tree: Path | None = None,
    tree_db: Path | None = None,
) -> None:
    from listener.store import migrate, open_store

    if keep is not None:
        # Seeding 1.8M mentions takes ~10 minutes here: keep the file for the next run
        # (it is upgraded to the newest schema, which rebuilds the rollup).
        url = f"sqlite:///{keep}"
        fresh = not keep.exists()
        if fresh:
            open_store(url, create=True).close()
        else:
            migrate.upgrade(url)
        tree_url = None if tree_db is None else f"sqlite:///{tree_db}"
        bench_store(url, "SQLite", periods, per_day, old, seed=fresh, tree=tree,
                    tree_url=tree_url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        open_store(url, create=True).close()
        bench_store(url, "SQLite", periods, per_day, old, tree=tree)


def bench_postgres(
    url: str, periods: list[int], per_day: int, old: bool, tree: Path | None = None,
    tree_revision: str | None = None,
) -> None:
    """Into a schema of its own, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.schema import CreateSchema, DropSchema

    from listener.store import migrate

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(CreateSchema(schema))
    sep = "&" if "?" in url else "?"
    scoped = f"{url}{sep}options=-csearch_path%3D{schema}"
    try:
        migrate.upgrade(scoped)
        bench_store(scoped, "PostgreSQL", periods, per_day, old, tree=tree,
                    tree_revision=tree_revision)
    finally:
        with admin.begin() as conn:
            conn.execute(DropSchema(schema, cascade=True))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-day", type=int, default=10_000)
    ap.add_argument("--periods", default="1,90", help="comma-separated period lengths in days")
    ap.add_argument("--sqlite", action="store_true", help="also time reading from SQLite")
    ap.add_argument("--sqlite-periods", default="1", help="periods for the store runs")
    ap.add_argument("--postgres", metavar="URL", help="also time PostgreSQL at this URL")
    ap.add_argument("--no-memory", action="store_true", help="skip the in-memory run")
    ap.add_argument("--no-old", action="store_true", help="time the new store path only")
    ap.add_argument("--db", type=Path, help="SQLite file to seed once and keep between runs")
    ap.add_argument("--baseline-tree", type=Path, metavar="DIR",
                    help="also time collect_digest of the checkout at DIR")
    ap.add_argument("--baseline-db", type=Path, metavar="FILE",
                    help="with --db: the SQLite file --baseline-tree reads (its schema)")
    ap.add_argument("--baseline-revision", metavar="REV",
                    help="PostgreSQL: downgrade to REV before timing --baseline-tree")
    args = ap.parse_args()
    periods = [int(p) for p in args.periods.split(",")]
    print(
        f"digest benchmark: {args.per_day:,} mentions/day, periods {periods}, Python "
        f"{sys.version.split()[0]}"
    )
    if not args.no_memory:
        bench_memory(periods, args.per_day)
    store_periods = [int(p) for p in args.sqlite_periods.split(",")]
    if args.sqlite:
        bench_sqlite(store_periods, args.per_day, not args.no_old, args.db, args.baseline_tree,
                     args.baseline_db)
    if args.postgres:
        bench_postgres(args.postgres, store_periods, args.per_day, not args.no_old,
                       args.baseline_tree, args.baseline_revision)


if __name__ == "__main__":
    main()
