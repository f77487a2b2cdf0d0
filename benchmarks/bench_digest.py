"""How long the leadership digest takes: 1 day and 90 days at 10,000 mentions a day.

    python benchmarks/bench_digest.py                  # in memory: build + render
    python benchmarks/bench_digest.py --sqlite         # also read from a SQLite store
    python benchmarks/bench_digest.py --per-day 2000 --periods 1,30

In memory, the digest is built the way ``collect_digest`` builds it: the period plus the
days before it that the 7-day baseline and the 30-day chart need. ``--sqlite`` seeds a
SQLite file (bulk inserts, not timed) and times ``collect_digest`` end to end: reading
``history`` back into ``TriagedMention`` objects, then the maths.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listener.digest import Digest, collect_digest, period_bounds
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
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    print(f"  {label:<52} {best * 1000:10.1f} ms")
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


def bench_sqlite(periods: list[int], per_day: int) -> None:
    from sqlalchemy import create_engine

    from listener.store import open_store
    from listener.store.codec import alert_row, mention_row, scores_row, verdict_row
    from listener.store.tables import alerts, mentions, scores, verdicts

    span = max(max(2 * p, p + 29) for p in periods)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        open_store(url, create=True).close()
        engine = create_engine(url)
        t0 = time.perf_counter()
        now = datetime.now(UTC)
        batch: dict[str, list[dict[str, object]]] = {"m": [], "s": [], "v": [], "a": []}

        def flush() -> None:
            if not batch["m"]:
                return
            with engine.begin() as conn:
                conn.execute(mentions.insert(), batch["m"])
                conn.execute(scores.insert(), batch["s"])
                conn.execute(verdicts.insert(), batch["v"])
                if batch["a"]:
                    conn.execute(alerts.insert(), batch["a"])
            for rows in batch.values():
                rows.clear()

        count = 0
        for t in synthetic(span, per_day):
            assert t.scores is not None
            assert t.verdict is not None
            batch["m"].append(mention_row(t.mention, now))
            batch["s"].append(scores_row(t.mention.key, t.scores))
            batch["v"].append(verdict_row(t.verdict))
            for a in t.alerts:
                row = alert_row(a, t.mention.created_at)
                batch["a"].append(row)
            count += 1
            if len(batch["m"]) >= 20_000:
                flush()
        flush()
        engine.dispose()
        print(
            f"seeded SQLite with {count:,} mentions in {time.perf_counter() - t0:.1f} s "
            f"(not timed below)"
        )
        store = open_store(url)
        try:
            for days in periods:
                timed(
                    f"{days}-day collect_digest from SQLite (read + maths)",
                    lambda days=days: collect_digest(  # type: ignore[misc]
                        store,
                        last_day=LAST_DAY,
                        days=days,
                        tz=TZ,
                        brand="Acme",
                        business_hours=Window.parse("Mon-Fri 09:00-18:00"),
                    ),
                    repeat=1,
                )
        finally:
            store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-day", type=int, default=10_000)
    ap.add_argument("--periods", default="1,90", help="comma-separated period lengths in days")
    ap.add_argument("--sqlite", action="store_true", help="also time reading from SQLite")
    ap.add_argument("--sqlite-periods", default="1", help="periods for the SQLite run")
    args = ap.parse_args()
    periods = [int(p) for p in args.periods.split(",")]
    print(
        f"digest benchmark: {args.per_day:,} mentions/day, periods {periods}, Python "
        f"{sys.version.split()[0]}"
    )
    bench_memory(periods, args.per_day)
    if args.sqlite:
        bench_sqlite([int(p) for p in args.sqlite_periods.split(",")], args.per_day)


if __name__ == "__main__":
    main()
