"""X v2 JSON -> Mention, and the noise rules, on payloads from the fake server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import tweepy

from listener.health import Health
from listener.ingest import Poller
from listener.store.memory import MemoryStore
from listener.x.mapping import BrandContext, map_page, x_text
from listener.x.sources import MentionsTimelineSource, RecentSearchSource
from tests.fakes.x_server import FakeXServer
from tests.x.conftest import FakeClock

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_long_posts_use_note_tweet_text(
    fake_x: FakeXServer, mentions_source: MentionsTimelineSource
) -> None:
    long = "@acme " + "my fridge stopped cooling and nobody answers the phone. " * 12
    fake_x.add_tweet("ignored", author="ann", note_text=long)
    [page] = list(mentions_source.poll(None))
    [m] = page.mentions
    assert m.text == long
    assert len(m.raw["text"]) == 280  # what X puts in text for a long post
    assert m.addresses_brand


def test_mention_fields(fake_x: FakeXServer, mentions_source: MentionsTimelineSource) -> None:
    vip = fake_x.add_user("bigvoice", name="Big Voice", followers=250_000, verified_type="blue")
    root = fake_x.add_tweet("@acme your app is down", author=vip)
    reply = fake_x.add_tweet("@bigvoice @acme same here", author="bob", reply_to=root["id"])
    [page] = list(mentions_source.poll(None))
    by_id = {m.id: m for m in page.mentions}
    m = by_id[root["id"]]
    assert (m.source, m.brand, m.found_by) == ("x", "Acme", "mentions:acme")
    assert m.author.username == "bigvoice"
    assert (m.author.followers, m.author.verified_type, m.author.name) == (
        250_000,
        "blue",
        "Big Voice",
    )
    assert m.url == f"https://x.com/bigvoice/status/{root['id']}"
    assert m.created_at.tzinfo is not None
    assert m.lang == "en"
    assert m.raw["id"] == root["id"]
    r = by_id[reply["id"]]  # replies are kept, linked to their conversation
    assert r.conversation_id == root["id"]
    assert r.in_reply_to_id == root["id"]
    assert page.newest_id == reply["id"]


def test_search_finds_posts_that_do_not_address_the_brand(
    fake_x: FakeXServer, search_source: RecentSearchSource
) -> None:
    brand_post = fake_x.add_tweet("Our new acme blender is out", author=fake_x.brand)
    plain = fake_x.add_tweet("acme support is useless", author="carol")
    tagged = fake_x.add_tweet("@ACME support is useless", author="dave")
    quote = fake_x.add_tweet("this acme launch is a joke", author="erin", quote_of=brand_post["id"])
    [page] = list(search_source.poll(None))
    by_id = {m.id: m for m in page.mentions}
    assert brand_post["id"] not in by_id  # the brand's own post is skipped
    assert by_id[plain["id"]].addresses_brand is False  # "reply manually on X"
    assert by_id[tagged["id"]].addresses_brand is True
    assert by_id[quote["id"]].addresses_brand is True  # quotes the brand
    assert by_id[quote["id"]].quoted_id == brand_post["id"]
    assert page.read == 4


def test_noise_rules(fake_x: FakeXServer, mentions_source: MentionsTimelineSource) -> None:
    original = fake_x.add_tweet("@acme where is my refund", author="ann")
    fake_x.add_tweet("", author="bob", retweet_of=original["id"])  # "RT @ann: @acme ..."
    q1 = fake_x.add_tweet("@acme look at this", author="carl", quote_of=original["id"])
    q2 = fake_x.add_tweet("@acme look at this!!", author="carl", quote_of=original["id"])
    q3 = fake_x.add_tweet("@acme same for me", author="dina", quote_of=original["id"])
    own = fake_x.add_tweet("@acme we hear you", author=fake_x.brand)
    [page] = list(mentions_source.poll(None))
    kept = {m.id for m in page.mentions}
    assert kept == {original["id"], q2["id"], q3["id"]}  # newest quote per author kept
    assert q1["id"] not in kept
    assert own["id"] not in kept
    assert page.read == 6  # billed, dropped or not


def test_malformed_tweets_are_rejected_with_a_reason_not_dropped() -> None:
    ctx = BrandContext(brand="Acme", handles=frozenset({"acme"}))
    payload = {
        "data": [
            {
                "id": "10",
                "text": "@acme ok",
                "author_id": "7",
                "created_at": "2026-03-01T10:00:00.000Z",
            },
            {"id": "11", "text": "@acme no author", "created_at": "2026-03-01T10:00:00.000Z"},
            {"id": "12", "text": "@acme bad date", "author_id": "7", "created_at": "yesterday"},
            {"text": "no id"},
            "not an object",
        ],
        "includes": {"users": [{"id": "7", "username": "gus", "name": "Gus"}]},
    }
    page = map_page(payload, ctx=ctx, found_by="search:q", received_at=NOW)
    assert [m.id for m in page.mentions] == ["10"]
    reasons = sorted(r.reason for r in page.rejected)
    assert len(reasons) == 4
    assert any("author_id missing" in r for r in reasons)
    assert any("created_at not ISO 8601" in r for r in reasons)
    assert all(r.source == "x" and r.received_at == NOW for r in page.rejected)
    assert any('"no id"' in r.raw for r in page.rejected)


def test_author_missing_from_includes_still_maps() -> None:
    ctx = BrandContext(brand="Acme", handles=frozenset({"acme"}))
    tweet = {"id": "5", "text": "hi @acme", "author_id": "9", "created_at": "2026-03-01T10:00:00Z"}
    page = map_page({"data": [tweet]}, ctx=ctx, found_by="f", received_at=NOW)
    [m] = page.mentions
    assert m.url == "https://x.com/i/status/5"
    assert m.addresses_brand  # found in the text


def test_same_post_from_two_sources_is_stored_once(
    fake_x: FakeXServer,
    clock: FakeClock,
    client: tweepy.Client,
    ctx: BrandContext,
    mentions_source: MentionsTimelineSource,
) -> None:
    fake_x.seed_tweets(20)
    store = MemoryStore()
    poller = Poller(store=store, clock=clock, on_outcome=Health(clock=clock).record)
    search = RecentSearchSource(client=client, ctx=ctx, query="@acme", clock=clock)
    assert poller.poll(mentions_source).stored == 20
    assert poller.poll(search).stored == 0
    assert store.get_cursor(search.name) is not None


@pytest.mark.parametrize(
    ("wire", "written"),
    [
        ("AT&amp;T", "AT&T"),
        ("&lt;3 &gt;:(", "<3 >:("),
        ("typed &amp;amp; literally", "typed &amp; literally"),
        ("&quot;not an X entity&quot;", "&quot;not an X entity&quot;"),
        ("plain", "plain"),
    ],
)
def test_x_text_decodes_exactly_the_entities_x_adds(wire: str, written: str) -> None:
    assert x_text(wire) == written
