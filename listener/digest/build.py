"""``build_digest``: stored mentions and feedback in, a frozen ``Digest`` out.

``digest_of`` is the digest's maths over the answers of ``DigestQueries``;
``build_digest`` asks them of mentions in memory, ``collect_digest`` of a store.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from listener.digest.model import LIST_LIMIT, Change, DayPoint, Digest
from listener.digest.queries import DigestQueries, ItemQueries, Segment
from listener.digest.response import response_of
from listener.digest.sections import (
    BASELINE_DAYS,
    model_health_of,
    notable_authors_of,
    open_incidents_of,
    spikes_of,
    themes_of,
)
from listener.domain import Feedback
from listener.ports import TriagedMention
from listener.timewindow import (
    Window,
    day_bounds,
    days_between,
    local_day,
    period_bounds,
    zone,
)


def daily_series(
    items: Iterable[TriagedMention],
    *,
    days: int = 30,
    tz: ZoneInfo | str,
    end: date | None = None,
) -> tuple[DayPoint, ...]:
    """Volume, complaints and negatives per local day for the ``days`` ending ``end``.

    ``end`` defaults to the newest item's day; days without mentions are zeros.
    """
    z = zone(tz)
    pool = list(items)
    if end is None:
        if not pool:
            return ()
        end = max(local_day(tm.mention.created_at, z) for tm in pool)
    listed = list(days_between(end - timedelta(days=days - 1), end))
    edges = _day_edges(listed, z)
    segments = ItemQueries(pool).segments(edges)
    return tuple(_day_points(segments, listed, list(range(len(edges)))))


def _day_edges(days: list[date], z: ZoneInfo) -> list[datetime]:
    return [day_bounds(d, z)[0] for d in days] + [day_bounds(days[-1], z)[1]]


def _day_points(
    segments: Iterable[Segment], days: list[date], bounds: list[int]
) -> list[DayPoint]:
    """One point per day; day ``i`` holds the segments ``bounds[i]`` to ``bounds[i + 1]``."""
    per_day = [[0, 0, 0] for _ in days]
    for seg in segments:
        i = bisect.bisect_right(bounds, seg.segment) - 1
        if 0 <= i < len(days):
            got = per_day[i]
            got[0] += seg.volume
            got[1] += seg.complaints
            got[2] += seg.negative
    return [DayPoint(d, *counts) for d, counts in zip(days, per_day, strict=True)]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class _Tally:
    volume: int = 0
    scored: int = 0
    complaints: int = 0
    negative: int = 0

    @staticmethod
    def of(segments: Iterable[Segment]) -> _Tally:
        v = s = c = n = 0
        for seg in segments:
            v += seg.volume
            s += seg.scored
            c += seg.complaints
            n += seg.negative
        return _Tally(v, s, c, n)


def build_digest(
    items: Iterable[TriagedMention],
    feedback: Iterable[Feedback] = (),
    *,
    period_start: datetime,
    period_end: datetime,
    tz: ZoneInfo | str,
    previous: Iterable[TriagedMention] | None = None,
    baseline_7d: Iterable[TriagedMention] | None = None,
    sla_minutes: int = 60,
    business_hours: Window | None = None,
    brand: str = "",
    now: datetime | None = None,
    as_of: datetime | None = None,
    notable_followers: int = 10_000,
    top_themes: int = 5,
    trend_days: int = 30,
) -> Digest:
    """Summarise ``items`` created in ``[period_start, period_end)``.

    ``previous`` holds the period of the same length before it and ``baseline_7d`` the
    seven days before it (they may overlap and may hold older items: open incidents and
    resolutions are looked for in everything given). ``now`` (default ``period_end``) is
    when unanswered alerts stop accruing SLA time. Item statuses are as stored now;
    ``as_of`` (default ``now``) is when that is, for "open 2 h" in the lists.
    ``Digest.trend`` holds the ``trend_days`` ending with the period, for the chart.
    """
    end = period_end.astimezone(UTC)
    known: dict[tuple[str, str], TriagedMention] = {}
    for tm in (*(baseline_7d or ()), *(previous or ()), *items):
        known[tm.mention.key] = tm  # later sources win: the period's copy is freshest
    everything = [tm for tm in known.values() if tm.mention.created_at < end]
    return digest_of(
        ItemQueries(everything),
        feedback,
        period_start=period_start,
        period_end=period_end,
        tz=tz,
        sla_minutes=sla_minutes,
        business_hours=business_hours,
        brand=brand,
        now=now,
        as_of=as_of,
        notable_followers=notable_followers,
        top_themes=top_themes,
        trend_days=trend_days,
    )


def digest_of(
    q: DigestQueries,
    feedback: Iterable[Feedback] = (),
    *,
    period_start: datetime,
    period_end: datetime,
    tz: ZoneInfo | str,
    sla_minutes: int = 60,
    business_hours: Window | None = None,
    brand: str = "",
    now: datetime | None = None,
    as_of: datetime | None = None,
    notable_followers: int = 10_000,
    top_themes: int = 5,
    trend_days: int = 30,
) -> Digest:
    """The digest of ``[period_start, period_end)`` from the answers of ``q``, which
    covers the mentions before the period that comparisons and open items look at."""
    z = zone(tz)
    start, end = period_start.astimezone(UTC), period_end.astimezone(UTC)
    now = (now or end).astimezone(UTC)
    hours = business_hours
    first_day = local_day(start, z)
    last_day = local_day(end - timedelta(microseconds=1), z)
    n_days = (last_day - first_day).days + 1
    prev_start = start - (end - start)
    # One question counts everything by segment: the 7 baseline days, the period, the
    # chart's days, and the previous period (which DST may shift off a day's edge).
    lead = max(BASELINE_DAYS, trend_days - n_days)
    days = list(days_between(first_day - timedelta(days=lead), last_day))
    day_edges = _day_edges(days, z)
    edges = sorted({*day_edges, start, end, prev_start})
    at = {e: i for i, e in enumerate(edges)}
    segments = q.segments(edges)

    def between(a: datetime, b: datetime) -> list[Segment]:
        return [s for s in segments if at[a] <= s.segment < at[b]]

    all_days = _day_points(segments, days, [at[e] for e in day_edges])
    in_period = between(start, end)
    current = _Tally.of(in_period)
    has_earlier = any(s.segment < at[start] for s in segments)
    notes: list[str] = []
    if not has_earlier:
        notes.append("No data before this period yet: comparisons will appear as history builds.")
    prev = _Tally.of(between(prev_start, start)) if has_earlier else None

    series = all_days[lead - BASELINE_DAYS :]
    base_days = series[:BASELINE_DAYS]
    first_data = next((i for i, p in enumerate(base_days) if p.volume), None)
    # A new install has fewer than 7 days behind it: average only the days since its first
    # mention, so a 2-day-old install is compared with 2 days, not diluted by 5 empty ones.
    window = base_days[first_data:] if first_data is not None else ()
    period_days = series[BASELINE_DAYS:]

    def change(get: Literal["volume", "complaints"]) -> Change:
        value = sum(getattr(p, get) for p in period_days)
        before = None if prev is None else getattr(prev, get)
        base = statistics.fmean(getattr(p, get) for p in window) * n_days if window else None
        return Change(value, before, base)

    def share(flag: Literal["complaints", "negative"]) -> Change:
        value = _share(getattr(current, flag), current.scored)
        before = None
        if prev is not None and prev.volume:
            before = _share(getattr(prev, flag), prev.scored) if prev.scored else None
        vol = sum(p.volume for p in window)
        base = _share(sum(getattr(p, flag) for p in window), vol) if vol else None
        return Change(value, before, base, "share")

    unscored = current.volume - current.scored
    if unscored:
        notes.append(f"{unscored} mention(s) not scored yet: left out of the shares.")
    if not current.volume:
        notes.append("No mentions in this period.")
    fb = [f for f in feedback if start <= f.created_at.astimezone(UTC) < end]
    # Only the oldest few are listed; a 90-day digest may hold thousands.
    urgent_count, urgent = q.urgent(LIST_LIMIT)
    resolved_count, resolved = q.resolved(start, end, LIST_LIMIT)
    span = None
    if in_period:
        span = (min(s.first for s in in_period), max(s.last for s in in_period))
    return Digest(
        brand=brand,
        tz=z.key,
        period_start=start,
        period_end=end,
        first_day=first_day,
        last_day=last_day,
        volume=change("volume"),
        complaints=change("complaints"),
        negative_share=share("negative"),
        complaint_share=share("complaints"),
        unscored=unscored,
        days=tuple(period_days),
        themes=themes_of(
            q, start, end, prev_start if has_earlier else None, top_themes
        ),
        response=response_of(
            q,
            start=start,
            end=end,
            span=span,
            sla=timedelta(minutes=sla_minutes),
            sla_minutes=sla_minutes,
            hours=hours,
            z=z,
            now=now,
        ),
        open_incidents=open_incidents_of(q, end),
        unresolved_urgent=urgent,
        resolved=resolved,
        notable_authors=notable_authors_of(q, start, end, notable_followers),
        spikes=spikes_of(series, BASELINE_DAYS),
        model_health=model_health_of(q.health(start, end), fb),
        notes=tuple(notes),
        trend=tuple(all_days[-trend_days:]),
        unresolved_urgent_count=urgent_count,
        resolved_count=resolved_count,
        as_of=(as_of or now).astimezone(UTC),
    )


class DigestSource(Protocol):
    def digest_queries(
        self, start: datetime, end: datetime, *, brand: str | None = None
    ) -> DigestQueries:
        """Questions over the mentions created in ``[start, end)`` (of ``brand``)."""
        ...

    def list_feedback(self, since: datetime | None = None) -> list[Feedback]: ...


def collect_digest(
    store: DigestSource,
    *,
    last_day: date,
    days: int = 1,
    tz: ZoneInfo | str,
    brand: str | None = None,
    sla_minutes: int = 60,
    business_hours: Window | None = None,
    now: datetime | None = None,
    lookback_days: int = 14,
    trend_days: int = 30,
) -> Digest:
    """Ask the store what a digest needs (it answers in aggregates), then build it.

    Open incidents and unresolved urgent items are looked for among mentions of the
    ``lookback_days`` before the period too.
    """
    start, end = period_bounds(last_day, days, tz)
    back = max(days, BASELINE_DAYS, lookback_days, trend_days - days)
    fetch_from = day_bounds(last_day - timedelta(days=days - 1 + back), tz)[0]
    return digest_of(
        store.digest_queries(fetch_from, end, brand=brand),
        store.list_feedback(start),
        period_start=start,
        period_end=end,
        tz=tz,
        sla_minutes=sla_minutes,
        business_hours=business_hours,
        brand=brand or "",
        now=min(now, end) if now is not None else end,
        as_of=now,
        trend_days=trend_days,
    )
