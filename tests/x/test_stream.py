"""The filtered stream against the fake: rules, keep-alives, disconnects and catch-up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import tweepy

from listener.config import Secrets, Settings
from listener.errors import AuthFailed, SourceUnavailable
from listener.ingest import Poller
from listener.ports import Page
from listener.store.memory import MemoryStore
from listener.x.client import build_streaming_client
from listener.x.mapping import BrandContext
from listener.x.sources import RecentSearchSource
from listener.x.stream import FilteredStream, build_stream, rules_from_settings
from tests.fakes.x_server import FakeXServer
from tests.x.conftest import FakeClock

STREAM = "/2/tweets/search/stream"


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


@pytest.fixture
def stream(
    settings: Settings,
    secrets: Secrets,
    client: tweepy.Client,
    ctx: BrandContext,
    clock: FakeClock,
) -> FilteredStream:
    catch_up = RecentSearchSource(client=client, ctx=ctx, query="acme", clock=clock, name="stream")
    return FilteredStream(
        client=build_streaming_client(settings, secrets),
        rules=rules_from_settings(settings),
        contexts={"Acme": ctx},
        clock=clock,
        catch_up=[catch_up],
        backoff_base=0.01,
        backoff_cap=0.05,
        max_attempts=3,
        read_timeout=2.0,
    )


@pytest.fixture
def running(
    stream: FilteredStream, store: MemoryStore, clock: FakeClock
) -> Iterator[tuple[FilteredStream, list[BaseException]]]:
    poller = Poller(store=store, clock=clock)
    errors: list[BaseException] = []

    def on_page(page: Page) -> None:
        poller.store_page(stream, page)

    def target() -> None:
        try:
            stream.run(on_page)
        except BaseException as exc:  # surfaced to the test
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    yield stream, errors
    stream.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_sync_rules_adds_missing_and_deletes_stale(
    fake_x: FakeXServer, stream: FilteredStream
) -> None:
    fake_x.rules["1"] = {"id": "1", "value": "old query", "tag": "Acme"}
    assert stream.sync_rules() == (1, 1)
    assert [(r["value"], r.get("tag")) for r in fake_x.rules.values()] == [
        ('acme OR "acme corp"', "Acme")
    ]
    assert stream.sync_rules() == (0, 0)


def test_streams_posts_and_catches_up_after_a_disconnect(
    fake_x: FakeXServer,
    stream: FilteredStream,
    store: MemoryStore,
    running: tuple[FilteredStream, list[BaseException]],
) -> None:
    stream.sync_rules()
    assert fake_x.wait_for_stream_clients(1)
    live = fake_x.add_tweet("acme ate my homework", author="ann")
    wait_until(lambda: store.get_mention(("x", live["id"])) is not None)
    time.sleep(0.12)  # let two keep-alives (every 50 ms) through; they must be ignored
    # Posted while the stream is away: not pushed, found again by the catch-up search.
    missed = [fake_x.add_tweet(f"acme issue {i}", author="bob", stream=False) for i in range(3)]
    fake_x.disconnect_streams()
    wait_until(lambda: all(store.get_mention(("x", t["id"])) for t in missed))
    assert fake_x.wait_for_stream_clients(1)
    after = fake_x.add_tweet("acme again", author="cy")
    wait_until(lambda: store.get_mention(("x", after["id"])) is not None)
    assert stream.connects == 2
    assert stream.catch_ups == 1
    search = fake_x.requests_to("/2/tweets/search/recent")
    assert [r.query.get("since_id") for r in search] == [live["id"]]
    assert store.get_cursor("stream") == after["id"]
    assert not running[1]
    mention = store.get_mention(("x", live["id"]))
    assert mention is not None
    assert mention.brand == "Acme"
    assert mention.found_by == "stream"


def test_reconnects_are_bounded(
    fake_x: FakeXServer, stream: FilteredStream, store: MemoryStore
) -> None:
    fake_x.fail_next(503, path=STREAM, method="GET", times=100)
    with pytest.raises(SourceUnavailable, match="3 reconnects failed"):
        stream.run(lambda page: None)
    assert len(fake_x.requests_to(STREAM)) == 4


def test_auth_failure_ends_the_stream(fake_x: FakeXServer, stream: FilteredStream) -> None:
    fake_x.fail_next(401, path=STREAM, method="GET")
    with pytest.raises(AuthFailed, match="X_BEARER_TOKEN"):
        stream.run(lambda page: None)


def test_build_stream_from_settings(
    fake_x: FakeXServer, settings: Settings, secrets: Secrets, clock: FakeClock
) -> None:
    stream = build_stream(settings, secrets, clock=clock, backoff_base=0.01)
    assert stream.sync_rules() == (1, 0)
    assert stream.name == "stream"
    fake_x.add_tweet("acme corp lost my bag", author="ann", stream=False)
    pages: list[Page] = []
    fake_x.fail_next(503, path=STREAM, method="GET", times=1)  # first connect fails...
    fake_x.drop_next(path=STREAM)  # ...then one drop, then the test stops it
    thread = threading.Thread(
        target=stream.run, args=(pages.append,), kwargs={"cursor": "1"}, daemon=True
    )
    thread.start()
    wait_until(lambda: stream.catch_ups >= 1 and any(p.mentions for p in pages))
    stream.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    [found] = [m for p in pages for m in p.mentions]
    assert found.found_by == "stream:Acme"
    query = fake_x.requests_to("/2/tweets/search/recent")[0].query["query"]
    assert query == '(acme OR "acme corp")'
