"""The response times computed in bulk (numpy) are, to the microsecond, those of the loop
over alerts the digest had before (kept here as the reference)."""

from __future__ import annotations

import heapq
import random
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from listener.digest.items import Post
from listener.digest.model import LIST_LIMIT, Breach, Response
from listener.digest.response import response_of
from listener.digest.sections import percentile
from listener.digest.times import NO_TIME, AlertColumns, AlertTimes, at_micros, micros
from listener.domain import MentionKey
from listener.timewindow import Window

LA = ZoneInfo("America/Los_Angeles")
START = datetime(2026, 3, 2, 8, tzinfo=UTC)
END = START + timedelta(days=7)


class _Times:
    def __init__(self, times: list[AlertTimes]) -> None:
        self.times = times

    def alert_times(self, start: datetime, end: datetime) -> AlertColumns:
        return AlertColumns.of(self.times)

    def posts(self, keys: Collection[MentionKey]) -> dict[MentionKey, Post]:
        return {k: Post(k, "", "", "", 0, "", START) for k in keys}


def _loop(q: _Times, *, span: tuple[datetime, datetime] | None, sla: timedelta,
          hours: Window | None, now: datetime) -> Response:
    """The digest's response section as it was computed before, one alert at a time."""
    fast = hours.clock(span[0], max(span[1], now), LA) if hours and span else None

    def clock(a: datetime, b: datetime) -> timedelta:
        return fast.elapsed(a, b) if fast else max(b - a, timedelta(0))

    def dur(values: list[timedelta]) -> tuple[int, timedelta | None, timedelta | None]:
        secs = [v.total_seconds() for v in values]
        med, p90 = percentile(secs, 50), percentile(secs, 90)
        return (len(secs), None if med is None else timedelta(seconds=med),
                None if p90 is None else timedelta(seconds=p90))

    def dt(us: int) -> datetime | None:
        return None if us == NO_TIME else at_micros(us)

    to_alert, to_claim, to_reply = [], [], []
    within = measured = pending = 0
    late = []
    for t in q.times:
        born = at_micros(t.created_at)
        sent, claimed, replied, resolved = (dt(x) for x in t[2:])
        if sent is not None:
            to_alert.append(max(sent - born, timedelta(0)))
        if claimed is not None:
            to_claim.append(clock(born, claimed))
        if replied is not None:
            to_reply.append(clock(born, replied))
        answered = replied or resolved
        elapsed = clock(born, answered if answered is not None else now)
        if answered is None and elapsed <= sla:
            pending += 1
            continue
        measured += 1
        if answered is not None and elapsed <= sla:
            within += 1
        else:
            late.append((elapsed, t.key, answered is not None))
    worst = heapq.nlargest(LIST_LIMIT, late, key=lambda b: b[0])
    posts = q.posts([k for _, k, _ in worst])
    got = response_of(q, start=START, end=END, span=span, sla=sla, sla_minutes=30,  # type: ignore[arg-type]
                      hours=hours, z=LA, now=now)
    assert (got.to_alert.count, got.to_alert.median, got.to_alert.p90) == dur(to_alert)
    assert (got.to_claim.count, got.to_claim.median, got.to_claim.p90) == dur(to_claim)
    assert (got.to_reply.count, got.to_reply.median, got.to_reply.p90) == dur(to_reply)
    assert (got.within_sla, got.measured, got.pending) == (within, measured, pending)
    assert got.breaches == tuple(Breach(posts[k], e, r) for e, k, r in worst)
    assert got.breach_count == len(late)
    return got


def _times(rng: random.Random, n: int) -> list[AlertTimes]:
    out = []
    for i in range(n):
        born = micros(START) + rng.randrange(7 * 86_400 * 1_000_000)

        def step(p: float, spread: int, born: int = born) -> int:
            if rng.random() > p:
                return NO_TIME
            return born + rng.randrange(-60_000_000, spread)  # some before the post

        out.append(AlertTimes(("x", str(i)), born, step(0.9, 600_000_000),
                              step(0.6, 3 * 86_400_000_000), step(0.4, 10 * 86_400_000_000),
                              step(0.3, 20 * 86_400_000_000)))
    out.sort(key=lambda t: t.created_at)
    return out


@pytest.mark.parametrize("hours", [None, "Mon-Fri 09:00-18:00", "Mon-Sun 20:00-04:00"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bulk_equals_the_loop(hours: str | None, seed: int) -> None:
    rng = random.Random(seed)
    q = _Times(_times(rng, 3_000))
    window = Window.parse(hours) if hours else None
    span = (at_micros(q.times[0].created_at), at_micros(q.times[-1].created_at))
    got = _loop(q, span=span, sla=timedelta(minutes=30), hours=window, now=END)
    assert got.breach_count and got.to_reply.count
    # Replies after ``now`` leave the precomputed clock: the slow path, the same answer.
    _loop(q, span=span, sla=timedelta(minutes=30), hours=window, now=START + timedelta(days=2))


def test_no_alerts_and_ties() -> None:
    _loop(_Times([]), span=None, sla=timedelta(minutes=30), hours=None, now=END)
    born = micros(START)
    same = [AlertTimes(("x", str(i)), born, *[NO_TIME] * 4) for i in range(LIST_LIMIT + 5)]
    got = _loop(_Times(same), span=(START, START), sla=timedelta(0), hours=None, now=END)
    assert [b.post.key for b in got.breaches] == [("x", str(i)) for i in range(LIST_LIMIT)]
