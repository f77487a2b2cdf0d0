"""Full-archive backfill against the local fake X API: cost, pacing, 429s, resume."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from listener.backfill.archive import ArchiveCheckpoint, ArchiveReader, checkpoint_key, estimate
from listener.backfill.batch import backfill
from listener.config import Secrets, Settings, XSettings
from listener.decisions import DecisionEngine
from listener.domain import Mention
from listener.store import MemoryStore
from listener.x.archive import ArchiveSearch
from listener.x.client import build_app_client
from tests.backfill.doubles import KeywordClassifier
from tests.fakes.x_server import FakeXServer

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
QUERY = "@acme"


class FakeTime:
    """Sleeping advances the clocks instead of waiting."""

    def __init__(self) -> None:
        self.mono = 100.0
        self.wall = time.time()  # the fake's x-rate-limit-reset is real epoch seconds
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.mono += seconds
        self.wall += seconds


@pytest.fixture
def x() -> Iterator[FakeXServer]:
    with FakeXServer(brand_username="acme") as server:
        server.seed_tweets(30)
        yield server


def search(x: FakeXServer, clock: FakeTime) -> ArchiveSearch:
    settings = Settings(x=XSettings(api_base_url=x.base_url))  # type: ignore[call-arg]
    client = build_app_client(settings, Secrets(x_bearer_token=SecretStr(x.bearer_token)))
    return ArchiveSearch(client=client, sleep=clock.sleep, monotonic=lambda: clock.mono,
                         wall=lambda: clock.wall)


def test_estimate_uses_counts_and_the_unit_price(x: FakeXServer) -> None:
    cost = estimate(search(x, FakeTime()), QUERY, START, END)
    assert cost.posts == 30
    assert cost.usd == pytest.approx(30 * 0.005)
    (req,) = x.requests_to("/2/tweets/counts/all")
    assert req.query["query"] == QUERY
    assert req.query["start_time"].startswith("2026-01-01T00:00:00")


def test_pages_are_paced_and_complete(x: FakeXServer) -> None:
    clock = FakeTime()
    reader = ArchiveReader(search(x, clock), QUERY, START, END, brand="Acme",
                           handles=["acme"], max_results=10)
    got = [r.item for r in reader.records()]
    assert len({m.id for m in got if isinstance(m, Mention)}) == 30
    reqs = x.requests_to("/2/tweets/search/all")
    assert len(reqs) == 3
    assert [r.query.get("next_token") is not None for r in reqs] == [False, True, True]
    assert clock.sleeps == [pytest.approx(1.0)] * 2  # >= 1 s between requests
    assert reader.read == 30


def test_a_429_waits_for_the_reset_then_asks_again(x: FakeXServer) -> None:
    clock = FakeTime()
    x.fail_next(429, path="/2/tweets/search/all", reset_in=120)
    reader = ArchiveReader(search(x, clock), QUERY, START, END, max_results=10)
    got = [r.item for r in reader.records()]
    assert len(got) == 30
    assert len(x.requests_to("/2/tweets/search/all")) == 4
    # Waited for x-rate-limit-reset (now + 120 s, plus a second of margin).
    assert max(clock.sleeps) == pytest.approx(121, abs=3)


def test_interrupted_archive_backfill_resumes_from_the_saved_token(x: FakeXServer) -> None:
    store = MemoryStore()
    key = checkpoint_key(QUERY, START, END)

    def run(classifier: KeywordClassifier) -> None:
        saved = store.get_checkpoint(key)
        reader = ArchiveReader(search(x, FakeTime()), QUERY, START, END, max_results=10)
        backfill(
            reader.records(ArchiveCheckpoint.decode(saved) if saved else None),
            store=store, classifier=classifier, decider=DecisionEngine.from_settings(Settings()),
            batch_size=5, buffer_size=10,
            checkpoint=lambda pos: store.set_checkpoint(
                key, reader.checkpoint_at(pos).encode(), datetime.now(UTC)),
        )

    with pytest.raises(KeyboardInterrupt):
        run(KeywordClassifier(fail_after=15))
    assert store.counts().mentions == 10
    saved = ArchiveCheckpoint.decode(store.get_checkpoint(key) or "")
    assert saved.token is not None
    assert not saved.done
    before = len(x.requests_to("/2/tweets/search/all"))
    run(KeywordClassifier())
    assert store.counts().mentions == 30
    assert store.counts().pending_triage == 0
    resumed = x.requests_to("/2/tweets/search/all")[before]
    assert resumed.query["next_token"] == saved.token
    assert ArchiveCheckpoint.decode(store.get_checkpoint(key) or "").done
