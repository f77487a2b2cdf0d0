"""Health from poll outcomes: spend per network vs budget, the watchdog, what counts as
healthy, persistence (the health file), and the Prometheus exporter."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from listener.health import Budget, Health, HealthFile
from listener.health.prometheus import metrics_text
from listener.ingest import PollOutcome
from listener.ports import RateLimit
from tests.x.conftest import FakeClock


def make(clock: FakeClock, **kw: object) -> Health:
    return Health(clock=clock, budgets={"x": Budget(1.0, 10.0)}, **kw)  # type: ignore[arg-type]


def ok(clock: FakeClock, name: str, *, read: int = 0, usd: float = 0.0, network: str = "x",
       kind: str = "search", rate: RateLimit | None = None) -> PollOutcome:
    return PollOutcome(name, "ok", pages=1, read=read, stored=read, network=network, kind=kind,
                       cost_usd=usd, rate_limit=rate, at=clock.now())


def failed(clock: FakeClock, name: str, status: str = "unavailable", *, down: bool = False
           ) -> PollOutcome:
    return PollOutcome(name, status, error=f"HTTP 503 ({status})", network="x", kind="search",
                       at=clock.now(), next_try_at=clock.now() + timedelta(minutes=1), down=down)


def test_spend_is_what_the_sources_said_reading_cost_per_network(clock: FakeClock) -> None:
    h = make(clock)
    h.record(ok(clock, "mentions:acme", read=100, usd=0.1, kind="owned"))
    h.record(ok(clock, "search:q", read=100, usd=0.5))
    h.record(ok(clock, "free:q", read=1000, usd=0.0, network="free"))
    by_network = {s.network: s for s in h.snapshot().spend}
    assert by_network["x"].today_usd == pytest.approx(0.6)
    assert by_network["free"].today_usd == 0 and by_network["free"].budget is None
    assert h.snapshot().warnings == ()
    h.record(ok(clock, "search:q", read=60, usd=0.3))  # $0.90 of $1.00
    assert any("90% of the daily budget" in w for w in h.snapshot().warnings)
    clock.advance(timedelta(days=1))
    (x, _) = sorted(h.snapshot().spend, key=lambda s: s.network != "x")
    assert x.today_usd == 0
    assert x.month_usd == pytest.approx(0.9)


def test_reads_of_a_poll_that_failed_later_are_still_billed(clock: FakeClock) -> None:
    h = make(clock)
    h.record(PollOutcome("search:q", "unavailable", pages=2, read=200, network="x",
                         kind="search", cost_usd=1.0, at=clock.now()))
    (x,) = h.snapshot().spend
    assert x.today_usd == 1.0


def test_stall_and_quiet_watchdogs(clock: FakeClock) -> None:
    h = make(clock, state=None)
    h.state._stall_after = timedelta(minutes=10)
    for _ in range(180):  # three hours of one poll a minute, 60 posts each
        h.record(ok(clock, "mentions:acme", read=60))
        clock.advance(timedelta(minutes=1))
    [s] = h.snapshot().sources
    assert (s.state, s.stalled, s.quiet, s.usual_per_hour) == ("ok", False, False, 3600)
    for _ in range(60):  # then an hour of nothing, while polls still succeed
        h.record(ok(clock, "mentions:acme"))
        clock.advance(timedelta(minutes=1))
    [s] = h.snapshot().sources
    assert s.quiet and s.last_hour == 0
    assert any("usually" in w for w in h.snapshot().warnings)
    clock.advance(timedelta(minutes=11))
    [s] = h.snapshot().sources
    assert s.stalled
    assert not s.healthy


def test_a_source_failing_without_ever_succeeding_is_unhealthy(clock: FakeClock) -> None:
    # `status` used to say healthy (exit 0) while every source backed off, never read.
    h = make(clock)
    h.record(failed(clock, "mentions:acme"))
    [s] = h.snapshot().sources
    assert s.state == "backing_off" and s.last_success_at is None
    assert not s.healthy and not h.snapshot().healthy
    assert any("never polled successfully" in w for w in h.snapshot().warnings)
    h.record(ok(clock, "mentions:acme"))
    h.record(failed(clock, "mentions:acme"))  # a blip after it worked: still healthy
    assert h.snapshot().healthy
    h.record(failed(clock, "mentions:acme", down=True))
    assert h.snapshot().sources[0].state == "down" and not h.snapshot().healthy


def metrics(h: Health) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(metrics_text(h).decode())
        for s in fam.samples
    }


def test_prometheus_metrics_tell_the_truth(clock: FakeClock) -> None:
    h1, h2 = make(clock), make(clock)  # two instances must not collide
    reset = clock.now() + timedelta(minutes=15)

    class Source:
        name, network, kind, rate_limit = "search:never", "x", "search", None

    h1.register(Source())  # type: ignore[arg-type]
    h1.record(ok(clock, "mentions:acme", read=5, usd=0.005, kind="owned",
                 rate=RateLimit(450, 449, reset)))
    h1.record(failed(clock, "search:q", "auth_failed"))
    h1.record(failed(clock, "search:down"))
    m = metrics(h1)
    src = (("network", "x"), ("source", "mentions:acme"))
    assert m[("firstreply_source_posts_read_total", src)] == 5
    assert m[("firstreply_source_mentions_stored_total", src)] == 5
    assert m[("firstreply_source_rate_limit_remaining", src)] == 449
    assert m[("firstreply_source_up", src)] == 1
    # Never succeeded: not up, whatever else (it used to say 1 for these).
    for name in ("search:never", "search:q", "search:down"):
        assert m[("firstreply_source_up", (("network", "x"), ("source", name)))] == 0, name
    assert ("firstreply_source_last_success_timestamp_seconds",
            (("network", "x"), ("source", "search:never"))) not in m
    assert m[("firstreply_source_poll_errors_total",
              (("kind", "auth_failed"), ("network", "x"), ("source", "search:q")))] == 1
    assert m[("firstreply_spend_usd", (("network", "x"), ("period", "day")))] == 0.005
    assert b"mentions:acme" not in metrics_text(h2)


def test_state_rate_limits_and_spend_survive_a_restart(clock: FakeClock, tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    h = make(clock, file=HealthFile(path))
    reset = clock.now() + timedelta(minutes=15)
    h.record(ok(clock, "search:q", read=40, usd=0.2, rate=RateLimit(450, 300, reset)))
    h.record(failed(clock, "mentions:acme", "auth_failed"))
    again = make(clock, file=HealthFile(path))  # e.g. `firstreply status`, another process
    snap = again.snapshot()
    assert [s.state for s in snap.sources] == ["auth_failed", "ok"]
    assert snap.sources[0].last_error == "HTTP 503 (auth_failed)"
    q = snap.sources[1]
    assert (q.posts_read, q.last_success_at) == (40, clock.now())
    # `status` used to show "-" here: the rate limit was never written to the file.
    assert q.rate_limit == RateLimit(450, 300, reset)
    assert snap.spend[0].today_usd == pytest.approx(0.2)


def test_poll_jobs_saving_at_once_never_trip_over_each_other(
    clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Two poll jobs wrote through the same ``.tmp`` path outside the lock: one renamed the
    # other's file away ("could not save health state ... No such file or directory").
    path = tmp_path / "health.json"
    h = make(clock, file=HealthFile(path))
    start = threading.Barrier(4)

    def poll_job(name: str) -> None:
        start.wait()
        for i in range(150):
            h.record(ok(clock, name, read=i))

    caplog.set_level(logging.WARNING, logger="listener.health")
    jobs = [threading.Thread(target=poll_job, args=(f"search:{n}",)) for n in range(4)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    assert not [r for r in caplog.records if "could not save" in r.getMessage()]
    saved = json.loads(path.read_text())
    assert sorted(saved["sources"]) == [f"search:{n}" for n in range(4)]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
