"""Prometheus metrics of source health, computed from ``Health.snapshot()`` at each scrape.

The only module that imports ``prometheus_client``: the core records outcomes, this
exporter reads them. Computing each scrape from the snapshot keeps the metrics true to
what ``firstreply status`` says (``firstreply_source_up`` is 1 only for a healthy source
that has succeeded at least once). ``MetricsServer`` serves them during ``run``.

    firstreply_source_up{source,network}                   1 healthy and working, else 0
    firstreply_source_posts_read_total{source,network}     posts read (billed)
    firstreply_source_mentions_stored_total{source,network}
    firstreply_source_rejected_total{source,network}       posts that could not be parsed
    firstreply_source_poll_errors_total{source,network,kind}
    firstreply_source_last_success_timestamp_seconds{source,network}  (once it succeeded)
    firstreply_source_rate_limit_remaining{source,network}            (when reported)
    firstreply_spend_usd{network,period}                   estimated spend, day / month
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from listener.health import Health

__all__ = ["HealthCollector", "MetricsServer", "metrics_text"]

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


def registry_for(health: Health) -> CollectorRegistry:
    """A registry of its own (tests and several instances never collide)."""
    registry = CollectorRegistry()
    registry.register(HealthCollector(health))
    return registry


def metrics_text(health: Health) -> bytes:
    """The Prometheus exposition of ``health``."""
    return generate_latest(registry_for(health))


class MetricsServer:
    """The metrics over HTTP during ``run``: one of the runtime's services."""

    name = "metrics"

    def __init__(self, *, health: Health, port: int, host: str = "127.0.0.1") -> None:
        self._registry = registry_for(health)
        self._port = port
        self._host = host
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server, self._thread = start_http_server(
            self._port, addr=self._host, registry=self._registry
        )
        log.info("Prometheus metrics on http://%s:%s/metrics", self._host, self._port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
