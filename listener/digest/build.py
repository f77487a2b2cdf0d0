"""``build_digest``: stored mentions and feedback in, a frozen ``Digest`` out."""

from __future__ import annotations

import bisect
import heapq
import statistics
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from listener.digest.items import (
    Post,
    complaint,
    negative,
    primary_alert,
    resolved_at,
    to_post,
    unresolved,
)
from listener.digest.model import LIST_LIMIT, Change, DayPoint, Digest
from listener.digest.sections import (
    BASELINE_DAYS,
    model_health_of,
    notable_authors_of,
    open_incidents_of,
    response_of,
    spikes_of,
    themes_of,
)
from listener.domain import Feedback, Priority
from listener.ports import TriagedMention
from listener.timewindow import (
    Window,
    day_bounds,
    days_between,
    local_day,
    period_bounds,
    zone,
)


class _Days:
    """Buckets instants into local days by bisecting precomputed UTC boundaries."""

    def __init__(self, first: date, last: date, tz: ZoneInfo) -> None:
        self.days = list(days_between(first, last))
        self.edges = [day_bounds(d, tz)[0].timestamp() for d in self.days]
        self.edges.append(day_bounds(last, tz)[1].timestamp())

    def index(self, instant: datetime) -> int | None:
        i = bisect.bisect_right(self.edges, instant.timestamp()) - 1
        return i if 0 <= i < len(self.days) else None


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
    return _series(pool, end - timedelta(days=days - 1), end, z)


def _series(
    items: Iterable[TriagedMention], first: date, last: date, z: ZoneInfo
) -> tuple[DayPoint, ...]:
    buckets = _Days(first, last, z)
    n = len(buckets.days)
    vol, comp, neg = [0] * n, [0] * n, [0] * n
    for tm in items:
        i = buckets.index(tm.mention.created_at)
        if i is None:
            continue
        vol[i] += 1
        comp[i] += complaint(tm)
        neg[i] += negative(tm)
    return tuple(DayPoint(d, vol[i], comp[i], neg[i]) for i, d in enumerate(buckets.days))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


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
    z = zone(tz)
    start, end = period_start.astimezone(UTC), period_end.astimezone(UTC)
    now = (now or end).astimezone(UTC)
    hours = business_hours
    first_day = local_day(start, z)
    last_day = local_day(end - timedelta(microseconds=1), z)
    n_days = (last_day - first_day).days + 1

    known: dict[tuple[str, str], TriagedMention] = {}
    for tm in (*(baseline_7d or ()), *(previous or ()), *items):
        known[tm.mention.key] = tm  # later sources win: the period's copy is freshest
    everything = [tm for tm in known.values() if tm.mention.created_at < end]
    current = [tm for tm in everything if tm.mention.created_at >= start]
    earlier = [tm for tm in everything if tm.mention.created_at < start]
    notes: list[str] = []
    if not earlier:
        notes.append("No data before this period yet: comparisons will appear as history builds.")

    prev_start = start - (end - start)
    prev_items = [tm for tm in earlier if tm.mention.created_at >= prev_start] if earlier else None
    # One pass buckets everything: the 7 baseline days, the period, and the chart's days.
    lead = max(BASELINE_DAYS, trend_days - n_days)
    all_days = _series(everything, first_day - timedelta(days=lead), last_day, z)
    series = all_days[lead - BASELINE_DAYS :]
    base_days = series[:BASELINE_DAYS]
    first_data = next((i for i, p in enumerate(base_days) if p.volume), None)
    # A new install has fewer than 7 days behind it: average only the days since its first
    # mention, so a 2-day-old install is compared with 2 days, not diluted by 5 empty ones.
    window = base_days[first_data:] if first_data is not None else ()
    period_days = series[BASELINE_DAYS:]

    def change(get: Literal["volume", "complaints"]) -> Change:
        value = sum(getattr(p, get) for p in period_days)
        prev = None if prev_items is None else sum(1 for tm in prev_items if _count(tm, get))
        base = statistics.fmean(getattr(p, get) for p in window) * n_days if window else None
        return Change(value, prev, base)

    def share(flag: Literal["complaints", "negative"]) -> Change:
        scored = [tm for tm in current if tm.scores is not None]
        value = _share(sum(_count(tm, flag) for tm in scored), len(scored))
        prev = None
        if prev_items:
            ps = [tm for tm in prev_items if tm.scores is not None]
            prev = _share(sum(_count(tm, flag) for tm in ps), len(ps)) if ps else None
        vol = sum(p.volume for p in window)
        base = _share(sum(getattr(p, flag) for p in window), vol) if vol else None
        return Change(value, prev, base, "share")

    unscored = sum(1 for tm in current if tm.scores is None)
    if unscored:
        notes.append(f"{unscored} mention(s) not scored yet: left out of the shares.")
    if not current:
        notes.append("No mentions in this period.")
    fb = [f for f in feedback if start <= f.created_at.astimezone(UTC) < end]
    # Only the oldest few are listed; a 90-day digest may hold thousands.
    urgent = [
        tm
        for tm in everything
        if tm.verdict is not None and tm.verdict.priority >= Priority.HIGH and unresolved(tm)
    ]
    resolved = [tm for tm in everything if tm.alerts and _resolved_in(tm, start, end)]
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
        themes=themes_of(current, prev_items, top_themes),
        response=response_of(
            current,
            sla=timedelta(minutes=sla_minutes),
            sla_minutes=sla_minutes,
            hours=hours,
            z=z,
            now=now,
        ),
        open_incidents=open_incidents_of(everything),
        unresolved_urgent=_oldest(urgent),
        resolved=_oldest(resolved),
        notable_authors=notable_authors_of(current, notable_followers),
        spikes=spikes_of(series, BASELINE_DAYS),
        model_health=model_health_of(current, fb),
        notes=tuple(notes),
        trend=all_days[-trend_days:],
        unresolved_urgent_count=len(urgent),
        resolved_count=len(resolved),
        as_of=(as_of or now).astimezone(UTC),
    )


def _oldest(items: list[TriagedMention]) -> tuple[Post, ...]:
    chosen = heapq.nsmallest(LIST_LIMIT, items, key=lambda tm: tm.mention.created_at)
    return tuple(to_post(tm) for tm in chosen)


def _count(tm: TriagedMention, what: str) -> bool:
    if what == "volume":
        return True
    return complaint(tm) if what == "complaints" else negative(tm)


def _resolved_in(tm: TriagedMention, start: datetime, end: datetime) -> bool:
    alert = primary_alert(tm)
    when = resolved_at(alert) if alert is not None else None
    return when is not None and start <= when.astimezone(UTC) < end


class DigestSource(Protocol):
    def history(
        self,
        start: datetime,
        end: datetime,
        *,
        brand: str | None = None,
        embeddings: bool = True,
    ) -> Iterable[TriagedMention]: ...

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
    """Read what a digest needs from the store in one ``history`` call, then build it.

    Open incidents and unresolved urgent items are looked for among mentions of the
    ``lookback_days`` before the period too.
    """
    start, end = period_bounds(last_day, days, tz)
    back = max(days, BASELINE_DAYS, lookback_days, trend_days - days)
    fetch_from = day_bounds(last_day - timedelta(days=days - 1 + back), tz)[0]
    pool = list(store.history(fetch_from, end, brand=brand, embeddings=False))
    period = [tm for tm in pool if tm.mention.created_at >= start]
    earlier = [tm for tm in pool if tm.mention.created_at < start]
    return build_digest(
        period,
        store.list_feedback(start),
        period_start=start,
        period_end=end,
        tz=tz,
        previous=earlier,
        baseline_7d=(),
        sla_minutes=sla_minutes,
        business_hours=business_hours,
        brand=brand or "",
        now=min(now, end) if now is not None else end,
        as_of=now,
        trend_days=trend_days,
    )
