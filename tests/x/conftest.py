"""Fixtures: the fake X server, tweepy clients pointed at it, a settable clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import tweepy

from listener.config import Secrets, Settings
from listener.health import Budget, Health
from listener.ingest import Poller
from listener.store.memory import MemoryStore
from listener.x.client import build_app_client
from listener.x.mapping import BrandContext
from listener.x.sources import MentionsTimelineSource, RecentSearchSource
from tests.fakes.x_server import FakeXServer


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


@pytest.fixture
def fake_x() -> Iterator[FakeXServer]:
    with FakeXServer(brand_username="acme", keepalive_interval=0.05) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(fake_x: FakeXServer) -> Settings:
    return Settings(
        x={"api_base_url": fake_x.base_url, "timeout_seconds": 2.0, "max_results": 100},
        brands=[{"name": "Acme", "handles": ["acme"], "queries": ['acme OR "acme corp"']}],
    )


@pytest.fixture
def secrets(fake_x: FakeXServer) -> Secrets:
    return Secrets(
        x_bearer_token=fake_x.bearer_token,  # type: ignore[arg-type]
        x_consumer_key="ck",  # type: ignore[arg-type]
        x_consumer_secret="cs",  # type: ignore[arg-type]
        x_access_token="test-access-token",  # type: ignore[arg-type]
        x_access_token_secret="ats",  # type: ignore[arg-type]
    )


@pytest.fixture
def client(settings: Settings, secrets: Secrets) -> tweepy.Client:
    return build_app_client(settings, secrets)


@pytest.fixture
def ctx(fake_x: FakeXServer) -> BrandContext:
    return BrandContext(brand="Acme", handles=frozenset({"acme"}), user_ids=frozenset({"1000"}))


@pytest.fixture
def mentions_source(
    client: tweepy.Client, ctx: BrandContext, clock: FakeClock
) -> MentionsTimelineSource:
    return MentionsTimelineSource(
        client=client, ctx=ctx, handle="acme", clock=clock, user_id="1000"
    )


@pytest.fixture
def search_source(client: tweepy.Client, ctx: BrandContext, clock: FakeClock) -> RecentSearchSource:
    return RecentSearchSource(client=client, ctx=ctx, query="acme", clock=clock, name="search:q1")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def health(clock: FakeClock) -> Health:
    return Health(clock=clock, budgets={"x": Budget(1.0, 20.0)})


@pytest.fixture
def poller(store: MemoryStore, clock: FakeClock, health: Health) -> Poller:
    return Poller(store=store, clock=clock, on_outcome=health.record)
