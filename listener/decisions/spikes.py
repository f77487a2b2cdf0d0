"""Sudden rises in volume or complaint share, per brand and topic.

Pure and in memory. Posts are counted in fixed time buckets (15 minutes by default) by
their own timestamp, per ``(brand, topic)`` and per ``(brand, "*")`` for the brand as a
whole. A bucket is a spike when, against the trailing baseline (96 buckets, i.e. a day),

* volume: it holds at least ``min_count`` posts, ``min_ratio`` times the usual, and the
  Poisson tail ``P(X >= count | usual)`` is below ``p_value``; or
* complaint share: at least ``min_count`` posts, a share of complaints ``min_delta``
  above the usual share and a one-sided z-score of at least ``share_z``.

A (brand, topic) that spiked stays quiet for ``rearm_buckets`` buckets, so a sustained
rise raises one spike alert, not one per post. No baseline, no spike: a series needs
``min_history_buckets`` of observed history first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["ALL_TOPICS", "SpikeDetector", "SpikeEvent", "SpikeRules", "poisson_sf"]

ALL_TOPICS = "*"


@dataclass(frozen=True, slots=True)
class SpikeRules:
    bucket: timedelta = timedelta(minutes=15)
    #: A day: a shorter baseline mistakes every morning's ramp-up for a spike.
    baseline_buckets: int = 96
    min_history_buckets: int = 16
    min_count: int = 10
    #: Real mention counts are overdispersed: the Poisson tail alone fires too often.
    min_ratio: float = 4.0
    p_value: float = 1e-4
    #: The usual rate never counts as less than this many posts a bucket: a topic that
    #: is usually silent needs more than a couple of posts to "spike".
    floor_rate: float = 0.5
    min_delta: float = 0.25
    share_z: float = 3.0
    #: Baseline posts needed before a complaint share means anything.
    share_min_baseline: int = 20
    rearm_buckets: int = 4


@dataclass(frozen=True, slots=True)
class SpikeEvent:
    brand: str
    topic: str
    kind: str  # "volume" or "complaint_share"
    window_start: datetime
    window: timedelta
    count: int
    complaints: int
    #: Usual posts per bucket (volume) or usual complaint share (complaint_share).
    baseline: float
    #: Poisson tail probability (volume) or z-score (complaint_share).
    score: float

    @property
    def key(self) -> tuple[str, str, datetime]:
        return (self.brand, self.topic, self.window_start)

    def describe(self) -> str:
        what = "posts" if self.topic == ALL_TOPICS else f"'{self.topic}' posts"
        minutes = int(self.window.total_seconds() // 60)
        if self.kind == "volume":
            return (
                f"spike: {self.count} {what} in {minutes} min "
                f"(usually {self.baseline:.1f})"
            )
        share = self.complaints / self.count if self.count else 0.0
        return (
            f"spike: {share:.0%} of {self.count} {what} in {minutes} min are complaints "
            f"(usually {self.baseline:.0%})"
        )


def poisson_sf(k: int, lam: float) -> float:
    """``P(X >= k)`` for ``X ~ Poisson(lam)``, computed in log space."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    if k <= lam:
        # Near or below the mode the upper tail converges slowly: use the complement.
        head = sum(math.exp(j * math.log(lam) - lam - math.lgamma(j + 1)) for j in range(k))
        return max(0.0, 1.0 - head)
    # Above the mode the terms shrink geometrically (ratio lam / i < 1).
    log_term = k * math.log(lam) - lam - math.lgamma(k + 1)
    total = 0.0
    i = k
    while True:
        term = math.exp(log_term)
        total += term
        i += 1
        log_term += math.log(lam) - math.log(i)
        if term <= total * 1e-12:
            return min(1.0, total)


@dataclass(slots=True)
class _Series:
    buckets: dict[int, list[int]] = field(default_factory=dict)  # index -> [posts, complaints]
    raised_at: int | None = None


class SpikeDetector:
    def __init__(self, rules: SpikeRules | None = None, *, start: datetime | None = None) -> None:
        self.rules = rules or SpikeRules()
        self._series: dict[tuple[str, str], _Series] = {}
        self._first: int | None = self._index(start) if start is not None else None
        self._events: dict[tuple[str, str], SpikeEvent] = {}
        #: Per brand, the bucket index each topic's latest spike started at: checked on
        #: every post, so a dict of ints rather than a scan of every brand's events.
        self._topic_spikes: dict[str, dict[str, int]] = {}

    def _index(self, at: datetime) -> int:
        return int(at.timestamp() // self.rules.bucket.total_seconds())

    def _start_of(self, index: int) -> datetime:
        return datetime.fromtimestamp(index * self.rules.bucket.total_seconds(), UTC)

    def observe(self, brand: str, topic: str, at: datetime, *, complaint: bool) -> list[SpikeEvent]:
        """Count one post; return the spikes it raises (at most one per series)."""
        idx = self._index(at)
        if self._first is None or idx < self._first:
            self._first = idx
        events: list[SpikeEvent] = []
        for t in (topic, ALL_TOPICS):
            series = self._series.setdefault((brand, t), _Series())
            cell = series.buckets.setdefault(idx, [0, 0])
            cell[0] += 1
            cell[1] += int(complaint)
            self._trim(series, idx)
            if t == ALL_TOPICS and self._topic_hot(brand, idx):
                continue  # a topic's own spike says it better than a brand-wide one
            event = self._check(brand, t, series, idx)
            if event is not None:
                series.raised_at = idx
                self._events[(brand, t)] = event
                if t != ALL_TOPICS:
                    self._topic_spikes.setdefault(brand, {})[t] = self._index(event.window_start)
                events.append(event)
        return events

    def _topic_hot(self, brand: str, idx: int) -> bool:
        rearm = self.rules.rearm_buckets
        return any(0 <= idx - start < rearm for start in self._topic_spikes.get(brand, {}).values())

    def active(self, brand: str, topic: str, at: datetime) -> SpikeEvent | None:
        """The spike raised for ``(brand, topic)`` (or the brand) that is still recent."""
        idx = self._index(at)
        for t in (topic, ALL_TOPICS):
            event = self._events.get((brand, t))
            if event is not None and 0 <= idx - self._index(event.window_start) < (
                self.rules.rearm_buckets
            ):
                return event
        return None

    def _trim(self, series: _Series, idx: int) -> None:
        keep_from = idx - self.rules.baseline_buckets - 1
        if len(series.buckets) > self.rules.baseline_buckets + 2:
            for old in [i for i in series.buckets if i < keep_from]:
                del series.buckets[old]

    def _check(self, brand: str, topic: str, series: _Series, idx: int) -> SpikeEvent | None:
        r = self.rules
        if series.raised_at is not None and idx - series.raised_at < r.rearm_buckets:
            return None
        assert self._first is not None
        lo = max(self._first, idx - r.baseline_buckets)
        n_hist = idx - lo
        if n_hist < r.min_history_buckets:
            return None
        count, complaints = series.buckets[idx]
        if count < r.min_count:
            return None
        past = [series.buckets.get(i, [0, 0]) for i in range(lo, idx)]
        base_posts = sum(p for p, _ in past)
        base_complaints = sum(c for _, c in past)
        rate = base_posts / n_hist
        start = self._start_of(idx)
        lam = max(rate, r.floor_rate)
        if count >= r.min_ratio * lam:
            p = poisson_sf(count, lam)
            if p < r.p_value:
                return SpikeEvent(brand, topic, "volume", start, r.bucket, count, complaints,
                                  rate, p)
        if base_posts >= r.share_min_baseline:
            p0 = base_complaints / base_posts
            share = complaints / count
            clamped = min(max(p0, 0.02), 0.98)
            z = (share - p0) / math.sqrt(clamped * (1 - clamped) / count)
            if share - p0 >= r.min_delta and z >= r.share_z:
                return SpikeEvent(brand, topic, "complaint_share", start, r.bucket, count,
                                  complaints, p0, z)
        return None
