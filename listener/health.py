"""Per-source health, X spend against the budget, a stall watchdog, Prometheus metrics.

The ``Poller`` reports here; ``firstreply status`` prints ``Health.snapshot()``; the
metrics live in a dedicated ``CollectorRegistry`` (``Health.registry``) so tests and
several instances never collide.

Persistence: in memory by default. With ``state_path`` the spend per day (what the budget
warnings need across restarts) and each source's state, last error, last success and
totals are written to a small JSON file (atomically) after every poll; cursors stay in the
store's cursors table. ``firstreply status`` runs in another process than ``run``: it
builds ``Health(clock=..., state_path=same path)`` and prints ``snapshot()``, a read-only
view (only ``record_*`` calls write the file).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from listener.config import XPrices
from listener.ports import Clock

__all__ = ["Health", "HealthSnapshot", "RateLimitInfo", "SourceHealth"]

log = logging.getLogger(__name__)

WARN_AT = 0.8  # fraction of a budget that raises a warning


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """The ``x-rate-limit-*`` headers of a source's last response."""

    limit: int
    remaining: int
    reset_at: datetime


@dataclass(frozen=True, slots=True)
class SourceHealth:
    name: str
    kind: str
    #: ok, never_polled, rate_limited, backing_off, down, auth_failed
    state: str
    last_success_at: datetime | None
    last_error: str | None
    posts_read: int
    stored: int
    rejected: int
    polls: int
    rate_limit: RateLimitInfo | None
    #: When the next poll may happen (rate limit reset or backoff), if not "now".
    next_try_at: datetime | None
    #: Watchdog: no successful poll for ``stall_after``.
    stalled: bool
    #: Watchdog: the last hour read far fewer posts than this source usually does.
    quiet: bool
    usual_per_hour: float
    last_hour: int

    @property
    def healthy(self) -> bool:
        """Not stopped, not down, not stalled, and not failing without ever succeeding
        (a source that never read a post is no evidence that polling works)."""
        never_worked = self.last_success_at is None and self.state == "backing_off"
        return self.state not in ("auth_failed", "down") and not self.stalled and not never_worked


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    at: datetime
    sources: tuple[SourceHealth, ...]
    spend_today_usd: float
    spend_month_usd: float
    daily_budget_usd: float
    monthly_budget_usd: float
    warnings: tuple[str, ...]

    @property
    def healthy(self) -> bool:
        return all(s.healthy for s in self.sources)


@dataclass
class _Source:
    kind: str
    state: str = "never_polled"
    registered_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    read: int = 0
    stored: int = 0
    rejected: int = 0
    polls: int = 0
    rate_limit: RateLimitInfo | None = None
    next_try_at: datetime | None = None
    history: deque[tuple[datetime, int]] = field(default_factory=lambda: deque(maxlen=20_000))


class Health:
    """Thread-safe; every ``record_*`` takes the time from the injected clock."""

    def __init__(
        self,
        *,
        clock: Clock,
        prices: XPrices | None = None,
        daily_budget_usd: float = 10.0,
        monthly_budget_usd: float = 100.0,
        registry: CollectorRegistry | None = None,
        stall_after: timedelta = timedelta(minutes=15),
        quiet_ratio: float = 0.1,
        quiet_min_per_hour: float = 12.0,
        tz: tzinfo = UTC,
        state_path: str | Path | None = None,
    ) -> None:
        self._clock = clock
        self._prices = prices or XPrices()  # type: ignore[call-arg]
        self.daily_budget_usd = daily_budget_usd
        self.monthly_budget_usd = monthly_budget_usd
        self._stall_after = stall_after
        self._quiet_ratio = quiet_ratio
        self._quiet_min = quiet_min_per_hour
        self._tz = tz
        self._state_path = Path(state_path) if state_path else None
        self._lock = threading.RLock()
        self._sources: dict[str, _Source] = {}
        self._spend: dict[date, float] = {}
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self._m_read = Counter(
            "firstreply_x_posts_read", "Posts read from X.", ["source"], registry=r
        )
        self._m_stored = Counter(
            "firstreply_x_mentions_stored", "New mentions stored.", ["source"], registry=r
        )
        self._m_rejected = Counter(
            "firstreply_x_rejected", "Posts that could not be parsed.", ["source"], registry=r
        )
        self._m_errors = Counter(
            "firstreply_x_poll_errors", "Failed polls by kind.", ["source", "kind"], registry=r
        )
        self._m_last = Gauge(
            "firstreply_x_last_success_timestamp_seconds",
            "Last successful poll.",
            ["source"],
            registry=r,
        )
        self._m_remaining = Gauge(
            "firstreply_x_rate_limit_remaining", "x-rate-limit-remaining.", ["source"], registry=r
        )
        self._m_up = Gauge(
            "firstreply_x_source_up", "1 when the source is healthy.", ["source"], registry=r
        )
        self._m_spend = Gauge(
            "firstreply_x_spend_usd", "Estimated X spend.", ["period"], registry=r
        )
        self._load()

    # ------------------------------------------------------------ recording
    def register(self, name: str, kind: str = "search") -> None:
        """Declare a source (``kind`` "owned" for the mentions timeline) before it polls."""
        with self._lock:
            src = self._sources.setdefault(name, _Source(kind=kind))
            src.kind = kind
            src.registered_at = src.registered_at or self._clock.now()

    def _src(self, name: str) -> _Source:
        if name not in self._sources:
            self.register(name)
        return self._sources[name]

    def record_page(self, name: str, *, read: int, stored: int, rejected: int) -> None:
        """Count one stored page: reads are billed even if the poll fails later."""
        now = self._clock.now()
        with self._lock:
            src = self._src(name)
            src.read += read
            src.stored += stored
            src.rejected += rejected
            price = self._prices.owned_read if src.kind == "owned" else self._prices.post_read
            day = now.astimezone(self._tz).date()
            self._spend[day] = self._spend.get(day, 0.0) + read * price
            src.history.append((now, read))
        self._m_read.labels(name).inc(read)
        self._m_stored.labels(name).inc(stored)
        self._m_rejected.labels(name).inc(rejected)

    def record_success(self, name: str, *, rate_limit: RateLimitInfo | None = None) -> None:
        now = self._clock.now()
        with self._lock:
            src = self._src(name)
            src.state, src.last_success_at, src.last_error = "ok", now, None
            src.polls += 1
            src.next_try_at = None
            src.history.append((now, 0))  # a poll that found nothing still counts as coverage
            if rate_limit is not None:
                src.rate_limit = rate_limit
        self._m_last.labels(name).set(now.timestamp())
        if rate_limit is not None:
            self._m_remaining.labels(name).set(rate_limit.remaining)
        self._after_change()

    def record_rate_limited(self, name: str, *, until: datetime, error: str) -> None:
        self._failure(name, "rate_limited", error, until, "rate_limited")

    def record_unavailable(
        self, name: str, *, next_try_at: datetime, error: str, down: bool
    ) -> None:
        self._failure(name, "down" if down else "backing_off", error, next_try_at, "unavailable")

    def record_auth_failed(self, name: str, *, error: str) -> None:
        self._failure(name, "auth_failed", error, None, "auth")

    def _failure(
        self, name: str, state: str, error: str, until: datetime | None, kind: str
    ) -> None:
        with self._lock:
            src = self._src(name)
            src.state, src.last_error, src.next_try_at = state, error, until
        self._m_errors.labels(name, kind).inc()
        self._after_change()

    def _after_change(self) -> None:
        now = self._clock.now()
        self._m_spend.labels("day").set(self.spend_on(now))
        self._m_spend.labels("month").set(self.spend_month(now))
        for name in list(self._sources):
            self._m_up.labels(name).set(1 if self._view(name, now).healthy else 0)
        self._save()

    # ------------------------------------------------------------ reading
    def spend_on(self, at: datetime) -> float:
        with self._lock:
            return self._spend.get(at.astimezone(self._tz).date(), 0.0)

    def spend_month(self, at: datetime) -> float:
        day = at.astimezone(self._tz).date()
        with self._lock:
            return sum(
                v for d, v in self._spend.items() if (d.year, d.month) == (day.year, day.month)
            )

    def _view(self, name: str, now: datetime) -> SourceHealth:
        src = self._sources[name]
        since = src.last_success_at or src.registered_at
        stalled = since is not None and now - since > self._stall_after
        usual, last_hour, quiet = self._watch(src, now)
        return SourceHealth(
            name=name,
            kind=src.kind,
            state=src.state,
            last_success_at=src.last_success_at,
            last_error=src.last_error,
            posts_read=src.read,
            stored=src.stored,
            rejected=src.rejected,
            polls=src.polls,
            rate_limit=src.rate_limit,
            next_try_at=src.next_try_at,
            stalled=stalled,
            quiet=quiet,
            usual_per_hour=usual,
            last_hour=last_hour,
        )

    def _watch(self, src: _Source, now: datetime) -> tuple[float, int, bool]:
        """Usual posts/hour over the last day (before the last hour) vs the last hour."""
        hour_ago = now - timedelta(hours=1)
        day_ago = now - timedelta(hours=25)
        before = [(t, n) for t, n in src.history if day_ago <= t < hour_ago]
        last_hour = sum(n for t, n in src.history if t >= hour_ago)
        if not before:
            return 0.0, last_hour, False
        span_h = max((hour_ago - before[0][0]).total_seconds() / 3600, 1.0)
        usual = sum(n for _, n in before) / span_h
        covered = any(t >= hour_ago for t, _ in src.history)
        quiet = usual >= self._quiet_min and covered and last_hour < self._quiet_ratio * usual
        return usual, last_hour, quiet

    def snapshot(self) -> HealthSnapshot:
        now = self._clock.now()
        with self._lock:
            sources = tuple(self._view(name, now) for name in sorted(self._sources))
        today, month = self.spend_on(now), self.spend_month(now)
        warnings: list[str] = []
        for label, spent, budget in (
            ("daily", today, self.daily_budget_usd),
            ("monthly", month, self.monthly_budget_usd),
        ):
            if budget > 0 and spent >= WARN_AT * budget:
                warnings.append(
                    f"X spend ${spent:.2f} is {spent / budget:.0%} of the {label} budget "
                    f"${budget:.2f}"
                )
        for s in sources:
            if s.state == "auth_failed":
                warnings.append(f"{s.name}: stopped, credentials refused: {s.last_error}")
            elif s.state == "down":
                warnings.append(f"{s.name}: X unavailable, retrying slowly: {s.last_error}")
            if s.stalled:
                warnings.append(
                    f"{s.name}: no successful poll since {s.last_success_at or 'start'}"
                )
            if s.quiet:
                warnings.append(
                    f"{s.name}: {s.last_hour} posts in the last hour, usually "
                    f"{s.usual_per_hour:.0f}/h: check the query, the handle and X's status"
                )
        return HealthSnapshot(
            at=now,
            sources=sources,
            spend_today_usd=today,
            spend_month_usd=month,
            daily_budget_usd=self.daily_budget_usd,
            monthly_budget_usd=self.monthly_budget_usd,
            warnings=tuple(warnings),
        )

    def metrics_text(self) -> bytes:
        """The Prometheus exposition of ``registry``."""
        return generate_latest(self.registry)

    # ------------------------------------------------------------ persistence
    def _save(self) -> None:
        if self._state_path is None:
            return
        with self._lock:
            state: dict[str, Any] = {
                "spend": {d.isoformat(): v for d, v in self._spend.items()},
                "sources": {
                    name: {
                        "kind": s.kind,
                        "state": s.state,
                        "last_error": s.last_error,
                        "last_success_at": _iso(s.last_success_at),
                        "next_try_at": _iso(s.next_try_at),
                        "read": s.read,
                        "stored": s.stored,
                        "rejected": s.rejected,
                        "polls": s.polls,
                    }
                    for name, s in self._sources.items()
                },
            }
        tmp = self._state_path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(state), encoding="utf-8")
            os.replace(tmp, self._state_path)
        except OSError as exc:
            log.warning("could not save health state to %s: %s", self._state_path, exc)

    def _load(self) -> None:
        if self._state_path is None or not self._state_path.exists():
            return
        try:
            state = json.loads(self._state_path.read_text(encoding="utf-8"))
            cutoff = self._clock.now().astimezone(self._tz).date() - timedelta(days=62)
            for d, v in state.get("spend", {}).items():
                if date.fromisoformat(d) >= cutoff:
                    self._spend[date.fromisoformat(d)] = float(v)
            for name, s in state.get("sources", {}).items():
                src = _Source(kind=s.get("kind", "search"), state=s.get("state", "never_polled"))
                src.last_error = s.get("last_error")
                src.last_success_at = _parse(s.get("last_success_at"))
                src.next_try_at = _parse(s.get("next_try_at"))
                src.read, src.stored = int(s.get("read", 0)), int(s.get("stored", 0))
                src.rejected, src.polls = int(s.get("rejected", 0)), int(s.get("polls", 0))
                self._sources[name] = src
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable health state %s: %s", self._state_path, exc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class MetricsServer:
    """Prometheus metrics of ``health`` over HTTP during ``run``: a runtime service."""

    name = "metrics"

    def __init__(self, *, health: Health, port: int, host: str = "127.0.0.1") -> None:
        self._health = health
        self._port = port
        self._host = host
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from prometheus_client import start_http_server

        self._server, self._thread = start_http_server(
            self._port, addr=self._host, registry=self._health.registry
        )
        log.info("Prometheus metrics on http://%s:%s/metrics", self._host, self._port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
