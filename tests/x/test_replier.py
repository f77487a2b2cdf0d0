"""XReplier: tweepy's create_tweet (OAuth 1.0a user context) against the fake server."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import SecretStr

from listener.config import Secrets, Settings
from listener.domain import Mention
from listener.errors import ConfigError, DeliveryError, PermanentDelivery
from listener.x.client import build_user_client
from listener.x.replier import XReplier
from listener.x.sources import MentionsTimelineSource, RecentSearchSource
from tests.fakes.x_server import FakeXServer


@pytest.fixture
def replier(settings: Settings, secrets: Secrets) -> XReplier:
    return XReplier(client=build_user_client(settings, secrets), handle="acme")


def first(source: MentionsTimelineSource | RecentSearchSource) -> Mention:
    return next(iter(source.poll(None))).mentions[0]


def test_replies_to_a_mention_once_per_idempotency_key(
    fake_x: FakeXServer, replier: XReplier, mentions_source: MentionsTimelineSource
) -> None:
    post = fake_x.add_tweet("@acme my parcel is lost", author="ann")
    mention = first(mentions_source)
    url = replier.reply(mention, "Sorry Ann, DM us your order number", idempotency_key="k1")
    assert len(fake_x.posted) == 1
    reply = fake_x.posted[0]
    assert url == f"https://x.com/acme/status/{reply['id']}"
    assert reply["referenced_tweets"] == [{"type": "replied_to", "id": post["id"]}]
    request = fake_x.requests_to("/2/tweets", method="POST")[0]
    assert request.json()["reply"] == {"in_reply_to_tweet_id": post["id"]}
    assert request.headers["authorization"].startswith("OAuth ")

    again = replier.reply(mention, "Sorry Ann, DM us your order number", idempotency_key="k1")
    assert again == url
    assert len(fake_x.posted) == 1  # not posted twice


def test_refuses_posts_that_do_not_address_the_brand_before_any_request(
    fake_x: FakeXServer, replier: XReplier, search_source: RecentSearchSource
) -> None:
    fake_x.add_tweet("acme broke my heart", author="ann")
    mention = first(search_source)
    assert not mention.addresses_brand
    with pytest.raises(PermanentDelivery, match="reply manually on X"):
        replier.reply(mention, "hello", idempotency_key="k2")
    assert fake_x.requests_to("/2/tweets", method="POST") == []


def test_x_refusal_is_permanent(
    fake_x: FakeXServer, replier: XReplier, search_source: RecentSearchSource
) -> None:
    fake_x.add_tweet("acme broke my heart", author="ann")
    # Claim it addresses the brand: X itself answers 403 (the 2026-02 reply rule).
    mention = dataclasses.replace(first(search_source), addresses_brand=True)
    with pytest.raises(PermanentDelivery, match="HTTP 403"):
        replier.reply(mention, "hello", idempotency_key="k3")
    assert fake_x.posted == []


def test_rate_limit_is_retryable_with_retry_after(
    fake_x: FakeXServer, replier: XReplier, mentions_source: MentionsTimelineSource
) -> None:
    fake_x.add_tweet("@acme hello?", author="ann")
    mention = first(mentions_source)
    fake_x.fail_next(429, path="/2/tweets", method="POST", reset_in=120)
    with pytest.raises(DeliveryError) as info:
        replier.reply(mention, "hi", idempotency_key="k4")
    assert not isinstance(info.value, PermanentDelivery)
    assert info.value.retry_after is not None
    assert 100 < info.value.retry_after <= 121
    # The key was not remembered: the retry posts.
    replier.reply(mention, "hi", idempotency_key="k4")
    assert len(fake_x.posted) == 1


def test_missing_user_credentials_are_a_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="X_CONSUMER_KEY"):
        build_user_client(settings, Secrets(x_access_token="t"))  # type: ignore[arg-type]


def test_revoked_access_token_is_permanent(
    fake_x: FakeXServer,
    settings: Settings,
    secrets: Secrets,
    mentions_source: MentionsTimelineSource,
) -> None:
    fake_x.add_tweet("@acme hello?", author="ann")
    revoked = secrets.model_copy(update={"x_access_token": SecretStr("revoked")})
    bad = build_user_client(settings, revoked)
    with pytest.raises(PermanentDelivery, match="HTTP 401"):
        XReplier(client=bad, handle="acme").reply(
            first(mentions_source), "hi", idempotency_key="k5"
        )


def test_a_store_backed_ledger_survives_a_restart(
    fake_x: FakeXServer,
    settings: Settings,
    secrets: Secrets,
    mentions_source: MentionsTimelineSource,
    tmp_path: object,
) -> None:
    """A Reply replayed after a restart must not post a second public reply."""
    from pathlib import Path

    from listener.ports import SystemClock
    from listener.reply_ledger import ReplyLedger
    from listener.store import open_store

    url = f"sqlite:///{Path(str(tmp_path)) / 'ledger.db'}"
    fake_x.add_tweet("@acme my parcel is lost", author="ann")
    mention = first(mentions_source)
    key = "slack:x:" + mention.id + ":" + "a" * 64  # as long as the app's keys
    urls = []
    for _restart in range(2):
        store = open_store(url, create=True)
        try:
            replier = XReplier(
                client=build_user_client(settings, secrets),
                handle="acme",
                memory=ReplyLedger(store=store, clock=SystemClock()),
            )
            urls.append(replier.reply(mention, "Sorry Ann, DM us", idempotency_key=key))
        finally:
            store.close()
    assert urls[0] == urls[1]
    assert len(fake_x.posted) == 1
