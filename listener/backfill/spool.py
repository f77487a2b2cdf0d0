"""The spool a backfill worker leaves, and the one decision pass that reads them in order.

A worker appends one pickle per stored buffer to its shard's spool: the buffer's records
(mentions and rejects, as the reader yielded them), the scores of its distinct mentions
(embeddings as float32 bytes: the model's own precision, a quarter of a pickled tuple)
and how each post reads under the rules (``assess_with_rules``: the costly, memoryless
part of a decision). ``DecisionPass`` takes the spools' records in file order, re-cuts
them into the ``buffer_size`` buffers the one-process backfill would have made, and
stores each with ``store_scored``: the same verdicts as ``--workers 1``.
"""

from __future__ import annotations

import heapq
import itertools
import pickle
from array import array
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, cast

from classifiers.base import Scores
from listener.backfill.batch import BackfillStats, store_scored, unique_mentions
from listener.backfill.records import Record
from listener.decisions import Decision, DecisionEngine, Rulebook
from listener.decisions.policy import assess_with_rules
from listener.decisions.urgency import Assessment
from listener.domain import Mention, MentionKey
from listener.ports import Store, TriageRecord

__all__ = ["DecisionPass", "SpoolTail", "assess", "write_spool"]

_PROTOCOL = pickle.HIGHEST_PROTOCOL
#: The end of the last shard: nothing is read past it.
_NEVER = 1 << 63
Spooled = tuple[list[Record], list[Scores], list[Assessment]]
Sink = Callable[[Sequence[TriageRecord]], None]


def _pack(s: Scores) -> tuple[Scores, bytes]:
    return replace(s, embedding=()), array("f", s.embedding).tobytes()


def _unpack(packed: tuple[Scores, bytes]) -> Scores:
    s, raw = packed
    emb = array("f")
    emb.frombytes(raw)
    return replace(s, embedding=tuple(emb))


def assess(rules: Rulebook | None, mentions: Sequence[Mention],
           scores: Sequence[Scores]) -> list[Assessment]:
    """How each post reads under ``rules`` (none without rules: the pass reads them)."""
    if rules is None:
        return []
    return [assess_with_rules(m, s, rules.rules_for(m.brand))
            for m, s in zip(mentions, scores, strict=True)]


def write_spool(fh: BinaryIO, records: Sequence[Record], scores: Sequence[Scores],
                assessed: Sequence[Assessment]) -> None:
    pickle.dump((list(records), [_pack(s) for s in scores], list(assessed)), fh,
                protocol=_PROTOCOL)


def _read_one(fh: BinaryIO) -> Spooled:
    records, packed, assessed = pickle.load(fh)
    return records, [_unpack(p) for p in packed], assessed


class _Preread:
    """The engine's ``decide_history`` with the posts the workers already read."""

    def __init__(self, engine: DecisionEngine, assessed: dict[MentionKey, Assessment]) -> None:
        self.engine = engine
        self.assessed = assessed

    def decide_history(self, items: Sequence[tuple[Mention, Scores]]) -> list[Decision]:
        return self.engine.decide_history(items, self.assessed)


class _MentionsStored:
    """The store as the pass sees it: a worker stored each mention before spooling it,
    so ``add_mentions`` has nothing to do (building the rows to find that out cost the
    pass 15 % of its time)."""

    def __init__(self, store: Store, sink: Sink | None) -> None:
        self._store = store
        self._sink = sink

    def add_mentions(self, mentions: Sequence[Mention]) -> int:
        return 0

    def record_triage_many(self, items: Sequence[TriageRecord]) -> list[bool]:
        if self._sink is None:
            return self._store.record_triage_many(items)
        # The verdict writers store them, and count what was new (``verdicts``).
        self._sink(items)
        return [False] * len(items)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class DecisionPass:
    """Spooled buffers in, in file order; ``store_scored`` per ``buffer_size`` records.

    ``starts``: each shard's first byte. A twcs shard emits some records while reading
    past its end (answers found there, ``Record.order``); the one-process reader emits
    them among the next shard's records, so they wait in ``_held`` and join there, in
    the one-process order: same buffers, same verdicts. ``sink``: where the verdicts go
    to be stored (``verdicts``); without it the pass stores them itself.
    """

    def __init__(self, *, store: Store, engine: DecisionEngine, buffer_size: int,
                 starts: Sequence[int] = (0,), alert: bool = False,
                 sink: Sink | None = None) -> None:
        self.store = cast(Store, _MentionsStored(store, sink))
        self.engine = engine
        self.buffer_size = buffer_size
        self.alert = alert
        self.stats = BackfillStats()
        self._ends = [*starts[1:], _NEVER]
        self._pending: list[Record] = []
        self._held: list[tuple[tuple[int, int, int, int], Record]] = []
        self._seq = itertools.count()
        self._scores: dict[MentionKey, Scores] = {}
        self._assessed: dict[MentionKey, Assessment] = {}

    def feed(self, spooled: Spooled, shard: int = 0) -> None:
        records, scores, readings = spooled
        distinct = unique_mentions(records)
        self._scores.update((m.key, s) for m, s in zip(distinct, scores, strict=True))
        self._assessed.update((m.key, a) for m, a in zip(distinct, readings, strict=False))
        for r in records:
            if r.order is None:
                self._pending.append(r)
                continue
            key = (*r.order, shard, next(self._seq))
            if r.order[0] >= self._ends[shard]:
                heapq.heappush(self._held, (key, r))
                continue
            while self._held and self._held[0][0] < key:
                self._pending.append(heapq.heappop(self._held)[1])
            self._pending.append(r)
        while len(self._pending) >= self.buffer_size:
            self._store(self._pending[: self.buffer_size])
            self._pending = self._pending[self.buffer_size :]
            # Keep only what the rest still needs: memory stays about one buffer.
            left = {r.item.key for r in self._pending if isinstance(r.item, Mention)}
            left.update(r.item.key for _, r in self._held if isinstance(r.item, Mention))
            self._scores = {k: v for k, v in self._scores.items() if k in left}
            self._assessed = {k: v for k, v in self._assessed.items() if k in left}

    def finish(self) -> BackfillStats:
        while self._held:
            self._pending.append(heapq.heappop(self._held)[1])
        for at in range(0, len(self._pending), self.buffer_size):
            self._store(self._pending[at : at + self.buffer_size])
        self._pending = []
        return self.stats

    def _store(self, buf: list[Record]) -> None:
        mentions = unique_mentions(buf)
        store_scored(self.store, _Preread(self.engine, self._assessed), buf, mentions,
                     [self._scores[m.key] for m in mentions], alert=self.alert,
                     stats=self.stats)


class SpoolTail:
    """Reads the shards' spools in shard order, each as far as its worker has written.

    The pass can so start on shard 1 while the workers are still at work: the run
    takes about the longer of the two, not their sum.
    """

    def __init__(self, paths: Sequence[Path], decisions: DecisionPass) -> None:
        self.paths = list(paths)
        self.decisions = decisions
        self.shard = 0
        self.read = 0  # spool bytes of the shards finished
        self._fh: BinaryIO | None = None

    @property
    def position(self) -> int:
        return self.read + (self._fh.tell() if self._fh is not None else 0)

    @property
    def finished(self) -> bool:
        return self.shard >= len(self.paths)

    def step(self, written: Sequence[int], done: Sequence[bool]) -> bool:
        """Decide the next spooled buffer there is; False when there is none yet.

        ``written[k]``: spool bytes shard k has checkpointed; ``done[k]``: it is finished.
        """
        while not self.finished:
            if self._fh is None:
                if not written[self.shard] and not done[self.shard]:
                    return False  # its worker may not have made the file yet
                self._fh = self.paths[self.shard].open("rb")
            if self._fh.tell() < written[self.shard]:
                self.decisions.feed(_read_one(self._fh), self.shard)
                return True
            if not done[self.shard]:
                return False
            self.read += self._fh.tell()
            self._fh.close()
            self._fh = None
            self.shard += 1
        return False

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
