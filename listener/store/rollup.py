"""``digest_hours``, the digest's per-hour rollup, kept in the transaction of every write
that changes what it counts (revision 0007); and the primary alert's copies on its
mention (status since 0007, id and times since 0008), kept with it.

Three writes do: ``record_triage_many`` adds each triaged mention to its row (``add``);
a change of a mention's primary alert status (``set_status``, an alert enqueued later)
moves it from one row to another (``refresh_status``). It counts the mentions that carry
the digest's copies (``topic`` set); the untriaged rest the digest reads from
``ix_mentions_pending``.

``refresh_status`` also keeps the primary alert's id and response times on the mention;
``mark_sent`` calls it too, since sending sets ``sent_at`` and changes no status.

Counts add and subtract; a row's first and last creation times do not subtract, so the
row a mention leaves is recounted from the mentions of its hour (a few hundred at
10,000 a day, and status changes come at the pace of people clicking). On PostgreSQL
every statement takes the rows' locks in key order, so concurrent writers wait for each
other but never deadlock, and the recount runs after the row is locked, so it sees what
any writer before it committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, delete, func, select, update

from listener.digest.items import WAITING
from listener.domain import AlertKind, AlertStatus, MentionKey, Priority
from listener.store.tables import ALERT_COPIES, alerts, digest_hours, mentions

__all__ = [
    "STATUS_CLASS",
    "Fact",
    "RollupKey",
    "add",
    "aligned",
    "hour_of",
    "refresh_status",
    "start_of",
    "status_class",
]

RollupKey = tuple[str, int, str, str, str, str]
#: The rollup keeps what the digest asks of a status, not the status: "waiting" (open,
#: claimed, snoozed), "done" (replied, resolved), "not_complaint", '' (no alert). A
#: claim or a reply then moves nothing, and an hour has fewer rows.
STATUS_CLASS = {
    **{s.value: "waiting" for s in WAITING},
    AlertStatus.REPLIED.value: "done",
    AlertStatus.RESOLVED.value: "done",
    AlertStatus.NOT_COMPLAINT.value: AlertStatus.NOT_COMPLAINT.value,
}


def status_class(status: str | None) -> str:
    return STATUS_CLASS[status] if status else ""


def _members(cls: str) -> list[str]:
    return [s for s, c in STATUS_CLASS.items() if c == cls]
#: The dialect's INSERT that knows ``ON CONFLICT`` (``SqlOutbox._insert``).
Insert = Callable[[Any], Any]
_KEY = ("brand", "hour", "topic", "incident_id", "model", "status")
_COUNTS = ("n", "complaints", "negative", "high")
h = digest_hours.c
m = mentions.c


def hour_of(at: datetime) -> int:
    """The UTC hour (since the epoch) that ``at`` falls in."""
    return int(at.timestamp() // 3600)


def start_of(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, UTC)


def aligned(at: datetime) -> bool:
    """``at`` is the start of an hour: the rollup answers ranges cut there."""
    return at.timestamp() % 3600 == 0


@dataclass(frozen=True, slots=True)
class Fact:
    """One triaged mention as the rollup counts it."""

    brand: str
    created_at: datetime
    topic: str
    incident: str
    model: str
    status: str
    complaint: bool
    negative: bool
    high: bool

    @property
    def key(self) -> RollupKey:
        return (self.brand, hour_of(self.created_at), self.topic, self.incident, self.model,
                self.status)

    @staticmethod
    def of(brand: str, created_at: datetime, copies: dict[str, Any], status: str | None) -> Fact:
        """From a mention's digest copies (``codec.digest_copies``) and primary status."""
        return Fact(
            brand,
            created_at,
            copies["topic"] or "",
            copies["incident_id"] or "",
            copies["model"] or "",
            status_class(status),
            bool(copies["is_complaint"]),
            bool(copies["negative"]),
            (copies["priority"] or 0) >= int(Priority.HIGH),
        )


def add(conn: Connection, insert: Insert, facts: Iterable[Fact]) -> None:
    """Count ``facts`` in: one upsert per row, in key order."""
    rows: dict[RollupKey, dict[str, Any]] = {}
    for f in facts:
        r = rows.get(f.key)
        if r is None:
            r = rows[f.key] = dict(zip(_KEY, f.key, strict=True))
            r.update(n=0, complaints=0, negative=0, high=0, first=f.created_at,
                     last=f.created_at, first_complaint=None)
        r["n"] += 1
        r["complaints"] += f.complaint
        r["negative"] += f.negative
        r["high"] += f.high
        r["first"] = min(r["first"], f.created_at)
        r["last"] = max(r["last"], f.created_at)
        if f.complaint and (r["first_complaint"] is None or f.created_at < r["first_complaint"]):
            r["first_complaint"] = f.created_at
    if not rows:
        return
    ins = insert(digest_hours)
    new = ins.excluded
    stmt = ins.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={
            **{c: h[c] + new[c] for c in _COUNTS},
            "first": case((new.first < h.first, new.first), else_=h.first),
            "last": case((new.last > h.last, new.last), else_=h.last),
            "first_complaint": case(
                (h.first_complaint.is_(None), new.first_complaint),
                (new.first_complaint < h.first_complaint, new.first_complaint),
                else_=h.first_complaint,
            ),
        },
    )
    conn.execute(stmt, [rows[k] for k in sorted(rows)])


def _remove(conn: Connection, f: Fact) -> None:
    """Count ``f`` out of its row, then recount the row's times from its hour."""
    at_key = and_(*(h[c] == v for c, v in zip(_KEY, f.key, strict=True)))
    conn.execute(
        update(digest_hours)
        .where(at_key)
        .values(n=h.n - 1, complaints=h.complaints - int(f.complaint),
                negative=h.negative - int(f.negative), high=h.high - int(f.high))
    )
    lo = start_of(f.key[1])
    same = and_(
        m.brand == f.brand,
        m.created_at >= lo,
        m.created_at < start_of(f.key[1] + 1),
        m.topic.is_not(None),
        func.coalesce(m.topic, "") == f.topic,
        func.coalesce(m.incident_id, "") == f.incident,
        func.coalesce(m.model, "") == f.model,
        m.alert_status.in_(_members(f.status)) if f.status else m.alert_status.is_(None),
    )

    def over(fn: Any, *extra: Any) -> Any:
        return select(fn(m.created_at)).where(same, *extra).scalar_subquery()

    conn.execute(
        update(digest_hours)
        .where(at_key, h.n > 0)
        .values(first=over(func.min), last=over(func.max),
                first_complaint=over(func.min, m.is_complaint.is_(True)))
    )
    conn.execute(delete(digest_hours).where(at_key, h.n <= 0))


_TIMES = ("sent_at", "claimed_at", "replied_at", "resolved_at")
_primary = (
    select(alerts.c.id, alerts.c.status, *(alerts.c[t] for t in _TIMES))
    .where(
        alerts.c.source == bindparam("s"),
        alerts.c.mention_id == bindparam("i"),
        alerts.c.kind == AlertKind.ALERT.value,
    )
    .order_by(alerts.c.id)
    .limit(1)
)
_facts = select(
    m.brand, m.created_at, m.topic, m.incident_id, m.model, m.is_complaint, m.negative,
    m.priority, m.alert_status, *(m[c] for c in ALERT_COPIES),
).where(m.source == bindparam("s"), m.id == bindparam("i"))


def refresh_status(conn: Connection, insert: Insert, keys: Sequence[MentionKey]) -> None:
    """Re-read the primary alert of ``keys`` (status, id, times: revision 0008); where
    any changed, store them on the mention, and move it to its new row if the status's
    class changed."""
    for source, mid in sorted(set(keys)):
        got = conn.execute(_facts, {"s": source, "i": mid}).first()
        if got is None:
            continue
        alert = conn.execute(_primary, {"s": source, "i": mid}).first()
        status = None if alert is None else alert.status
        copies: dict[str, Any] = {"alert_id": None if alert is None else alert.id}
        copies.update({f"alert_{t}": None if alert is None else alert._mapping[t]
                       for t in _TIMES})
        if (got.alert_status or "") == (status or "") and all(
            got._mapping[c] == v for c, v in copies.items()
        ):
            continue
        conn.execute(
            update(mentions).where(m.source == source, m.id == mid)
            .values(alert_status=status, **copies)
        )
        if got.topic is None or status_class(got.alert_status) == status_class(status):
            continue  # not in the rollup until triaged (scored), or in the same row
        triage = dict(got._mapping)
        old = Fact.of(got.brand, got.created_at, triage, got.alert_status)
        new = Fact.of(got.brand, got.created_at, triage, status)
        # The two rows in key order: two opposite moves never wait on each other.
        if new.key < old.key:
            add(conn, insert, [new])
            _remove(conn, old)
        else:
            _remove(conn, old)
            add(conn, insert, [new])
