"""Flat rows of stored history, for analysis (the notebooks build their tables from these).

One dict per mention: when, who, what the model said, what was decided, and, where the
source recorded it (twcs exports), how long the brand took to answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from listener.backfill.textio import parse_datetime
from listener.backfill.twcs import REPLIED_AT
from listener.ports import TriagedMention

__all__ = ["history_rows"]


def _replied_at(raw: Any) -> datetime | None:
    value = raw.get(REPLIED_AT) if hasattr(raw, "get") else None
    if not value:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError:
        return None


def history_rows(items: Iterable[TriagedMention], *, timezone: str = "UTC"
                 ) -> Iterator[dict[str, Any]]:
    """One flat row per stored mention; scores/verdict columns are None when missing."""
    tz = ZoneInfo(timezone)
    for item in items:
        m, s, v = item.mention, item.scores, item.verdict
        local = m.created_at.astimezone(tz)
        replied = _replied_at(m.raw)
        yield {
            "source": m.source,
            "id": m.id,
            "brand": m.brand,
            "created_at": m.created_at,
            "day": local.date(),
            "hour": local.hour,
            "author": m.author.id,
            "text": m.text,
            "complaint": s.is_complaint if s else None,
            "complaint_probability": s.complaint_probability if s else None,
            "urgency": s.urgency if s else None,
            "sentiment": s.sentiment if s else None,
            "topic": s.topic if s else None,
            "signals": ",".join(sig.name for sig in s.signals) if s else "",
            "route": v.route.value if v else None,
            "priority": int(v.priority) if v else None,
            "actionable": v.actionable if v else None,
            "channel": v.channel if v else None,
            "incident_id": v.incident_id if v else None,
            "replied_at": replied,
            "response_minutes": (replied - m.created_at).total_seconds() / 60
            if replied is not None else None,
        }
