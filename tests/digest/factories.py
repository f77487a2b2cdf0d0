"""Hand-built stored mentions for the digest tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from listener.domain import (
    Alert,
    AlertKind,
    AlertStatus,
    Author,
    DeliveryState,
    Feedback,
    Mention,
    Priority,
    Route,
    Scores,
    Verdict,
)
from listener.ports import TriagedMention

LA = ZoneInfo("America/Los_Angeles")
_ids = count(1)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, *, fold: int = 0) -> datetime:
    """A Los Angeles wall-clock time as a UTC instant."""
    return datetime(y, mo, d, h, mi, tzinfo=LA, fold=fold).astimezone(UTC)


def mins(n: float) -> timedelta:
    return timedelta(minutes=n)


def tm(
    created: datetime,
    *,
    complaint: bool = True,
    sentiment: str = "negative",
    topic: str = "delivery",
    urgency: int = 2,
    followers: int = 100,
    username: str | None = None,
    verified: str = "none",
    text: str = "my parcel is late",
    priority: Priority = Priority.NORMAL,
    incident: str | None = None,
    scored: bool = True,
    alerted: bool | None = None,
    sent_after: timedelta | None = None,
    claimed_after: timedelta | None = None,
    replied_after: timedelta | None = None,
    resolved_after: timedelta | None = None,
    status: AlertStatus | None = None,
    claimed_by: str | None = None,
    brand: str = "Acme",
    url: str = "",
) -> TriagedMention:
    """One stored mention. Alert times are offsets from ``created``."""
    n = next(_ids)
    user = username or f"user{n}"
    mention = Mention(
        source="x",
        id=str(1000 + n),
        text=text,
        author=Author(
            id=f"id-{user}",
            username=user,
            name=user.title(),
            followers=followers,
            verified_type=verified,
        ),
        created_at=created,
        brand=brand,
        url=url,
    )
    scores = (
        Scores(
            sentiment=sentiment,
            sentiment_scores={sentiment: 0.9},
            complaint_probability=0.9 if complaint else 0.1,
            is_complaint=complaint,
            urgency=urgency if complaint else 0,
            signals=(),
            topic=topic,
            topic_scores={topic: 0.8},
            explanation="",
            model="test-model",
        )
        if scored
        else None
    )
    alerted = complaint if alerted is None else alerted
    verdict = Verdict(
        mention=mention.key,
        actionable=alerted,
        priority=priority,
        route=Route.ALERT if alerted else Route.DIGEST,
        channel="#cx" if alerted else None,
        reasons=("test",),
        decided_at=created,
        incident_id=incident,
    )
    alerts: tuple[Alert, ...] = ()
    if alerted:
        if status is None:
            status = (
                AlertStatus.RESOLVED
                if resolved_after is not None
                else AlertStatus.REPLIED
                if replied_after is not None
                else AlertStatus.CLAIMED
                if claimed_after is not None
                else AlertStatus.OPEN
            )
        sent = created + (sent_after if sent_after is not None else mins(1))

        def at(off: timedelta | None) -> datetime | None:
            return None if off is None else created + off

        alerts = (
            Alert(
                mention=mention.key,
                channel="#cx",
                kind=AlertKind.ALERT,
                id=n,
                state=DeliveryState.SENT,
                attempts=1,
                created_at=created,
                sent_at=sent,
                status=status,
                claimed_by=claimed_by or ("U1" if claimed_after is not None else None),
                claimed_at=at(claimed_after),
                replied_at=at(replied_after),
                resolved_at=at(resolved_after),
            ),
        )
    return TriagedMention(mention, scores, verdict if scored else None, alerts)


def feedback(at: datetime, label: str = "not_complaint") -> Feedback:
    return Feedback(mention=("x", "1"), label=label, user="U1", created_at=at)
