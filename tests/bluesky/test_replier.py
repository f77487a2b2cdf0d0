"""Public replies on Bluesky: createRecord with strong reply refs and facets, through the
real atproto client against the fake PDS, idempotent across restarts via the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest

from listener.bluesky.client import BlueskyClient
from listener.bluesky.mapping import BrandContext
from listener.bluesky.profiles import ProfileCache
from listener.bluesky.replier import BlueskyReplier, graphemes
from listener.bluesky.sources import NotificationsSource
from listener.domain import Mention
from listener.errors import DeliveryError, PermanentDelivery
from listener.ingest import Poller
from listener.reply_ledger import ReplyLedger
from listener.store.memory import MemoryStore
from tests.fakes.bsky_server import FakeBlueskyServer
from tests.x.conftest import FakeClock


def refs(record: dict[str, object]) -> dict[str, dict[str, str]]:
    """``reply``'s strong refs without the ``$type`` tags the SDK's models add."""
    reply = record["reply"]
    assert isinstance(reply, dict)
    return {part: {"uri": reply[part]["uri"], "cid": reply[part]["cid"]}
            for part in ("root", "parent")}


def heard(pds: FakeBlueskyServer, client: BlueskyClient, ctx: BrandContext, clock: FakeClock,
          store: MemoryStore) -> dict[str, Mention]:
    source = NotificationsSource(
        client=client, profiles=ProfileCache(client, clock=clock, ttl=timedelta(hours=1)),
        ctx=ctx, clock=clock, name="n")
    Poller(store=store, clock=clock).poll(source)
    return {m.text: m for m in store.pending_triage(1000)}


def test_a_reply_in_a_thread_points_at_its_root_and_parent_and_tags_people(
    pds: FakeBlueskyServer, client: BlueskyClient, ctx: BrandContext, clock: FakeClock,
    store: MemoryStore,
) -> None:
    net = pds.network
    ann = net.add_account("ann.bsky.social")
    net.add_account("help.acme.com")
    root = net.post(ann, "my acme order never came")
    tagged = net.post(ann, "@acme.bsky.social any news?", reply_to=root)
    mention = heard(pds, client, ctx, clock, store)["@acme.bsky.social any news?"]

    ledger = ReplyLedger(store=store, clock=clock)
    replier = BlueskyReplier(client=client, memory=ledger, clock=clock)
    text = "@ann.bsky.social sorry! @help.acme.com will DM you, see https://acme.com/status 🙏"
    url = replier.reply(mention, text, idempotency_key="k1")

    (body,) = pds.created
    record = body["record"]
    assert body["repo"] == pds.account.did and body["collection"] == "app.bsky.feed.post"
    assert refs(record) == {"root": {"uri": root.uri, "cid": root.cid},
                               "parent": {"uri": tagged.uri, "cid": tagged.cid}}
    assert record["text"] == text and record["langs"] == ["en"]
    features = {f["features"][0]["$type"].split("#")[1]: f for f in record["facets"]}
    assert features["mention"]["features"][0]["did"] in {ann.did, net.by_handle(
        "help.acme.com").did}
    dids = [f["features"][0].get("did") for f in record["facets"] if "did" in f["features"][0]]
    assert dids == [ann.did, net.by_handle("help.acme.com").did]
    link = features["link"]
    start, end = link["index"]["byteStart"], link["index"]["byteEnd"]
    assert text.encode()[start:end] == b"https://acme.com/status"
    new = net.posts[-1]
    assert url == f"https://bsky.app/profile/acme.bsky.social/post/{new.rkey}"
    # Only the unknown handle was resolved; the author's DID was known.
    assert [c.params["handle"][0] for c in pds.calls_to("com.atproto.identity.resolveHandle")] == [
        "help.acme.com"]

    # The same submission again, even from a new process: the ledger answers.
    again = BlueskyReplier(client=client, memory=ReplyLedger(store=store, clock=clock))
    assert again.reply(mention, text, idempotency_key="k1") == url
    assert len(pds.created) == 1


def test_a_top_level_post_is_its_own_root(
    pds: FakeBlueskyServer, client: BlueskyClient, ctx: BrandContext, clock: FakeClock,
    store: MemoryStore,
) -> None:
    ann = pds.network.add_account("ann.bsky.social")
    post = pds.network.post(ann, "@acme.bsky.social broken again")
    mention = heard(pds, client, ctx, clock, store)["@acme.bsky.social broken again"]
    BlueskyReplier(client=client).reply(mention, "On it!", idempotency_key="k")
    ref = {"uri": post.uri, "cid": post.cid}
    assert refs(pds.created[0]["record"]) == {"root": ref, "parent": ref}
    assert "facets" not in pds.created[0]["record"]


def test_300_graphemes_are_checked_before_posting(
    pds: FakeBlueskyServer, client: BlueskyClient, ctx: BrandContext, clock: FakeClock,
    store: MemoryStore,
) -> None:
    ann = pds.network.add_account("ann.bsky.social")
    pds.network.post(ann, "@acme.bsky.social help")
    mention = heard(pds, client, ctx, clock, store)["@acme.bsky.social help"]
    family = "👨‍👩‍👧‍👦"  # one grapheme, seven code points, 25 bytes
    assert graphemes(family) == 1 and len(family) == 7
    replier = BlueskyReplier(client=client)
    fits = family * 100 + "x" * 200  # 300 graphemes, 2700 bytes
    replier.reply(mention, fits, idempotency_key="fits")
    with pytest.raises(PermanentDelivery, match="301 characters long; Bluesky allows 300"):
        replier.reply(mention, "y" * 301, idempotency_key="long")
    with pytest.raises(PermanentDelivery, match="empty"):
        replier.reply(mention, "  ", idempotency_key="empty")
    assert len(pds.created) == 1


def test_rate_limits_and_outages_are_retried_refusals_are_not(
    pds: FakeBlueskyServer, client: BlueskyClient, ctx: BrandContext, clock: FakeClock,
    store: MemoryStore,
) -> None:
    ann = pds.network.add_account("ann.bsky.social")
    pds.network.post(ann, "@acme.bsky.social one")
    gated = pds.network.post(ann, "@acme.bsky.social two", reply_disabled=True)
    got = heard(pds, client, ctx, clock, store)
    replier = BlueskyReplier(client=client)
    client.did  # noqa: B018  (log in first: the faults are for createRecord)
    pds.fail_next(429, path="com.atproto.repo.createRecord", reset_in=30)
    with pytest.raises(DeliveryError) as caught:
        replier.reply(got["@acme.bsky.social one"], "hi", idempotency_key="a")
    assert not isinstance(caught.value, PermanentDelivery)
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 31
    pds.fail_next(500, path="com.atproto.repo.createRecord")
    with pytest.raises(DeliveryError) as caught:
        replier.reply(got["@acme.bsky.social one"], "hi", idempotency_key="a")
    assert not isinstance(caught.value, PermanentDelivery)
    assert replier.reply(got["@acme.bsky.social one"], "hi", idempotency_key="a")
    # A thread gate (a notification does not say so): the PDS refuses, for good.
    with pytest.raises(PermanentDelivery, match="threadgate"):
        replier.reply(got["@acme.bsky.social two"], "hi", idempotency_key="b")
    assert gated.uri not in {c["record"]["reply"]["parent"]["uri"] for c in pds.created}


def test_an_x_post_is_not_answered_on_bluesky(client: BlueskyClient) -> None:
    from datetime import UTC, datetime

    from listener.domain import Author

    x_post = Mention(source="x", id="1", text="hi", author=Author("1", "a"),
                     created_at=datetime(2026, 3, 2, tzinfo=UTC), addresses_brand=True)
    with pytest.raises(PermanentDelivery, match="not a Bluesky post"):
        BlueskyReplier(client=client).reply(x_post, "hi", idempotency_key="x")
