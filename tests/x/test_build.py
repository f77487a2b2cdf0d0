"""build_sources from settings, and "run --once" semantics over repeated, interrupted runs."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from listener.config import Secrets, Settings
from listener.domain import Mention
from listener.ingest import Poller
from listener.store.memory import MemoryStore
from listener.x.sources import MentionsTimelineSource, RecentSearchSource, build_sources
from tests.fakes.x_server import FakeXServer
from tests.x.conftest import FakeClock


def test_one_source_per_handle_and_query(
    settings: Settings, secrets: Secrets, clock: FakeClock
) -> None:
    two = settings.model_copy(
        update={
            "brands": [
                *settings.brands,
                settings.brands[0].model_copy(
                    update={"name": "Beta", "handles": ["beta", "beta_help"], "queries": []}
                ),
            ]
        }
    )
    sources = build_sources(two, secrets, clock=clock)
    names = [s.name for s in sources]
    assert names[0] == "mentions:acme"
    assert names[1].startswith("search:Acme:")
    assert names[2:] == ["mentions:beta", "mentions:beta_help"]
    assert isinstance(sources[0], MentionsTimelineSource)
    assert isinstance(sources[1], RecentSearchSource)
    streaming = two.model_copy(update={"x": two.x.model_copy(update={"stream": True})})
    assert all(
        s.name.startswith("mentions:") for s in build_sources(streaming, secrets, clock=clock)
    )


class FlakyStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.fail_at: int | None = None
        self.calls = 0

    def add_mentions(self, mentions: Sequence[Mention]) -> int:
        self.calls += 1
        if self.calls == self.fail_at:
            raise KeyboardInterrupt  # the process is killed mid-poll
        return super().add_mentions(mentions)


def test_every_seeded_mention_is_ingested_exactly_once_across_interrupted_runs(
    fake_x: FakeXServer, settings: Settings, secrets: Secrets, clock: FakeClock
) -> None:
    store = FlakyStore()
    seeded = fake_x.seed_tweets(430)
    seeded += [fake_x.add_tweet(f"acme is broken {i}", author="zed") for i in range(30)]

    def run_once() -> None:  # what `firstreply run --once` does for ingestion
        sources = build_sources(settings, secrets, clock=clock)  # fresh process each time
        Poller(store=store, clock=clock).poll_all(sources)

    store.fail_at = 3
    with pytest.raises(KeyboardInterrupt):
        run_once()
    run_once()
    seeded += fake_x.seed_tweets(120)
    store.fail_at = store.calls + 2
    with pytest.raises(KeyboardInterrupt):
        run_once()
    run_once()
    run_once()
    ids = [m.id for m in store.pending_triage(10_000)]
    assert len(ids) == len(set(ids))
    assert set(ids) == {t["id"] for t in seeded}
