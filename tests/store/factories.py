"""Small builders of domain values for store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from listener.domain import (
    Alert,
    AlertKind,
    Author,
    Mention,
    MentionKey,
    Priority,
    Route,
    Scores,
    Signal,
    Verdict,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def mention(
    i: int | str,
    *,
    at: datetime | None = None,
    brand: str = "Acme",
    text: str | None = None,
    conversation_id: str | None = None,
    raw: dict[str, Any] | None = None,
    source: str = "x",
) -> Mention:
    return Mention(
        source=source,
        id=str(i),
        text=text if text is not None else f"@acme my order {i} never arrived",
        author=Author(id=f"u{i}", username=f"user{i}", name=f"User {i}", followers=10,
                      verified_type="blue"),
        created_at=at or T0 + timedelta(minutes=int(i) if str(i).isdigit() else 0),
        brand=brand,
        conversation_id=conversation_id,
        in_reply_to_id=None,
        quoted_id=None,
        lang="en",
        url=f"https://x.com/user{i}/status/{i}",
        addresses_brand=True,
        found_by="mentions:Acme",
        raw=raw if raw is not None else {"id": str(i), "text": "…"},
    )


def scores(*, embedding: tuple[float, ...] = (0.6, 0.8)) -> Scores:
    return Scores(
        sentiment="negative",
        sentiment_scores={"negative": 0.9, "neutral": 0.08, "positive": 0.02},
        complaint_probability=0.93,
        is_complaint=True,
        urgency=3,
        signals=(Signal("money", "refund"),),
        topic="delivery",
        topic_scores={"delivery": 0.8, "other": 0.2},
        explanation="negative; complaint 0.93",
        model="test-model@1",
        embedding=embedding,
    )


def verdict(key: MentionKey, *, at: datetime = T0, route: Route = Route.ALERT) -> Verdict:
    return Verdict(
        mention=key,
        actionable=route is Route.ALERT,
        priority=Priority.HIGH,
        route=route,
        channel="#cx" if route is Route.ALERT else None,
        reasons=("complaint 0.93 ≥ 0.5", "urgency 3"),
        decided_at=at,
        incident_id="inc-1",
        thread_of=("x", "0") if route is Route.THREAD else None,
    )


def alert(key: MentionKey, *, channel: str = "#cx", kind: AlertKind = AlertKind.ALERT) -> Alert:
    return Alert(mention=key, channel=channel, kind=kind)
