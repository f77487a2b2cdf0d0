"""How the digest reads one stored mention: is it a complaint, its alert, its link.

Kept apart from ``listener.digest`` so the metric code reads as maths, and so the
renderers can share ``Post`` without importing the whole digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from listener.domain import Alert, AlertKind, AlertStatus, MentionKey, Priority
from listener.ports import TriagedMention

__all__ = [
    "WAITING",
    "Post",
    "claimed_at",
    "complaint",
    "mention_url",
    "negative",
    "primary_alert",
    "replied_at",
    "resolved_at",
    "to_post",
    "unresolved",
]

#: Alert statuses that still wait for someone (``unresolved``).
WAITING = (AlertStatus.OPEN, AlertStatus.CLAIMED, AlertStatus.SNOOZED)


@dataclass(frozen=True, slots=True)
class Post:
    """One mention as the digest shows it. ``text`` is untrusted: renderers escape it."""

    key: MentionKey
    url: str
    author: str
    author_name: str
    followers: int
    text: str
    created_at: datetime
    topic: str | None = None
    urgency: int | None = None
    priority: Priority | None = None
    status: AlertStatus | None = None
    claimed_by: str | None = None
    incident_id: str | None = None


def primary_alert(tm: TriagedMention) -> Alert | None:
    """The first new-message alert about the mention (thread replies and updates aside)."""
    for a in tm.alerts:  # a loop, not next(genexpr): this runs for every stored mention
        if a.kind is AlertKind.ALERT:
            return a
    return None


def complaint(tm: TriagedMention) -> bool:
    """The model says complaint, and the team did not overrule it."""
    if tm.scores is None or not tm.scores.is_complaint:
        return False
    alert = primary_alert(tm)
    return alert is None or alert.status is not AlertStatus.NOT_COMPLAINT


def negative(tm: TriagedMention) -> bool:
    return tm.scores is not None and tm.scores.sentiment == "negative"


def unresolved(tm: TriagedMention) -> bool:
    """Alerted and still waiting: no public reply, not resolved, not ruled out.

    A replied alert nobody clicked "resolve" on is not waiting for anyone; counting it
    would bury this week's urgent items under last month's.
    """
    alert = primary_alert(tm)
    return alert is not None and alert.status in WAITING


def _status_time(alert: Alert, status: AlertStatus) -> datetime | None:
    # Stores that only keep ``status_changed_at`` still tell us when the current status began.
    changed: Any = getattr(alert, "status_changed_at", None)
    return changed if alert.status is status and isinstance(changed, datetime) else None


def claimed_at(alert: Alert) -> datetime | None:
    return alert.claimed_at or _status_time(alert, AlertStatus.CLAIMED)


def replied_at(alert: Alert) -> datetime | None:
    return alert.replied_at or _status_time(alert, AlertStatus.REPLIED)


def resolved_at(alert: Alert) -> datetime | None:
    return alert.resolved_at or _status_time(alert, AlertStatus.RESOLVED)


def mention_url(tm: TriagedMention) -> str:
    m = tm.mention
    if m.url:
        return m.url
    if m.source.startswith("x") and m.author.username:
        return f"https://x.com/{m.author.username}/status/{m.id}"
    return ""


def to_post(tm: TriagedMention) -> Post:
    m, alert = tm.mention, primary_alert(tm)
    return Post(
        key=m.key,
        url=mention_url(tm),
        author=m.author.handle,
        author_name=m.author.name,
        followers=m.author.followers,
        text=m.text,
        created_at=m.created_at,
        topic=tm.scores.topic if tm.scores else None,
        urgency=tm.scores.urgency if tm.scores else None,
        priority=tm.verdict.priority if tm.verdict else None,
        status=alert.status if alert else None,
        claimed_by=alert.claimed_by if alert else None,
        incident_id=tm.verdict.incident_id if tm.verdict else None,
    )
