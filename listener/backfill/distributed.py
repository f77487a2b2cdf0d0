"""Scale-out backfill on Ray Data (the optional ``[distributed]`` extra).

The driver streams the file (``open_records``) in chunks; each chunk, sorted by text
length, becomes a Ray dataset whose texts an *actor pool* scores with ``map_batches``
(each actor loads the model once); the scores come back to the driver, which stores
them exactly as the single-machine ``backfill`` does (one writer, idempotent, a
checkpoint after every chunk). On one machine this buys nothing over ``backfill``; on
a Ray cluster the model work spreads over every node's CPUs or GPUs.

Scores cross process boundaries as JSON (``Scores.to_dict``), so the actors need only
the ``classifiers`` package, never ``listener``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from classifiers.base import Classifier, Scores
from listener.backfill.batch import (
    BackfillStats,
    Decider,
    ProgressFn,
    buffers,
    store_scored,
    unique_mentions,
)
from listener.backfill.records import Position, Record
from listener.ports import Store

__all__ = ["ScoreActor", "backfill_distributed"]

log = logging.getLogger(__name__)


class ScoreActor:
    """One model per actor; ``__call__`` scores a batch of the dataset."""

    def __init__(self, factory: Callable[[], Classifier]) -> None:
        self.model = factory()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(t) for t in batch["text"]]
        scores = self.model.predict(texts)
        return {
            "i": batch["i"],
            "scores": [json.dumps(s.to_dict(with_embedding=True)) for s in scores],
        }


def backfill_distributed(
    records: Iterable[Record],
    *,
    store: Store,
    classifier_factory: Callable[[], Classifier],
    decider: Decider,
    batch_size: int = 64,
    chunk_size: int = 20_000,
    actors: int = 2,
    num_gpus: float = 0.0,
    alert: bool = False,
    checkpoint: Callable[[Position], None] | None = None,
    progress: ProgressFn | None = None,
) -> BackfillStats:
    """Like ``batch.backfill``, with the model running in a Ray actor pool.

    ``classifier_factory`` builds the model inside each actor (it must be picklable:
    a module-level function or class). ``num_gpus`` per actor puts them on GPUs.
    """
    import ray

    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, log_to_driver=False)
    stats = BackfillStats()
    started = time.perf_counter()
    for chunk in buffers(records, chunk_size):
        mentions = unique_mentions(chunk)
        scores: list[Scores] = []
        if mentions:
            order = sorted(range(len(mentions)), key=lambda i: len(mentions[i].text))
            items = [{"i": i, "text": mentions[i].text} for i in order]
            t0 = time.perf_counter()
            scored = ray.data.from_items(items).map_batches(
                ScoreActor,
                fn_constructor_kwargs={"factory": classifier_factory},
                batch_size=batch_size,
                concurrency=actors,
                num_gpus=num_gpus,
                batch_format="numpy",
            )
            by_index: dict[int, Scores] = {}
            for row in scored.iter_rows():
                by_index[int(row["i"])] = Scores.from_dict(json.loads(str(row["scores"])))
            stats.classify_seconds += time.perf_counter() - t0
            scores = [by_index[i] for i in range(len(mentions))]
            stats.classified += len(mentions)
        store_scored(store, decider, chunk, mentions, scores, alert=alert, stats=stats)
        if checkpoint is not None and stats.last is not None:
            checkpoint(stats.last)
        if progress is not None:
            progress(position=chunk[-1].resume.offset, classified=stats.classified)
        log.info("distributed backfill: %d mentions stored", stats.mentions)
    stats.seconds = time.perf_counter() - started
    return stats
