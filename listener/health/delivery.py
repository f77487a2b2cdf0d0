"""Slack delivery since start: failures by error, cut-off sends, alert latency.

Pure and thread-safe: the dispatcher reports each outcome (it is the dispatcher's
``DeliveryObserver``); the Prometheus exporter reads ``snapshot()`` at each scrape.
Latency is from the post's creation on its network to the alert's first Slack post:
what the team's reaction time is built on.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from listener.domain import Alert, AlertKind
from listener.errors import DeliveryError
from listener.ports import TriagedMention

__all__ = ["LATENCY_BUCKETS", "DeliverySnapshot", "DeliveryStats"]

#: Upper bounds in seconds: a streamed post alerts in seconds, a polled one in minutes.
LATENCY_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 14400.0)


@dataclass(frozen=True, slots=True)
class DeliverySnapshot:
    failures: dict[str, int]
    interrupted: int
    #: Cumulative counts per upper bound in ``LATENCY_BUCKETS`` (Prometheus' ``le``).
    latency_buckets: tuple[tuple[float, int], ...]
    latency_count: int
    latency_sum: float


class DeliveryStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: Counter[str] = Counter()
        self._interrupted = 0
        self._buckets = [0] * len(LATENCY_BUCKETS)
        self._count = 0
        self._sum = 0.0

    def delivered(self, alert: Alert, item: TriagedMention, at: datetime) -> None:
        if alert.kind != AlertKind.ALERT:
            return
        seconds = max(0.0, (at - item.mention.created_at).total_seconds())
        with self._lock:
            self._count += 1
            self._sum += seconds
            for i, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self._buckets[i] += 1

    def failed(self, alert: Alert, error: DeliveryError) -> None:
        with self._lock:
            self._failures[error.code or "other"] += 1

    def interrupted(self, alert: Alert) -> None:
        with self._lock:
            self._interrupted += 1

    def snapshot(self) -> DeliverySnapshot:
        with self._lock:
            return DeliverySnapshot(
                failures=dict(self._failures),
                interrupted=self._interrupted,
                latency_buckets=tuple(zip(LATENCY_BUCKETS, self._buckets, strict=True)),
                latency_count=self._count,
                latency_sum=self._sum,
            )
