"""Ray Data scale-out: opt-in (``pytest -m slow``), skipped without the extra."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.backfill.decider import HistoryDecider
from listener.backfill.readers import open_records
from listener.config import Settings
from listener.store import MemoryStore
from tests.backfill.doubles import KeywordClassifier

TWCS = Path(__file__).parent / "data" / "twcs_tiny.csv"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_local() -> Iterator[object]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_actor_pool_scores_everything_once(ray_local: object) -> None:
    from listener.backfill.distributed import backfill_distributed

    store = MemoryStore()
    positions = []
    with open_records(TWCS) as records:
        stats = backfill_distributed(
            records, store=store, classifier_factory=KeywordClassifier,
            decider=HistoryDecider(Settings()), batch_size=4, chunk_size=8, actors=2,
            checkpoint=positions.append,
        )
    assert stats.mentions == 19
    assert store.counts().mentions == 19
    assert store.counts().pending_triage == 0
    everything = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    history = list(store.history(*everything))
    worst = next(t for t in history if t.mention.id == "8")
    assert worst.scores is not None
    assert worst.scores.is_complaint
    assert len(positions) == 3  # one checkpoint per chunk
