"""Each section of the digest, from the answers of ``DigestQueries``."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from listener.digest.items import Post
from listener.digest.model import (
    DayPoint,
    Durations,
    Incident,
    ModelHealth,
    NotableAuthor,
    Spike,
    Theme,
    Trend,
)
from listener.digest.queries import DigestQueries, Group, GroupBy, Health, IncidentPart, ranked
from listener.domain import Feedback

BASELINE_DAYS = 7
#: A day is a volume spike at this multiple of its 7-day average (and at least this many).
SPIKE_RATIO, SPIKE_MIN_VOLUME = 2.0, 10
#: A day is a complaint-share spike this many points above its 7-day share.
SPIKE_SHARE_POINTS, SPIKE_MIN_COMPLAINTS = 0.15, 5


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default), ``q`` in [0, 100]."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _durations(values: Sequence[timedelta]) -> Durations:
    secs = [v.total_seconds() for v in values]
    med, p90 = percentile(secs, 50), percentile(secs, 90)
    return Durations(
        len(secs),
        None if med is None else timedelta(seconds=med),
        None if p90 is None else timedelta(seconds=p90),
    )


def _trend(count: int, previous: int | None) -> Trend:
    if previous is None:
        return Trend.UNKNOWN
    if previous == 0:
        return Trend.NEW if count else Trend.FLAT
    if abs(count - previous) >= 2 and count >= previous * 1.25:
        return Trend.UP
    if abs(count - previous) >= 2 and count <= previous * 0.8:
        return Trend.DOWN
    return Trend.FLAT


def themes_of(
    q: DigestQueries,
    start: datetime,
    end: datetime,
    prev_start: datetime | None,
    top: int,
) -> tuple[Theme, ...]:
    """``prev_start`` None: nothing before the period to compare with."""
    current = q.complaint_groups(start, end)
    prev = q.complaint_groups(prev_start, start) if prev_start is not None else None
    by_topic: Counter[str] = Counter()
    by_incident: dict[str, list[Group]] = defaultdict(list)
    for g in current:
        by_topic[g.topic] += g.count
        if g.incident:
            by_incident[g.incident].append(g)
    prev_topics: Counter[str] = Counter()
    prev_incidents: Counter[str] = Counter()
    for g in prev or ():
        prev_topics[g.topic] += g.count
        if g.incident:
            prev_incidents[g.incident] += g.count
    found: list[tuple[Literal["topic", "incident"], str, int, int | None]] = []
    for topic, count in by_topic.items():
        found.append(("topic", topic, count, None if prev is None else prev_topics[topic]))
    for inc, group in by_incident.items():
        count = sum(g.count for g in group)
        if count < 2:
            continue  # a one-post "incident" is just a complaint
        found.append(("incident", inc, count, None if prev is None else prev_incidents[inc]))
    found.sort(key=lambda t: (-t[2], t[0], t[1]))
    chosen = found[:top]

    def examples(kind: GroupBy) -> dict[str, tuple[Post, ...]]:
        keys = [key for k, key, _, _ in chosen if k == kind]
        if not keys:
            return {}
        return q.top_posts(start, end, by=kind, keys=keys, n=2, complaints=True)

    posts = {"topic": examples("topic"), "incident": examples("incident")}
    themes: list[Theme] = []
    for kind, key, count, p in chosen:
        label = key
        if kind == "incident":
            common = ranked((g.topic, g.count, g.first) for g in by_incident[key])
            label = f"Incident {key}" + (f" ({common[0]})" if common else "")
        themes.append(
            Theme(kind, key, label, count, p, _trend(count, p), posts[kind].get(key, ()))
        )
    return tuple(themes)


def open_incidents_of(q: DigestQueries, end: datetime) -> tuple[Incident, ...]:
    groups: dict[str, list[IncidentPart]] = defaultdict(list)
    for part in q.incidents():
        groups[part.incident].append(part)
    found = []
    for inc, group in groups.items():
        count = sum(p.count for p in group)
        if count < 2:
            continue  # a one-post "incident" is just a complaint, listed with urgent items
        open_alerts = sum(p.waiting for p in group)
        if not open_alerts:
            continue
        first, last = min(p.first for p in group), max(p.last for p in group)
        topic = ranked((p.topic, p.count, p.first) for p in group)
        found.append((inc, topic[0] if topic else "other", count, first, last, open_alerts))
    if not found:
        return ()
    examples = q.top_posts(
        None, end, by="incident", keys=[f[0] for f in found], n=1, complaints=False
    )
    out = [Incident(*f, examples[f[0]][0]) for f in found]
    out.sort(key=lambda i: i.first_seen)
    return tuple(out)


def notable_authors_of(
    q: DigestQueries, start: datetime, end: datetime, min_followers: int
) -> tuple[NotableAuthor, ...]:
    found = q.notable_authors(start, end, min_followers)
    found.sort(key=lambda ac: (-ac[0].followers, ac[0].handle))
    chosen = found[:10]
    if not chosen:
        return ()
    posts = q.top_posts(
        start,
        end,
        by="author",
        keys=[a.id for a, _ in chosen],
        n=1,
        complaints=True,
        min_followers=min_followers,
    )
    return tuple(
        NotableAuthor(a.handle, a.name, a.followers, a.verified_type, n, posts[a.id][0])
        for a, n in chosen
    )


def spikes_of(series: Sequence[DayPoint], period_from: int) -> tuple[Spike, ...]:
    """Days of the period far above the average of the 7 days before each."""
    out: list[Spike] = []
    started = next((i for i, p in enumerate(series) if p.volume), None)
    if started is None:
        return ()
    for i in range(max(period_from, started + 1), len(series)):
        window = series[max(started, i - BASELINE_DAYS) : i]
        day = series[i]
        mean = statistics.fmean(p.volume for p in window)
        if day.volume >= SPIKE_MIN_VOLUME and day.volume >= SPIKE_RATIO * max(mean, 1):
            out.append(Spike(day.day, "volume", day.volume, mean))
        base_vol = sum(p.volume for p in window)
        share = day.complaint_share
        if base_vol and share is not None and day.complaints >= SPIKE_MIN_COMPLAINTS:
            base_share = sum(p.complaints for p in window) / base_vol
            if share >= base_share + SPIKE_SHARE_POINTS:
                out.append(Spike(day.day, "complaint_share", share, base_share))
    return tuple(out)


def model_health_of(health: Health, feedback: Sequence[Feedback]) -> ModelHealth:
    labels = Counter(f.label for f in feedback)
    return ModelHealth(
        health.alerts,
        health.ruled_out,
        len(feedback),
        tuple(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        tuple(ranked(health.models)),
    )
