"""APScheduler 3.x wiring only: which job runs when. The jobs themselves live elsewhere.

    jobs = [Job(f"poll:{s.name}", partial(poller.poll, s), seconds=60) for s in sources]
    jobs.append(Job("outbox", dispatcher.run_once, seconds=5))
    jobs.append(Job("digest", send_digest, cron={"hour": "8", "minute": "30"},
                    misfire_grace_time=6 * 3600, run_at_start=True))
    scheduler = build_scheduler(jobs, timezone=settings.timezone)
    run_foreground(scheduler, on_stop=store.close)   # returns after SIGTERM / SIGINT

Every job gets ``max_instances=1`` (a slow poll is never run twice at once) and
``coalesce=True`` (missed runs collapse into one), plus a ``misfire_grace_time``.
The scheduler is always APScheduler's ``BackgroundScheduler``: ``run_foreground`` keeps
the main thread free to notice signals and stop it (a ``BlockingScheduler`` would hold
the main thread in ``start()``, and SIGTERM could never end it).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

__all__ = ["Job", "build_scheduler", "run_foreground"]

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
    #: A cron job that also runs once at start-up (a digest missed while the process
    #: was down); ``max_instances=1`` keeps it from overlapping its scheduled run.
    run_at_start: bool = False
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.seconds is None) == (self.cron is None):
            raise ValueError(f"job {self.id!r}: give exactly one of seconds= or cron=")


def build_scheduler(jobs: Iterable[Job], *, timezone: str) -> BackgroundScheduler:
    """A ``BackgroundScheduler`` holding ``jobs``, not started."""
    scheduler = BackgroundScheduler(
        timezone=timezone,
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
    )
    for job in jobs:
        next_run: datetime | None
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
            next_run = datetime.now(scheduler.timezone) if job.run_at_start else None
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
    scheduler: BackgroundScheduler,
    *,
    on_stop: Callable[[], object] | None = None,
    stop: threading.Event | None = None,
    signals: Sequence[int] = (signal.SIGTERM, signal.SIGINT),
    exit_now: Callable[[int], object] = os._exit,
) -> None:
    """Start ``scheduler`` and block until SIGTERM/SIGINT (or ``stop`` is set).

    Then shut down, waiting for running jobs to finish, call ``on_stop`` and restore
    the previous signal handlers. A second signal while that happens exits at once
    (``exit_now(128 + signal)``): the operator asked twice. Must be called from the main
    thread (signals).
    """
    stop = stop or threading.Event()
    previous: dict[int, Any] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("received %s again: exiting now", name)
            exit_now(128 + signum)
            return
        log.info("received %s: stopping after the running jobs finish", name)
        stop.set()

    for sig in signals:
        previous[sig] = signal.signal(sig, handle)
    try:
        scheduler.start()
        log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
        while not stop.wait(0.2):  # short waits: signal handlers run between them
            pass
    finally:
        # The handlers stay installed while the running jobs finish: a second signal
        # must still be heard.
        if scheduler.running:
            log.info("stopping: waiting for the running jobs")
            scheduler.shutdown(wait=True)
        try:
            if on_stop is not None:
                on_stop()
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
            log.info("scheduler stopped")
