"""``DigestQueries`` from the per-hour rollup ``digest_hours`` where it can answer.

The counts over the whole window (segments, complaint groups, incidents, model health,
the urgent count) are sums over its rows: ~4,300 hours for a 90-day digest instead of
1.8 million mentions at 10,000 a day. Untriaged mentions are not in the rollup; the
few there are come from ``ix_mentions_pending``. A range the rollup cannot cut (an edge
off the hour: a time zone such as UTC+05:30) is asked of the mentions themselves
(``SqlDigestQueries``), as are the questions about single posts and the response times,
whose percentiles do not add up.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from listener.digest.items import WAITING, Post
from listener.digest.queries import Group, Health, IncidentPart, Segment
from listener.domain import AlertStatus, Priority
from listener.store.rollup import aligned, hour_of, start_of
from listener.store.sql_digest import AnySelect, SqlDigestQueries
from listener.store.tables import digest_hours, mentions

__all__ = ["HourlyDigestQueries"]

h = digest_hours.c
m = mentions.c
_NC = AlertStatus.NOT_COMPLAINT.value
_WAITING = ["waiting"]  # the rollup's class of the WAITING statuses (``STATUS_CLASS``)


def _sum_if(cond: ColumnElement[bool], value: Any) -> Any:
    return func.sum(case((cond, value), else_=0))


class HourlyDigestQueries(SqlDigestQueries):
    """``SqlDigestQueries`` with the window's counts read from ``digest_hours``."""

    def _hours(self, start: datetime, end: datetime) -> tuple[int, int] | None:
        """``[start, end)`` within the window as rollup hours; None: not on the hour."""
        lo, hi = max(start, self._start), min(end, self._end)
        if not (aligned(lo) and aligned(hi)):
            return None
        return hour_of(lo), max(hour_of(lo), hour_of(hi))

    def _rolled(self, q: AnySelect, hours: tuple[int, int]) -> AnySelect:
        q = q.where(h.hour >= hours[0], h.hour < hours[1])
        return q if self._brand is None else q.where(h.brand == self._brand)

    def _untriaged(self, start: datetime, end: datetime) -> list[Any]:
        """Untriaged mentions in ``[start, end)``: creation time and primary status."""
        lo, hi = max(start, self._start), min(end, self._end)
        q = select(m.created_at, m.alert_status).where(
            m.triaged_at.is_(None), m.topic.is_(None), m.created_at >= lo, m.created_at < hi
        )
        if self._brand is not None:
            # The brand wrapped so that its index is not used: SQLite would rather
            # range-scan it, reading every mention's row for ``triaged_at`` (~0.4 s for a
            # 90-day digest), than this partial index of the few untriaged ones. (A
            # ``with_hint`` INDEXED BY is not rendered by SQLAlchemy's SQLite dialect.)
            q = q.where(func.coalesce(m.brand, m.brand) == self._brand)
        return self._rows(q)

    def segments(self, edges: Sequence[datetime]) -> list[Segment]:
        hours = self._hours(self._start, self._end)
        inside = [e for e in edges if self._start < e < self._end]
        if hours is None or not all(aligned(e) for e in inside):
            return super().segments(edges)
        q = self._rolled(
            select(
                h.hour,
                func.sum(h.n),
                _sum_if(h.status != _NC, h.complaints),
                func.sum(h.negative),
                func.min(h.first),
                func.max(h.last),
            ).group_by(h.hour),
            hours,
        )
        stamps = [e.timestamp() for e in edges]
        acc: dict[int, list[Any]] = {}

        def count(at: datetime, v: int, s: int, c: int, n: int, first: datetime,
                  last: datetime) -> None:
            i = bisect.bisect_right(stamps, at.timestamp()) - 1
            got = acc.get(i)
            if got is None:
                acc[i] = [v, s, c, n, first, last]
                return
            got[0] += v
            got[1] += s
            got[2] += c
            got[3] += n
            got[4], got[5] = min(got[4], first), max(got[5], last)

        for hour, n, c, neg, first, last in self._rows(q):
            count(start_of(hour), int(n), int(n), int(c), int(neg), first, last)
        for at, _ in self._untriaged(self._start, self._end):
            count(at, 1, 0, 0, 0, at, at)
        return [Segment(i, *v) for i, v in sorted(acc.items())]

    def complaint_groups(self, start: datetime, end: datetime) -> list[Group]:
        hours = self._hours(start, end)
        if hours is None:
            return super().complaint_groups(start, end)
        q = self._rolled(
            select(h.topic, h.incident_id, func.sum(h.complaints), func.min(h.first_complaint))
            .where(h.status != _NC, h.complaints > 0)
            .group_by(h.topic, h.incident_id),
            hours,
        )
        return [Group(r[0], r[1] or None, int(r[2]), r[3]) for r in self._rows(q)]

    def incidents(self) -> list[IncidentPart]:
        hours = self._hours(self._start, self._end)
        if hours is None:
            return super().incidents()
        q = self._rolled(
            select(
                h.incident_id,
                h.topic,
                func.sum(h.n),
                _sum_if(h.status.in_(_WAITING), h.n),
                func.min(h.first),
                func.max(h.last),
            )
            .where(h.incident_id != "")
            .group_by(h.incident_id, h.topic),
            hours,
        )
        return [
            IncidentPart(r[0], r[1], int(r[2]), int(r[3]), r[4], r[5]) for r in self._rows(q)
        ]

    def health(self, start: datetime, end: datetime) -> Health:
        hours = self._hours(start, end)
        if hours is None:
            return super().health(start, end)
        q = self._rolled(
            select(
                h.model,
                func.sum(h.n),
                _sum_if(h.status != "", h.n),
                _sum_if(h.status == _NC, h.n),
                func.min(h.first),
            ).group_by(h.model),
            hours,
        )
        rows = self._rows(q)
        loose = [status for _, status in self._untriaged(start, end) if status]
        return Health(
            sum(int(r[2]) for r in rows) + len(loose),
            sum(int(r[3]) for r in rows) + loose.count(_NC),
            tuple((r[0], int(r[1]), r[4]) for r in rows if r[0]),
        )

    def urgent(self, limit: int) -> tuple[int, tuple[Post, ...]]:
        hours = self._hours(self._start, self._end)
        if hours is None:
            return super().urgent(limit)
        q = self._rolled(select(_sum_if(h.status.in_(_WAITING), h.high)), hours)
        count = int(self._rows(q)[0][0] or 0)
        # Untriaged mentions have no priority: never urgent. The oldest few: the covering
        # index in time order, stopping at ``limit``.
        waiting = m.alert_status.in_([w.value for w in WAITING])
        oldest = self._where(
            select(m.source, m.id)
            .where(m.priority >= int(Priority.HIGH), waiting)
            .order_by(m.created_at, m.source, m.id)
            .limit(limit)
        )
        keys = [(r[0], r[1]) for r in self._rows(oldest)]
        posts = self._posts(keys)
        return count, tuple(posts[k] for k in keys)
