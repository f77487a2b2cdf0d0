"""The crash-test worker: the real poll -> classify -> decide -> outbox -> Slack cycle.

Run as ``python -m tests.reliability.worker`` by ``test_kill.py``, configured by env:

- ``FR_DB``: the store URL (SQLite file or PostgreSQL schema)
- ``FR_X`` / ``FR_SLACK``: base URLs of the fakes (which live in the test process)
- ``FR_KILL``: ``"<hook>:<n>"``: SIGKILL this process at the n-th call of the hook, e.g.
  ``store.add_mentions:after:2`` (stored a page, cursor not moved) or
  ``notifier.send:after:1`` (Slack accepted the post, ``mark_sent`` not committed). See
  ``HOOKS``. Without it the worker runs to completion.
- ``FR_CLAIM_TTL``: the outbox claim lease in seconds (small, so a killed claim comes
  back quickly).

It loops ``Runtime.cycle()`` (poll, triage, dispatch: what ``run --once`` does) until a
poll finds nothing new and the store holds nothing to triage or deliver, then exits 0
(3 if that takes longer than ``FR_DEADLINE``).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from listener.config import Secrets, Settings
from listener.dispatch import Backoff
from listener.health import Health
from listener.ports import Notifier, Store, SystemClock
from listener.runtime import build_runtime
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.store import open_store
from tests.reliability.doubles import KeywordClassifier

__all__ = ["HOOKS", "Tripwire", "main", "worker_settings"]

#: Where a kill can land: (object, method, before/after the call).
HOOKS: tuple[str, ...] = (
    "store.add_mentions:before",
    "store.add_mentions:after",
    "store.set_cursor:before",
    "store.set_cursor:after",
    "store.record_triage_many:before",
    "store.record_triage_many:after",
    "store.due_alerts:after",
    "notifier.send:before",
    "notifier.send:after",
    "store.mark_sent:after",
)

#: Hooks whose kill falls between Slack accepting a post and ``mark_sent`` committing:
#: the only window in which a crash can post an alert twice.
DUPLICATING_HOOKS = frozenset({"notifier.send:after"})

X_TOKEN = "reliability-bearer"
SLACK_TOKEN = "fake-reliability"


class Tripwire:
    """Forwards every attribute to ``target``; SIGKILLs the process at one call."""

    def __init__(self, target: Any, label: str, plan: tuple[str, str, int] | None) -> None:
        self._target = target
        self._label = label
        self._plan = plan
        self._calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        plan = self._plan
        if plan is None or not callable(attr) or f"{self._label}.{name}" != plan[0]:
            return attr

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            hit = self._calls[name] == plan[2]
            if hit and plan[1] == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = attr(*args, **kwargs)
            if hit and plan[1] == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return wrapped


def parse_plan(raw: str | None) -> tuple[str, str, int] | None:
    if not raw:
        return None
    target, when, n = raw.split(":")
    return target, when, int(n)


def worker_settings(x_url: str, slack_url: str, db_url: str, *, page_size: int = 10) -> Settings:
    return Settings.model_validate(
        {
            "database": {"url": db_url},
            "x": {"api_base_url": x_url, "timeout_seconds": 5.0, "max_results": page_size},
            "slack": {
                "api_base_url": slack_url,
                "default_channel": "#cx-alerts",
                "channel_budget_per_hour": 1_000_000,
                "max_attempts": 50,
            },
            "brands": [
                {
                    "name": "Acme",
                    "handles": ["acme"],
                    "user_ids": {"acme": "1000"},
                    "queries": ["acme"],
                    "rules": {"cooldown_minutes": 0},
                }
            ],
        }
    )


def main() -> int:
    logging.basicConfig(level=os.environ.get("FR_LOG", "WARNING"), stream=sys.stderr)
    plan = parse_plan(os.environ.get("FR_KILL"))
    ttl = timedelta(seconds=float(os.environ.get("FR_CLAIM_TTL", "0.3")))
    deadline = time.monotonic() + float(os.environ.get("FR_DEADLINE", "60"))
    settings = worker_settings(os.environ["FR_X"], os.environ["FR_SLACK"], os.environ["FR_DB"])
    clock = SystemClock()
    real_store = open_store(settings.database.url, create=True, claim_ttl=ttl)
    store: Store = Tripwire(real_store, "store", plan)  # type: ignore[assignment]
    notifier: Notifier = Tripwire(  # type: ignore[assignment]
        SlackNotifier(client=build_web_client(settings, SLACK_TOKEN), settings=settings),
        "notifier",
        plan,
    )
    # Fast retries: the tests wait in wall-clock time for every backoff.
    runtime = build_runtime(
        settings,
        Secrets(x_bearer_token=X_TOKEN),  # type: ignore[arg-type]
        store=store,
        classifier=KeywordClassifier(),
        clock=clock,
        notifier=notifier,
        health=Health(clock=clock),
        dispatch_backoff=Backoff(base=0.05, cap=0.5),
        poll_backoff=timedelta(seconds=0.05),
    )
    try:
        while True:
            report = runtime.cycle(dispatch_limit=20)
            counts = real_store.counts()
            quiet = all(o.ok and o.stored == 0 for o in report.outcomes)
            busy = counts.pending_triage + counts.alerts.get("pending", 0)
            busy += counts.alerts.get("retrying", 0)
            if quiet and busy == 0:
                return 0
            if time.monotonic() > deadline:
                sys.stderr.write(f"worker: not done by the deadline: {counts}\n")
                return 3
            if report.triage.processed == 0 and report.dispatch.attempted == 0:
                time.sleep(0.02)  # waiting out a claim lease or a backoff
    finally:
        runtime.close()


if __name__ == "__main__":
    sys.exit(main())
