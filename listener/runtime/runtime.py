"""The assembled firstreply: one object that polls, triages, dispatches, escalates and
posts the digest, built once by ``listener.runtime.build.build_runtime``.

- ``cycle()``: one pass of every source, triage until nothing is pending, dispatch until
  nothing more goes out. ``run --once``, the demo, the reliability worker and the
  benchmarks all call it.
- ``jobs()``: the same steps as scheduler jobs, plus escalation and the daily digest.
- ``run()``: the services (Slack buttons, metrics, the filtered stream) and the
  scheduler in the foreground until SIGTERM/SIGINT; then the running jobs finish, the
  services stop, health is written and the store closed. A second signal exits at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Protocol

from listener.digest_job import DigestPoster
from listener.dispatch import Dispatcher, DispatchResult
from listener.escalation import Escalator
from listener.health.liveness import Heartbeats
from listener.ingest import Poller, PollOutcome
from listener.pipeline import Triage, TriageResult
from listener.ports import Clock, MentionSource, Store
from listener.schedule import Job, build_scheduler, run_foreground

__all__ = [
    "EXIT_DEGRADED",
    "EXIT_FAILED",
    "EXIT_OK",
    "CycleReport",
    "Runtime",
    "Service",
]

log = logging.getLogger(__name__)

#: ``run --once`` exit codes (README, "Commands"): 1 the cycle made no progress because
#: of errors; 3 it made progress, but something failed on the way.
EXIT_OK, EXIT_FAILED, EXIT_DEGRADED = 0, 1, 3
#: Poll outcomes that mean "it went wrong", as opposed to waiting out a limit or backoff.
FAILED = frozenset({"unavailable", "auth_failed", "store_failed", "stopped"})
#: Failures no retry within the process will fix.
FATAL = frozenset({"auth_failed", "store_failed", "stopped"})


class Service(Protocol):
    """Something that runs beside the scheduler (a server, a stream) until stopped."""

    @property
    def name(self) -> str: ...

    def start(self) -> None:
        """Return once it runs; raise ``FirstReplyError`` if it cannot."""
        ...

    def stop(self) -> None:
        """Stop and release what it holds; called once, after ``start``."""
        ...


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one ``cycle()`` did."""

    outcomes: tuple[PollOutcome, ...]
    triage: TriageResult
    dispatch: DispatchResult

    @property
    def failed_sources(self) -> tuple[PollOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status in FAILED)

    @property
    def exit_code(self) -> int:
        """``EXIT_FAILED`` when errors stopped all progress (every polled source failed,
        credentials were refused, the store failed, or no alert could be delivered);
        ``EXIT_DEGRADED`` when something failed but the rest went on; else ``EXIT_OK``."""
        failed = self.failed_sources
        polled_ok = any(o.ok for o in self.outcomes)
        d = self.dispatch
        undelivered = d.retrying + d.dead
        if any(o.status in FATAL for o in failed) or (failed and not polled_ok):
            return EXIT_FAILED
        if undelivered and d.sent == 0:
            return EXIT_FAILED
        if failed or undelivered:
            return EXIT_DEGRADED
        return EXIT_OK


@dataclass
class Runtime:
    """Receives every collaborator; see the module docstring."""

    store: Store
    clock: Clock
    sources: Sequence[MentionSource]
    poller: Poller
    triage: Triage
    dispatcher: Dispatcher
    escalator: Escalator
    timezone: str
    poll_every: Callable[[MentionSource], float]
    digest: DigestPoster | None = None
    digest_job: Job | None = None
    services: Sequence[Service] = ()
    #: Called when the runtime closes (health written, clients closed), in order.
    on_close: Sequence[Callable[[], object]] = field(default_factory=tuple)
    #: The interval jobs' heartbeats: what the health endpoint calls alive or stalled.
    heartbeats: Heartbeats = field(default_factory=Heartbeats)
    _closed: bool = field(default=False, init=False, repr=False)

    # -- one cycle -------------------------------------------------------------------------

    def cycle(self, *, dispatch_limit: int = 500) -> CycleReport:
        """Poll every source once, triage everything pending, deliver what is due."""
        outcomes = tuple(self.poller.poll_all(self.sources))
        triaged = self.triage.triage_until_empty()
        total = DispatchResult()
        while True:
            batch = self.dispatcher.run_once(limit=dispatch_limit)
            total = DispatchResult(
                sent=total.sent + batch.sent,
                retrying=total.retrying + batch.retrying,
                dead=total.dead + batch.dead,
                waiting=total.waiting + batch.waiting,
            )
            if batch.sent == 0:
                return CycleReport(outcomes, triaged, total)

    # -- the scheduler ---------------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """Every recurring job: a poll per source, triage, dispatch, escalation, digest."""
        jobs = [
            # Jitter (a tenth of the interval, at most 5 s) keeps sources out of lockstep.
            Job(f"poll:{s.name}", _poll(self.poller, s), seconds=self.poll_every(s),
                jitter=min(5, int(self.poll_every(s) / 10)) or None)
            for s in self.sources
        ]
        jobs += [
            Job("triage", self.triage.triage_until_empty, seconds=2),
            Job("dispatch", self.dispatcher.run_once, seconds=1),
            Job("escalate", self.escalator.run_once, seconds=60),
        ]
        jobs = [self._beating(job) for job in jobs]
        if self.digest_job is not None:
            jobs.append(self.digest_job)
        return jobs

    def _beating(self, job: Job) -> Job:
        """``job`` reporting each run's start and end to ``heartbeats``."""
        assert job.seconds is not None
        beats, clock, func = self.heartbeats, self.clock, job.func
        beats.register(job.id, timedelta(seconds=job.seconds), clock.now())

        def run() -> object:
            beats.started(job.id, clock.now())
            result = func()
            beats.finished(job.id, clock.now())
            return result

        run.__name__ = getattr(func, "__name__", job.id)
        return replace(job, func=run)

    def run(self, *, stop: threading.Event | None = None) -> None:
        """Services and scheduler until SIGTERM/SIGINT (or ``stop``); then close."""
        started: list[Service] = []
        try:
            for service in self.services:
                service.start()
                started.append(service)
            scheduler = build_scheduler(self.jobs(), timezone=self.timezone)
            log.info("listening: %d sources, %d services", len(self.sources), len(started))
            run_foreground(scheduler, stop=stop)
        finally:
            for service in reversed(started):
                try:
                    service.stop()
                except Exception:
                    log.exception("stopping %s failed", service.name)
            self.close()

    def close(self) -> None:
        """Write what must survive (health), close the store. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            for hook in self.on_close:
                hook()
        finally:
            self.store.close()


def _poll(poller: Poller, source: MentionSource) -> Callable[[], object]:
    def run() -> object:
        return poller.poll(source)

    run.__name__ = f"poll_{source.name}"
    return run
