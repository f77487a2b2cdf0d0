"""The whole cycle in one process: fake X -> Poller -> store -> Triage -> Dispatcher ->
fake Slack, with a settable clock. Used by the fault, bad-input and load tests."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from listener.config import Secrets, Settings
from listener.dispatch import Backoff, DispatchResult
from listener.health import Health
from listener.ingest import Poller, PollOutcome
from listener.pipeline import TriageResult
from listener.ports import MentionSource, Store
from listener.runtime import Runtime, build_runtime
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.store import open_store
from tests.fakes.slack_server import FakeSlack
from tests.fakes.x_server import FakeXServer
from tests.reliability.doubles import KeywordClassifier
from tests.reliability.worker import SLACK_TOKEN, X_TOKEN, worker_settings

__all__ = ["Clock", "Rig", "build_rig"]


class Clock:
    """A settable UTC clock (thread-safe: the dispatcher may run in a thread)."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


@dataclass
class Rig:
    x: FakeXServer
    slack: FakeSlack
    runtime: Runtime
    clock: Clock
    settings: Settings
    outcomes: tuple[PollOutcome, ...] = ()

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def poller(self) -> Poller:
        return self.runtime.poller

    @property
    def sources(self) -> Sequence[MentionSource]:
        return self.runtime.sources

    def cycle(self) -> tuple[TriageResult, DispatchResult]:
        """One scheduler tick: poll every source, triage everything, dispatch once."""
        report = self.runtime.cycle()
        self.outcomes = report.outcomes
        return report.triage, report.dispatch

    def drain(self, *, step: timedelta = timedelta(minutes=1), ticks: int = 200) -> None:
        """Tick (advancing the clock) until nothing is left to triage or deliver."""
        for _ in range(ticks):
            self.cycle()
            counts = self.store.counts()
            left = counts.pending_triage + counts.alerts.get("pending", 0)
            if left + counts.alerts.get("retrying", 0) == 0:
                return
            self.clock.advance(step)
        raise AssertionError(f"not drained: {self.store.counts()}")

    def close(self) -> None:
        self.runtime.close()


def build_rig(
    x: FakeXServer,
    slack: FakeSlack,
    db_url: str,
    *,
    max_attempts: int = 8,
    page_size: int = 100,
    settings: Settings | None = None,
) -> Rig:
    settings = settings or worker_settings(x.base_url, slack.base_url, db_url, page_size=page_size)
    settings = settings.model_copy(
        update={"slack": settings.slack.model_copy(update={"max_attempts": max_attempts})}
    )
    clock = Clock()
    store = open_store(db_url, create=True, clock=clock, claim_ttl=timedelta(seconds=30))
    notifier = SlackNotifier(
        client=build_web_client(settings, SLACK_TOKEN, rate_limit_retries=0), settings=settings
    )
    runtime = build_runtime(
        settings,
        Secrets(x_bearer_token=X_TOKEN),  # type: ignore[arg-type]
        store=store,
        classifier=KeywordClassifier(),
        clock=clock,
        notifier=notifier,
        health=Health(clock=clock),
        dispatch_backoff=Backoff(base=10.0, cap=600.0),
    )
    return Rig(x=x, slack=slack, runtime=runtime, clock=clock, settings=settings)


def fakes() -> tuple[FakeXServer, FakeSlack]:
    return (
        FakeXServer(brand_username="acme", bearer_token=X_TOKEN).start(),
        FakeSlack(token=SLACK_TOKEN).start(),
    )
