"""Liveness (the jobs' heartbeats) and the /healthz + /metrics endpoint over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from listener.health import Health
from listener.health.liveness import Heartbeats
from listener.health.server import HealthServer
from listener.ports import StoreCounts

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class FrozenClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def counts(dead: int = 0) -> StoreCounts:
    return StoreCounts(mentions=10, rejected=1, pending_triage=3,
                       alerts={"sent": 4, "pending": 2, "dead": dead}, feedback=0)


def test_a_job_is_alive_within_its_grace_and_while_it_runs() -> None:
    beats = Heartbeats()
    beats.register("triage", timedelta(seconds=2), T0)
    assert beats.stalled(T0 + timedelta(minutes=4)) == []  # grace from start-up
    assert beats.stalled(T0 + timedelta(minutes=6)) == ["triage"]
    beats.started("triage", T0 + timedelta(minutes=6))
    # A burst of triage runs long: running is alive, until it looks hung.
    assert beats.stalled(T0 + timedelta(minutes=20)) == []
    assert beats.stalled(T0 + timedelta(minutes=37)) == ["triage"]
    beats.finished("triage", T0 + timedelta(minutes=37))
    assert beats.stalled(T0 + timedelta(minutes=40)) == []


def test_slow_jobs_get_a_grace_of_several_intervals() -> None:
    beats = Heartbeats()
    beats.register("poll:mentions:acme", timedelta(minutes=15), T0)
    beats.finished("poll:mentions:acme", T0)
    assert beats.stalled(T0 + timedelta(minutes=70)) == []
    assert beats.stalled(T0 + timedelta(minutes=76)) == ["poll:mentions:acme"]


@pytest.fixture
def endpoint() -> Iterator[tuple[HealthServer, Heartbeats, FrozenClock, list[int]]]:
    clock = FrozenClock(T0)
    beats = Heartbeats()
    beats.register("dispatch", timedelta(seconds=1), T0)
    dead = [0]
    server = HealthServer(health=Health(clock=clock), heartbeats=beats,
                          counts=lambda: counts(dead[0]), now=clock.now, port=0)
    server.start()
    try:
        yield server, beats, clock, dead
    finally:
        server.stop()


def get(server: HealthServer, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_healthz_says_ok_degraded_or_stalled(
    endpoint: tuple[HealthServer, Heartbeats, FrozenClock, list[int]],
) -> None:
    server, _beats, clock, dead = endpoint
    code, body = get(server, "/healthz")
    report = json.loads(body)
    assert (code, report["status"]) == (200, "ok")
    assert report["triage_backlog"] == 3 and report["outbox"]["pending"] == 2

    dead[0] = 2  # dead letters need a person, not a restart
    code, body = get(server, "/healthz")
    assert (code, json.loads(body)["status"]) == (200, "degraded")

    clock.at = T0 + timedelta(minutes=10)  # dispatch has not run for 10 minutes
    code, body = get(server, "/healthz")
    report = json.loads(body)
    assert (code, report["status"], report["stalled_jobs"]) == (503, "stalled", ["dispatch"])


def test_metrics_cover_backlog_outbox_and_jobs(
    endpoint: tuple[HealthServer, Heartbeats, FrozenClock, list[int]],
) -> None:
    server, beats, _clock, _dead = endpoint
    beats.finished("dispatch", T0)
    code, body = get(server, "/metrics")
    text = body.decode()
    assert code == 200
    assert "firstreply_triage_backlog 3.0" in text
    assert 'firstreply_outbox_alerts{state="pending"} 2.0' in text
    assert "firstreply_dead_letters 0.0" in text
    assert 'firstreply_job_alive{job="dispatch"} 1.0' in text
    from prometheus_client.parser import text_string_to_metric_families

    last = {s.labels["job"]: s.value for fam in text_string_to_metric_families(text)
            for s in fam.samples if s.name == "firstreply_job_last_finished_timestamp_seconds"}
    assert last == {"dispatch": T0.timestamp()}
    assert get(server, "/nope")[0] == 404


def test_the_endpoint_answers_when_the_store_does_not() -> None:
    clock = FrozenClock(T0)

    def broken() -> StoreCounts:
        raise RuntimeError("database is locked")

    server = HealthServer(health=Health(clock=clock), heartbeats=Heartbeats(), counts=broken,
                          now=clock.now, port=0)
    server.start()
    try:
        code, body = get(server, "/healthz")
    finally:
        server.stop()
    assert code == 200 and json.loads(body)["triage_backlog"] is None
