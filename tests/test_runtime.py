"""The composition root and the runtime it builds, in process: what a cycle's exit code
says, the jobs, the filtered stream as a service, and each brand's own replier."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from listener.config import Secrets, Settings
from listener.decisions import Rulebook
from listener.dispatch import DispatchResult
from listener.domain import Author, Mention
from listener.errors import FirstReplyError, PermanentDelivery
from listener.health import Health
from listener.ingest import PollOutcome
from listener.pipeline import TriageResult
from listener.runtime import (
    EXIT_DEGRADED,
    EXIT_FAILED,
    EXIT_OK,
    CycleReport,
    Runtime,
    build_runtime,
)
from listener.runtime.build import build_replier
from listener.store import MemoryStore
from listener.streaming import StreamService
from tests.backfill.doubles import KeywordClassifier
from tests.fakes.x_server import FakeXServer
from tests.x.conftest import FakeClock

TOKEN = "runtime-test-bearer"


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def outcome(status: str) -> PollOutcome:
    return PollOutcome(f"s-{status}", status)


@pytest.mark.parametrize(
    ("statuses", "dispatch", "code"),
    [
        (["ok", "ok"], DispatchResult(sent=3), EXIT_OK),
        (["ok", "skipped", "rate_limited"], DispatchResult(), EXIT_OK),
        (["unavailable", "unavailable"], DispatchResult(), EXIT_FAILED),
        (["ok", "unavailable"], DispatchResult(sent=1), EXIT_DEGRADED),
        (["ok", "auth_failed"], DispatchResult(sent=1), EXIT_FAILED),
        (["store_failed"], DispatchResult(), EXIT_FAILED),
        (["ok"], DispatchResult(retrying=2), EXIT_FAILED),  # nothing reached Slack
        (["ok"], DispatchResult(sent=2, dead=1), EXIT_DEGRADED),
    ],
)
def test_a_cycle_exits_non_zero_when_errors_stopped_it(
    statuses: list[str], dispatch: DispatchResult, code: int
) -> None:
    report = CycleReport(tuple(outcome(s) for s in statuses), TriageResult(), dispatch)
    assert report.exit_code == code


@pytest.fixture
def fake_x() -> Iterator[FakeXServer]:
    with FakeXServer(brand_username="acme", bearer_token=TOKEN, keepalive_interval=0.05) as x:
        x.add_user("globex", name="Globex", id="2000")
        yield x


def settings_for(x: FakeXServer, **xs: object) -> Settings:
    return Settings.model_validate({
        "x": {"api_base_url": x.base_url, "timeout_seconds": 2.0, "poll_interval_seconds": 7,
              **xs},
        "brands": [
            {"name": "Acme", "handles": ["acme"], "user_ids": {"acme": "1000"},
             "queries": ["acme"]},
            {"name": "Globex", "handles": ["globex"], "user_ids": {"globex": "2000"}},
        ],
    })


def secrets(**more: str) -> Secrets:
    return Secrets.model_validate({"x_bearer_token": TOKEN, **more})


def runtime_for(settings: Settings, *, services: bool = False,
                **more: str) -> tuple[MemoryStore, FakeClock, Runtime]:
    store, clock = MemoryStore(), FakeClock()
    runtime = build_runtime(
        settings, secrets(**more), store=store, clock=clock, classifier=KeywordClassifier(),
        health=Health(clock=clock), services=services,
    )
    return store, clock, runtime


def test_the_jobs_come_from_the_sources_and_the_network_registry(fake_x: FakeXServer) -> None:
    _, _, runtime = runtime_for(settings_for(fake_x))
    jobs = {j.id: j for j in runtime.jobs()}
    (search,) = [s.name for s in runtime.sources if s.kind == "search"]
    assert set(jobs) == {"poll:mentions:acme", "poll:mentions:globex", f"poll:{search}",
                         "triage", "dispatch", "escalate", "daily-digest"}
    assert jobs["poll:mentions:acme"].seconds == 7  # x.poll_interval_seconds, via the registry
    assert jobs["daily-digest"].misfire_grace_time == 6 * 3600
    assert jobs["daily-digest"].run_at_start


def test_the_filtered_stream_runs_as_a_service_with_its_catch_up(fake_x: FakeXServer) -> None:
    # With x.stream on, the queries used to be dropped and nothing started the stream.
    store, _, runtime = runtime_for(settings_for(fake_x, stream=True), services=True)
    services = runtime.services
    (stream,) = [s for s in services if isinstance(s, StreamService)]
    assert not any(s.name.startswith("search:") for s in runtime.sources)
    stream.start()
    try:
        assert fake_x.wait_for_stream_clients(1)
        assert [r["value"] for r in fake_x.rules.values()] == ["acme"]
        live = fake_x.add_tweet("acme ate my homework", author="ann")
        wait_until(lambda: store.get_mention(("x", live["id"])) is not None)
        assert store.get_cursor("stream") == live["id"]
        missed = fake_x.add_tweet("acme lost my parcel", author="bob", stream=False)
        fake_x.disconnect_streams()
        wait_until(lambda: store.get_mention(("x", missed["id"])) is not None)
        assert store.get_cursor("stream") == missed["id"]
    finally:
        stream.stop()
    wait_until(lambda: fake_x.stream_clients == 0)
    runtime.close()


def test_a_tier_without_the_stream_is_refused_at_start_with_what_to_do(
    fake_x: FakeXServer,
) -> None:
    _, _, runtime = runtime_for(settings_for(fake_x, stream=True), services=True)
    (stream,) = [s for s in runtime.services if isinstance(s, StreamService)]
    fake_x.fail_next(403, path="/2/tweets/search/stream/rules")
    with pytest.raises(FirstReplyError, match=r"set x.stream = false to poll recent search"):
        stream.start()


def test_each_brand_replies_as_its_own_account(fake_x: FakeXServer) -> None:
    # One XReplier used to serve every brand with the first brand's handle.
    settings = settings_for(fake_x)
    store, clock = MemoryStore(), FakeClock()
    fake_x.access_tokens["globex-token"] = "2000"
    user = {"x_consumer_key": "ck", "x_consumer_secret": "cs", "x_access_token_secret": "ats"}

    def mention(brand: str, handle: str) -> Mention:
        post = fake_x.add_tweet(f"@{handle} my order is lost", author="ann")
        return Mention("x", post["id"], post["text"], Author("u1", "ann"), clock.now(),
                       brand=brand, addresses_brand=True)

    as_acme = build_replier(settings, secrets(**user, x_access_token="test-access-token"),
                            store, clock)
    assert as_acme.reply(mention("Acme", "acme"), "Sorry!", idempotency_key="a").startswith(
        "https://x.com/acme/status/")
    # Acme's credentials never post as Globex: refused before any request.
    posted = len(fake_x.posted)
    with pytest.raises(PermanentDelivery, match=r"credentials are @acme's, not Globex's"):
        as_acme.reply(mention("Globex", "globex"), "Sorry!", idempotency_key="g")
    assert len(fake_x.posted) == posted
    as_globex = build_replier(settings, secrets(**user, x_access_token="globex-token"),
                              store, clock)
    assert as_globex.reply(mention("Globex", "globex"), "Sorry!", idempotency_key="g2"
                           ).startswith("https://x.com/globex/status/")
    with pytest.raises(PermanentDelivery, match="no X account is configured to reply for Other"):
        as_acme.reply(mention("Other", "other"), "hi", idempotency_key="o")
    assert as_acme.cost_warning(mention("Acme", "acme"), "see https://acme.com") is not None

    without = build_replier(settings, secrets(), store, clock)
    with pytest.raises(PermanentDelivery, match=r"X_CONSUMER_KEY.*reply on X directly"):
        without.reply(mention("Acme", "acme"), "hi", idempotency_key="n")


def test_rules_are_built_once_for_triage(fake_x: FakeXServer) -> None:
    _, _, runtime = runtime_for(settings_for(fake_x))
    rules = runtime.triage.engine.rules
    assert isinstance(rules, Rulebook)
    assert rules.rules_for("Globex") is rules.rules_for("@globex")
    assert timedelta(minutes=30) == rules.rules_for("Acme").author_cooldown
