"""The ``MentionSource`` contract, run over every source the runtime can build: X (owned
mentions, recent search), Bluesky (notifications, searchPosts) and the demo sample.

What the poller relies on (``listener.ingest``): a registered network and a known kind;
pages of mentions of that network, each with a tz-aware time, a link and a unique key;
a first-page ``newest_id`` that the source itself accepts as moving past nothing and
not past itself; a free or positive ``read_cost``; and, once that cursor is stored, a
poll that stores nothing twice while a new post is found exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from listener.ingest import Poller
from listener.networks import REGISTRY
from listener.ports import MentionSource
from listener.store.memory import MemoryStore
from tests.x.conftest import FakeClock


@dataclass
class Rig:
    source: MentionSource
    #: Publishes one more post the source will find; None where the source is a fixed sample.
    publish: Callable[[], object] | None


def x_rig(stack: ExitStack, kind: str) -> Rig:
    from listener.x.client import build_app_client
    from listener.x.mapping import BrandContext
    from listener.x.sources import MentionsTimelineSource, RecentSearchSource
    from tests.fakes.x_server import FakeXServer

    x = stack.enter_context(FakeXServer(brand_username="acme"))
    from listener.config import Secrets, Settings

    client = build_app_client(Settings(x={"api_base_url": x.base_url}),
                              Secrets(x_bearer_token=x.bearer_token))  # type: ignore[arg-type]
    ctx = BrandContext(brand="Acme", handles=frozenset({"acme"}), user_ids=frozenset({"1000"}))
    x.seed_tweets(12, text="@{brand} acme order {i} is late")
    clock = FakeClock()
    source: MentionSource = (
        MentionsTimelineSource(client=client, ctx=ctx, handle="acme", clock=clock,
                               user_id="1000")
        if kind == "owned" else
        RecentSearchSource(client=client, ctx=ctx, query="acme", clock=clock))
    return Rig(source, lambda: x.add_tweet("@acme acme parcel lost", author="zed"))


def bluesky_rig(stack: ExitStack, kind: str) -> Rig:
    from listener.bluesky.client import BlueskyClient
    from listener.bluesky.mapping import BrandContext
    from listener.bluesky.profiles import ProfileCache
    from listener.bluesky.sources import NotificationsSource, SearchSource
    from listener.config import Secrets
    from tests.fakes.bsky_server import FakeBlueskyServer

    pds = stack.enter_context(FakeBlueskyServer(handle="acme.bsky.social"))
    client = BlueskyClient(service_url=pds.base_url, login="acme.bsky.social",
                           password=Secrets(bluesky_app_password=pds.password  # type: ignore[arg-type]
                                            ).bluesky_app_password)
    clock = FakeClock()
    profiles = ProfileCache(client, clock=clock, ttl=timedelta(hours=1))
    ctx = BrandContext(brand="Acme", handles=frozenset({"acme.bsky.social"}))
    ann = pds.network.add_account("ann.bsky.social")
    for i in range(12):
        pds.network.post(ann, f"@acme.bsky.social acme order {i} is late")
    source: MentionSource = (
        NotificationsSource(client=client, profiles=profiles, ctx=ctx, clock=clock,
                            name="bsky-notifications:acme.bsky.social", first_pages=5)
        if kind == "owned" else
        SearchSource(query="acme order", client=client, profiles=profiles, ctx=ctx,
                     clock=clock, first_pages=5))
    return Rig(source, lambda: pds.network.post(ann, "@acme.bsky.social acme order lost"))


def demo_rig(stack: ExitStack, kind: str) -> Rig:
    from listener.demo.source import DemoSource

    return Rig(DemoSource(now=datetime(2026, 3, 2, tzinfo=UTC), page_size=20), None)


RIGS = {
    "x-owned": (x_rig, "owned"),
    "x-search": (x_rig, "search"),
    "bluesky-owned": (bluesky_rig, "owned"),
    "bluesky-search": (bluesky_rig, "search"),
    "demo": (demo_rig, "owned"),
}


@pytest.fixture(params=sorted(RIGS))
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    build, kind = RIGS[request.param]
    with ExitStack() as stack:
        yield build(stack, kind)


def test_a_source_declares_what_the_poller_reads(rig: Rig) -> None:
    s = rig.source
    assert s.network in {e.key for e in REGISTRY}
    assert s.kind in {"owned", "search", "stream"}
    assert s.name and s.read_cost(0) == 0 and s.read_cost(10) >= 0


def test_pages_hold_mentions_of_the_network_with_a_first_page_cursor(rig: Rig) -> None:
    pages = list(rig.source.poll(None))
    assert pages
    newest = pages[0].newest_id
    assert newest is not None
    assert rig.source.cursor_advances(newest, None)
    assert not rig.source.cursor_advances(newest, newest)
    assert not rig.source.cursor_advances("not a cursor", newest)
    keys = [m.key for p in pages for m in p.mentions]
    assert keys and len(keys) == len(set(keys))
    for m in (m for p in pages for m in p.mentions):
        assert m.source == rig.source.network
        assert m.created_at.tzinfo is not None
        assert m.url.startswith("https://")
        assert m.found_by.startswith(rig.source.name)


def test_the_stored_cursor_stores_nothing_twice_and_finds_what_is_new(rig: Rig) -> None:
    store = MemoryStore()
    poller = Poller(store=store, clock=FakeClock())
    first = poller.poll(rig.source)
    assert first.ok and first.stored > 0
    cursor = store.get_cursor(rig.source.name)
    assert cursor is not None
    again = poller.poll(rig.source)
    assert again.ok and again.stored == 0
    if rig.publish is None:
        return
    rig.publish()
    last = poller.poll(rig.source)
    assert last.ok and last.stored == 1
    latest = store.get_cursor(rig.source.name)
    assert latest is not None and rig.source.cursor_advances(latest, cursor)
