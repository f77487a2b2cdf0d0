"""The digest's response times and SLA, over all of a period's alerts at once.

A 90-day digest at 10,000 mentions a day measures ~400,000 alerts; a Python loop with a
business clock per step cost more than every SQL question of the digest together. Here
the steps are numpy arrays of integer microseconds (``AlertColumns``), so the arithmetic
is exact, and each business-time step is rounded to the microsecond exactly as
``timedelta(seconds=...)`` rounds it: the figures are those the loop gave.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from listener.digest.model import LIST_LIMIT, Breach, Durations, Response
from listener.digest.queries import DigestQueries
from listener.digest.sections import percentile
from listener.digest.times import NO_TIME, Micros, at_micros, micros
from listener.timewindow import BusinessClock, Window

__all__ = ["response_of"]

_NONE = NO_TIME


class _Clock:
    """Microseconds between instants: inside business hours when there are some."""

    def __init__(self, clock: BusinessClock | None) -> None:
        self._clock = clock
        if clock is not None:
            covers, opens, closes, before = clock.table()
            self._covers = covers
            self._opens, self._closes = np.array(opens), np.array(closes)
            self._before = np.array(before[:-1])

    def _upto(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``BusinessClock._upto``, the same floating-point steps in the same order."""
        if not len(self._opens):
            return np.zeros(len(t))
        i = np.searchsorted(self._opens, t, side="right") - 1
        j = np.maximum(i, 0)
        got = (self._before[j] + np.minimum(t, self._closes[j])) - self._opens[j]
        return np.where(i < 0, 0.0, got)

    def between(self, a: Micros, b: Micros) -> Micros:
        if self._clock is None:
            plain: Micros = np.maximum(b - a, 0)
            return plain
        ta, tb = a / 1e6, b / 1e6  # == datetime.timestamp(): int / 10**6, correctly rounded
        out = np.zeros(len(a), dtype=np.int64)
        ahead = tb > ta
        outside = ahead & ((ta < self._covers[0]) | (tb > self._covers[1]))
        inside = ahead & ~outside
        x = self._upto(tb[inside]) - self._upto(ta[inside])
        # timedelta(seconds=x): whole seconds exactly, the fraction's microseconds rounded
        # half to even (x >= 0: the clock only moves forward).
        whole = np.trunc(x)
        out[inside] = whole.astype(np.int64) * 1_000_000 + np.rint((x - whole) * 1e6).astype(
            np.int64
        )
        for k in np.flatnonzero(outside):
            spent = self._clock.elapsed(at_micros(int(a[k])), at_micros(int(b[k])))
            out[k] = spent // timedelta(microseconds=1)
        return out


def _durations(values: Micros) -> Durations:
    secs = (values / 1e6).tolist()  # == timedelta.total_seconds()
    med, p90 = percentile(secs, 50), percentile(secs, 90)
    return Durations(
        len(secs),
        None if med is None else timedelta(seconds=med),
        None if p90 is None else timedelta(seconds=p90),
    )


def response_of(
    q: DigestQueries,
    *,
    start: datetime,
    end: datetime,
    span: tuple[datetime, datetime] | None,
    sla: timedelta,
    sla_minutes: int,
    hours: Window | None,
    z: ZoneInfo,
    now: datetime,
) -> Response:
    """``span``: the first and last creation time in the period (None when it is empty)."""
    fast = None
    if hours is not None and span is not None:
        # Replies after ``now`` fall outside the precomputed range and take the slow path.
        fast = hours.clock(span[0], max(span[1], now), z)
    clock = _Clock(fast)
    times = q.alert_times(start, end)
    born, sent, claimed, replied, resolved = (
        times.created_at, times.sent_at, times.claimed_at, times.replied_at, times.resolved_at
    )
    has_sent, has_claim, has_reply = sent != _NONE, claimed != _NONE, replied != _NONE
    answered = np.where(has_reply, replied, resolved)
    has_answer = answered != _NONE
    elapsed = clock.between(born, np.where(has_answer, answered, micros(now)))
    sla_us = sla // timedelta(microseconds=1)
    on_time = elapsed <= sla_us
    pending = ~has_answer & on_time
    late = np.flatnonzero(~pending & ~(has_answer & on_time))
    # The longest first; of equal ones, the oldest (``heapq.nlargest`` kept that order).
    worst = late[np.argsort(-elapsed[late], kind="stable")[:LIST_LIMIT]]
    posts = q.posts([times.keys[k] for k in worst]) if len(worst) else {}
    breaches = tuple(
        Breach(posts[times.keys[k]], timedelta(microseconds=int(elapsed[k])), bool(has_answer[k]))
        for k in worst
    )
    return Response(
        _durations(np.maximum(sent[has_sent] - born[has_sent], 0)),
        _durations(clock.between(born[has_claim], claimed[has_claim])),
        _durations(clock.between(born[has_reply], replied[has_reply])),
        sla_minutes,
        hours.describe() if hours else None,
        int(np.count_nonzero(has_answer & on_time)),
        len(times) - int(np.count_nonzero(pending)),
        int(np.count_nonzero(pending)),
        breaches,
        len(late),
    )

