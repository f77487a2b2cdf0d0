"""``DigestQueries`` in SQL aggregates: a digest of months reads counts, not mentions.

The one large query is ``cells``: every mention of the window is counted into a small
grid (time segment x topic x complaint x ... ), a few thousand rows for 90 days. The time
segment is a balanced tree of ``CASE WHEN created_at < edge``: about 8 comparisons a row
for 200 edges, the same on SQLite and PostgreSQL, and it keeps local days (DST included)
the digest's business rather than the database's. Everything else returns a handful of
rows; only the posts the digest quotes are read whole (``load``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
)

from listener.digest.items import WAITING, Post, to_post
from listener.digest.queries import NOTABLE_VERIFIED, AlertTimes, Cell, GroupBy
from listener.domain import AlertKind, AlertStatus, Author, MentionKey, Priority
from listener.ports import TriagedMention
from listener.store.tables import UTCDateTime, alerts, mentions

__all__ = ["SqlDigestQueries"]

Loader = Callable[[Collection[MentionKey]], list[TriagedMention]]

m = mentions.c
#: The primary alert is the mention's first alert of kind "alert" (``ix_alerts_primary``).
_primary = and_(
    alerts.c.source == m.source,
    alerts.c.mention_id == m.id,
    alerts.c.kind == AlertKind.ALERT.value,
)
_status = (
    select(alerts.c.status).where(_primary).order_by(alerts.c.id).limit(1).scalar_subquery()
)
_p = alerts.alias("p")
_with_alert = mentions.join(
    _p, _p.c.id == select(func.min(alerts.c.id)).where(_primary).scalar_subquery()
)
_not_ruled_out = or_(_status.is_(None), _status != AlertStatus.NOT_COMPLAINT.value)
_complaint = and_(m.is_complaint == true(), _not_ruled_out)
_history_order = (m.created_at, m.source, m.id)


def _flag(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return case((cond, 1), else_=0)


def _segment(col: Any, edges: Sequence[datetime]) -> ColumnElement[int]:
    """How many ``edges`` are at or before ``col``, minus one: a binary tree of CASEs."""

    def node(lo: int, hi: int) -> ColumnElement[int]:
        # Here edges[lo - 1] <= col < edges[hi]: the answer is in [lo - 1, hi - 1].
        if lo == hi:
            return literal(lo - 1, Integer())
        mid = (lo + hi) // 2
        return case(
            (col < literal(edges[mid], UTCDateTime()), node(lo, mid)), else_=node(mid + 1, hi)
        )

    return node(0, len(edges))


class SqlDigestQueries:
    """The mentions of ``brand`` (all brands when None) created in ``[start, end)``."""

    def __init__(
        self, engine: Engine, load: Loader, start: datetime, end: datetime, brand: str | None
    ) -> None:
        self._engine, self._load = engine, load
        self._start, self._end, self._brand = start, end, brand

    def _where(
        self, q: Select[Any], start: datetime | None = None, end: datetime | None = None
    ) -> Select[Any]:
        lo = self._start if start is None else max(start, self._start)
        hi = min(end, self._end) if end is not None else self._end
        q = q.where(m.created_at >= lo, m.created_at < hi)
        return q if self._brand is None else q.where(m.brand == self._brand)

    def _rows(self, q: Select[Any]) -> list[Any]:
        with self._engine.connect() as conn:
            return list(conn.execute(q))

    def cells(self, edges: Sequence[datetime]) -> list[Cell]:
        inner = self._where(
            select(
                _segment(m.created_at, edges).label("segment"),
                m.topic.label("topic"),
                m.is_complaint.label("is_complaint"),
                _flag(m.negative == true()).label("negative"),
                _status.label("status"),
                func.coalesce(m.model, "").label("model"),
                m.incident_id.label("incident"),
                _flag(m.priority >= int(Priority.HIGH)).label("urgent"),
                m.created_at.label("created_at"),
            )
        ).subquery()
        c = inner.c
        complaint = _flag(
            and_(
                c.is_complaint == true(),
                or_(c.status.is_(None), c.status != AlertStatus.NOT_COMPLAINT.value),
            )
        ).label("complaint")
        keys = [c.segment, c.topic, complaint, c.negative, c.status, c.model, c.incident,
                c.urgent]
        q = select(
            *keys,
            func.count().label("n"),
            func.min(c.created_at).label("first"),
            func.max(c.created_at).label("last"),
        ).group_by(*keys)
        return [
            Cell(
                int(r.segment),
                r.topic,
                bool(r.complaint),
                bool(r.negative),
                AlertStatus(r.status) if r.status is not None else None,
                r.model,
                r.incident or None,
                bool(r.urgent),
                int(r.n),
                r.first,
                r.last,
            )
            for r in self._rows(q)
        ]

    def alert_times(self, start: datetime, end: datetime) -> list[AlertTimes]:
        p = _p.c
        q = self._where(
            select(m.source, m.id, m.created_at, p.sent_at, p.claimed_at, p.replied_at,
                   p.resolved_at)
            .select_from(_with_alert)
            .where(p.status != AlertStatus.NOT_COMPLAINT.value)
            .order_by(*_history_order),
            start,
            end,
        )
        return [AlertTimes((r[0], r[1]), *r[2:]) for r in self._rows(q)]

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
        group = {"topic": m.topic, "incident": m.incident_id, "author": m.author_id}[by]
        rank = func.row_number().over(
            partition_by=group,
            order_by=(
                func.coalesce(m.urgency, 0).desc(),
                m.author_followers.desc(),
                *_history_order,
            ),
        )
        q: Select[Any] = select(m.source, m.id, group.label("g"), rank.label("rn"))
        q = self._where(q.where(group.in_(list(keys))), start, end)
        if complaints:
            q = q.where(_complaint)
        if min_followers is not None:
            q = q.where(_notable(min_followers))
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
        when = _p.c.resolved_at
        return self._oldest(and_(when >= start, when < end), limit, _with_alert)

    def _oldest(
        self, cond: ColumnElement[bool], limit: int, joined: Any = mentions
    ) -> tuple[int, tuple[Post, ...]]:
        count_q = self._where(select(func.count()).select_from(joined).where(cond))
        first_q = self._where(
            select(m.source, m.id).select_from(joined).where(cond).order_by(*_history_order)
        ).limit(limit)
        with self._engine.connect() as conn:
            total = int(conn.execute(count_q).scalar_one())
            keys = [(r[0], r[1]) for r in conn.execute(first_q)] if total else []
        posts = self._posts(keys)
        return total, tuple(posts[k] for k in keys)

    def posts(self, keys: Collection[MentionKey]) -> dict[MentionKey, Post]:
        return self._posts(keys)

    def _posts(self, keys: Collection[MentionKey]) -> dict[MentionKey, Post]:
        if not keys:
            return {}
        return {tm.mention.key: to_post(tm) for tm in self._load(keys)}


def _notable(min_followers: int) -> ColumnElement[bool]:
    return or_(m.author_followers >= min_followers, m.author_verified_type.in_(NOTABLE_VERIFIED))

