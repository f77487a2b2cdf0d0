"""The dispatcher claims one row at a time and stamps it before calling Slack: a crash
mid-send delays only that row, and the possible duplicate it leaves is counted."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from listener.config import Settings
from listener.domain import DeliveryState
from listener.errors import StoreError
from listener.health.delivery import DeliveryStats
from listener.health.prometheus import DeliveryCollector
from listener.store import MemoryStore
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import FakeClock, make_mention, seed
from tests.slack.test_dispatch import dispatcher, posted_ids


def samples(stats: DeliveryStats) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(DeliveryCollector(stats))
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_a_crash_inside_one_send_delays_only_that_alert_and_its_duplicate_is_counted(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    ids = [seed(mem, make_mention(i)) for i in (1, 2, 3)]
    stats = DeliveryStats()
    d = dispatcher(fake_slack, settings, mem, clock, observer=stats)
    real = mem.mark_sent
    with (
        mock.patch.object(mem, "mark_sent", side_effect=StoreError("killed")),
        pytest.raises(StoreError),
    ):
        d.run_once()
    # Slack has the first; the other two were never claimed, so they go out now.
    assert d.run_once().sent == 2
    assert {mem.get_alert(i).state for i in ids[1:]} == {DeliveryState.SENT}  # type: ignore[union-attr]
    first = mem.get_alert(ids[0])
    assert first is not None
    assert first.state == DeliveryState.PENDING and first.attempt_started_at is not None
    clock.advance(minutes=5, seconds=1)  # the crashed run's claim lapses
    with mock.patch.object(mem, "mark_sent", side_effect=real):
        assert d.run_once().sent == 1
    again = mem.get_alert(ids[0])
    assert again is not None
    assert (again.state, again.interrupted, again.attempt_started_at) == (
        DeliveryState.SENT, 1, None)
    assert posted_ids(fake_slack) == {"1": 2, "2": 1, "3": 1}
    copies = [p for p in fake_slack.posts() if "order 1 never" in p.text]
    assert ["second copy" in json.dumps(p.blocks) for p in copies] == [False, True]
    assert samples(stats)[("firstreply_slack_interrupted_sends_total", ())] == 1


def test_failures_are_counted_by_error_and_latency_is_measured_from_the_post(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    seed(mem, make_mention(1))  # created at T0, the clock's start
    seed(mem, make_mention(2), channel="#nope")
    fake_slack.missing_channels.add("#nope")
    stats = DeliveryStats()
    d = dispatcher(fake_slack, settings, mem, clock, observer=stats)
    clock.advance(seconds=42)
    result = d.run_once()
    assert (result.sent, result.dead) == (1, 1)
    got = samples(stats)
    assert got[("firstreply_slack_failures_total", (("error", "channel_not_found"),))] == 1
    assert got[("firstreply_alert_latency_seconds_count", ())] == 1
    assert got[("firstreply_alert_latency_seconds_sum", ())] == 42
    assert got[("firstreply_alert_latency_seconds_bucket", (("le", "30.0"),))] == 0
    assert got[("firstreply_alert_latency_seconds_bucket", (("le", "60.0"),))] == 1
