"""Ray Data scale-out: opt-in (``pytest -m slow``), skipped without the extra."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.backfill.readers import open_records
from listener.config import Settings
from listener.decisions import DecisionEngine
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
            decider=DecisionEngine.from_settings(Settings()), batch_size=4, chunk_size=8, actors=2,
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


def test_the_cli_classifies_on_ray(ray_local: object, sqlite_url: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from typer.testing import CliRunner

    from listener.cli.context import Components
    from listener.store import open_store
    from tests.backfill.test_cli import make_app

    monkeypatch.setenv("FIRSTREPLY_DATABASE__URL", sqlite_url)
    monkeypatch.delenv("FIRSTREPLY_CONFIG", raising=False)
    # The actors build the model from this factory: the keyword double, not MiniLM.
    components = Components(model_factory=lambda settings: KeywordClassifier)
    path = tmp_path / "twcs.csv"
    shutil.copyfile(TWCS, path)
    result = CliRunner().invoke(make_app(components), ["backfill", "--file", str(path),
                                             "--ray-actors", "1", "--buffer-size", "8"])
    assert result.exit_code == 0, result.output
    assert "19 new mentions" in result.output
    store = open_store(sqlite_url)
    try:
        assert store.counts().mentions == 19
        assert store.counts().pending_triage == 0
    finally:
        store.close()
