"""Jetstream in real time over a real WebSocket: the brands' filter, resuming from the
stored ``time_us`` after a drop or a restart, and bounded reconnects."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from listener.bluesky.client import BlueskyClient
from listener.bluesky.jetstream import JetstreamStream
from listener.bluesky.mapping import BrandContext
from listener.bluesky.profiles import ProfileCache
from listener.errors import SourceUnavailable
from listener.ingest import Poller
from listener.store.memory import MemoryStore
from listener.streaming import StreamService
from tests.fakes.bsky_server import FakeBlueskyServer
from tests.fakes.jetstream_server import FakeJetstream
from tests.x.conftest import FakeClock


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def jet(pds: FakeBlueskyServer) -> Iterator[FakeJetstream]:
    with FakeJetstream(pds.network) as server:
        yield server


def service(jet: FakeJetstream, client: BlueskyClient, ctx: BrandContext, clock: FakeClock,
            store: MemoryStore, **kw: float) -> tuple[StreamService, JetstreamStream]:
    profiles = ProfileCache(client, clock=clock, ttl=timedelta(hours=1))
    stream = JetstreamStream(url=jet.url, contexts=[ctx], profiles=profiles, clock=clock,
                             backoff_base=0.01, **kw)  # type: ignore[arg-type]
    poller = Poller(store=store, clock=clock)
    return StreamService(stream=stream, store_page=poller.store_page, cursor=store.get_cursor,
                         name="Bluesky Jetstream", alive_every=0.0), stream


def ids(store: MemoryStore) -> list[str]:
    return sorted(m.id for m in store.pending_triage(100_000))


def test_the_stream_keeps_what_concerns_the_brand_and_maps_it(
    pds: FakeBlueskyServer, jet: FakeJetstream, client: BlueskyClient, ctx: BrandContext,
    clock: FakeClock, store: MemoryStore,
) -> None:
    net = pds.network
    ann = net.add_account("ann.bsky.social", display_name="Ann", followers=321)
    brand_post = net.post(pds.account, "New kettle out today")
    svc, _ = service(jet, client, ctx, clock, store)
    svc.start()
    try:
        wait_until(lambda: jet.clients == 1)
        assert jet.connections[0]["wantedCollections"] == ["app.bsky.feed.post"]
        assert "cursor" not in jet.connections[0]  # first start: live only
        tagged = net.post(ann, "@acme.bsky.social where is my kettle")
        net.post(ann, "lovely weather")  # not about the brand
        answer = net.post(ann, "it leaks", reply_to=brand_post)
        quote = net.post(ann, "lol", quote=brand_post)
        keyword = net.post(ann, "ACME support is BROKEN")
        net.post(pds.account, "@acme.bsky.social talking to myself")  # the brand's own
        net.add_event({"did": ann.did, "time_us": net.events[-1]["time_us"] + 1,
                       "kind": "identity", "identity": {"did": ann.did, "seq": 1}})
        want = sorted(f"{ann.did}/{p.rkey}" for p in (tagged, answer, quote, keyword))
        wait_until(lambda: ids(store) == want)
        m = store.get_mention(("bluesky", f"{ann.did}/{tagged.rkey}"))
        assert m is not None
        assert (m.author.username, m.author.name, m.author.followers) == (
            "ann.bsky.social", "Ann", 321)
        assert m.found_by == "bsky-stream" and m.raw["cid"] == tagged.cid
        assert m.url == f"https://bsky.app/profile/ann.bsky.social/post/{tagged.rkey}"
        # The cursor follows the newest event read, matched or not.
        wait_until(lambda: store.get_cursor("bsky-stream") == str(net.events[-1]["time_us"]))
    finally:
        svc.stop()
    wait_until(lambda: jet.clients == 0)


def test_a_drop_resumes_from_the_cursor_and_loses_nothing(
    pds: FakeBlueskyServer, jet: FakeJetstream, client: BlueskyClient, ctx: BrandContext,
    clock: FakeClock, store: MemoryStore,
) -> None:
    net = pds.network
    ann = net.add_account("ann.bsky.social")
    svc, stream = service(jet, client, ctx, clock, store)
    svc.start()
    try:
        wait_until(lambda: jet.clients == 1)
        first = net.post(ann, "@acme.bsky.social one")
        wait_until(lambda: len(ids(store)) == 1)
        jet.disconnect()
        # Published while the stream is away: only the cursor can bring it back.
        missed = net.post(ann, "@acme.bsky.social two", push=False)
        wait_until(lambda: len(ids(store)) == 2)
        assert stream.connects == 2
        cursor = int(jet.connections[1]["cursor"][0])
        assert cursor == first.time_us - 2_000_000  # the stored cursor less the rewind
        assert ids(store) == sorted(f"{ann.did}/{p.rkey}" for p in (first, missed))
    finally:
        svc.stop()


def test_kill_and_restart_neither_loses_nor_stores_twice(
    pds: FakeBlueskyServer, jet: FakeJetstream, client: BlueskyClient, ctx: BrandContext,
    clock: FakeClock,
) -> None:
    net = pds.network
    ann = net.add_account("ann.bsky.social")
    store = MemoryStore()
    svc, _ = service(jet, client, ctx, clock, store)
    svc.start()
    wait_until(lambda: jet.clients == 1)
    before = [net.post(ann, f"@acme.bsky.social before {i}") for i in range(20)]
    wait_until(lambda: len(ids(store)) == 20)
    svc.stop()  # the process dies: whatever it read is stored, with the cursor
    wait_until(lambda: jet.clients == 0)
    down = [net.post(ann, f"@acme.bsky.social while down {i}", push=False) for i in range(15)]

    adds: list[int] = []
    original = store.add_mentions

    def counting(mentions):  # type: ignore[no-untyped-def]
        new = original(mentions)
        adds.append(new)
        return new

    store.add_mentions = counting  # type: ignore[method-assign]
    restarted, _ = service(jet, client, ctx, clock, store)  # a new process, same database
    restarted.start()
    try:
        wait_until(lambda: len(ids(store)) == 35)
        after = net.post(ann, "@acme.bsky.social after")
        wait_until(lambda: len(ids(store)) == 36)
    finally:
        restarted.stop()
    every = before + down + [after]
    assert ids(store) == sorted(f"{ann.did}/{p.rkey}" for p in every)
    # The rewind replays the last event before the kill; storing it again added nothing.
    assert sum(adds) == 16 and len(adds) >= 16


def test_reconnects_back_off_to_the_cap_and_can_be_bounded(
    client: BlueskyClient, ctx: BrandContext, clock: FakeClock, pds: FakeBlueskyServer,
) -> None:
    profiles = ProfileCache(client, clock=clock, ttl=timedelta(hours=1))
    stream = JetstreamStream(url="ws://127.0.0.1:9/subscribe", contexts=[ctx],
                             profiles=profiles, clock=clock, backoff_base=0.001,
                             backoff_cap=0.01, max_attempts=3, open_timeout=0.5)
    with pytest.raises(SourceUnavailable, match="3 reconnects failed"):
        stream.run(lambda page: None)
    assert stream.connects == 0

    waits: list[float] = []
    endless = JetstreamStream(url="ws://127.0.0.1:9/subscribe", contexts=[ctx],
                              profiles=profiles, clock=clock, backoff_base=1.0,
                              backoff_cap=8.0, open_timeout=0.5)

    def wait(delay: float) -> bool:  # the stop event's wait: record it, stop after 12
        waits.append(delay)
        if len(waits) == 12:
            endless.stop()
        return False

    endless._stop.wait = wait  # type: ignore[method-assign]
    endless.run(lambda page: None)  # never raises without max_attempts
    assert len(waits) == 12
    assert max(waits) <= 8.0 and min(waits[5:]) >= 4.0
