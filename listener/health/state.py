"""Per-source health and spend, from the poller's outcomes. Pure: no clock, no file.

``HealthState.record(outcome)`` is the one way in (the ``PollOutcome`` the poller
returns); ``snapshot(now)`` is the one way out (``firstreply status``, the Prometheus
exporter). ``dump``/``restore`` give the plain data ``HealthFile`` persists, so spend
per day and each source's state survive restarts and reach the ``status`` process.

A source is *healthy* unless its credentials were refused, it is down (failed
``max_attempts`` polls in a row), it has not succeeded for ``stall_after``, or it is
failing without ever having succeeded: a source that never read a post is no evidence
that polling works.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from listener.ingest import PollOutcome
from listener.ports import RateLimit

__all__ = ["Budget", "HealthSnapshot", "HealthState", "NetworkSpend", "SourceHealth"]

WARN_AT = 0.8  # fraction of a budget that raises a warning
#: Outcome status -> the state a source is in after it.
_STATE_AFTER = {
    "ok": "ok",
    "rate_limited": "rate_limited",
    "auth_failed": "auth_failed",
    "store_failed": "store_failed",
}
#: States that mean the last poll failed.
FAILING = frozenset({"backing_off", "down", "auth_failed", "store_failed"})


@dataclass(frozen=True, slots=True)
class Budget:
    daily_usd: float
    monthly_usd: float


@dataclass(frozen=True, slots=True)
class SourceHealth:
    name: str
    network: str
    kind: str
    #: ok, never_polled, rate_limited, backing_off, down, auth_failed, store_failed
    state: str
    last_success_at: datetime | None
    last_error: str | None
    posts_read: int
    stored: int
    rejected: int
    polls: int
    #: Failed polls by outcome status ("unavailable", "rate_limited", ...).
    errors: Mapping[str, int]
    rate_limit: RateLimit | None
    #: When the next poll may happen (rate limit reset or backoff), if not "now".
    next_try_at: datetime | None
    #: Watchdog: no successful poll for ``stall_after``.
    stalled: bool
    #: Watchdog: the last hour read far fewer posts than this source usually does.
    quiet: bool
    usual_per_hour: float
    last_hour: int

    @property
    def never_worked(self) -> bool:
        return self.last_success_at is None and self.state in FAILING

    @property
    def healthy(self) -> bool:
        return (
            self.state not in ("auth_failed", "down") and not self.stalled
            and not self.never_worked
        )

    @property
    def up(self) -> bool:
        """Healthy *and* known to work: it has succeeded at least once."""
        return self.healthy and self.last_success_at is not None


@dataclass(frozen=True, slots=True)
class NetworkSpend:
    network: str
    today_usd: float
    month_usd: float
    budget: Budget | None


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    at: datetime
    sources: tuple[SourceHealth, ...]
    spend: tuple[NetworkSpend, ...]
    warnings: tuple[str, ...]

    @property
    def healthy(self) -> bool:
        return all(s.healthy for s in self.sources)


@dataclass
class _Source:
    network: str
    kind: str
    state: str = "never_polled"
    registered_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    read: int = 0
    stored: int = 0
    rejected: int = 0
    polls: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    rate_limit: RateLimit | None = None
    next_try_at: datetime | None = None
    history: deque[tuple[datetime, int]] = field(default_factory=lambda: deque(maxlen=20_000))


class HealthState:
    """Thread-safe: poll jobs of several sources record at once."""

    def __init__(
        self,
        *,
        budgets: Mapping[str, Budget] | None = None,
        stall_after: timedelta = timedelta(minutes=15),
        quiet_ratio: float = 0.1,
        quiet_min_per_hour: float = 12.0,
        tz: tzinfo = UTC,
    ) -> None:
        self.budgets = dict(budgets or {})
        self._stall_after = stall_after
        self._quiet_ratio = quiet_ratio
        self._quiet_min = quiet_min_per_hour
        self._tz = tz
        self._lock = threading.RLock()
        self._sources: dict[str, _Source] = {}
        #: (network, local day) -> USD.
        self._spend: dict[tuple[str, date], float] = {}

    # -- recording -------------------------------------------------------------------------

    def register(self, name: str, *, network: str, kind: str, at: datetime) -> None:
        """Declare a source before it polls: the stall watchdog counts from here."""
        with self._lock:
            src = self._sources.setdefault(name, _Source(network=network, kind=kind))
            src.network, src.kind = network, kind
            src.registered_at = src.registered_at or at

    def record(self, o: PollOutcome) -> None:
        """Count one poll's outcome in. Skipped polls (waiting out a limit) change nothing."""
        if o.status in ("skipped", "stopped"):
            return
        at = o.at or datetime.now(UTC)
        with self._lock:
            src = self._sources.setdefault(o.source, _Source(network=o.network, kind=o.kind))
            src.network, src.kind = o.network or src.network, o.kind or src.kind
            src.read += o.read
            src.stored += o.stored
            src.rejected += o.rejected
            if o.read or o.cost_usd:  # reads are billed even when the poll fails later
                key = (src.network, at.astimezone(self._tz).date())
                self._spend[key] = self._spend.get(key, 0.0) + o.cost_usd
            src.history.append((at, o.read))
            if o.rate_limit is not None:
                src.rate_limit = o.rate_limit
            if o.ok:
                src.state, src.last_success_at, src.last_error = "ok", at, None
                src.polls += 1
                src.next_try_at = None
                return
            src.errors[o.status] += 1
            if o.status == "unavailable":
                src.state = "down" if o.down else "backing_off"
            else:
                src.state = _STATE_AFTER.get(o.status, o.status)
            src.last_error, src.next_try_at = o.error, o.next_try_at

    # -- reading ---------------------------------------------------------------------------

    def spend(self, network: str, at: datetime) -> tuple[float, float]:
        """(today, this month) in USD for ``network``, in the local days of ``tz``."""
        day = at.astimezone(self._tz).date()
        with self._lock:
            today = self._spend.get((network, day), 0.0)
            month = sum(v for (n, d), v in self._spend.items()
                        if n == network and (d.year, d.month) == (day.year, day.month))
        return today, month

    def snapshot(self, now: datetime) -> HealthSnapshot:
        with self._lock:
            sources = tuple(self._view(name, now) for name in sorted(self._sources))
            networks = sorted({n for n, _ in self._spend} | set(self.budgets)
                              | {s.network for s in self._sources.values()})
        spend = tuple(
            NetworkSpend(n, *self.spend(n, now), self.budgets.get(n)) for n in networks
        )
        warnings = [w for s in spend for w in _budget_warnings(s)]
        for s in sources:
            warnings += _source_warnings(s)
        return HealthSnapshot(at=now, sources=sources, spend=spend, warnings=tuple(warnings))

    def _view(self, name: str, now: datetime) -> SourceHealth:
        src = self._sources[name]
        since = src.last_success_at or src.registered_at
        stalled = since is not None and now - since > self._stall_after
        usual, last_hour, quiet = self._watch(src, now)
        return SourceHealth(
            name=name, network=src.network, kind=src.kind, state=src.state,
            last_success_at=src.last_success_at, last_error=src.last_error,
            posts_read=src.read, stored=src.stored, rejected=src.rejected, polls=src.polls,
            errors=dict(src.errors), rate_limit=src.rate_limit, next_try_at=src.next_try_at,
            stalled=stalled, quiet=quiet, usual_per_hour=usual, last_hour=last_hour,
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

    # -- persistence (plain data; ``HealthFile`` writes it) --------------------------------

    def dump(self) -> dict[str, Any]:
        with self._lock:
            return {
                "spend": [[n, d.isoformat(), v] for (n, d), v in self._spend.items()],
                "sources": {name: _dump_source(s) for name, s in self._sources.items()},
            }

    def restore(self, data: Mapping[str, Any], *, now: datetime) -> None:
        """Load what ``dump`` wrote (spend of the last two months only)."""
        cutoff = now.astimezone(self._tz).date() - timedelta(days=62)
        with self._lock:
            for network, day, usd in data.get("spend", []):
                d = date.fromisoformat(day)
                if d >= cutoff:
                    self._spend[(str(network), d)] = float(usd)
            for name, s in data.get("sources", {}).items():
                self._sources[name] = _load_source(s)


def _budget_warnings(s: NetworkSpend) -> list[str]:
    out: list[str] = []
    if s.budget is None:
        return out
    for label, spent, budget in (("daily", s.today_usd, s.budget.daily_usd),
                                 ("monthly", s.month_usd, s.budget.monthly_usd)):
        if budget > 0 and spent >= WARN_AT * budget:
            out.append(f"{s.network} spend ${spent:.2f} is {spent / budget:.0%} of the "
                       f"{label} budget ${budget:.2f}")
    return out


def _source_warnings(s: SourceHealth) -> list[str]:
    out = []
    if s.state == "auth_failed":
        out.append(f"{s.name}: stopped, credentials refused: {s.last_error}")
    elif s.state == "down":
        out.append(f"{s.name}: unavailable, retrying slowly: {s.last_error}")
    elif s.never_worked:
        out.append(f"{s.name}: has never polled successfully: {s.last_error}")
    if s.stalled:
        out.append(f"{s.name}: no successful poll since {s.last_success_at or 'start'}")
    if s.quiet:
        out.append(f"{s.name}: {s.last_hour} posts in the last hour, usually "
                   f"{s.usual_per_hour:.0f}/h: check the query, the handle and the "
                   "network's status")
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _dump_source(s: _Source) -> dict[str, Any]:
    rate = s.rate_limit
    return {
        "network": s.network, "kind": s.kind, "state": s.state, "last_error": s.last_error,
        "registered_at": _iso(s.registered_at), "last_success_at": _iso(s.last_success_at),
        "next_try_at": _iso(s.next_try_at), "read": s.read, "stored": s.stored,
        "rejected": s.rejected, "polls": s.polls, "errors": dict(s.errors),
        "rate_limit": None if rate is None else {
            "limit": rate.limit, "remaining": rate.remaining, "reset_at": _iso(rate.reset_at)},
    }


def _load_source(s: Mapping[str, Any]) -> _Source:
    src = _Source(network=str(s.get("network", "x")), kind=str(s.get("kind", "search")),
                  state=str(s.get("state", "never_polled")))
    src.last_error = s.get("last_error")
    src.registered_at = _parse(s.get("registered_at"))
    src.last_success_at = _parse(s.get("last_success_at"))
    src.next_try_at = _parse(s.get("next_try_at"))
    src.read, src.stored = int(s.get("read", 0)), int(s.get("stored", 0))
    src.rejected, src.polls = int(s.get("rejected", 0)), int(s.get("polls", 0))
    src.errors = Counter({str(k): int(v) for k, v in (s.get("errors") or {}).items()})
    rate = s.get("rate_limit")
    if isinstance(rate, Mapping) and rate.get("reset_at"):
        src.rate_limit = RateLimit(int(rate["limit"]), int(rate["remaining"]),
                                   datetime.fromisoformat(rate["reset_at"]))
    return src
