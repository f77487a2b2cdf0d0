"""``DigestQueries`` in SQL aggregates over the mentions themselves.

Every query reads ``ix_mentions_brand_created_at``, which covers what the digest counts
by (copied onto the mention with its triage, and its primary alert's status since 0007);
the alert itself is joined only for its times. ``segments`` sums each time segment's
range of that index; the segments' edges come from the digest, so local days (DST
included) stay its business rather than the database's. Only the posts the digest
quotes are read whole (``load``). ``HourlyDigestQueries`` (``sql_hours.py``) answers the
counts from the per-hour rollup instead, and falls back to these where it cannot.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)

from listener.digest.items import WAITING, Post, to_post
from listener.digest.queries import (
    NO_TIME,
    NOTABLE_VERIFIED,
    AlertColumns,
    Group,
    GroupBy,
    Health,
    IncidentPart,
    Segment,
)
from listener.digest.times import Micros
from listener.domain import AlertKind, AlertStatus, Author, MentionKey, Priority
from listener.ports import TriagedMention
from listener.store.tables import alerts, mentions

__all__ = ["SqlDigestQueries"]

#: A select of any columns.
AnySelect = Select[*tuple[Any, ...]]
Loader = Callable[[Collection[MentionKey]], list[TriagedMention]]

m = mentions.c
#: The primary alert is the mention's first alert of kind "alert" (``ix_alerts_primary``).
_primary = and_(
    alerts.c.source == m.source,
    alerts.c.mention_id == m.id,
    alerts.c.kind == AlertKind.ALERT.value,
)
#: Its status, kept on the mention (revision 0007).
_status = m.alert_status
_p = alerts.alias("p")
_with_alert = mentions.join(
    _p, _p.c.id == select(func.min(alerts.c.id)).where(_primary).scalar_subquery()
)
#: The same, read from the alerts' side: for questions about the alerts' own times.
_from_alert = _p.join(mentions, and_(m.source == _p.c.source, m.id == _p.c.mention_id))
_not_ruled_out = or_(_status.is_(None), _status != AlertStatus.NOT_COMPLAINT.value)
_complaint = and_(m.is_complaint == true(), _not_ruled_out)
_complaint_flag = case((_complaint, 1), else_=0)
_history_order = (m.created_at, m.source, m.id)


def _parsed(texts: list[str | None]) -> Micros:
    """SQLite's ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) as microseconds; NULL: ``NO_TIME``."""
    got = np.array(["NaT" if t is None else t for t in texts], dtype="datetime64[us]")
    return got.astype(np.int64)


#: SQLite's text of a datetime (SQLAlchemy's format, always with microseconds), and
#: what stands for NULL in a column of them (``_fixed``).
_WIDTH, _NULL_TEXT = 26, "0001-01-01 00:00:00.000000"
_NULL_US = int(np.datetime64(_NULL_TEXT, "us").astype(np.int64))
_SEP = "\x1e"
#: Up to this many groups, ``top_posts`` asks for each group's few posts on its own.
_FEW_GROUPS = 8


def _fixed(text: str, n: int) -> Micros | None:
    """``n`` datetimes of ``_WIDTH`` characters each, back to back, as microseconds."""
    raw = text.encode()
    if len(raw) != _WIDTH * n:
        return None
    try:
        got: Micros = np.frombuffer(raw, f"S{_WIDTH}").astype("datetime64[us]").astype(np.int64)
    except ValueError:
        return None
    got[got == _NULL_US] = NO_TIME
    return got


def _micros(at: ColumnElement[Any]) -> ColumnElement[Any]:
    """Microseconds since the epoch, on PostgreSQL (extract() is exact numeric since 14)."""
    return func.coalesce(cast(extract("epoch", at) * 1_000_000, BigInteger), NO_TIME)


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
        self, q: AnySelect, start: datetime | None = None, end: datetime | None = None
    ) -> AnySelect:
        lo = self._start if start is None else max(start, self._start)
        hi = min(end, self._end) if end is not None else self._end
        q = q.where(m.created_at >= lo, m.created_at < hi)
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
        p = _p.c
        times = (m.created_at, p.sent_at, p.claimed_at, p.replied_at, p.resolved_at)
        text = self._engine.dialect.name == "sqlite"
        q = self._where(
            select(m.source, m.id, *(type_coerce(t, String) if text else _micros(t)
                                     for t in times))
            .select_from(_with_alert)
            # The copy of the status first: the alert is joined only for those it keeps.
            .where(m.alert_status.is_not(None), m.alert_status != AlertStatus.NOT_COMPLAINT.value)
            .where(p.status != AlertStatus.NOT_COMPLAINT.value)
            .order_by(*_history_order),
            start,
            end,
        )
        if text:
            got = self._concatenated(q)
            if got is not None:
                return got
        rows = self._rows(q)
        keys = [(r[0], r[1]) for r in rows]
        if not text:
            return AlertColumns(keys, *(np.array([r[i] for r in rows], np.int64)
                                        for i in range(2, 7)))
        return AlertColumns(keys, *(_parsed([r[i] for r in rows]) for i in range(2, 7)))

    def _concatenated(self, q: AnySelect) -> AlertColumns | None:
        """SQLite: each column of ``q`` as one string (``group_concat``), so that ~375,000
        alerts cost no Python object per alert and step (a row of seven cost ~6 us, the
        query itself ~2.5 us). None where a column is not as expected: the caller reads
        rows instead."""
        c = q.subquery().c
        steps = [func.coalesce(col, _NULL_TEXT) for col in list(c)[2:]]
        agg = select(
            func.count(), func.group_concat(c.source, _SEP), func.group_concat(c.id, _SEP),
            *(func.group_concat(step, "") for step in steps),
        )
        n, sources, ids, *texts = self._rows(agg)[0]
        if not n:
            return AlertColumns([], *(np.zeros(0, np.int64) for _ in steps))
        source_list, id_list = sources.split(_SEP), ids.split(_SEP)
        cols = [_fixed(t, n) for t in texts]
        if len(source_list) != n or len(id_list) != n or any(x is None for x in cols):
            return None  # a separator in a key, or a time not in SQLAlchemy's format
        keys = list(zip(source_list, id_list, strict=True))
        # group_concat keeps its subquery's order in practice, not by contract.
        return AlertColumns(keys, *cols).in_history_order()  # type: ignore[arg-type]

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
        order = (func.coalesce(m.urgency, 0).desc(), m.author_followers.desc(), *_history_order)

        def candidates(q: AnySelect) -> AnySelect:
            q = self._where(q, start, end)
            if complaints:
                q = q.where(_complaint)
            return q if min_followers is None else q.where(_notable(min_followers))

        if by != "author" and len(keys) <= _FEW_GROUPS:
            # A range scan of the covering index per group, ORDER BY ... LIMIT n: the
            # sorter keeps n rows, where the window sorts every candidate (a 90-day
            # digest's five topics: ~375,000 complaints). The few chosen are put in
            # order by the database, as the window would.
            cols = (m.source, m.id, group.label("g"), func.coalesce(m.urgency, 0).label("u"),
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
        w = {"partition_by": m.author_id}
        q = self._where(
            select(
                m.author_id,
                m.author_username,
                m.author_name,
                m.author_followers,
                m.author_verified_type,
                func.count().over(**w).label("n"),  # type: ignore[arg-type]
                func.row_number().over(order_by=_history_order, **w).label("rn"),  # type: ignore[arg-type]
                *(c.label(f"o_{c.name}") for c in _history_order),
            )
            .where(_complaint, _notable(min_followers)),
            start,
            end,
        ).subquery()
        c = q.c
        rows = self._rows(
            select(q).where(c.rn == 1).order_by(c.o_created_at, c.o_source, c.o_id)
        )
        return [
            (Author(r.author_id, r.author_username, r.author_name, r.author_followers,
                    r.author_verified_type), int(r.n))
            for r in rows
        ]

    def urgent(self, limit: int) -> tuple[int, tuple[Post, ...]]:
        waiting = _status.in_([w.value for w in WAITING])
        return self._oldest(and_(m.priority >= int(Priority.HIGH), waiting), limit)

    def resolved(self, start: datetime, end: datetime, limit: int) -> tuple[int, tuple[Post, ...]]:
        p = _p.c
        first = select(func.min(alerts.c.id)).where(_primary).scalar_subquery()
        # The mention's columns wrapped so that no index of them is used: the alerts
        # resolved in the period are few next to the mentions of the window, and are the
        # side to start from (``ix_alerts_kind_resolved_at``).
        at = func.coalesce(m.created_at, m.created_at)
        q = (
            select(m.source, m.id, func.count().over().label("n"))
            .select_from(_from_alert)
            .where(
                p.kind == AlertKind.ALERT.value, p.resolved_at >= start, p.resolved_at < end,
                p.id == first, at >= self._start, at < self._end,
            )
            .order_by(*_history_order)
            .limit(limit)
        )
        if self._brand is not None:
            q = q.where(func.coalesce(m.brand, m.brand) == self._brand)
        rows = self._rows(q)
        keys = [(r[0], r[1]) for r in rows]
        posts = self._posts(keys)
        return (int(rows[0][2]) if rows else 0), tuple(posts[k] for k in keys)

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

