"""What ``record_triage_many`` writes for a chunk of newly decided mentions, besides the
verdicts that claimed them: their alerts, and on each mention the digest's copies (its
triage's, its primary alert's status, id and times) and its place in the rollup.

The alerts go in first, ``RETURNING`` their ids in the rows' order: the mention carries
its primary alert's id from the start (revision 0008).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, update

from listener.domain import AlertKind, MentionKey
from listener.ports import TriageRecord
from listener.store import rollup
from listener.store.codec import DIGEST_COPIES, alert_row, digest_copies
from listener.store.tables import ALERT_COPIES, alerts, mentions

__all__ = ["primary_copies", "write_triaged"]

_mark = (
    update(mentions)
    .where(mentions.c.source == bindparam("k_source"))
    .where(mentions.c.id == bindparam("k_id"))
    .values(
        triaged_at=bindparam("k_at"),
        alert_status=bindparam("k_status"),
        **{c: bindparam(f"k_{c}") for c in (*DIGEST_COPIES, *ALERT_COPIES)},
    )
)
_add_alerts = alerts.insert().returning(alerts.c.id, sort_by_parameter_order=True)


def primary_copies(alert_id: int | None, row: dict[str, Any] | None) -> dict[str, Any]:
    """``ALERT_COPIES`` of the primary alert stored as ``row`` (None: no primary)."""
    if row is None:
        return dict.fromkeys(ALERT_COPIES)
    return {"alert_id": alert_id, **{f"alert_{t}": row[t] for t in
                                     ("sent_at", "claimed_at", "replied_at", "resolved_at")}}


def write_triaged(
    conn: Connection,
    insert: rollup.Insert,
    chunk: Sequence[TriageRecord],
    where: dict[MentionKey, tuple[str, datetime]],
) -> None:
    """Store ``chunk``'s alerts, mark its mentions triaged with their copies, count them
    in the rollup. ``where``: each mention's brand and creation time."""
    rows = [alert_row(a, item.verdict.decided_at) for item in chunk for a in item.alerts]
    ids = [int(i) for i in conn.execute(_add_alerts, rows).scalars()] if rows else []
    marks: list[dict[str, Any]] = []
    facts: list[rollup.Fact] = []
    at = 0
    for item in chunk:
        # The primary alert is the mention's first of kind "alert": the smallest id.
        first = next((at + k for k, a in enumerate(item.alerts) if a.kind is AlertKind.ALERT),
                     None)
        at += len(item.alerts)
        primary = None if first is None else rows[first]
        status = None if primary is None else primary["status"]
        copies = digest_copies(item.scores, item.verdict)
        alert = primary_copies(None if first is None else ids[first], primary)
        marks.append({"k_source": item.key[0], "k_id": item.key[1],
                      "k_at": item.verdict.decided_at, "k_status": status,
                      **{f"k_{c}": v for c, v in (*copies.items(), *alert.items())}})
        facts.append(rollup.Fact.of(*where[item.key], copies, status))
    conn.execute(_mark, marks)
    rollup.add(conn, insert, facts)
