"""The backfill's speed and memory settings: tokenising ahead in the reader thread, the GIL
interval, how far the reader runs ahead."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from classifiers.base import Scores
from listener.backfill.batch import BackfillStats, Preparing, backfill
from listener.backfill.readers import open_records
from listener.backfill.records import Record
from listener.config import Settings
from listener.decisions import DecisionEngine
from listener.store import MemoryStore
from tests.backfill.doubles import KeywordClassifier

TWCS = Path(__file__).parent / "data" / "twcs_tiny.csv"
ALL = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


class PreparingClassifier(KeywordClassifier):
    """Prepares apart, as the triage model tokenises: records where and under what GIL."""

    def __init__(self) -> None:
        super().__init__()
        self.prepared_in: set[str] = set()
        self.intervals: set[float] = set()

    def prepare(self, texts: Sequence[str]) -> tuple[str, ...]:
        self.prepared_in.add(threading.current_thread().name)
        return tuple(texts)

    def predict_prepared(self, prepared: tuple[str, ...]) -> list[Scores]:
        self.intervals.add(sys.getswitchinterval())
        return self.predict(list(prepared))


def run(classifier: KeywordClassifier, **options: object) -> tuple[MemoryStore, BackfillStats]:
    store = MemoryStore()
    with open_records(TWCS) as records:
        stats = backfill(records, store=store, classifier=classifier,
                         decider=DecisionEngine.from_settings(Settings()),
                         batch_size=3, buffer_size=8, **options)  # type: ignore[arg-type]
    return store, stats


def stored(store: MemoryStore) -> list[tuple[object, ...]]:
    rows = store.history(*ALL)
    return [(t.mention.key, t.scores, t.verdict.route if t.verdict else None) for t in rows]


def test_a_preparing_classifier_is_prepared_in_the_reader_thread_with_the_same_results(
) -> None:
    ahead, inline = PreparingClassifier(), PreparingClassifier()
    store_ahead, stats_ahead = run(ahead)
    store_inline, stats_inline = run(inline, prepare_ahead=False)
    assert ahead.prepared_in == {"backfill-read"}
    assert inline.prepared_in == set()  # predict() only
    assert ahead.batches == inline.batches  # the same length-sorted chunks
    assert stored(store_ahead) == stored(store_inline)
    assert len(stored(store_ahead)) == stats_ahead.triaged == stats_inline.triaged == 19


def test_a_plain_classifier_is_predicted_inline() -> None:
    plain = KeywordClassifier()
    assert not isinstance(plain, Preparing)
    _, stats = run(plain)
    assert stats.triaged == 19


def test_the_gil_interval_is_shortened_for_the_run_and_restored() -> None:
    before = sys.getswitchinterval()
    clf = PreparingClassifier()
    run(clf, switch_interval=0.002)
    assert clf.intervals == {0.002}
    assert sys.getswitchinterval() == before
    untouched = PreparingClassifier()
    run(untouched, switch_interval=None)
    assert untouched.intervals == {before}


def test_model_threads_setting_reaches_the_encoder() -> None:
    import pytest
    from pydantic import ValidationError

    from listener.runtime.build import model_spec

    assert model_spec(Settings()).threads == 0  # one per core
    spec = model_spec(Settings.model_validate({"model": {"threads": 1}}))
    assert spec.threads == 1
    with pytest.raises(ValidationError):
        Settings.model_validate({"model": {"threads": -1}})
    from classifiers.model import load

    assert load(None, threads=1).encoder.threads == 1  # the encoder loads lazily: cheap


def test_the_reader_is_at_most_two_buffers_ahead_of_the_model() -> None:
    """Memory: while the model scores one buffer, one planned buffer waits and the reader
    holds one more (planned, waiting for room); it reads nothing further."""
    size = 4
    pulled: list[int] = []

    def counted(records: Iterator[Record]) -> Iterator[Record]:
        for r in records:
            pulled.append(1)
            yield r

    class Held(KeywordClassifier):
        """Holds the first buffer until the reader waits for room, then notes how far
        it had read."""

        seen_at_hold: int | None = None

        def predict(self, texts: Sequence[str]) -> list[Scores]:
            if self.seen_at_hold is None:
                deadline = time.monotonic() + 10
                while not _reader_waits() and time.monotonic() < deadline:
                    threading.Event().wait(0.002)
                self.seen_at_hold = len(pulled)
            return super().predict(texts)

    held = Held()
    with open_records(TWCS) as records:
        backfill(counted(records), store=MemoryStore(), classifier=held,
                 decider=DecisionEngine.from_settings(Settings()), batch_size=size,
                 buffer_size=size)
    assert held.seen_at_hold == 3 * size


def _reader_waits() -> bool:
    """The reader thread is in ``_put`` with its queue full (waiting for room)."""
    reader = next((t for t in threading.enumerate() if t.name == "backfill-read"), None)
    frame = sys._current_frames().get(reader.ident) if reader and reader.ident else None
    while frame is not None:
        if frame.f_code.co_name == "_put" and frame.f_locals["q"].full():
            return True
        frame = frame.f_back
    return False
