"""The batch backfill: storing, sorting, no alerts by default, interrupt and resume."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.backfill.batch import backfill, load_checkpoint, save_checkpoint
from listener.backfill.readers import open_records
from listener.backfill.records import Position
from listener.config import Settings
from listener.decisions import DecisionEngine
from listener.errors import StoreError
from listener.ports import Store
from listener.store import MemoryStore
from tests.backfill.doubles import KeywordClassifier

TWCS = Path(__file__).parent / "data" / "twcs_tiny.csv"
KEY = "backfill:test"
ALL = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def run(store: Store, classifier: KeywordClassifier, *, alert: bool = False,
        buffer_size: int = 4096, batch_size: int = 4) -> object:
    start = load_checkpoint(store, KEY)
    with open_records(TWCS, start=start) as records:
        return backfill(
            records, store=store, classifier=classifier,
            decider=DecisionEngine.from_settings(Settings()),
            batch_size=batch_size, buffer_size=buffer_size, alert=alert,
            checkpoint=lambda pos: save_checkpoint(store, KEY, pos),
        )


def test_backfill_stores_classifies_and_sends_nothing(store: Store) -> None:
    clf = KeywordClassifier()
    stats = run(store, clf)
    counts = store.counts()
    assert counts.mentions == 19
    assert counts.rejected == 2
    assert counts.pending_triage == 0
    assert sum(counts.alerts.values()) == 0
    history = list(store.history(*ALL))
    assert len(history) == 19
    assert all(t.verdict is not None and t.scores is not None for t in history)
    assert any(t.verdict.actionable for t in history if t.verdict)
    assert stats.triaged == 19  # type: ignore[attr-defined]
    assert all(len(b) <= 4 for b in clf.batches)
    lengths = [len(t) for b in clf.batches for t in b]
    assert lengths == sorted(lengths)  # one buffer, sorted by length
    assert load_checkpoint(store, KEY) is not None


def test_alert_flag_queues_alerts() -> None:
    store = MemoryStore()
    run(store, KeywordClassifier(), alert=True)
    assert store.counts().alerts.get("pending", 0) >= 1


def test_interrupted_backfill_resumes_without_duplicates_or_gaps(sqlite_url: str) -> None:
    from listener.store import open_store

    store = open_store(sqlite_url)
    try:
        with pytest.raises(KeyboardInterrupt):
            run(store, KeywordClassifier(fail_after=9), buffer_size=5, batch_size=2)
        first = store.counts().mentions
        assert 0 < first < 19
        assert load_checkpoint(store, KEY) is not None
        again = KeywordClassifier()
        run(store, again, buffer_size=5, batch_size=2)
        counts = store.counts()
        assert counts.mentions == 19
        assert counts.pending_triage == 0
        assert counts.rejected == 2
        keys = [t.mention.key for t in store.history(*ALL)]
        assert len(keys) == len(set(keys)) == 19
        # Only the unfinished buffers (plus the twcs look-ahead window) are read again.
        assert again.texts_seen < 19
    finally:
        store.close()


def test_resume_at_the_end_does_nothing() -> None:
    store = MemoryStore()
    run(store, KeywordClassifier())
    clf = KeywordClassifier()
    stats = run(store, clf)
    assert clf.texts_seen == 0
    assert stats.records == 0  # type: ignore[attr-defined]


class BrokenStore(MemoryStore):
    def add_mentions(self, mentions: object) -> int:  # type: ignore[override]
        raise StoreError("disk full")


def test_a_store_failure_stops_the_run_and_surfaces() -> None:
    store = BrokenStore()
    with pytest.raises(StoreError, match="disk full"):
        run(store, KeywordClassifier(), buffer_size=3)
    assert load_checkpoint(store, KEY) in (None, Position())


def test_the_real_model_backfills_the_fixture() -> None:
    """The one integration test with the shipped model (skipped until it is trained)."""
    from classifiers import model as triage

    if not (Path(triage.DEFAULT_DIR) / "config.json").exists():
        pytest.skip("the default model has not been trained into classifiers/weights yet")
    store = MemoryStore()
    with open_records(TWCS) as records:
        stats = backfill(records, store=store, classifier=triage.load_default(device="cpu"),
                         decider=DecisionEngine.from_settings(Settings()), batch_size=8)
    assert stats.triaged == 19
    by_id = {t.mention.id: t for t in store.history(*ALL)}
    worst = by_id["8"]  # "@sprintcare is the worst customer service"
    assert worst.scores is not None
    assert worst.scores.is_complaint
    assert worst.scores.embedding  # kept for incident grouping


def test_backfill_with_alerts_queues_the_spike_notices_live_would_have() -> None:
    # It used to decide history with a copy of the live rules that never made SPIKE rows.
    from datetime import UTC, datetime, timedelta

    from listener.backfill.batch import BackfillStats, store_scored
    from listener.backfill.records import Position, Record
    from listener.decisions import SpikeRules
    from listener.domain import AlertKind, Author, Mention

    t0 = datetime(2026, 3, 2, 10, tzinfo=UTC)

    def post(i: int, at: datetime) -> Record:
        m = Mention("x", str(i), "@acme my order never arrived", Author(f"u{i}", f"u{i}"), at,
                    brand="Acme")
        return Record(m, i, Position(offset=i))

    quiet = [post(i, t0 + timedelta(minutes=15 * i)) for i in range(8)]
    loud = [post(100 + i, t0 + timedelta(hours=2, seconds=10 * i)) for i in range(20)]
    records = quiet + loud
    mentions = [r.item for r in records if isinstance(r.item, Mention)]
    store = MemoryStore()
    engine = DecisionEngine.from_settings(
        Settings.model_validate({"brands": [{"name": "Acme", "channel": "#cx-acme"}]}),
        spike_rules=SpikeRules(baseline_buckets=24, min_history_buckets=4, min_count=8,
                               min_ratio=3.0, p_value=1e-3),
    )
    store_scored(store, engine, records, mentions, KeywordClassifier().predict(
        [m.text for m in mentions]), alert=True, stats=BackfillStats())
    rows = [a for i in store.history(t0, t0 + timedelta(days=1)) for a in i.alerts]
    assert [(a.kind, a.channel) for a in rows if a.kind is AlertKind.SPIKE] == [
        (AlertKind.SPIKE, "#cx-acme")]
