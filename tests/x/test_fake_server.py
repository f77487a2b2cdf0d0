"""The fake X server's wire format, checked with raw HTTP (what tweepy and others see)."""

from __future__ import annotations

import time

import requests

from tests.fakes.x_server import FakeXServer

AUTH = {"Authorization": "Bearer test-bearer-token"}


def get(fake: FakeXServer, path: str, **params: str) -> requests.Response:
    return requests.get(fake.base_url + path, params=params, headers=AUTH, timeout=5)


def test_only_requested_fields_and_expansions_are_returned(fake_x: FakeXServer) -> None:
    fake_x.add_tweet("@acme hello", author="ann")
    bare = get(fake_x, "/2/users/1000/mentions").json()
    assert set(bare["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert "includes" not in bare
    full = get(
        fake_x,
        "/2/users/1000/mentions",
        expansions="author_id",
        **{"tweet.fields": "created_at,author_id", "user.fields": "public_metrics,verified_type"},
    ).json()
    tweet = full["data"][0]
    assert tweet["created_at"].endswith("Z")
    assert isinstance(tweet["id"], str)
    [user] = full["includes"]["users"]
    assert set(user) == {"id", "name", "username", "public_metrics", "verified_type"}
    assert full["meta"] == {
        "newest_id": tweet["id"],
        "oldest_id": tweet["id"],
        "result_count": 1,
    }


def test_since_until_max_results_and_tokens(fake_x: FakeXServer) -> None:
    ids = [t["id"] for t in fake_x.seed_tweets(30)]
    page = get(
        fake_x,
        "/2/tweets/search/recent",
        query="@acme",
        max_results="10",
        since_id=ids[4],
        until_id=ids[25],
    ).json()
    assert [t["id"] for t in page["data"]] == ids[24:14:-1]
    nxt = get(
        fake_x,
        "/2/tweets/search/recent",
        query="@acme",
        max_results="10",
        since_id=ids[4],
        until_id=ids[25],
        next_token=page["meta"]["next_token"],
    ).json()
    assert [t["id"] for t in nxt["data"]] == ids[14:4:-1]
    assert "next_token" not in nxt["meta"]
    empty = get(fake_x, "/2/users/1000/mentions", since_id=ids[-1]).json()
    assert empty == {"meta": {"result_count": 0}}
    bad = get(fake_x, "/2/users/1000/mentions", max_results="3")
    assert bad.status_code == 400
    assert "not between 5 and 100" in bad.json()["errors"][0]["message"]
    assert (
        len(get(fake_x, "/2/tweets/search/all", query="acme", max_results="500").json()["data"])
        == 30
    )


def test_rate_limit_headers_and_window(fake_x: FakeXServer) -> None:
    fake_x.rate_limit = 2
    first = get(fake_x, "/2/users/1000/mentions")
    assert first.headers["x-rate-limit-limit"] == "2"
    assert first.headers["x-rate-limit-remaining"] == "1"
    assert int(first.headers["x-rate-limit-reset"]) > time.time()
    get(fake_x, "/2/users/1000/mentions")
    third = get(fake_x, "/2/users/1000/mentions")
    assert third.status_code == 429
    assert third.json()["title"] == "Too Many Requests"
    assert get(fake_x, "/2/tweets/search/recent", query="x").status_code == 200  # own window


def test_faults_and_auth(fake_x: FakeXServer) -> None:
    fake_x.fail_next(429, reset_in=None)
    r = get(fake_x, "/2/users/1000/mentions")
    assert r.status_code == 429
    assert "x-rate-limit-reset" not in r.headers
    fake_x.fail_next(503, path="/2/tweets/search")
    assert get(fake_x, "/2/users/1000/mentions").status_code == 200  # path does not match
    assert get(fake_x, "/2/tweets/search/recent", query="x").status_code == 503
    r = requests.get(fake_x.base_url + "/2/users/1000/mentions", timeout=5)
    assert r.status_code == 401
    assert len(fake_x.requests) == 4
    assert fake_x.requests[-1].headers.get("authorization") is None


def test_counts_and_user_lookup(fake_x: FakeXServer) -> None:
    fake_x.seed_tweets(5)
    counts = get(fake_x, "/2/tweets/counts/all", query="@acme", granularity="day").json()
    assert counts["meta"]["total_tweet_count"] == 5
    assert sum(b["tweet_count"] for b in counts["data"]) == 5
    assert {"start", "end", "tweet_count"} == set(counts["data"][0])
    user = get(fake_x, "/2/users/by/username/ACME", **{"user.fields": "public_metrics"}).json()
    assert user["data"]["id"] == "1000"
    assert user["data"]["public_metrics"]["followers_count"] == 90_000
    missing = get(fake_x, "/2/users/by/username/nobody").json()
    assert missing["errors"][0]["title"] == "Not Found Error"
