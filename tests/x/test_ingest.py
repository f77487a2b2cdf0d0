"""The poller against the fake X server over real HTTP, with the real tweepy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
import tweepy

from listener.config import Secrets, Settings
from listener.domain import Mention
from listener.health import Health
from listener.ingest import Poller
from listener.store.memory import MemoryStore
from listener.x.client import build_app_client
from listener.x.mapping import BrandContext
from listener.x.sources import MentionsTimelineSource, RecentSearchSource
from tests.fakes.x_server import FakeXServer
from tests.x.conftest import FakeClock


def stored_ids(store: MemoryStore) -> list[str]:
    return sorted(m.id for m in store.pending_triage(100_000))


class CrashingStore(MemoryStore):
    """Raises (a simulated crash) when asked to store its ``crash_on``-th page."""

    def __init__(self, crash_on: int) -> None:
        super().__init__()
        self.crash_on = crash_on
        self.calls = 0

    def add_mentions(self, mentions: Sequence[Mention]) -> int:
        self.calls += 1
        if self.calls == self.crash_on:
            raise RuntimeError("simulated crash")
        return super().add_mentions(mentions)


def test_paginates_every_page_then_advances_the_cursor(
    fake_x: FakeXServer, poller: Poller, store: MemoryStore, mentions_source: MentionsTimelineSource
) -> None:
    seeded = fake_x.seed_tweets(250)
    out = poller.poll(mentions_source)
    assert out.ok, out
    assert (out.pages, out.read, out.stored) == (3, 250, 250)
    assert stored_ids(store) == sorted(t["id"] for t in seeded)
    assert store.get_cursor("mentions:acme") == seeded[-1]["id"]
    calls = fake_x.requests_to("/2/users/1000/mentions")
    assert [c.query.get("pagination_token") is None for c in calls] == [True, False, False]
    assert all(c.query["max_results"] == "100" for c in calls)
    assert "note_tweet" in calls[0].query["tweet.fields"]

    more = fake_x.seed_tweets(7)
    again = poller.poll(mentions_source)
    assert (again.read, again.stored) == (7, 7)
    assert fake_x.requests_to("/2/users/1000/mentions")[-1].query["since_id"] == seeded[-1]["id"]
    assert store.get_cursor("mentions:acme") == more[-1]["id"]


def test_crash_between_pages_rereads_without_loss_or_duplicates(
    fake_x: FakeXServer, clock: FakeClock, mentions_source: MentionsTimelineSource
) -> None:
    seeded = fake_x.seed_tweets(250)
    store = CrashingStore(crash_on=2)
    poller = Poller(store=store, clock=clock)
    with pytest.raises(RuntimeError, match="simulated crash"):
        poller.poll(mentions_source)
    assert store.get_cursor("mentions:acme") is None  # not advanced in between
    assert len(stored_ids(store)) == 100  # page 1 kept

    fake_x.seed_tweets(5)  # new posts arrive while "down"
    out = poller.poll(mentions_source)
    assert out.ok
    assert out.stored == 155  # page 1 re-read: stored again as nothing new
    ids = stored_ids(store)
    assert len(ids) == len(set(ids)) == 255
    assert set(ids) >= {t["id"] for t in seeded}


def test_rate_limit_with_reset_header_skips_until_then(
    fake_x: FakeXServer,
    poller: Poller,
    clock: FakeClock,
    health: Health,
    mentions_source: MentionsTimelineSource,
    search_source: RecentSearchSource,
) -> None:
    fake_x.seed_tweets(12)
    fake_x.fail_next(429, path="/2/users/", reset_in=600)
    out = poller.poll(mentions_source)
    assert out.status == "rate_limited"
    assert out.next_try_at is not None
    assert out.next_try_at > datetime.now(UTC) + timedelta(seconds=590)
    # The other source is not blocked.
    assert poller.poll(search_source).ok
    n = len(fake_x.requests_to("/2/users/"))
    assert poller.poll(mentions_source).status == "skipped"
    assert len(fake_x.requests_to("/2/users/")) == n  # no request while skipped
    assert health.snapshot().sources[0].state == "rate_limited"


def test_rate_limit_without_reset_header_waits_fifteen_minutes(
    fake_x: FakeXServer, poller: Poller, clock: FakeClock, mentions_source: MentionsTimelineSource
) -> None:
    fake_x.seed_tweets(3)
    fake_x.fail_next(429, reset_in=None)
    out = poller.poll(mentions_source)
    assert out.status == "rate_limited"
    assert out.next_try_at == clock.now() + timedelta(minutes=15)
    clock.advance(timedelta(minutes=14))
    assert poller.poll(mentions_source).status == "skipped"
    clock.advance(timedelta(minutes=2))
    assert poller.poll(mentions_source).ok


def test_server_errors_back_off_with_jitter_then_recover(
    fake_x: FakeXServer,
    store: MemoryStore,
    clock: FakeClock,
    health: Health,
    mentions_source: MentionsTimelineSource,
) -> None:
    seeded = fake_x.seed_tweets(150)
    poller = Poller(store=store, clock=clock, on_outcome=health.record, max_attempts=3)
    fake_x.fail_next(503, path="/2/users/", times=3)
    delays = []
    for _ in range(3):
        out = poller.poll(mentions_source)
        assert out.status == "unavailable"
        assert out.next_try_at is not None
        delays.append(out.next_try_at - clock.now())
        assert poller.poll(mentions_source).status == "skipped"
        clock.advance(delays[-1] + timedelta(seconds=1))
    assert timedelta(seconds=15) <= delays[0] <= timedelta(seconds=30)
    assert timedelta(seconds=30) <= delays[1] <= timedelta(seconds=60)
    assert delays[2] == timedelta(minutes=15)  # bounded: "down", tried once per cap
    assert health.snapshot().sources[0].state == "down"
    out = poller.poll(mentions_source)
    assert out.ok
    assert len(stored_ids(store)) == len(seeded)
    assert health.snapshot().sources[0].state == "ok"


def test_error_on_a_later_page_keeps_the_cursor(
    fake_x: FakeXServer,
    poller: Poller,
    store: MemoryStore,
    clock: FakeClock,
    mentions_source: MentionsTimelineSource,
) -> None:
    fake_x.seed_tweets(150)
    fake_x.delay_next(0.0, path="/2/users/")  # page 1 answered normally
    fake_x.drop_next(path="/2/users/")  # page 2: connection dropped
    out = poller.poll(mentions_source)
    assert out.status == "unavailable"
    assert out.pages == 1
    assert store.get_cursor("mentions:acme") is None
    clock.advance(timedelta(minutes=1))
    assert poller.poll(mentions_source).ok
    assert len(stored_ids(store)) == 150


def test_timeout_is_unavailable(
    fake_x: FakeXServer,
    store: MemoryStore,
    clock: FakeClock,
    ctx: BrandContext,
    settings: Settings,
    secrets: Secrets,
) -> None:
    fast = settings.model_copy(update={"x": settings.x.model_copy(update={"timeout_seconds": 0.2})})
    source = MentionsTimelineSource(
        client=build_app_client(fast, secrets), ctx=ctx, handle="acme", clock=clock, user_id="1000"
    )
    fake_x.delay_next(1.0, path="/2/users/")
    out = Poller(store=store, clock=clock).poll(source)
    assert out.status == "unavailable"
    assert "Timeout" in (out.error or "")


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_stops_the_source_with_an_actionable_message(
    status: int,
    fake_x: FakeXServer,
    poller: Poller,
    health: Health,
    mentions_source: MentionsTimelineSource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_x.fail_next(status, path="/2/users/")
    out = poller.poll(mentions_source)
    assert out.status == "auth_failed"
    assert "X_BEARER_TOKEN" in (out.error or "")
    assert "polling of this source stopped until restart" in caplog.text
    n = len(fake_x.requests)
    assert poller.poll(mentions_source).status == "stopped"  # no crash loop
    assert len(fake_x.requests) == n
    snap = health.snapshot()
    assert not snap.healthy
    assert any("credentials refused" in w for w in snap.warnings)


def test_wrong_bearer_token_is_an_auth_failure(
    fake_x: FakeXServer,
    store: MemoryStore,
    clock: FakeClock,
    ctx: BrandContext,
    settings: Settings,
) -> None:
    bad = build_app_client(settings, Secrets(x_bearer_token="nope"))  # type: ignore[arg-type]
    source = MentionsTimelineSource(client=bad, ctx=ctx, handle="acme", clock=clock, user_id="1000")
    assert Poller(store=store, clock=clock).poll(source).status == "auth_failed"


def test_burst_of_five_thousand_mentions_in_one_poll(
    fake_x: FakeXServer,
    poller: Poller,
    store: MemoryStore,
    health: Health,
    mentions_source: MentionsTimelineSource,
) -> None:
    fake_x.seed_tweets(5000, authors=500)
    out = poller.poll(mentions_source)
    assert (out.pages, out.stored) == (50, 5000)
    assert len(set(stored_ids(store))) == 5000
    snap = health.snapshot()
    (x,) = snap.spend
    assert x.today_usd == pytest.approx(5000 * 0.001)  # the owned timeline's price
    assert any("of the daily budget $1.00" in w for w in snap.warnings)  # $5 of a $1 budget


def test_user_id_is_looked_up_once_when_not_configured(
    fake_x: FakeXServer,
    poller: Poller,
    store: MemoryStore,
    client: tweepy.Client,
    ctx: BrandContext,
    clock: FakeClock,
) -> None:
    fake_x.seed_tweets(3)
    source = MentionsTimelineSource(client=client, ctx=ctx, handle="acme", clock=clock)
    assert poller.poll(source).ok
    assert poller.poll(source).ok
    assert len(fake_x.requests_to("/2/users/by/username/acme")) == 1
    assert len(stored_ids(store)) == 3


def test_search_since_id_older_than_the_window_falls_back_to_the_full_window(
    fake_x: FakeXServer,
    poller: Poller,
    store: MemoryStore,
    search_source: RecentSearchSource,
) -> None:
    seeded = fake_x.seed_tweets(15)
    store.set_cursor(search_source.name, "1900000000000000001", datetime.now(UTC))
    message = (
        "Invalid 'since_id':'1900000000000000001'. 'since_id' must be a tweet id created "
        "after 2026-02-23T12:00Z."
    )
    fake_x.fail_next(
        400,
        path="/2/tweets/search/recent",
        body={
            "errors": [{"parameters": {"since_id": ["1900000000000000001"]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )
    out = poller.poll(search_source)
    assert out.ok
    assert out.stored == 15
    assert out.cursor == seeded[-1]["id"]
    assert "since_id" not in fake_x.requests_to("/2/tweets/search/recent")[-1].query


def test_a_spent_rate_limit_window_skips_the_next_poll_before_a_429(
    fake_x: FakeXServer, poller: Poller, mentions_source: MentionsTimelineSource
) -> None:
    fake_x.rate_limit = 1
    fake_x.seed_tweets(3)
    assert poller.poll(mentions_source).ok  # remaining is now 0
    out = poller.poll(mentions_source)
    assert out.status == "skipped"
    assert len(fake_x.requests_to("/2/users/")) == 1


def _real_page(fake_x: FakeXServer) -> dict[str, object]:
    """What the mentions endpoint answers right now, as JSON (to edit and replay)."""
    import requests

    response = requests.get(
        f"{fake_x.base_url}/2/users/1000/mentions",
        params={"max_results": 100, "tweet.fields": "created_at,author_id,conversation_id",
                "expansions": "author_id"},
        headers={"Authorization": f"Bearer {fake_x.bearer_token}"}, timeout=5,
    )
    body: dict[str, object] = response.json()
    return body


def test_a_page_without_newest_id_advances_to_its_largest_post_id(
    fake_x: FakeXServer, poller: Poller, store: MemoryStore,
    mentions_source: MentionsTimelineSource,
) -> None:
    # The cursor used to stay put forever when meta.newest_id was missing.
    posts = [fake_x.add_tweet(f"@acme issue {i}", author="ann") for i in range(3)]
    body = _real_page(fake_x)
    body["meta"] = {"result_count": 3}
    fake_x.fail_next(200, path="/2/users/1000/mentions", body=body)
    out = poller.poll(mentions_source)
    assert out.ok and out.stored == 3
    assert store.get_cursor("mentions:acme") == max((p["id"] for p in posts), key=int)


@pytest.mark.parametrize("junk", ["", "not-an-id", "12"])
def test_a_cursor_moves_only_forward_to_a_valid_id(
    fake_x: FakeXServer, poller: Poller, store: MemoryStore,
    mentions_source: MentionsTimelineSource, junk: str,
) -> None:
    # Any newest_id used to overwrite the cursor, "" included: the next poll read
    # everything again (and paid for it), or X refused the since_id.
    fake_x.seed_tweets(5)
    assert poller.poll(mentions_source).ok
    cursor = store.get_cursor("mentions:acme")
    assert cursor is not None
    fake_x.fail_next(200, path="/2/users/1000/mentions",
                     body={"meta": {"result_count": 0, "newest_id": junk}})
    assert poller.poll(mentions_source).ok
    assert store.get_cursor("mentions:acme") == cursor


class _Scripted:
    """A source of another network: its cursors are its own business."""

    name, network, kind, rate_limit = "other:q", "other", "search", None

    def __init__(self, newest: str) -> None:
        self.newest = newest

    def read_cost(self, posts: int) -> float:
        return 0.0

    def cursor_advances(self, new: str, old: str | None) -> bool:
        return new.startswith("c") and (old is None or new > old)

    def poll(self, since_id: str | None) -> Sequence[object]:
        from listener.ports import Page

        return [Page(mentions=(), newest_id=self.newest)]


def test_the_poller_asks_the_source_whether_a_cursor_advances(
    store: MemoryStore, clock: FakeClock
) -> None:
    poller = Poller(store=store, clock=clock)
    for newest, expected in (("c5", "c5"), ("c3", "c5"), ("junk", "c5"), ("c9", "c9")):
        poller.poll(_Scripted(newest))  # type: ignore[arg-type]
        assert store.get_cursor("other:q") == expected


def test_text_is_stored_as_the_author_wrote_it_not_as_x_escapes_it(
    fake_x: FakeXServer, poller: Poller, store: MemoryStore, mentions_source: MentionsTimelineSource
) -> None:
    # X sends "AT&amp;T" and "&lt;3"; a typed "&amp;" arrives as "&amp;amp;".
    written = "@acme AT&T & you <3 -> still broken; I typed &amp; literally"
    fake_x.add_tweet(written, author="ann")
    assert poller.poll(mentions_source).ok
    [stored] = store.pending_triage(10)
    assert stored.text == written
