"""Notifications and searchPosts polled into the store, with the real atproto client
against the fake PDS/AppView over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from listener.bluesky.client import BlueskyClient
from listener.bluesky.mapping import BrandContext
from listener.bluesky.profiles import ProfileCache
from listener.bluesky.sources import NotificationsSource, SearchSource
from listener.config import Secrets
from listener.ingest import Poller
from listener.store.memory import MemoryStore
from tests.bluesky.conftest import PASSWORD
from tests.fakes.bsky_server import FakeBlueskyServer
from tests.x.conftest import FakeClock


def notifications(client: BlueskyClient, profiles: ProfileCache, ctx: BrandContext,
                  clock: FakeClock, **kw: int) -> NotificationsSource:
    return NotificationsSource(client=client, profiles=profiles, ctx=ctx, clock=clock,
                               name="bsky-notifications:acme.bsky.social", **kw)


def stored(store: MemoryStore) -> dict[str, object]:
    return {m.id: m for m in store.pending_triage(100_000)}


def test_notifications_map_mentions_replies_and_quotes_and_drop_likes(
    pds: FakeBlueskyServer, client: BlueskyClient, profiles: ProfileCache, ctx: BrandContext,
    clock: FakeClock, poller: Poller, store: MemoryStore,
) -> None:
    net = pds.network
    ann = net.add_account("ann.bsky.social", display_name="Ann", followers=1234)
    bob = net.add_account("bob.example.com", followers=7)
    brand_post = net.post(pds.account, "We shipped the new app")
    tagged = net.post(ann, "@acme.bsky.social my order is late 😡 https://example.com/o/1",
                      langs=("en-US",))
    reply = net.post(bob, "still broken for me", reply_to=brand_post)
    deeper = net.post(ann, "same here", reply_to=reply)  # replies to bob: no notification
    quote = net.post(bob, "look at this", quote=brand_post)
    net.notify_like(pds.account.did, ann, brand_post)

    out = poller.poll(notifications(client, profiles, ctx, clock))
    assert out.ok, out
    assert (out.read, out.stored, out.cost_usd, out.network, out.kind) == (
        4, 3, 0.0, "bluesky", "owned")
    got = stored(store)
    assert set(got) == {f"{p.account.did}/{p.rkey}" for p in (tagged, reply, quote)}
    assert f"{deeper.account.did}/{deeper.rkey}" not in got

    m = got[f"{ann.did}/{tagged.rkey}"]
    assert m.source == "bluesky" and m.brand == "Acme"
    assert m.text == tagged.record["text"]
    assert (m.author.id, m.author.username, m.author.name, m.author.followers) == (
        ann.did, "ann.bsky.social", "Ann", 1234)
    assert m.url == f"https://bsky.app/profile/ann.bsky.social/post/{tagged.rkey}"
    assert m.lang == "en" and m.conversation_id == m.id and m.in_reply_to_id is None
    assert m.raw["uri"] == tagged.uri and m.raw["cid"] == tagged.cid
    assert m.raw["record"]["facets"][0]["features"][0]["did"] == pds.account.did
    assert m.raw["reason"] == "mention" and m.addresses_brand
    assert m.created_at == datetime.fromisoformat(tagged.record["createdAt"])

    r = got[f"{bob.did}/{reply.rkey}"]
    brand_id = f"{pds.account.did}/{brand_post.rkey}"
    assert (r.conversation_id, r.in_reply_to_id, r.raw["reason"]) == (brand_id, brand_id, "reply")
    q = got[f"{bob.did}/{quote.rkey}"]
    assert (q.quoted_id, q.raw["reason"]) == (brand_id, "quote")
    # The cursor is the newest notification's indexedAt (the like: read, not kept).
    assert store.get_cursor("bsky-notifications:acme.bsky.social") == "2026-03-02T09:00:06.000000Z"


def test_next_poll_and_a_restart_read_only_what_is_new(
    pds: FakeBlueskyServer, profiles: ProfileCache, ctx: BrandContext, clock: FakeClock,
    store: MemoryStore,
) -> None:
    net = pds.network
    ann = net.add_account("ann.bsky.social")
    first = [net.post(ann, f"@acme.bsky.social issue {i}") for i in range(250)]

    def fresh_source() -> NotificationsSource:
        client = BlueskyClient(service_url=pds.base_url, login="acme.bsky.social",
                               password=Secrets(bluesky_app_password=PASSWORD  # type: ignore[arg-type]
                                                ).bluesky_app_password)
        return notifications(client, ProfileCache(client, clock=clock, ttl=timedelta(hours=1)),
                             ctx, clock, first_pages=5)

    poller = Poller(store=store, clock=clock)
    out = poller.poll(fresh_source())
    assert (out.pages, out.read, out.stored) == (3, 250, 250)
    assert len(pds.calls_to("app.bsky.notification.listNotifications")) == 3

    later = [net.post(ann, f"@acme.bsky.social again {i}") for i in range(5)]
    # A restart: a new poller, a new client and session, the same store.
    again = Poller(store=store, clock=clock).poll(fresh_source())
    assert again.ok and again.stored == 5
    # One page, stopping at the stored cursor; only the tie at the cursor is re-read.
    assert again.pages == 1 and again.read == 6
    assert len(stored(store)) == 255
    assert {m.text for m in stored(store).values()} >= {p.record["text"] for p in first + later}


def test_first_poll_reads_first_pages_only(
    pds: FakeBlueskyServer, client: BlueskyClient, profiles: ProfileCache, ctx: BrandContext,
    clock: FakeClock, poller: Poller, store: MemoryStore,
) -> None:
    ann = pds.network.add_account("ann.bsky.social")
    for i in range(30):
        pds.network.post(ann, f"@acme.bsky.social old {i}")
    out = poller.poll(notifications(client, profiles, ctx, clock, page_size=10, first_pages=1))
    assert (out.pages, out.stored) == (1, 10)
    assert len(pds.calls_to("app.bsky.notification.listNotifications")) == 1


def test_profiles_are_asked_25_at_a_time_and_cached(
    pds: FakeBlueskyServer, client: BlueskyClient, profiles: ProfileCache, ctx: BrandContext,
    clock: FakeClock, poller: Poller,
) -> None:
    people = [pds.network.add_account(f"user{i}.bsky.social", followers=i) for i in range(60)]
    for p in people:
        pds.network.post(p, "@acme.bsky.social help")
    source = notifications(client, profiles, ctx, clock)
    poller.poll(source)
    calls = pds.calls_to("app.bsky.actor.getProfiles")
    assert [len(c.params["actors"]) for c in calls] == [25, 25, 10]
    for p in people[:3]:
        pds.network.post(p, "@acme.bsky.social still waiting")
    poller.poll(source)
    assert len(pds.calls_to("app.bsky.actor.getProfiles")) == 3  # all cached
    clock.advance(timedelta(hours=2))
    pds.network.post(people[0], "@acme.bsky.social hello?")
    poller.poll(source)
    assert len(pds.calls_to("app.bsky.actor.getProfiles")) == 4


def test_search_asks_since_the_cursor_less_the_overlap_and_stores_late_posts_once(
    pds: FakeBlueskyServer, client: BlueskyClient, profiles: ProfileCache, ctx: BrandContext,
    clock: FakeClock, poller: Poller, store: MemoryStore,
) -> None:
    net = pds.network
    ann = net.add_account("ann.bsky.social")
    net.post(pds.account, "acme broken? not at all")  # the brand's own post: skipped
    a = net.post(ann, "my acme kettle is broken")
    net.post(ann, "unrelated post")
    source = SearchSource(query="acme broken", client=client, profiles=profiles, ctx=ctx,
                          clock=clock, overlap=timedelta(minutes=10))
    out = poller.poll(source)
    assert (out.read, out.stored, out.kind) == (2, 1, "search")
    first = pds.calls_to("app.bsky.feed.searchPosts")[0].params
    assert first["q"] == ["acme broken"] and first["sort"] == ["latest"] and "since" not in first
    cursor = store.get_cursor(source.name)
    assert cursor is not None and cursor.startswith(a.record["createdAt"][:19])

    # Created five minutes before the cursor, indexed only now: inside the overlap.
    late = net.post(ann, "acme broken again", created_at=net.now - timedelta(minutes=5))
    out = poller.poll(source)
    assert out.stored == 1 and out.read == 3  # earlier posts are re-read, none stored twice
    since = pds.calls_to("app.bsky.feed.searchPosts")[-1].params["since"][0]
    assert datetime.fromisoformat(since) == datetime.fromisoformat(cursor) - timedelta(minutes=10)
    assert f"{ann.did}/{late.rkey}" in stored(store)
    assert store.get_cursor(source.name) == cursor  # the late post is older: no move back


def test_rate_limits_come_from_the_headers_and_a_429_waits_for_the_reset(
    pds: FakeBlueskyServer, client: BlueskyClient, profiles: ProfileCache, ctx: BrandContext,
    clock: FakeClock, poller: Poller,
) -> None:
    source = notifications(client, profiles, ctx, clock)
    assert poller.poll(source).ok
    assert source.rate_limit is not None and source.rate_limit.limit == 3000
    assert source.rate_limit.remaining < 3000
    pds.fail_next(429, path="app.bsky.notification", reset_in=120)
    out = poller.poll(source)
    assert out.status == "rate_limited"
    assert out.next_try_at is not None
    assert out.next_try_at - datetime.now(UTC) > timedelta(seconds=100)
    assert poller.poll(source).status == "skipped"


def test_server_errors_back_off_and_bad_passwords_stop_the_source(
    pds: FakeBlueskyServer, profiles: ProfileCache, ctx: BrandContext, clock: FakeClock,
    client: BlueskyClient, poller: Poller,
) -> None:
    pds.fail_next(502, path="app.bsky.notification")
    out = poller.poll(notifications(client, profiles, ctx, clock))
    assert out.status == "unavailable" and "502" in (out.error or "")

    wrong = BlueskyClient(service_url=pds.base_url, login="acme.bsky.social",
                          password=Secrets(bluesky_app_password="zzzz-zzzz-zzzz-zzzz"  # type: ignore[arg-type]
                                           ).bluesky_app_password)
    source = NotificationsSource(client=wrong, profiles=profiles, ctx=ctx, clock=clock,
                                 name="bsky-notifications:wrong")
    out = poller.poll(source)
    assert out.status == "auth_failed"
    assert "BLUESKY_APP_PASSWORD" in (out.error or "")
    assert "zzzz" not in (out.error or "")


def test_an_expired_token_is_refreshed_once_and_the_poll_goes_on(
    pds: FakeBlueskyServer, client: BlueskyClient, profiles: ProfileCache, ctx: BrandContext,
    clock: FakeClock, poller: Poller, store: MemoryStore,
) -> None:
    ann = pds.network.add_account("ann.bsky.social")
    source = notifications(client, profiles, ctx, clock)
    assert poller.poll(source).ok
    pds.expire_tokens()
    pds.network.post(ann, "@acme.bsky.social hello")
    out = poller.poll(source)
    assert out.ok and out.stored == 1
    assert (pds.logins, pds.refreshes) == (1, 1)


def test_the_sdk_refreshes_a_token_near_its_expiry_before_asking() -> None:
    with FakeBlueskyServer(access_ttl=60) as pds:  # inside the SDK's 15-minute margin
        client = BlueskyClient(service_url=pds.base_url, login="acme.bsky.social",
                               password=Secrets(bluesky_app_password=PASSWORD  # type: ignore[arg-type]
                                                ).bluesky_app_password)
        client.query("app.bsky.notification.listNotifications", None)
        assert pds.refreshes == 1 and pds.logins == 1


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("at://did:plc:abc/app.bsky.feed.like/3k", "not a post URI"),
        ("at://did:web:" + "a" * 60 + ".com/app.bsky.feed.post/3k", "longer than 64"),
    ],
)
def test_posts_that_cannot_be_mentions_are_rejected_with_the_reason(
    uri: str, why: str, ctx: BrandContext,
) -> None:
    from listener.bluesky.mapping import PostInput
    from listener.bluesky.sources import page_of

    post = PostInput(uri=uri, cid="bafy", did=uri.split("/")[2], handle="x.bsky.social",
                     record={"text": "acme broken", "createdAt": "2026-03-02T09:00:00Z"})
    page = page_of([({"uri": uri}, post)], ctx=ctx, found_by="s", read=1, newest=None,
                   received_at=datetime(2026, 3, 2, tzinfo=UTC))
    assert not page.mentions
    assert len(page.rejected) == 1 and why in page.rejected[0].reason
