"""Prometheus metrics, computed at each scrape from ``Health.snapshot()`` and the store.

The only module that imports ``prometheus_client``: the core records outcomes, this
exporter reads them. Computing each scrape from the snapshot keeps the metrics true to
what ``firstreply status`` says (``firstreply_source_up`` is 1 only for a healthy source
that has succeeded at least once). ``listener.health.server`` serves them during ``run``.

    firstreply_source_up{source,network}                   1 healthy and working, else 0
    firstreply_source_posts_read_total{source,network}     posts read (billed)
    firstreply_source_mentions_stored_total{source,network}
    firstreply_source_rejected_total{source,network}       posts that could not be parsed
    firstreply_source_poll_errors_total{source,network,kind}
    firstreply_source_last_success_timestamp_seconds{source,network}  (once it succeeded)
    firstreply_source_rate_limit_remaining{source,network}            (when reported)
    firstreply_spend_usd{network,period}                   estimated spend, day / month
    firstreply_triage_backlog                              stored mentions not yet decided
    firstreply_outbox_alerts{state}                        Slack messages by delivery state
    firstreply_dead_letters                                messages that will not be retried
    firstreply_job_last_finished_timestamp_seconds{job}    each scheduler job's last run
    firstreply_job_alive{job}                              0 once a job stalls (see liveness)
    firstreply_slack_failures_total{error}                 failed Slack sends by error code
    firstreply_slack_interrupted_sends_total               sends cut off mid-call (duplicates?)
    firstreply_alert_latency_seconds                       histogram: post created -> alerted
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from listener.health import Health
    from listener.health.delivery import DeliveryStats
    from listener.health.liveness import Heartbeats
    from listener.ports import StoreCounts

__all__ = [
    "DeliveryCollector",
    "HealthCollector",
    "RuntimeCollector",
    "exposition",
    "metrics_text",
    "registry_for",
]

log = logging.getLogger(__name__)


class HealthCollector(Collector):
    def __init__(self, health: Health) -> None:
        self._health = health

    def collect(self) -> Iterator[Any]:
        snap = self._health.snapshot()
        labels = ["source", "network"]
        up = GaugeMetricFamily("firstreply_source_up",
                               "1 when the source is healthy and has succeeded.", labels=labels)
        read = CounterMetricFamily("firstreply_source_posts_read", "Posts read.", labels=labels)
        stored = CounterMetricFamily("firstreply_source_mentions_stored",
                                     "New mentions stored.", labels=labels)
        rejected = CounterMetricFamily("firstreply_source_rejected",
                                       "Posts that could not be parsed.", labels=labels)
        errors = CounterMetricFamily("firstreply_source_poll_errors", "Failed polls by kind.",
                                     labels=[*labels, "kind"])
        last = GaugeMetricFamily("firstreply_source_last_success_timestamp_seconds",
                                 "Last successful poll.", labels=labels)
        remaining = GaugeMetricFamily("firstreply_source_rate_limit_remaining",
                                      "Requests left in the rate-limit window.", labels=labels)
        for s in snap.sources:
            key = [s.name, s.network]
            up.add_metric(key, 1.0 if s.up else 0.0)
            read.add_metric(key, s.posts_read)
            stored.add_metric(key, s.stored)
            rejected.add_metric(key, s.rejected)
            for kind, n in sorted(s.errors.items()):
                errors.add_metric([*key, kind], n)
            if s.last_success_at is not None:
                last.add_metric(key, s.last_success_at.timestamp())
            if s.rate_limit is not None:
                remaining.add_metric(key, s.rate_limit.remaining)
        spend = GaugeMetricFamily("firstreply_spend_usd", "Estimated spend.",
                                  labels=["network", "period"])
        for network in snap.spend:
            spend.add_metric([network.network, "day"], network.today_usd)
            spend.add_metric([network.network, "month"], network.month_usd)
        yield from (up, read, stored, rejected, errors, last, remaining, spend)


class RuntimeCollector(Collector):
    """The work in hand: triage backlog, outbox by state, and the jobs' heartbeats."""

    def __init__(
        self,
        *,
        counts: Callable[[], StoreCounts] | None = None,
        heartbeats: Heartbeats | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._counts = counts
        self._heartbeats = heartbeats
        self._now = now

    def collect(self) -> Iterator[Any]:
        if self._counts is not None:
            counts = self._counts()
            yield GaugeMetricFamily("firstreply_triage_backlog",
                                    "Stored mentions waiting for a decision.",
                                    value=counts.pending_triage)
            outbox = GaugeMetricFamily("firstreply_outbox_alerts",
                                       "Slack messages in the outbox by delivery state.",
                                       labels=["state"])
            for state in ("pending", "retrying", "sent", "dead"):
                outbox.add_metric([state], counts.alerts.get(state, 0))
            yield outbox
            yield GaugeMetricFamily("firstreply_dead_letters",
                                    "Slack messages that will not be retried.",
                                    value=counts.dead_letters)
        if self._heartbeats is not None and self._now is not None:
            now = self._now()
            last = GaugeMetricFamily("firstreply_job_last_finished_timestamp_seconds",
                                     "When each scheduler job last finished a run.",
                                     labels=["job"])
            alive = GaugeMetricFamily("firstreply_job_alive",
                                      "1 while the job keeps running on schedule.",
                                      labels=["job"])
            for job, beat in sorted(self._heartbeats.beats().items()):
                if beat.finished_at is not None:
                    last.add_metric([job], beat.finished_at.timestamp())
                alive.add_metric([job], 1.0 if beat.alive(now) else 0.0)
            yield last
            yield alive


class DeliveryCollector(Collector):
    """Slack delivery outcomes since start (``DeliveryStats``, fed by the dispatcher)."""

    def __init__(self, stats: DeliveryStats) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Any]:
        snap = self._stats.snapshot()
        failures = CounterMetricFamily("firstreply_slack_failures",
                                       "Failed Slack sends by Slack's error code.",
                                       labels=["error"])
        for error, n in sorted(snap.failures.items()):
            failures.add_metric([error], n)
        yield failures
        yield CounterMetricFamily("firstreply_slack_interrupted_sends",
                                  "Sends cut off mid-call: each may have left a duplicate.",
                                  value=snap.interrupted)
        buckets = [(repr(bound), n) for bound, n in snap.latency_buckets]
        buckets.append(("+Inf", snap.latency_count))
        yield HistogramMetricFamily("firstreply_alert_latency_seconds",
                                    "From the post's creation to its alert in Slack.",
                                    buckets=buckets, sum_value=snap.latency_sum)


def registry_for(health: Health, *extra: Collector) -> CollectorRegistry:
    """A registry of its own (tests and several instances never collide)."""
    registry = CollectorRegistry()
    registry.register(HealthCollector(health))
    for collector in extra:
        registry.register(collector)
    return registry


def metrics_text(health: Health, *extra: Collector) -> bytes:
    """The Prometheus exposition of ``health`` (and of any ``extra`` collectors)."""
    return generate_latest(registry_for(health, *extra))


def exposition(registry: CollectorRegistry) -> tuple[str, bytes]:
    """A scrape of ``registry``: its content type and body."""
    return CONTENT_TYPE_LATEST, generate_latest(registry)
