"""Spike detection over per-brand, per-topic buckets."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from listener.decisions.spikes import ALL_TOPICS, SpikeDetector, SpikeRules, poisson_sf
from tests.core.doubles import T0

BUCKET = timedelta(minutes=15)
#: Small numbers keep the tests readable; the defaults are tuned on the airline replay.
RULES = SpikeRules(baseline_buckets=24, min_history_buckets=4, min_count=8, min_ratio=3.0,
                   p_value=1e-3)


@pytest.mark.parametrize(
    ("k", "lam", "expected"),
    [
        (0, 2.0, 1.0),
        (1, 2.0, 1 - math.exp(-2)),
        (3, 2.0, 1 - math.exp(-2) * (1 + 2 + 2)),
        (10, 1.0, 1.1142547833872e-07),
        (5, 0.0, 0.0),
    ],
)
def test_poisson_tail(k: int, lam: float, expected: float) -> None:
    assert poisson_sf(k, lam) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def steady(det: SpikeDetector, buckets: int, per_bucket: int, *, complaints: int = 0,
           topic: str = "delivery") -> list[object]:
    events: list[object] = []
    for b in range(buckets):
        for i in range(per_bucket):
            at = T0 + b * BUCKET + timedelta(seconds=10 * i)
            events += det.observe("Acme", topic, at, complaint=i < complaints)
    return events


def test_steady_traffic_never_spikes() -> None:
    det = SpikeDetector(RULES)
    assert steady(det, 30, 2, complaints=1) == []


def test_a_burst_raises_one_volume_spike_per_topic_and_window() -> None:
    det = SpikeDetector(RULES)
    steady(det, 8, 1)
    burst_at = T0 + 8 * BUCKET
    raised = []
    for i in range(25):
        raised += det.observe("Acme", "delivery", burst_at + timedelta(seconds=i), complaint=True)
    assert len(raised) == 1
    (event,) = raised
    assert (event.topic, event.kind, event.count) == ("delivery", "volume", 8)
    assert event.window_start == burst_at
    assert event.score < 1e-3
    assert event.describe() == "spike: 8 'delivery' posts in 15 min (usually 1.0)"
    assert det.active("Acme", "delivery", burst_at + timedelta(minutes=5)) == event
    # The next bucket is still hot, but the topic has spiked recently: no second alert.
    more = [det.observe("Acme", "delivery", burst_at + BUCKET + timedelta(seconds=i),
                        complaint=True) for i in range(25)]
    assert not any(more)
    assert det.active("Acme", "delivery", burst_at + 4 * BUCKET) is None


def test_no_spike_without_history() -> None:
    det = SpikeDetector(RULES)
    raised = [det.observe("Acme", "delivery", T0, complaint=True) for _ in range(50)]
    assert not any(raised)


def test_a_rise_in_complaint_share_is_a_spike() -> None:
    det = SpikeDetector(RULES)
    steady(det, 10, 10, complaints=2)  # 20% complaints, 10 posts a bucket
    at = T0 + 10 * BUCKET
    raised = []
    for i in range(10):
        raised += det.observe("Acme", "delivery", at + timedelta(seconds=i), complaint=i < 9)
    kinds = {(e.topic, e.kind) for e in raised}
    assert ("delivery", "complaint_share") in kinds
    event = next(e for e in raised if e.topic == "delivery")
    assert event.describe() == (
        "spike: 100% of 8 'delivery' posts in 15 min are complaints (usually 20%)"
    )


def test_brand_wide_spike_when_no_single_topic_spikes() -> None:
    det = SpikeDetector(RULES)
    topics = ["a", "b", "c", "d", "e"]
    for b in range(8):
        det.observe("Acme", topics[b % 5], T0 + b * BUCKET, complaint=False)
    at = T0 + 8 * BUCKET
    raised = []
    for i in range(15):
        raised += det.observe("Acme", topics[i % 5], at + timedelta(seconds=i), complaint=False)
    assert [e.topic for e in raised] == [ALL_TOPICS]
    assert raised[0].describe().startswith("spike: 8 posts in 15 min")
