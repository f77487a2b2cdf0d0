"""The operations endpoint during ``run``: ``/metrics`` (Prometheus) and ``/healthz``.

``/healthz`` answers JSON for humans and orchestrators::

    {"status": "ok" | "degraded" | "stalled", "stalled_jobs": [...], "sources": [...],
     "triage_backlog": 0, "outbox": {"pending": 0, ...}, "dead_letters": 0}

with HTTP 200 while the scheduler's jobs keep running ("degraded": a source is unhealthy
or messages are dead; the process is fine, restarting it fixes nothing) and 503 once a
job has stalled (``listener.health.liveness``), which is what a Docker ``HEALTHCHECK`` or a
Kubernetes liveness probe should act on.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from listener.health import Health
    from listener.health.delivery import DeliveryStats
    from listener.health.liveness import Heartbeats
    from listener.ports import StoreCounts

__all__ = ["HealthServer", "health_report"]

log = logging.getLogger(__name__)


def health_report(
    *, health: Health, heartbeats: Heartbeats, counts: StoreCounts | None, now: datetime
) -> dict[str, Any]:
    """What ``/healthz`` says; ``status`` is ``ok``, ``degraded`` or ``stalled``."""
    snap = health.snapshot()
    stalled = heartbeats.stalled(now)
    dead = counts.dead_letters if counts is not None else 0
    status = "stalled" if stalled else "degraded" if (not snap.healthy or dead) else "ok"
    return {
        "status": status,
        "stalled_jobs": stalled,
        "sources": [
            {"name": s.name, "network": s.network, "state": s.state, "healthy": s.healthy,
             "last_success_at": s.last_success_at.isoformat() if s.last_success_at else None}
            for s in snap.sources
        ],
        "triage_backlog": counts.pending_triage if counts is not None else None,
        "outbox": dict(counts.alerts) if counts is not None else None,
        "dead_letters": dead,
    }


class HealthServer:
    """``/metrics`` and ``/healthz`` over HTTP: one of the runtime's services."""

    name = "health endpoint"

    def __init__(
        self,
        *,
        health: Health,
        heartbeats: Heartbeats,
        counts: Callable[[], StoreCounts],
        now: Callable[[], datetime],
        port: int,
        host: str = "127.0.0.1",
        delivery: DeliveryStats | None = None,
    ) -> None:
        from listener.health.prometheus import DeliveryCollector, RuntimeCollector, registry_for

        self._health, self._heartbeats, self._counts, self._now = health, heartbeats, counts, now
        extra: list[Any] = [RuntimeCollector(counts=counts, heartbeats=heartbeats, now=now)]
        if delivery is not None:
            extra.append(DeliveryCollector(delivery))
        self._registry = registry_for(health, *extra)
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0`` in tests)."""
        return self._server.server_address[1] if self._server is not None else self._port

    def start(self) -> None:
        from listener.errors import FirstReplyError

        try:
            self._server = ThreadingHTTPServer((self._host, self._port), self._handler())
        except OSError as exc:
            raise FirstReplyError(
                f"cannot serve /metrics and /healthz on {self._host}:{self._port}: {exc}"
            ) from exc
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health-endpoint", daemon=True
        )
        self._thread.start()
        log.info("metrics and health on http://%s:%s/metrics and /healthz",
                 self._host, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _report(self) -> dict[str, Any]:
        try:
            counts: StoreCounts | None = self._counts()
        except Exception:  # the endpoint must answer even when the database does not
            log.warning("health endpoint: the store did not answer", exc_info=True)
            counts = None
        return health_report(
            health=self._health, heartbeats=self._heartbeats, counts=counts, now=self._now()
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        from listener.health.prometheus import exposition

        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, *exposition(server._registry))
                elif path in ("/healthz", "/health"):
                    report = server._report()
                    code = 503 if report["status"] == "stalled" else 200
                    self._send(code, "application/json", json.dumps(report).encode())
                else:
                    self._send(404, "text/plain; charset=utf-8", b"try /metrics or /healthz\n")

            def _send(self, code: int, content_type: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("health endpoint: %s", format % args)

        return Handler
