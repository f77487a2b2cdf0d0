"""The questions the digest asks of its mentions, and the answers over mentions in memory.

A digest needs counts, not mentions: per-day volumes, shares, per-topic and per-incident
counts, a few example posts. ``DigestQueries`` is that set of questions. ``ItemQueries``
answers them over ``TriagedMention`` objects (``build_digest``, ``MemoryStore``);
``SqlStore.digest_queries`` answers the same questions in SQL aggregates so that a
90-day digest never decodes the million mentions it counts. The store contract suite
holds both to the same answers.

Ties: where a "most common" value is chosen (an incident's topic, the model list), equal
counts go to the value seen first (by creation time), then to the smaller value.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from listener.digest.items import (
    Post,
    claimed_at,
    complaint,
    negative,
    primary_alert,
    replied_at,
    resolved_at,
    to_post,
    unresolved,
)
from listener.digest.times import NO_TIME, AlertColumns, AlertTimes, at_micros, micros
from listener.domain import AlertStatus, Author, MentionKey, Priority
from listener.ports import TriagedMention

__all__ = [
    "NOTABLE_VERIFIED",
    "NO_TIME",
    "AlertColumns",
    "AlertTimes",
    "DigestQueries",
    "Group",
    "GroupBy",
    "Health",
    "IncidentPart",
    "ItemQueries",
    "Segment",
    "at_micros",
    "example_rank",
    "micros",
    "ranked",
]

GroupBy = Literal["topic", "incident", "author"]
#: Verified types whose complaints are notable whatever their follower count.
NOTABLE_VERIFIED = ("business", "government")


@dataclass(frozen=True, slots=True)
class Segment:
    """The mentions created in one time segment (between consecutive edges; -1: before
    the first edge). Complaints are those the team did not rule out."""

    segment: int
    volume: int
    scored: int
    complaints: int
    negative: int
    first: datetime
    last: datetime


@dataclass(frozen=True, slots=True)
class Group:
    """Complaints of one topic and incident (None: none) in a range of time."""

    topic: str
    incident: str | None
    count: int
    first: datetime


@dataclass(frozen=True, slots=True)
class IncidentPart:
    """An incident's mentions of one topic (None: not scored); ``waiting``: unresolved."""

    incident: str
    topic: str | None
    count: int
    waiting: int
    first: datetime
    last: datetime


@dataclass(frozen=True, slots=True)
class Health:
    """Alerts in a range, those ruled out, and mentions scored by each model."""

    alerts: int
    ruled_out: int
    models: tuple[tuple[str, int, datetime], ...]


def _micros(at: datetime | None) -> int:
    return NO_TIME if at is None else micros(at)


class DigestQueries(Protocol):
    """Questions over one brand's mentions created before the digest's end."""

    def segments(self, edges: Sequence[datetime]) -> list[Segment]:
        """Counts per segment cut at ``edges`` (sorted UTC instants), segments with any."""
        ...

    def complaint_groups(self, start: datetime, end: datetime) -> list[Group]:
        """Complaints created in ``[start, end)`` by topic and incident."""
        ...

    def incidents(self) -> list[IncidentPart]:
        """Every incident's mentions, by topic."""
        ...

    def health(self, start: datetime, end: datetime) -> Health:
        """Primary alerts about mentions created in ``[start, end)``, and their models."""
        ...

    def alert_times(self, start: datetime, end: datetime) -> AlertColumns:
        """Mentions created in ``[start, end)`` whose primary alert the team did not rule
        out as "not a complaint", oldest first."""
        ...

    def top_posts(
        self,
        start: datetime | None,
        end: datetime,
        *,
        by: GroupBy,
        keys: Collection[str],
        n: int,
        complaints: bool,
        min_followers: int | None = None,
    ) -> dict[str, tuple[Post, ...]]:
        """The ``n`` most telling posts of each group (``example_rank``) created in
        ``[start, end)``; ``start`` None: from the first mention asked about.

        ``complaints`` keeps complaints only; ``min_followers`` keeps notable authors only.
        """
        ...

    def notable_authors(
        self, start: datetime, end: datetime, min_followers: int
    ) -> list[tuple[Author, int]]:
        """Authors of notable complaints (as first seen) and how many they made."""
        ...

    def urgent(self, limit: int) -> tuple[int, tuple[Post, ...]]:
        """How many mentions are urgent (priority HIGH or above) and still waiting, and
        the oldest ``limit`` of them."""
        ...

    def resolved(
        self, start: datetime, end: datetime, limit: int
    ) -> tuple[int, tuple[Post, ...]]:
        """How many alerted mentions were resolved in ``[start, end)``, the oldest ``limit``."""
        ...

    def posts(self, keys: Collection[MentionKey]) -> dict[MentionKey, Post]: ...


def example_rank(tm: TriagedMention) -> tuple[int, int]:
    """Most urgent first, then widest reach (then oldest: the order given)."""
    return (-(tm.scores.urgency if tm.scores else 0), -tm.mention.author.followers)


def ranked(counts: Iterable[tuple[str | None, int, datetime]]) -> list[str]:
    """Values by count, summed over repeats, highest first; ties go to the value seen
    first, then to the smaller. Empty values and None are left out."""
    total: dict[str, int] = {}
    first: dict[str, datetime] = {}
    for k, n, at in counts:
        if not k:
            continue
        total[k] = total.get(k, 0) + n
        first[k] = min(first.get(k, at), at)
    return sorted(total, key=lambda k: (-total[k], first[k], k))


def notable(tm: TriagedMention, min_followers: int) -> bool:
    a = tm.mention.author
    return a.followers >= min_followers or a.verified_type in NOTABLE_VERIFIED


class ItemQueries:
    """``DigestQueries`` over mentions in memory, in history order (oldest first)."""

    def __init__(self, items: Iterable[TriagedMention]) -> None:
        self._items = sorted(items, key=lambda tm: tm.mention.created_at)
        self._stamps = [tm.mention.created_at for tm in self._items]

    def _between(self, start: datetime, end: datetime) -> Sequence[TriagedMention]:
        lo = bisect.bisect_left(self._stamps, start)
        return self._items[lo : bisect.bisect_left(self._stamps, end)]

    def segments(self, edges: Sequence[datetime]) -> list[Segment]:
        stamps = [e.timestamp() for e in edges]
        acc: dict[int, list[int]] = {}
        first: dict[int, datetime] = {}
        last: dict[int, datetime] = {}
        for tm in self._items:
            at = tm.mention.created_at
            i = bisect.bisect_right(stamps, at.timestamp()) - 1
            got = acc.get(i)
            if got is None:
                got = acc[i] = [0, 0, 0, 0]
                first[i] = at
            got[0] += 1
            got[1] += tm.scores is not None
            got[2] += complaint(tm)
            got[3] += negative(tm)
            last[i] = at
        return [Segment(i, v, s, c, n, first[i], last[i]) for i, (v, s, c, n) in acc.items()]

    def complaint_groups(self, start: datetime, end: datetime) -> list[Group]:
        acc: dict[tuple[str, str | None], list[Any]] = {}
        for tm in self._between(start, end):
            if not complaint(tm) or tm.scores is None:
                continue
            key = (tm.scores.topic, _incident(tm))
            got = acc.setdefault(key, [0, tm.mention.created_at])
            got[0] += 1
        return [Group(t, i, n, at) for (t, i), (n, at) in acc.items()]

    def incidents(self) -> list[IncidentPart]:
        acc: dict[tuple[str, str | None], list[Any]] = {}
        for tm in self._items:
            inc = _incident(tm)
            if inc is None:
                continue
            at = tm.mention.created_at
            got = acc.setdefault((inc, tm.scores.topic if tm.scores else None), [0, 0, at, at])
            got[0] += 1
            got[1] += unresolved(tm)
            got[3] = at
        return [IncidentPart(i, t, *v) for (i, t), v in acc.items()]

    def health(self, start: datetime, end: datetime) -> Health:
        alerts = ruled_out = 0
        models: dict[str, list[Any]] = {}
        for tm in self._between(start, end):
            if tm.scores is not None and tm.scores.model:
                models.setdefault(tm.scores.model, [0, tm.mention.created_at])[0] += 1
            alert = primary_alert(tm)
            if alert is not None:
                alerts += 1
                ruled_out += alert.status is AlertStatus.NOT_COMPLAINT
        return Health(alerts, ruled_out, tuple((m, n, at) for m, (n, at) in models.items()))

    def alert_times(self, start: datetime, end: datetime) -> AlertColumns:
        out = []
        for tm in self._between(start, end):
            a = primary_alert(tm)
            if a is None or a.status is AlertStatus.NOT_COMPLAINT:
                continue
            out.append(
                AlertTimes(
                    tm.mention.key,
                    micros(tm.mention.created_at),
                    _micros(a.sent_at),
                    _micros(claimed_at(a)),
                    _micros(replied_at(a)),
                    _micros(resolved_at(a)),
                )
            )
        return AlertColumns.of(out)

    def top_posts(
        self,
        start: datetime | None,
        end: datetime,
        *,
        by: GroupBy,
        keys: Collection[str],
        n: int,
        complaints: bool,
        min_followers: int | None = None,
    ) -> dict[str, tuple[Post, ...]]:
        group_of: Callable[[TriagedMention], str | None] = {
            "topic": lambda tm: tm.scores.topic if tm.scores else None,
            "incident": lambda tm: tm.verdict.incident_id if tm.verdict else None,
            "author": lambda tm: tm.mention.author.id,
        }[by]
        wanted = set(keys)
        groups: dict[str, list[TriagedMention]] = {}
        for tm in self._items if start is None else self._between(start, end):
            if tm.mention.created_at >= end:
                break
            g = group_of(tm)
            if g is None or g not in wanted or (complaints and not complaint(tm)):
                continue
            if min_followers is not None and not notable(tm, min_followers):
                continue
            groups.setdefault(g, []).append(tm)
        return {
            g: tuple(to_post(tm) for tm in heapq.nsmallest(n, group, key=example_rank))
            for g, group in groups.items()
        }

    def notable_authors(
        self, start: datetime, end: datetime, min_followers: int
    ) -> list[tuple[Author, int]]:
        first: dict[str, Author] = {}
        counts: Counter[str] = Counter()
        for tm in self._between(start, end):
            if complaint(tm) and notable(tm, min_followers):
                a = tm.mention.author
                first.setdefault(a.id, a)
                counts[a.id] += 1
        return [(a, counts[i]) for i, a in first.items()]

    def urgent(self, limit: int) -> tuple[int, tuple[Post, ...]]:
        chosen = [
            tm
            for tm in self._items
            if tm.verdict is not None and tm.verdict.priority >= Priority.HIGH and unresolved(tm)
        ]
        return len(chosen), tuple(to_post(tm) for tm in chosen[:limit])

    def resolved(
        self, start: datetime, end: datetime, limit: int
    ) -> tuple[int, tuple[Post, ...]]:
        chosen = [tm for tm in self._items if _resolved_in(tm, start, end)]
        return len(chosen), tuple(to_post(tm) for tm in chosen[:limit])

    def posts(self, keys: Collection[MentionKey]) -> dict[MentionKey, Post]:
        wanted = set(keys)
        return {tm.mention.key: to_post(tm) for tm in self._items if tm.mention.key in wanted}


def _incident(tm: TriagedMention) -> str | None:
    return tm.verdict.incident_id if tm.verdict is not None and tm.verdict.incident_id else None


def _resolved_in(tm: TriagedMention, start: datetime, end: datetime) -> bool:
    alert = primary_alert(tm)
    when = resolved_at(alert) if alert is not None else None
    return when is not None and start <= when < end
