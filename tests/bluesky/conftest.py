"""Fixtures: the fake PDS/AppView, settings for one brand on Bluesky, a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from listener.bluesky.client import BlueskyClient
from listener.bluesky.mapping import BrandContext
from listener.bluesky.profiles import ProfileCache
from listener.config import Secrets, Settings
from listener.ingest import Poller
from listener.store.memory import MemoryStore
from tests.fakes.bsky_server import FakeBlueskyServer
from tests.x.conftest import FakeClock

PASSWORD = "abcd-efgh-ijkl-mnop"


@pytest.fixture
def pds() -> Iterator[FakeBlueskyServer]:
    with FakeBlueskyServer(handle="acme.bsky.social", password=PASSWORD) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bsky_settings(pds: FakeBlueskyServer) -> Settings:
    return Settings(
        bluesky={"service_url": pds.base_url, "timeout_seconds": 2.0, "page_size": 100},
        brands=[{"name": "Acme",
                 "bluesky": {"handles": ["acme.bsky.social"], "queries": ["acme broken"]}}],
    )


@pytest.fixture
def bsky_secrets() -> Secrets:
    return Secrets(bluesky_app_password=PASSWORD)  # type: ignore[arg-type]


@pytest.fixture
def client(pds: FakeBlueskyServer) -> BlueskyClient:
    return BlueskyClient(service_url=pds.base_url, login="acme.bsky.social",
                         password=Secrets(bluesky_app_password=PASSWORD  # type: ignore[arg-type]
                                          ).bluesky_app_password, timeout=2.0)


@pytest.fixture
def profiles(client: BlueskyClient, clock: FakeClock) -> ProfileCache:
    return ProfileCache(client, clock=clock, ttl=timedelta(hours=1))


@pytest.fixture
def ctx() -> BrandContext:
    return BrandContext(brand="Acme", handles=frozenset({"acme.bsky.social"}),
                        keywords=(frozenset({"acme", "broken"}),))


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def poller(store: MemoryStore, clock: FakeClock) -> Poller:
    return Poller(store=store, clock=clock)
