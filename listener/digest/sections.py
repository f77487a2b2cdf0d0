"""Each section of the digest as a pure function over stored mentions."""

from __future__ import annotations

import heapq
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from listener.digest.items import (
    Post,
    claimed_at,
    complaint,
    primary_alert,
    replied_at,
    resolved_at,
    to_post,
    unresolved,
)
from listener.digest.model import (
    LIST_LIMIT,
    Breach,
    DayPoint,
    Durations,
    Incident,
    ModelHealth,
    NotableAuthor,
    Response,
    Spike,
    Theme,
    Trend,
)
from listener.domain import AlertStatus, Feedback
from listener.ports import TriagedMention
from listener.timewindow import Window

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


def _examples(group: Sequence[TriagedMention], n: int = 2) -> tuple[Post, ...]:
    """The most telling posts: most urgent, then widest reach."""
    ranked = sorted(
        group,
        key=lambda tm: (
            -(tm.scores.urgency if tm.scores else 0),
            -tm.mention.author.followers,
            tm.mention.created_at,
        ),
    )
    return tuple(to_post(tm) for tm in ranked[:n])


def themes_of(
    current: Sequence[TriagedMention], previous: Sequence[TriagedMention] | None, top: int
) -> tuple[Theme, ...]:
    complaints = [tm for tm in current if complaint(tm)]
    prev = [tm for tm in previous if complaint(tm)] if previous is not None else None
    by_topic: dict[str, list[TriagedMention]] = defaultdict(list)
    by_incident: dict[str, list[TriagedMention]] = defaultdict(list)
    for tm in complaints:
        by_topic[tm.scores.topic if tm.scores else "other"].append(tm)
        if tm.verdict is not None and tm.verdict.incident_id:
            by_incident[tm.verdict.incident_id].append(tm)
    prev_topics = Counter(tm.scores.topic if tm.scores else "other" for tm in prev or ())
    prev_incidents = Counter(
        tm.verdict.incident_id for tm in prev or () if tm.verdict and tm.verdict.incident_id
    )
    themes: list[Theme] = []
    for topic, group in by_topic.items():
        p = None if prev is None else prev_topics[topic]
        themes.append(
            Theme("topic", topic, topic, len(group), p, _trend(len(group), p), _examples(group))
        )
    for inc, group in by_incident.items():
        if len(group) < 2:
            continue  # a one-post "incident" is just a complaint
        p = None if prev is None else prev_incidents[inc]
        common = Counter(tm.scores.topic for tm in group if tm.scores).most_common(1)
        label = f"Incident {inc}" + (f" ({common[0][0]})" if common else "")
        themes.append(
            Theme("incident", inc, label, len(group), p, _trend(len(group), p), _examples(group))
        )
    themes.sort(key=lambda t: (-t.count, t.kind, t.key))
    return tuple(themes[:top])


def response_of(
    current: Sequence[TriagedMention],
    *,
    sla: timedelta,
    sla_minutes: int,
    hours: Window | None,
    z: ZoneInfo,
    now: datetime,
) -> Response:
    fast = None
    if hours is not None and current:
        # Replies after ``now`` fall outside the precomputed range and take the slow path.
        created = [tm.mention.created_at for tm in current]
        fast = hours.clock(min(created), max(*created, now), z)

    def clock(a: datetime, b: datetime) -> timedelta:
        return fast.elapsed(a, b) if fast else max(b - a, timedelta(0))

    to_alert: list[timedelta] = []
    to_claim: list[timedelta] = []
    to_reply: list[timedelta] = []
    within = measured = pending = 0
    late: list[tuple[timedelta, TriagedMention, bool]] = []
    for tm in current:
        alert = primary_alert(tm)
        if alert is None or alert.status is AlertStatus.NOT_COMPLAINT:
            continue
        born = tm.mention.created_at
        if alert.sent_at is not None:
            to_alert.append(max(alert.sent_at - born, timedelta(0)))
        claimed, replied = claimed_at(alert), replied_at(alert)
        if claimed is not None:
            to_claim.append(clock(born, claimed))
        if replied is not None:
            to_reply.append(clock(born, replied))
        answered = replied or resolved_at(alert)
        elapsed = clock(born, answered if answered is not None else now)
        if answered is None and elapsed <= sla:
            pending += 1
            continue
        measured += 1
        if answered is not None and elapsed <= sla:
            within += 1
        else:
            late.append((elapsed, tm, answered is not None))
    worst = heapq.nlargest(LIST_LIMIT, late, key=lambda b: b[0])
    breaches = tuple(Breach(to_post(tm), elapsed, replied) for elapsed, tm, replied in worst)
    return Response(
        _durations(to_alert),
        _durations(to_claim),
        _durations(to_reply),
        sla_minutes,
        hours.describe() if hours else None,
        within,
        measured,
        pending,
        breaches,
        len(late),
    )


def open_incidents_of(known: Sequence[TriagedMention]) -> tuple[Incident, ...]:
    groups: dict[str, list[TriagedMention]] = defaultdict(list)
    for tm in known:
        if tm.verdict is not None and tm.verdict.incident_id:
            groups[tm.verdict.incident_id].append(tm)
    out = []
    for inc, group in groups.items():
        if len(group) < 2:
            continue  # a one-post "incident" is just a complaint, listed with urgent items
        open_alerts = sum(1 for tm in group if unresolved(tm))
        if not open_alerts:
            continue
        times = [tm.mention.created_at for tm in group]
        topic = Counter(tm.scores.topic for tm in group if tm.scores).most_common(1)
        out.append(
            Incident(
                inc,
                topic[0][0] if topic else "other",
                len(group),
                min(times),
                max(times),
                open_alerts,
                _examples(group, 1)[0],
            )
        )
    out.sort(key=lambda i: i.first_seen)
    return tuple(out)


def notable_authors_of(
    current: Sequence[TriagedMention], min_followers: int
) -> tuple[NotableAuthor, ...]:
    by_author: dict[str, list[TriagedMention]] = defaultdict(list)
    for tm in current:
        a = tm.mention.author
        if complaint(tm) and (
            a.followers >= min_followers or a.verified_type in ("business", "government")
        ):
            by_author[a.id].append(tm)
    out = []
    for group in by_author.values():
        a = group[0].mention.author
        post = _examples(group, 1)[0]
        out.append(NotableAuthor(a.handle, a.name, a.followers, a.verified_type, len(group), post))
    out.sort(key=lambda n: (-n.followers, n.handle))
    return tuple(out[:10])


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


def model_health_of(current: Sequence[TriagedMention], feedback: Sequence[Feedback]) -> ModelHealth:
    alerts = not_complaint = 0
    models: Counter[str] = Counter()
    for tm in current:
        if tm.scores is not None and tm.scores.model:
            models[tm.scores.model] += 1
        alert = primary_alert(tm)
        if alert is not None:
            alerts += 1
            not_complaint += alert.status is AlertStatus.NOT_COMPLAINT
    labels = Counter(f.label for f in feedback)
    return ModelHealth(
        alerts,
        not_complaint,
        len(feedback),
        tuple(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        tuple(m for m, _ in models.most_common()),
    )
