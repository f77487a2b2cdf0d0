"""``DigestQueries`` in SQL aggregates over the mentions themselves.

Every query reads ``ix_mentions_brand_created_at``, which covers what the digest counts
by (copied onto the mention with its triage, its primary alert's status since 0007, its
author since 0008), or a partial index: ``ix_mentions_alert_times`` for the primary
alert's times (on the mention since 0008: no alert is read; ``sql_times.py`` hands them
over as columns), ``ix_mentions_incident`` for an incident's example. ``segments`` sums
each time segment's range of the covering index; the segments' edges come from the
digest, so local days (DST included) stay its business rather than the database's. Only
the posts the digest quotes are read whole (``load``). ``HourlyDigestQueries``
(``sql_hours.py``) answers the counts from the per-hour rollup instead, and falls back
to these where it cannot.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
    union_all,
)

from listener.digest.items import WAITING, Post, to_post
from listener.digest.queries import (
    NOTABLE_VERIFIED,
    AlertColumns,
    Group,
    GroupBy,
    Health,
    IncidentPart,
    Segment,
)
from listener.domain import AlertStatus, Author, MentionKey, Priority
from listener.ports import TriagedMention
from listener.store import sql_times
from listener.store.tables import mentions

__all__ = ["SqlDigestQueries"]

#: A select of any columns.
AnySelect = Select[*tuple[Any, ...]]
Loader = Callable[[Collection[MentionKey]], list[TriagedMention]]

m = mentions.c
#: The primary alert's status, kept on the mention (revision 0007).
_status = m.alert_status
#: The mentions with a primary alert: the condition of ``ix_mentions_alert_times``, which
#: holds their alert's times (0008).
_alerted = _status.is_not(None)
_not_ruled_out = or_(_status.is_(None), _status != AlertStatus.NOT_COMPLAINT.value)
_complaint = and_(m.is_complaint == true(), _not_ruled_out)
_complaint_flag = case((_complaint, 1), else_=0)
_history_order = (m.created_at, m.source, m.id)


#: Up to this many topics, ``top_posts`` asks for each topic's few posts on its own
#: (an incident's: always, from ``ix_mentions_incident``).
_FEW_GROUPS = 8
#: Keys per ``IN`` list when reading rows by key.
_IN_CHUNK = 500


def _flag(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return case((cond, 1), else_=0)


class SqlDigestQueries:
    """The mentions of ``brand`` (all brands when None) created in ``[start, end)``."""

    def __init__(
        self, engine: Engine, load: Loader, start: datetime, end: datetime, brand: str | None
    ) -> None:
        self._engine, self._load = engine, load
        self._start, self._end, self._brand = start, end, brand

    def _where(
        self, q: AnySelect, start: datetime | None = None, end: datetime | None = None,
        *, by_time: bool = True,
    ) -> AnySelect:
        """``q`` within the window (and ``[start, end)``) and the brand. ``by_time``
        False: the creation time is wrapped so that no index is ranged by it (the
        planner would take the brand's range over an incident's few mentions)."""
        lo = self._start if start is None else max(start, self._start)
        hi = min(end, self._end) if end is not None else self._end
        at = m.created_at if by_time else func.coalesce(m.created_at, m.created_at)
        q = q.where(at >= lo, at < hi)
        return q if self._brand is None else q.where(m.brand == self._brand)

    def _rows(self, q: AnySelect) -> list[Any]:
        with self._engine.connect() as conn:
            return list(conn.execute(q))

    def segments(self, edges: Sequence[datetime]) -> list[Segment]:
        # A range scan per segment, not one GROUP BY over a CASE: SQLite sorts to group,
        # and that sort cost more than the scans themselves.
        sums: AnySelect = select(
            func.count(),
            func.sum(_flag(m.topic.is_not(None))),
            func.sum(_complaint_flag),
            func.sum(_flag(m.negative == true())),
            func.min(m.created_at),
            func.max(m.created_at),
        )
        bounds: list[tuple[int, datetime | None, datetime | None]] = [(-1, None, edges[0])]
        bounds += [(i, lo, hi) for i, (lo, hi) in enumerate(itertools.pairwise(edges))]
        bounds.append((len(edges) - 1, edges[-1], None))
        out = []
        with self._engine.connect() as conn:
            for i, lo, hi in bounds:
                if (lo is not None and lo >= self._end) or (hi is not None and hi <= self._start):
                    continue
                r = conn.execute(self._where(sums, lo, hi)).one()
                if r[0]:
                    out.append(Segment(i, int(r[0]), int(r[1]), int(r[2]), int(r[3]), r[4], r[5]))
        return out

    def complaint_groups(self, start: datetime, end: datetime) -> list[Group]:
        q = self._where(
            select(m.topic, m.incident_id, func.count(), func.min(m.created_at))
            .where(_complaint)
            .group_by(m.topic, m.incident_id),
            start,
            end,
        )
        return [Group(r[0], r[1] or None, int(r[2]), r[3]) for r in self._rows(q)]

    def incidents(self) -> list[IncidentPart]:
        waiting = _flag(_status.in_([w.value for w in WAITING]))
        inner = self._where(
            select(
                m.incident_id.label("incident"),
                m.topic.label("topic"),
                waiting.label("waiting"),
                m.created_at.label("created_at"),
            ).where(m.incident_id.is_not(None), m.incident_id != "")
        ).subquery()
        c = inner.c
        q = select(
            c.incident,
            c.topic,
            func.count(),
            func.sum(c.waiting),
            func.min(c.created_at),
            func.max(c.created_at),
        ).group_by(c.incident, c.topic)
        return [
            IncidentPart(r[0], r[1], int(r[2]), int(r[3]), r[4], r[5]) for r in self._rows(q)
        ]

    def health(self, start: datetime, end: datetime) -> Health:
        inner = self._where(
            select(
                func.coalesce(m.model, "").label("model"),
                _status.label("status"),
                m.created_at.label("created_at"),
            ),
            start,
            end,
        ).subquery()
        c = inner.c
        q = select(
            c.model,
            func.count(),
            func.count(c.status),
            func.sum(_flag(c.status == AlertStatus.NOT_COMPLAINT.value)),
            func.min(c.created_at),
        ).group_by(c.model)
        rows = self._rows(q)
        return Health(
            sum(int(r[2]) for r in rows),
            sum(int(r[3]) for r in rows),
            tuple((r[0], int(r[1]), r[4]) for r in rows if r[0]),
        )

    def alert_times(self, start: datetime, end: datetime) -> AlertColumns:
        # The primary alert's times are copied onto the mention (0008): one range of
        # ``ix_mentions_alert_times``, no alert read.
        times = (m.created_at, m.alert_sent_at, m.alert_claimed_at, m.alert_replied_at,
                 m.alert_resolved_at)
        text = self._engine.dialect.name == "sqlite"
        q = self._where(
            select(m.source, m.id, *(sql_times.step(t, text) for t in times))
            .where(_alerted, _status != AlertStatus.NOT_COMPLAINT.value)
            .order_by(*_history_order),
            start,
            end,
        )
        with self._engine.connect() as conn:
            return sql_times.alert_columns(conn, q, text)

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
        if not keys:
            return {}
        group = {"topic": m.topic, "incident": m.incident_id, "author": m.author_id}[by]
        # A mention with a topic or an incident is triaged, so its urgency is set: the
        # plain column orders as coalesce() would, and lets ``ix_mentions_incident``
        # give an incident's mentions in this order.
        urgency = func.coalesce(m.urgency, 0) if by == "author" else m.urgency
        order = (urgency.desc(), m.author_followers.desc(), *_history_order)

        def candidates(q: AnySelect) -> AnySelect:
            q = self._where(q, start, end, by_time=by != "incident")
            if complaints:
                q = q.where(_complaint)
            return q if min_followers is None else q.where(_notable(min_followers))

        rows: list[Any] = []
        if by == "incident":
            # Each incident's first n: a seek into ``ix_mentions_incident``, which holds
            # them in this order (a 90-day digest's ~1,300 open incidents: ~0.1 s, where
            # a window sorted their 300,000 mentions). One statement, run per incident.
            one = candidates(select(m.source, m.id, group.label("g")).where(
                group == bindparam("k"))).order_by(*order).limit(n)
            with self._engine.connect() as conn:
                for k in sorted(keys):
                    rows += conn.execute(one, {"k": k}).all()
        elif by == "topic" and len(keys) <= _FEW_GROUPS:
            # ORDER BY ... LIMIT n per topic: a range scan of the covering index whose
            # sorter keeps n rows, where a window sorts every candidate (a 90-day
            # digest's five topics: ~375,000 complaints). The few chosen are put in
            # order by the database, as the window would.
            cols = (m.source, m.id, group.label("g"), urgency.label("u"),
                    m.author_followers.label("f"), m.created_at.label("c"))
            parts = [
                select(candidates(select(*cols).where(group == k)).order_by(*order).limit(n)
                       .subquery())
                for k in sorted(keys)
            ]
            u = union_all(*parts).subquery()
            rows = self._rows(select(u.c.source, u.c.id, u.c.g).order_by(
                u.c.g, u.c.u.desc(), u.c.f.desc(), u.c.c, u.c.source, u.c.id))
        else:
            rank = func.row_number().over(partition_by=group, order_by=order)
            q = candidates(select(m.source, m.id, group.label("g"), rank.label("rn"))
                           .where(group.in_(list(keys))))
            ranked = q.subquery()
            chosen = select(ranked.c.source, ranked.c.id, ranked.c.g).where(ranked.c.rn <= n)
            rows = self._rows(chosen.order_by(ranked.c.g, ranked.c.rn))
        posts = self._posts([(r.source, r.id) for r in rows])
        out: dict[str, list[Post]] = {}
        for r in rows:
            out.setdefault(r.g, []).append(posts[(r.source, r.id)])
        return {g: tuple(ps) for g, ps in out.items()}

    def notable_authors(
        self, start: datetime, end: datetime, min_followers: int
    ) -> list[tuple[Author, int]]:
        # Counted by author in the covering index (``author_id`` and
        # ``author_verified_type`` are in it since 0008) with each one's first time, not
        # by a window that sorts every notable complaint (~90,000 in a 90-day digest);
        # then only the mentions at those first times are read, for who wrote them.
        cond = (_complaint, _notable(min_followers))
        groups = self._rows(self._where(
            select(m.author_id, func.count(), func.min(m.created_at)).where(*cond)
            .group_by(m.author_id), start, end))
        count = {a: int(n) for a, n, _ in groups}
        first_at = {a: at for a, _, at in groups}
        found: dict[str, tuple[tuple[datetime, str, str], Author]] = {}
        ats = sorted(set(first_at.values()))
        for lo in range(0, len(ats), _IN_CHUNK):
            # Not ``_where``: its range would have the planner scan it, not seek each time.
            q = select(
                m.source, m.id, m.created_at, m.author_id, m.author_username, m.author_name,
                m.author_followers, m.author_verified_type,
            ).where(*cond, m.created_at.in_(ats[lo : lo + _IN_CHUNK]))
            if self._brand is not None:
                q = q.where(m.brand == self._brand)
            for r in self._rows(q):
                key = (r.created_at, r.source, r.id)
                if first_at.get(r.author_id) == r.created_at and (
                    r.author_id not in found or key < found[r.author_id][0]
                ):
                    found[r.author_id] = (key, Author(*r[3:]))
        firsts = sorted(found.items(), key=lambda kv: kv[1][0])
        return [(author, count[i]) for i, (_, author) in firsts]

    def urgent(self, limit: int) -> tuple[int, tuple[Post, ...]]:
        waiting = _status.in_([w.value for w in WAITING])
        return self._oldest(and_(m.priority >= int(Priority.HIGH), waiting), limit)

    def resolved(self, start: datetime, end: datetime, limit: int) -> tuple[int, tuple[Post, ...]]:
        # The primary alert's resolution time is on the mention (0008): the window's
        # range of ``ix_mentions_alert_times``, no alert read.
        return self._oldest(
            and_(_alerted, m.alert_resolved_at >= start, m.alert_resolved_at < end), limit
        )

    def _oldest(self, cond: ColumnElement[bool], limit: int) -> tuple[int, tuple[Post, ...]]:
        q = self._where(select(m.source, m.id, func.count().over().label("n")).where(cond))
        rows = self._rows(q.order_by(*_history_order).limit(limit))
        keys = [(r[0], r[1]) for r in rows]
        posts = self._posts(keys)
        return (int(rows[0][2]) if rows else 0), tuple(posts[k] for k in keys)

    def posts(self, keys: Collection[MentionKey]) -> dict[MentionKey, Post]:
        return self._posts(keys)

    def _posts(self, keys: Collection[MentionKey]) -> dict[MentionKey, Post]:
        if not keys:
            return {}
        return {tm.mention.key: to_post(tm) for tm in self._load(keys)}


def _notable(min_followers: int) -> ColumnElement[bool]:
    return or_(m.author_followers >= min_followers, m.author_verified_type.in_(NOTABLE_VERIFIED))

