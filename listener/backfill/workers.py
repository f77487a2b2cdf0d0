"""Parallel backfill writers: N processes parse, classify and store; one pass decides.

    parent: plan shards (``shards``) --spawn--> N workers, one shard each
    worker: its byte range -> model -> store mentions -> spool (records, scores, readings)
    parent: ONE decision pass over the spools in file order, as they fill
            (``spool.DecisionPass``: verdicts, scores, alerts), and one progress bar

Why decide in the parent: incidents, spikes, budgets and cooldowns are decided over
history in order, with memory carried from one buffer to the next; a shard cannot know
what the shards before it decided. The spools, read one after another, are the file's
records in file order, re-cut into the same ``buffer_size`` buffers the one-process run
uses, so every verdict is the one ``--workers 1`` stores. Parsing, the model, reading
each post (``assess_with_rules``) and inserting the mentions run in parallel; the pass
keeps the memory and stores the verdicts, starting on shard 1 while the others work.

Resume: each worker checkpoints ``<position>|<spool bytes>`` under its own key (the
path, its index and the shard count) after each buffer is stored and spooled; a re-run
with the same count continues each shard, truncating its spool to the checkpointed
length. The decision pass is deterministic and idempotent (``record_triage`` keeps the
first verdict), so after a crash it simply runs again from the first spool.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import queue
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifiers.base import Classifier
from listener.backfill.batch import BackfillStats, _classify, buffers
from listener.backfill.records import Position
from listener.backfill.shards import Shard
from listener.backfill.spool import DecisionPass, SpoolTail, assess, write_spool
from listener.backfill.verdicts import add_tally, put_batch, write_verdicts
from listener.decisions import DecisionEngine, Rulebook
from listener.errors import FirstReplyError
from listener.ports import CheckpointRepo, Store

__all__ = ["Job", "WorkerFailed", "merge", "read_shard_checkpoint", "run_parallel",
           "shard_key"]

log = logging.getLogger(__name__)

_POLL = 0.2


class WorkerFailed(FirstReplyError):
    """A worker process raised or died; what is stored and checkpointed stays."""


def shard_key(base: str, shard: Shard) -> str:
    return f"{base}:shard:{shard.index + 1}/{shard.count}"


def read_shard_checkpoint(store: CheckpointRepo, key: str) -> tuple[Position, int] | None:
    """(position, spool bytes) saved for a shard, or None (none, or unreadable)."""
    value = store.get_checkpoint(key)
    if not value:
        return None
    pos, _, spooled = value.partition("|")
    try:
        return Position.decode(pos), int(spooled)
    except ValueError:
        log.warning("ignoring unreadable shard checkpoint %s=%r", key, value)
        return None


@dataclass(frozen=True, slots=True)
class Job:
    """One worker's whole brief; plain data, so it pickles into a spawned process."""

    path: str
    kind: str
    shard: Shard
    url: str
    factory: Callable[[], Classifier]
    spool: str
    key: str
    brand: str = ""
    handles: tuple[str, ...] = ()
    batch_size: int = 64
    buffer_size: int = 4096
    threads: int = 1
    #: The rules each post is read under (``assess_with_rules``): the costly, memoryless
    #: part of deciding, done here in parallel; the decision pass does the rest.
    rules: Rulebook | None = None


# -- one worker ------------------------------------------------------------------------------

def work(job: Job, events: Any) -> None:
    """A worker process's entry point (module level, so ``spawn`` can import it)."""
    # Before the model imports torch: one thread pool per worker, sized to its share.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(job.threads)
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    try:
        events.put(("done", job.shard.index, _work(job, events)))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BaseException as exc:  # reported to the parent, which says which shard failed
        events.put(("error", job.shard.index, f"{type(exc).__name__}: {exc}"))
        raise SystemExit(1) from None


def _work(job: Job, events: Any) -> dict[str, float]:
    from listener.backfill.readers import open_records
    from listener.store import open_store

    shard = job.shard
    store = open_store(job.url)
    spool = Path(job.spool)
    try:
        saved = read_shard_checkpoint(store, job.key)
        if saved is not None and (not spool.exists() or spool.stat().st_size < saved[1]):
            log.warning("shard %d: spool missing or short, reading the shard again",
                        shard.index + 1)
            saved = None
        start, spooled = saved if saved is not None else (shard.start, 0)
        with spool.open("ab") as fh:
            fh.truncate(spooled)  # what came after the last checkpoint is read again
        if start.offset >= shard.end.offset:
            return {"new_mentions": 0, "classified": 0, "classify_seconds": 0.0,
                    "spooled": spooled}
        classifier = job.factory()
        stats = BackfillStats()

        def progress(*, position: int, classified: int) -> None:
            events.put(("progress", shard.index, position - shard.start.offset, classified))

        progress(position=start.offset, classified=0)
        with open_records(job.path, job.kind, start=start, end=shard.end,  # type: ignore[arg-type]
                          warm=shard.warm, brand=job.brand, handles=job.handles) as records, \
                spool.open("ab") as fh:
            for buf in buffers(records, job.buffer_size):
                scored = _classify(buf, classifier, job.batch_size, stats, progress)
                if scored.mentions:
                    stats.new_mentions += store.add_mentions(scored.mentions)
                write_spool(fh, scored.records, scored.scores,
                            assess(job.rules, scored.mentions, scored.scores))
                fh.flush()
                store.set_checkpoint(job.key, f"{buf[-1].resume.encode()}|{fh.tell()}",
                                     _now())
                # Checkpointed, so the decision pass may read this far.
                events.put(("spooled", shard.index, fh.tell()))
            store.set_checkpoint(job.key, f"{shard.end.encode()}|{fh.tell()}", _now())
            spooled = fh.tell()
        progress(position=shard.end.offset, classified=stats.classified)
        return {"new_mentions": stats.new_mentions, "classified": stats.classified,
                "classify_seconds": stats.classify_seconds, "spooled": spooled}
    finally:
        store.close()


def _now() -> datetime:
    return datetime.now(UTC)


# -- the parent -------------------------------------------------------------------------------

#: ``progress(bytes read by the workers, texts classified, mentions decided)``.
Progress = Callable[[int, int, int], None]


def run_parallel(
    jobs: Sequence[Job],
    *,
    store: Store,
    engine: DecisionEngine,
    buffer_size: int,
    alert: bool = False,
    writers: int = 0,
    progress: Progress | None = None,
) -> tuple[BackfillStats, dict[str, float]]:
    """Run one spawned process per job and the decision pass over their spools.

    ``writers``: verdict writer processes (``verdicts``; not with ``alert``), else the
    pass stores the verdicts itself. Returns the pass's stats and the workers' summed
    counts. A process that raises or dies stops the others and raises ``WorkerFailed``;
    Ctrl-C stops them all.
    """
    ctx = mp.get_context("spawn")
    events: Any = ctx.Queue()
    procs = [ctx.Process(target=work, args=(job, events), name=f"backfill-{job.shard.index + 1}")
             for job in jobs]
    k = 0 if alert else writers
    batches: Any = ctx.Queue(maxsize=2 * k) if k else None
    pool = [ctx.Process(target=write_verdicts, args=(jobs[0].url, i, batches, events),
                        name=f"verdicts-{i + 1}") for i in range(k)]
    n = len(jobs)
    consumed, classified, written = [0] * n, [0] * n, [0] * n
    done: dict[int, dict[str, float]] = {}
    tallies: dict[int, dict[str, Any]] = {}

    def check() -> None:
        _check_alive(procs, done, "backfill worker")
        _check_alive(pool, tallies, "verdict writer")

    sink = (lambda items: put_batch(batches, items, check)) if k else None
    decisions = DecisionPass(store=store, engine=engine, buffer_size=buffer_size, alert=alert,
                             starts=[j.shard.start.offset for j in jobs], sink=sink)
    tail = SpoolTail([Path(j.spool) for j in jobs], decisions)
    stats: BackfillStats | None = None
    try:
        for p in [*procs, *pool]:
            p.start()
        while stats is None or len(tallies) < k:
            busy = False
            if stats is None:
                # Decide what is spooled; wait for the processes only when nothing is.
                busy = tail.step(written, [i in done for i in range(n)])
                if tail.finished:
                    stats = decisions.finish()
                    for _ in pool:
                        put_batch(batches, None, check)  # each writer stops at one
            event = _next_event(events, wait=not busy)
            while event is not None:
                what, index = event[0], event[1]
                if what == "error":
                    raise WorkerFailed(f"backfill worker {index + 1}/{n} failed: {event[2]}")
                if what == "writer-error":
                    raise WorkerFailed(f"verdict writer {index + 1}/{k} failed: {event[2]}")
                if what == "done":
                    done[index] = event[2]
                    consumed[index] = jobs[index].shard.size
                    written[index] = int(event[2]["spooled"])
                elif what == "verdicts":
                    tallies[index] = event[2]
                elif what == "spooled":
                    written[index] = event[2]
                else:
                    consumed[index], classified[index] = event[2], event[3]
                event = _next_event(events, wait=False)
            check()
            if progress is not None:
                progress(sum(consumed), sum(classified), decisions.stats.mentions)
        for p in [*procs, *pool]:
            p.join()
    finally:
        tail.close()
        for p in [*procs, *pool]:
            if p.is_alive():
                p.terminate()
        for p in [*procs, *pool]:
            with contextlib.suppress(AssertionError):  # never started
                p.join(timeout=10)
        events.close()
    assert stats is not None  # the loop ends once the pass has finished
    for tally in tallies.values():
        add_tally(stats, tally)
    totals = {"new_mentions": 0.0, "classified": 0.0, "classify_seconds": 0.0}
    for counts in done.values():
        for name in totals:
            totals[name] += counts[name]
    return stats, totals


def _next_event(events: Any, *, wait: bool) -> Any:
    try:
        return events.get(timeout=_POLL) if wait else events.get_nowait()
    except queue.Empty:
        return None


def _check_alive(procs: Sequence[Any], done: dict[int, Any], what: str) -> None:
    for i, p in enumerate(procs):
        # Exit 0 without its last event yet: the event is still in the queue.
        if i not in done and p.exitcode not in (None, 0):
            raise WorkerFailed(f"{what} {i + 1}/{len(procs)} died (exit code {p.exitcode})")


def merge(decided: BackfillStats, workers: dict[str, float], *, count: int,
          seconds: float) -> BackfillStats:
    """The run's stats: the pass's verdicts, the workers' new mentions and model time."""
    decided.new_mentions = int(workers["new_mentions"])
    decided.classified = int(workers["classified"])
    # Per worker on average, so "the model took x% of it" stays a share of wall time.
    decided.classify_seconds = workers["classify_seconds"] / max(count, 1)
    decided.seconds = seconds
    return decided

