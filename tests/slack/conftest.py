"""Fixtures for the Slack routing tests: the fake Slack, settings aimed at it, a clock,
and a memory store with triaged mentions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from listener.config import Settings
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
from listener.store import MemoryStore
from tests.fakes.slack_server import FakeSlack

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ALICE, BOB, MALLORY = "U0ALICE01", "U0BOB0001", "U0MALLORY"
CX_GROUP, ONCALL = "S0CXTEAM1", "S0ONCALL1"
SIGNING_SECRET = "test-signing-secret"


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self._now = now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **kwargs: float) -> datetime:
        with self._lock:
            self._now += timedelta(**kwargs)
            return self._now


def make_mention(
    i: int | str,
    *,
    text: str | None = None,
    at: datetime | None = None,
    addresses_brand: bool = True,
    conversation_id: str | None = None,
    name: str = "Jane Doe",
) -> Mention:
    return Mention(
        source="x",
        id=str(i),
        text=text if text is not None else f"@acme my order {i} never arrived and nobody answers",
        author=Author(
            id=f"u{i}", username=f"jane{i}", name=name, followers=12_345, verified_type="blue"
        ),
        created_at=at or T0,
        brand="Acme",
        conversation_id=conversation_id,
        url=f"https://x.com/jane{i}/status/{i}",
        addresses_brand=addresses_brand,
        found_by="mentions:Acme",
    )


def make_scores(*, urgency: int = 3, topic: str = "delivery") -> Scores:
    return Scores(
        sentiment="negative",
        sentiment_scores={"negative": 0.91, "neutral": 0.07, "positive": 0.02},
        complaint_probability=0.87,
        is_complaint=True,
        urgency=urgency,
        signals=(Signal("money", "refund"),),
        topic=topic,
        topic_scores={topic: 0.8, "other": 0.2},
        explanation="strongly negative; mentions a missing order",
        model="test-model@1",
    )


def make_verdict(
    key: MentionKey,
    *,
    priority: Priority = Priority.HIGH,
    route: Route = Route.ALERT,
    thread_of: MentionKey | None = None,
    incident_id: str | None = "inc-42",
    at: datetime = T0,
) -> Verdict:
    return Verdict(
        mention=key,
        actionable=True,
        priority=priority,
        route=route,
        channel="#cx-alerts",
        reasons=("complaint 0.87 ≥ 0.50", "urgency 3 ≥ 2"),
        decided_at=at,
        incident_id=incident_id,
        thread_of=thread_of,
    )


def seed(
    store: MemoryStore,
    mention: Mention,
    *,
    priority: Priority = Priority.HIGH,
    kind: AlertKind = AlertKind.ALERT,
    thread_of: MentionKey | None = None,
    channel: str = "#cx-alerts",
) -> int:
    """Store a triaged mention with one outbox row; return the row's id."""
    store.add_mentions([mention])
    route = Route.THREAD if kind == AlertKind.THREAD_REPLY else Route.ALERT
    verdict = make_verdict(mention.key, priority=priority, route=route, thread_of=thread_of)
    assert store.record_triage(
        mention.key,
        make_scores(),
        verdict,
        [Alert(mention=mention.key, channel=channel, kind=kind)],
    )
    alert = store.alert_for(mention.key)
    assert alert is not None
    assert alert.id is not None
    return alert.id


def make_settings(base_url: str, **slack: object) -> Settings:
    values: dict[str, object] = {
        "api_base_url": base_url,
        "repliers": [ALICE],
        "replier_groups": [CX_GROUP],
        "oncall_group": ONCALL,
        "escalation_minutes": 15,
        "max_attempts": 4,
    }
    values.update(slack)
    return Settings.model_validate(
        {"slack": values, "brands": [{"name": "Acme", "handles": ["acme"], "tone": "friendly"}]}
    )


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def settings(fake_slack: FakeSlack) -> Settings:
    return make_settings(fake_slack.base_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mem() -> Iterator[MemoryStore]:
    store = MemoryStore()
    yield store
    store.close()
