"""X misbehaving, through the real tweepy against the fake X: the poller never loses a post,
never advances its cursor past a failure, and backs off boundedly.

Already covered in tests/x/test_ingest.py (not repeated here): 429 with and without the
reset header, 503s backing off with jitter, a timeout, an error on a later page, auth
failures, a 5,000-post burst.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from listener.config import Secrets, Settings
from listener.ingest import Poller
from listener.ports import MentionSource
from listener.store.memory import MemoryStore
from listener.x import build_sources
from tests.fakes.x_server import FakeXServer
from tests.x.conftest import FakeClock

MENTIONS = "/2/users/1000/mentions"


@pytest.fixture
def x() -> Iterator[FakeXServer]:
    with FakeXServer(brand_username="acme") as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def source(x: FakeXServer, clock: FakeClock) -> MentionSource:
    settings = Settings.model_validate(
        {
            "x": {"api_base_url": x.base_url, "timeout_seconds": 1.0, "max_results": 20},
            "brands": [{"name": "Acme", "handles": ["acme"], "user_ids": {"acme": "1000"}}],
        }
    )
    secrets = Secrets(x_bearer_token=x.bearer_token)  # type: ignore[arg-type]
    (only,) = build_sources(settings, secrets, clock=clock)
    return only


def stored(store: MemoryStore) -> set[str]:
    return {m.id for m in store.pending_triage(1_000_000)}


def poll_until_ok(poller: Poller, source: MentionSource, clock: FakeClock, limit: int = 50) -> int:
    """Poll every simulated minute until a poll succeeds; return the polls it took."""
    for n in range(1, limit + 1):
        if poller.poll(source).ok:
            return n
        clock.advance(timedelta(minutes=1))
    raise AssertionError("never recovered")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_burst_of_server_errors_loses_nothing(
    x: FakeXServer, source: MentionSource, clock: FakeClock, status: int
) -> None:
    seeded = {t["id"] for t in x.seed_tweets(45)}
    store = MemoryStore()
    poller = Poller(store=store, clock=clock, max_attempts=4)
    x.fail_next(status, path=MENTIONS, times=6)
    polls = poll_until_ok(poller, source, clock, limit=200)
    assert stored(store) == seeded
    assert store.get_cursor(source.name) == max(seeded, key=int)
    # Backoff: 7 requests (6 failures + success) over many more polls of the scheduler.
    assert len(x.requests_to(MENTIONS)) <= 6 + 3  # 3 pages on success
    assert polls > 7


# A 200 whose body is not the JSON X promised: a proxy error page, a cut-off body,
# a transfer closed before its Content-Length arrived.
BAD_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("truncated", {"raw": b'{"data": [{"id": "19000000000000', "status": 200}),
    ("html", {"raw": b"<html><body>502 Bad Gateway</body></html>", "status": 200}),
    ("empty", {"raw": b"", "status": 200}),
    ("not-utf8", {"raw": b'{"data": "\xff\xfe"}', "status": 200}),
    ("cut-off", {"raw": b'{"data": [{"id": "1', "status": 200, "announce": 4096}),
    ("html-502", {"raw": b"<html>bad gateway</html>", "status": 502}),
    ("json-array", {"raw": b"[1, 2, 3]", "status": 200}),
    ("json-null", {"raw": b"null", "status": 200}),
]


@pytest.mark.parametrize(("label", "fault"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_malformed_or_truncated_bodies_keep_the_cursor_and_recover(
    x: FakeXServer, source: MentionSource, clock: FakeClock, label: str, fault: dict[str, Any]
) -> None:
    first = {t["id"] for t in x.seed_tweets(5)}
    store = MemoryStore()
    poller = Poller(store=store, clock=clock)
    assert poller.poll(source).ok
    second = {t["id"] for t in x.seed_tweets(30)}
    x.corrupt_next(
        fault["raw"], status=fault["status"], path=MENTIONS, announce=fault.get("announce")
    )
    out = poller.poll(source)
    assert out.status in {"unavailable", "ok"}, out
    if out.status == "unavailable":
        assert out.cursor == max(first, key=int)  # not advanced past the broken page
        assert out.error
    clock.advance(timedelta(hours=1))
    poll_until_ok(poller, source, clock)
    assert stored(store) == first | second


def _tweet(id_: object, author: object = "77", **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "text": "@acme my parcel never arrived",
        "author_id": author,
        "created_at": "2026-03-02T10:00:00.000Z",
        "edit_history_tweet_ids": [str(id_)],
        **extra,
    }


ODD_PAGES: list[tuple[str, dict[str, Any]]] = [
    ("no-includes", {"data": [_tweet("1900000000000099001")], "meta": {"result_count": 1}}),
    (
        "ids-as-numbers",
        {
            "data": [_tweet(1900000000000099002, author=77, conversation_id=1900000000000099002)],
            "includes": {"users": [{"id": 77, "username": "numeric", "name": "N"}]},
            "meta": {"result_count": 1, "newest_id": 1900000000000099002},
        },
    ),
    ("no-text", {"data": [{"id": "1900000000000099003", "author_id": "77"}], "meta": {}}),
    ("no-id", {"data": [{"text": "@acme hello", "author_id": "77"}], "meta": {}}),
    ("bad-date", {"data": [_tweet("1900000000000099004", created_at="yesterday")], "meta": {}}),
    ("data-not-a-list", {"data": {"id": "1"}, "meta": {}}),
    ("users-not-a-list", {"data": [_tweet("1900000000000099005")], "includes": {"users": 3}}),
    ("null-fields", {"data": [_tweet("1900000000000099006", lang=None, entities=None)]}),
]


@pytest.mark.parametrize(("label", "body"), ODD_PAGES, ids=[p[0] for p in ODD_PAGES])
def test_odd_but_valid_json_is_stored_or_rejected_never_dropped(
    x: FakeXServer, source: MentionSource, clock: FakeClock, label: str, body: dict[str, Any]
) -> None:
    store = MemoryStore()
    poller = Poller(store=store, clock=clock)
    x.fail_next(200, path=MENTIONS, body=body)
    out = poller.poll(source)
    posts = body["data"] if isinstance(body["data"], list) else [body["data"]]
    if out.ok:
        # Every post the page carried is accounted for: stored or rejected with a reason.
        assert out.stored + out.rejected >= len(posts), out
        assert all(r.reason for r in store._rejected)
    else:
        assert out.status == "unavailable", out  # retried later, cursor kept
        assert out.error
        assert out.cursor is None


def test_a_24_hour_outage_backs_off_boundedly_then_catches_up(
    x: FakeXServer, source: MentionSource, clock: FakeClock
) -> None:
    before = {t["id"] for t in x.seed_tweets(10)}
    store = MemoryStore()
    poller = Poller(store=store, clock=clock, max_attempts=5)
    assert poller.poll(source).ok
    x.fail_next(503, path=MENTIONS, times=1_000_000)
    during: set[str] = set()
    requests_before = len(x.requests_to(MENTIONS))
    for minute in range(24 * 60):  # the scheduler ticks every minute for a day
        if minute % 10 == 0:
            during |= {t["id"] for t in x.seed_tweets(3)}
        assert poller.poll(source).status in {"unavailable", "skipped"}
        clock.advance(timedelta(minutes=1))
    outage_requests = len(x.requests_to(MENTIONS)) - requests_before
    # Bounded: once "down", one try per 15-minute cap: ~96 a day, not 1,440.
    assert outage_requests <= 24 * 4 + 5
    with x.lock:
        x.faults.clear()
    polls = poll_until_ok(poller, source, clock, limit=20)
    assert polls <= 16  # within one backoff cap of X coming back
    assert stored(store) == before | during
    assert len(during) == 3 * 144
