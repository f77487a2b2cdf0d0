"""The decision pass over shard spools decides exactly as one process (no processes here)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.backfill.batch import backfill, buffers, unique_mentions
from listener.backfill.readers import open_records
from listener.backfill.shards import plan_shards
from listener.backfill.spool import DecisionPass, SpoolTail, assess, write_spool
from listener.config import Settings
from listener.decisions import DecisionEngine, Rulebook
from listener.store import MemoryStore
from tests.backfill.doubles import KeywordClassifier
from tests.shared_data import SHARED_DATA, needs_shared_data

TWCS = Path(__file__).parent / "data" / "twcs_tiny.csv"
SAMPLE = SHARED_DATA / "twcs-sample" / "twcs_first5000.csv"


def verdicts(store: MemoryStore) -> list[tuple[object, ...]]:
    far = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    out: list[tuple[object, ...]] = []
    for t in store.history(*far):
        v = t.verdict
        assert v is not None
        out.append((t.mention.key, t.mention.brand, v.route, v.channel, v.incident_id,
                    v.thread_of))
    return out


def one_process(path: Path, buffer: int) -> MemoryStore:
    store = MemoryStore()
    with open_records(path, "twcs") as records:
        backfill(records, store=store, classifier=KeywordClassifier(),
                 decider=DecisionEngine.from_settings(Settings()), buffer_size=buffer)
    return store


def sharded(path: Path, tmp: Path, count: int, buffer: int, worker_buffer: int) -> MemoryStore:
    """What ``--workers count`` does, with the workers run one after another here."""
    store, model = MemoryStore(), KeywordClassifier()
    rules = Rulebook.from_settings(Settings())
    shards = plan_shards(path, "twcs", count)
    spools = []
    for s in shards:
        spool = tmp / f"{s.index}.spool"
        with open_records(path, "twcs", start=s.start, end=s.end, warm=s.warm) as records, \
                spool.open("wb") as fh:
            for buf in buffers(records, worker_buffer):
                mentions = unique_mentions(buf)
                scores = model.predict([m.text for m in mentions])
                store.add_mentions(mentions)
                write_spool(fh, buf, scores, assess(rules, mentions, scores))
        spools.append(spool)
    decisions = DecisionPass(store=store, engine=DecisionEngine.from_settings(Settings()),
                             buffer_size=buffer, starts=[s.start.offset for s in shards])
    tail = SpoolTail(spools, decisions)
    sizes = [p.stat().st_size for p in spools]
    while tail.step(sizes, [True] * len(spools)):
        pass
    decisions.finish()
    return store


@pytest.mark.parametrize("count", [2, 3, 5])
def test_the_pass_over_twcs_shards_decides_as_one_process(tmp_path: Path, count: int) -> None:
    want = verdicts(one_process(TWCS, buffer=4))
    assert verdicts(sharded(TWCS, tmp_path, count, buffer=4, worker_buffer=3)) == want


@needs_shared_data("twcs-sample", "twcs_first5000.csv")
def test_the_5000_row_sample_in_4_shards_decides_as_one_process(tmp_path: Path) -> None:
    # Tweets wait up to 2,000 rows for their answer here, across every boundary.
    want = verdicts(one_process(SAMPLE, buffer=500))
    assert verdicts(sharded(SAMPLE, tmp_path, 4, buffer=500, worker_buffer=256)) == want
