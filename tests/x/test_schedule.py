"""APScheduler wiring and the clean foreground shutdown."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from listener.schedule import Job, build_scheduler, run_foreground


def source_jobs(poller: CountingPoller, sources: list[Source], *, every: float) -> list[Job]:
    return [Job(f"poll:{s.name}", lambda s=s: poller.poll(s), seconds=every)  # type: ignore[misc]
            for s in sources]


class Source:
    def __init__(self, name: str) -> None:
        self.name = name


class CountingPoller:
    def __init__(self) -> None:
        self.polled: list[str] = []
        self.event = threading.Event()

    def poll(self, source: Source) -> None:
        self.polled.append(source.name)
        self.event.set()


def test_one_interval_job_per_source_plus_extra_jobs() -> None:
    poller = CountingPoller()
    jobs = source_jobs(poller, [Source("mentions:acme"), Source("search:q1")], every=60)
    jobs.append(Job("digest", lambda: None, cron={"hour": "8", "minute": "30"}))
    scheduler = build_scheduler(jobs, timezone="Europe/Paris")
    assert isinstance(scheduler, BackgroundScheduler)
    by_id = {j.id: j for j in scheduler.get_jobs()}
    assert set(by_id) == {"poll:mentions:acme", "poll:search:q1", "digest"}
    poll = by_id["poll:mentions:acme"]
    assert (poll.max_instances, poll.coalesce, poll.misfire_grace_time) == (1, True, 30)
    assert poll.trigger.interval.total_seconds() == 60
    assert "hour='8'" in str(by_id["digest"].trigger)


def test_job_needs_exactly_one_schedule() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Job("x", lambda: None)


def test_run_foreground_stops_cleanly_on_sigterm_after_the_running_job() -> None:
    started, finished = threading.Event(), threading.Event()
    release = threading.Event()

    def slow_job() -> None:
        started.set()
        release.wait(5)
        finished.set()

    scheduler = build_scheduler([Job("slow", slow_job, seconds=3600)], timezone="UTC")
    stopped: list[bool] = []

    def send_sigterm() -> None:
        assert started.wait(5)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the shutdown must now be waiting for the job
        release.set()

    previous = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=send_sigterm, daemon=True).start()
    run_foreground(scheduler, on_stop=lambda: stopped.append(finished.is_set()))
    assert stopped == [True]  # on_stop ran after the running job finished
    assert not scheduler.running
    assert signal.getsignal(signal.SIGTERM) is previous


def test_run_foreground_stops_on_event() -> None:
    poller = CountingPoller()
    scheduler = build_scheduler(source_jobs(poller, [Source("s")], every=3600), timezone="UTC")
    stop = threading.Event()
    threading.Thread(target=lambda: poller.event.wait(5) and stop.set(), daemon=True).start()
    run_foreground(scheduler, stop=stop)
    assert poller.polled == ["s"]  # interval jobs run at once, then every interval


def test_a_second_signal_exits_at_once_while_a_job_is_still_running() -> None:
    started, release = threading.Event(), threading.Event()
    exits: list[int] = []

    def stuck_job() -> None:
        started.set()
        release.wait(5)

    def exit_now(code: int) -> None:
        exits.append(code)
        release.set()  # what os._exit would do to the job: end it

    scheduler = build_scheduler([Job("stuck", stuck_job, seconds=3600)], timezone="UTC")

    def signal_twice() -> None:
        assert started.wait(5)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # the shutdown is now waiting for the stuck job
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=signal_twice, daemon=True).start()
    run_foreground(scheduler, exit_now=exit_now)
    assert exits == [128 + signal.SIGINT]


def test_a_cron_job_can_also_run_once_at_start() -> None:
    ran = threading.Event()
    scheduler = build_scheduler(
        [Job("digest", ran.set, cron={"hour": "3", "minute": "0"}, run_at_start=True,
             misfire_grace_time=6 * 3600)],
        timezone="UTC",
    )
    (job,) = scheduler.get_jobs()
    assert job.misfire_grace_time == 6 * 3600
    stop = threading.Event()
    threading.Thread(target=lambda: ran.wait(5) and stop.set(), daemon=True).start()
    run_foreground(scheduler, stop=stop)
    assert ran.is_set()
