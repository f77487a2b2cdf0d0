"""Parallel backfill writers: N processes parse, classify and store; one pass decides.

    parent: plan shards (``shards``) --spawn--> N workers, one shard each
    worker: read its byte range -> model -> store mentions -> spool (records + scores)
    parent: one progress bar over the workers' bytes; then ONE decision pass over the
            spools in file order -> ``store_scored`` (verdicts, scores, alerts)

Why decide in the parent: incidents, spikes, budgets and cooldowns are decided over
history in order, with memory carried from one buffer to the next; a shard cannot know
what the shards before it decided. The spools, read one after another, are the file's
records in file order, re-cut into the same ``buffer_size`` buffers the one-process run
uses, so every verdict is the one ``--workers 1`` stores. The expensive, parallel part
is parsing, the model and inserting the mentions; the pass stores the verdicts.

Resume: each worker checkpoints ``<position>|<spool bytes>`` under its own key (the
path, its index and the shard count) after each buffer is stored and spooled; a re-run
with the same count continues each shard, truncating its spool to the checkpointed
length. The decision pass is deterministic and idempotent (``record_triage`` keeps the
first verdict), so after a crash it simply runs again.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import pickle
import queue
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from classifiers.base import Classifier, Scores
from listener.backfill.batch import (
    BackfillStats,
    _classify,
    buffers,
    store_scored,
    unique_mentions,
)
from listener.backfill.records import Position, Record
from listener.backfill.shards import Shard
from listener.decisions import Decision, DecisionEngine, Rulebook
from listener.decisions.policy import assess_with_rules
from listener.decisions.urgency import Assessment
from listener.domain import Mention, MentionKey
from listener.errors import FirstReplyError
from listener.ports import CheckpointRepo, Store

__all__ = ["Job", "WorkerFailed", "decide_spools", "merge", "read_shard_checkpoint",
           "run_workers", "shard_key"]

log = logging.getLogger(__name__)

_POLL = 0.2
_PROTOCOL = pickle.HIGHEST_PROTOCOL


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


# -- the spool: what a worker hands the decision pass ---------------------------------------

def _pack(s: Scores) -> tuple[Scores, bytes]:
    # float32 bytes, not a tuple of Python floats: a quarter of the pickle.
    return replace(s, embedding=()), array("f", s.embedding).tobytes()


def _unpack(packed: tuple[Scores, bytes]) -> Scores:
    s, raw = packed
    emb = array("f")
    emb.frombytes(raw)
    return replace(s, embedding=tuple(emb))


_Spooled = tuple[list[Record], list[Scores], list[Assessment]]


def _spool(fh: BinaryIO, records: Sequence[Record], scores: Sequence[Scores],
           assessed: Sequence[Assessment]) -> None:
    pickle.dump((list(records), [_pack(s) for s in scores], list(assessed)), fh,
                protocol=_PROTOCOL)


def read_spool(fh: BinaryIO) -> Iterator[_Spooled]:
    """Each spooled buffer: its records, and the scores and readings of its distinct
    mentions (none when the worker had no rules)."""
    while True:
        try:
            records, packed, assessed = pickle.load(fh)
        except EOFError:
            return
        yield records, [_unpack(p) for p in packed], assessed


def _assess(rules: Rulebook | None, mentions: Sequence[Mention],
            scores: Sequence[Scores]) -> list[Assessment]:
    if rules is None:
        return []
    return [assess_with_rules(m, s, rules.rules_for(m.brand))
            for m, s in zip(mentions, scores, strict=True)]


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
            return {"new_mentions": 0, "classified": 0, "classify_seconds": 0.0}
        classifier = job.factory()
        _torch_threads(job.threads)
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
                _spool(fh, scored.records, scored.scores,
                       _assess(job.rules, scored.mentions, scored.scores))
                fh.flush()
                store.set_checkpoint(job.key, f"{buf[-1].resume.encode()}|{fh.tell()}",
                                     _now())
            store.set_checkpoint(job.key, f"{shard.end.encode()}|{fh.tell()}", _now())
        progress(position=shard.end.offset, classified=stats.classified)
        return {"new_mentions": stats.new_mentions, "classified": stats.classified,
                "classify_seconds": stats.classify_seconds}
    finally:
        store.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _torch_threads(threads: int) -> None:
    import sys

    if "torch" in sys.modules:  # the test double never loads it
        sys.modules["torch"].set_num_threads(threads)


# -- the parent -------------------------------------------------------------------------------

ProgressAll = Callable[[int, int], None]


def run_workers(jobs: Sequence[Job], *, progress: ProgressAll | None = None) -> dict[str, float]:
    """Run one spawned process per job until all are done; their summed counts.

    ``progress(bytes, classified)`` sums every worker's. A worker that raises or dies
    stops the others and raises ``WorkerFailed``; Ctrl-C stops them all.
    """
    ctx = mp.get_context("spawn")
    events: Any = ctx.Queue()
    procs = [ctx.Process(target=work, args=(job, events), name=f"backfill-{job.shard.index + 1}")
             for job in jobs]
    consumed = [0] * len(jobs)
    classified = [0] * len(jobs)
    done: dict[int, dict[str, float]] = {}
    try:
        for p in procs:
            p.start()
        while len(done) < len(jobs):
            try:
                event = events.get(timeout=_POLL)
            except queue.Empty:
                _check_alive(procs, done)
                continue
            what, index = event[0], event[1]
            if what == "error":
                raise WorkerFailed(f"backfill worker {index + 1}/{len(jobs)} failed: "
                                   f"{event[2]}")
            if what == "done":
                done[index] = event[2]
                consumed[index] = jobs[index].shard.size
            else:
                consumed[index], classified[index] = event[2], event[3]
            if progress is not None:
                progress(sum(consumed), sum(classified))
        for p in procs:
            p.join()
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            with contextlib.suppress(AssertionError):  # never started
                p.join(timeout=10)
        events.close()
    totals = {"new_mentions": 0.0, "classified": 0.0, "classify_seconds": 0.0}
    for counts in done.values():
        for name in totals:
            totals[name] += counts[name]
    return totals


def _check_alive(procs: Sequence[Any], done: dict[int, dict[str, float]]) -> None:
    for i, p in enumerate(procs):
        if i not in done and p.exitcode is not None:
            # Its "done" may still be in the queue if it exited cleanly: look again later.
            if p.exitcode == 0:
                continue
            raise WorkerFailed(f"backfill worker {i + 1}/{len(procs)} died "
                               f"(exit code {p.exitcode})")


class _Preread:
    """The engine's ``decide_history`` with the posts the workers already read."""

    def __init__(self, engine: DecisionEngine, assessed: dict[MentionKey, Assessment]) -> None:
        self.engine = engine
        self.assessed = assessed

    def decide_history(self, items: Sequence[tuple[Mention, Scores]]) -> list[Decision]:
        return self.engine.decide_history(items, self.assessed)


def decide_spools(
    spools: Sequence[Path],
    *,
    store: Store,
    engine: DecisionEngine,
    buffer_size: int,
    alert: bool = False,
    progress: ProgressAll | None = None,
) -> BackfillStats:
    """The decision pass: the spooled records in file order, in ``buffer_size`` buffers,
    each stored by ``store_scored`` exactly as the one-process backfill stores it."""
    stats = BackfillStats()
    pending: list[Record] = []
    scores: dict[MentionKey, Scores] = {}
    assessed: dict[MentionKey, Assessment] = {}
    read = 0

    def flush(buf: list[Record]) -> None:
        mentions = unique_mentions(buf)
        store_scored(store, _Preread(engine, assessed), buf, mentions,
                     [scores[m.key] for m in mentions], alert=alert, stats=stats)

    for path in spools:
        with path.open("rb") as fh:
            for records, got, readings in read_spool(fh):
                distinct = unique_mentions(records)
                for m, s in zip(distinct, got, strict=True):
                    scores[m.key] = s
                for m, a in zip(distinct, readings, strict=False):
                    assessed[m.key] = a
                pending.extend(records)
                while len(pending) >= buffer_size:
                    flush(pending[:buffer_size])
                    pending = pending[buffer_size:]
                    # Keep only what the rest still needs: memory stays one buffer.
                    left = {r.item.key for r in pending if isinstance(r.item, Mention)}
                    scores = {k: v for k, v in scores.items() if k in left}
                    assessed = {k: v for k, v in assessed.items() if k in left}
                if progress is not None:
                    progress(read + fh.tell(), stats.triaged)
            read += fh.tell()
    if pending:
        flush(pending)
    if progress is not None:
        progress(read, stats.triaged)
    return stats


def merge(decided: BackfillStats, workers: dict[str, float], *, count: int,
          seconds: float) -> BackfillStats:
    """The run's stats: the pass's verdicts, the workers' new mentions and model time."""
    decided.new_mentions = int(workers["new_mentions"])
    decided.classified = int(workers["classified"])
    # Per worker on average, so "the model took x% of it" stays a share of wall time.
    decided.classify_seconds = workers["classify_seconds"] / max(count, 1)
    decided.seconds = seconds
    return decided

