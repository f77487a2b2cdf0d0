"""Verdict writers: the decision pass decides, these processes store what it decided.

Storing a verdict (scores with the embedding, the verdict, the mention's digest copies,
in one transaction per batch) was half of the decision pass's time. The pass hands each
buffer's ``TriageRecord``s to a bounded queue; ``K`` spawned writers, each with its own
database connection, store them (``record_triage_many``: idempotent, safe for
concurrent writers) and count what was new exactly as ``store_scored`` would
(``batch._tally``). Without ``--alert`` only: alert rows get their outbox ids in the
order they are written, which is the order Slack receives them.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from typing import Any

from listener.backfill.batch import BackfillStats, _tally
from listener.ports import TriageRecord

__all__ = ["add_tally", "put_batch", "write_verdicts"]

_POLL = 0.2


def write_verdicts(url: str, index: int, batches: Any, events: Any) -> None:
    """A verdict writer's entry point: batches until ``None``, then its tally."""
    try:
        events.put(("verdicts", index, _write(url, batches)))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BaseException as exc:  # reported to the parent, which names this writer
        events.put(("writer-error", index, f"{type(exc).__name__}: {exc}"))
        raise SystemExit(1) from None


def _write(url: str, batches: Any) -> dict[str, Any]:
    from listener.store import open_store

    store = open_store(url)
    stats = BackfillStats()
    try:
        while (items := batches.get()) is not None:
            for item, fresh in zip(items, store.record_triage_many(items), strict=True):
                if fresh:
                    stats.triaged += 1
                    stats.alerts += len(item.alerts)
                    _tally(stats, item.scores, item.verdict)
    finally:
        store.close()
    return {"triaged": stats.triaged, "alerts": stats.alerts, "complaints": stats.complaints,
            "urgent": stats.urgent, "routes": dict(stats.routes),
            "topics": dict(stats.complaint_topics)}


def add_tally(stats: BackfillStats, tally: dict[str, Any]) -> None:
    """Count a writer's new verdicts into the pass's stats."""
    stats.triaged += tally["triaged"]
    stats.alerts += tally["alerts"]
    stats.complaints += tally["complaints"]
    stats.urgent += tally["urgent"]
    stats.routes.update(tally["routes"])
    stats.complaint_topics.update(tally["topics"])


def put_batch(batches: Any, items: Sequence[TriageRecord] | None,
              check: Callable[[], None]) -> None:
    """Queue a batch (``None``: a writer's stop), waiting while the writers are behind
    (``check`` raises if one died)."""
    while True:
        try:
            batches.put(None if items is None else list(items), timeout=_POLL)
            return
        except queue.Full:
            check()
