"""APScheduler 3.x wiring only: which job runs when. The jobs themselves live elsewhere.

    jobs = source_jobs(poller, sources, every=settings.x.poll_interval_seconds)
    jobs.append(Job("outbox", dispatcher.run_once, seconds=5))
    jobs.append(Job("digest", send_digest, cron={"hour": "8", "minute": "30"}))
    scheduler = build_scheduler(jobs, timezone=settings.timezone)
    run_foreground(scheduler, on_stop=store.close)   # returns after SIGTERM / SIGINT

Every job gets ``max_instances=1`` (a slow poll is never run twice at once) and
``coalesce=True`` (missed runs collapse into one), plus a ``misfire_grace_time``.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from listener.ports import MentionSource

__all__ = ["Job", "build_scheduler", "run_foreground", "source_jobs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """One recurring job: every ``seconds``, or on ``cron`` fields (APScheduler's names)."""

    id: str
    func: Callable[[], object]
    seconds: float | None = None
    cron: Mapping[str, str] | None = None
    misfire_grace_time: int = 30
    #: Random delay (seconds) added to interval runs, so sources don't poll in lockstep.
    jitter: int | None = None
    #: First run; ``None`` runs an interval job right away (the CLI wants data at start).
    start: datetime | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.seconds is None) == (self.cron is None):
            raise ValueError(f"job {self.id!r}: give exactly one of seconds= or cron=")


def source_jobs(
    poller: Any, sources: Sequence[MentionSource], *, every: float, jitter: int | None = None
) -> list[Job]:
    """One interval job per source, id ``poll:<source name>``."""
    return [Job(f"poll:{s.name}", _bind(poller, s), seconds=every, jitter=jitter) for s in sources]


def _bind(poller: Any, source: MentionSource) -> Callable[[], object]:
    def run() -> object:
        return poller.poll(source)

    run.__name__ = f"poll_{source.name}"
    return run


def build_scheduler(jobs: Iterable[Job], *, timezone: str, blocking: bool = False) -> BaseScheduler:
    """A ``BackgroundScheduler`` (or ``BlockingScheduler``) holding ``jobs``, not started."""
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        timezone=timezone,
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
    )
    for job in jobs:
        if job.seconds is not None:
            trigger: Any = IntervalTrigger(
                seconds=job.seconds,
                timezone=timezone,
                jitter=job.jitter,
                start_date=job.start,
            )
            # Interval triggers first fire one interval after start: run at once instead.
            next_run = job.start or datetime.now(scheduler.timezone)
        else:
            trigger = CronTrigger(timezone=timezone, **dict(job.cron or {}))
            next_run = None
        options: dict[str, Any] = {}
        if next_run is not None:
            options["next_run_time"] = next_run
        scheduler.add_job(
            job.func,
            trigger,
            id=job.id,
            name=job.id,
            kwargs=dict(job.kwargs),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=job.misfire_grace_time,
            replace_existing=True,
            **options,
        )
    return scheduler


def run_foreground(
    scheduler: BaseScheduler,
    *,
    on_stop: Callable[[], object] | None = None,
    stop: threading.Event | None = None,
    signals: Sequence[int] = (signal.SIGTERM, signal.SIGINT),
) -> None:
    """Start ``scheduler`` and block until SIGTERM/SIGINT (or ``stop`` is set).

    Then shut down, waiting for running jobs to finish, call ``on_stop`` and restore
    the previous signal handlers. Must be called from the main thread (signals).
    ``scheduler`` must be a ``BackgroundScheduler`` (``build_scheduler``'s default).
    """
    stop = stop or threading.Event()
    previous: dict[int, Any] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: stopping after the running jobs finish", signal.Signals(signum).name)
        stop.set()

    for sig in signals:
        previous[sig] = signal.signal(sig, handle)
    try:
        scheduler.start()
        log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
        while not stop.wait(0.2):  # short waits: signal handlers run between them
            pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        for sig, old in previous.items():
            signal.signal(sig, old)
        if on_stop is not None:
            on_stop()
        log.info("scheduler stopped")
