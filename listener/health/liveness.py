"""Whether the scheduler still does its work: the jobs' heartbeats. Pure but for a lock.

Each scheduled job records when a run started and when one last finished. A job is
*alive* while it has finished within its grace (a few intervals, at least five minutes:
a slow poll or a burst of triage is not a hang), or is running and has not run for longer
than ``hang_after``. A process whose jobs are not alive is *stalled*: the health
endpoint answers 503 and an orchestrator may restart it. A source that fails (X down)
is no stall: the poller returns that as an outcome (source health), and a restart would
not fix it. A job that keeps *raising* (a broken database connection) stops finishing,
and does stall.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Heartbeats", "JobBeat"]

MIN_GRACE = timedelta(minutes=5)
GRACE_INTERVALS = 5
HANG_AFTER = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class JobBeat:
    job: str
    every: timedelta
    #: When the job was registered (the process started): the first grace runs from it.
    since: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.started_at is not None and (
            self.finished_at is None or self.started_at > self.finished_at
        )

    def alive(self, now: datetime, *, hang_after: timedelta = HANG_AFTER) -> bool:
        if self.running:
            assert self.started_at is not None
            return now - self.started_at <= hang_after
        grace = max(MIN_GRACE, self.every * GRACE_INTERVALS)
        return now - (self.finished_at or self.since) <= grace


class Heartbeats:
    """Job id -> its beat; written by the scheduler's threads, read by the health server."""

    def __init__(self) -> None:
        self._beats: dict[str, JobBeat] = {}
        self._lock = threading.Lock()

    def register(self, job: str, every: timedelta, now: datetime) -> None:
        with self._lock:
            self._beats[job] = JobBeat(job, every, since=now)

    def started(self, job: str, now: datetime) -> None:
        self._update(job, started_at=now)

    def finished(self, job: str, now: datetime) -> None:
        self._update(job, finished_at=now)

    def _update(self, job: str, **changes: datetime) -> None:
        with self._lock:
            beat = self._beats.get(job)
            if beat is not None:
                self._beats[job] = JobBeat(
                    beat.job, beat.every, beat.since,
                    changes.get("started_at", beat.started_at),
                    changes.get("finished_at", beat.finished_at),
                )

    def beats(self) -> Mapping[str, JobBeat]:
        with self._lock:
            return dict(self._beats)

    def stalled(self, now: datetime) -> list[str]:
        """The jobs that are not alive at ``now``, by id."""
        return sorted(job for job, beat in self.beats().items() if not beat.alive(now))
