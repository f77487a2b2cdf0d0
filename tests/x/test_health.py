"""Health: spend vs budget, the watchdog, Prometheus metrics, persistence."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from listener.config import XPrices
from listener.health import Health, RateLimitInfo
from tests.x.conftest import FakeClock


def make(clock: FakeClock, **kw: object) -> Health:
    return Health(
        clock=clock, prices=XPrices(), daily_budget_usd=1.0, monthly_budget_usd=10.0, **kw
    )  # type: ignore[arg-type]


def test_spend_uses_the_unit_price_of_each_kind(clock: FakeClock) -> None:
    h = make(clock)
    h.register("mentions:acme", "owned")
    h.register("search:q", "search")
    h.record_page("mentions:acme", read=100, stored=90, rejected=1)
    h.record_page("search:q", read=100, stored=80, rejected=0)
    snap = h.snapshot()
    assert snap.spend_today_usd == pytest.approx(100 * 0.001 + 100 * 0.005)
    assert snap.warnings == ()
    h.record_page("search:q", read=60, stored=0, rejected=0)  # $0.90 of $1.00
    assert any("90% of the daily budget" in w for w in h.snapshot().warnings)
    clock.advance(timedelta(days=1))
    snap = h.snapshot()
    assert snap.spend_today_usd == 0
    assert snap.spend_month_usd == pytest.approx(0.9)


def test_stall_and_quiet_watchdogs(clock: FakeClock) -> None:
    h = make(clock, stall_after=timedelta(minutes=10))
    for _ in range(180):  # three hours of one poll a minute, 60 posts each
        h.record_page("mentions:acme", read=60, stored=60, rejected=0)
        h.record_success("mentions:acme")
        clock.advance(timedelta(minutes=1))
    [s] = h.snapshot().sources
    assert s.state == "ok"
    assert not s.stalled
    assert not s.quiet
    assert s.usual_per_hour == 3600
    for _ in range(60):  # then an hour of nothing, while polls still succeed
        h.record_success("mentions:acme")
        clock.advance(timedelta(minutes=1))
    [s] = h.snapshot().sources
    assert s.quiet
    assert s.last_hour == 0
    assert any("usually" in w for w in h.snapshot().warnings)
    clock.advance(timedelta(minutes=11))
    [s] = h.snapshot().sources
    assert s.stalled
    assert not s.healthy


def test_prometheus_metrics_in_a_dedicated_registry(clock: FakeClock) -> None:
    h1, h2 = make(clock), make(clock)  # two instances must not collide
    h1.register("mentions:acme", "owned")
    h1.record_page("mentions:acme", read=5, stored=4, rejected=1)
    reset = clock.now() + timedelta(minutes=15)
    h1.record_success("mentions:acme", rate_limit=RateLimitInfo(450, 449, reset))
    h1.record_auth_failed("search:q", error="401")
    metrics = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(h1.metrics_text().decode())
        for s in fam.samples
    }
    src = (("source", "mentions:acme"),)
    assert metrics[("firstreply_x_posts_read_total", src)] == 5
    assert metrics[("firstreply_x_mentions_stored_total", src)] == 4
    assert metrics[("firstreply_x_rate_limit_remaining", src)] == 449
    assert metrics[("firstreply_x_source_up", src)] == 1
    assert metrics[("firstreply_x_source_up", (("source", "search:q"),))] == 0
    assert metrics[("firstreply_x_spend_usd", (("period", "day"),))] == 0.005
    assert b"mentions:acme" not in h2.metrics_text()


def test_spend_and_totals_survive_a_restart(clock: FakeClock, tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    h = make(clock, state_path=path)
    h.register("search:q", "search")
    h.record_page("search:q", read=40, stored=40, rejected=0)
    h.record_success("search:q")
    h.record_auth_failed("mentions:acme", error="HTTP 401")
    again = make(clock, state_path=path)  # e.g. `firstreply status`, another process
    snap = again.snapshot()
    assert [s.state for s in snap.sources] == ["auth_failed", "ok"]
    assert snap.sources[0].last_error == "HTTP 401"
    snap = dataclasses.replace(snap, sources=snap.sources[1:])
    assert snap.spend_today_usd == pytest.approx(0.2)
    assert snap.sources[0].posts_read == 40
    assert snap.sources[0].last_success_at == clock.now()
