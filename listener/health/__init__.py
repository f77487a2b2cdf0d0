"""Source health: what the poller's outcomes say, kept, persisted and exported.

- ``state``: ``HealthState``, pure: ``record(PollOutcome)`` in, ``snapshot(now)`` out;
- ``persist``: ``HealthFile``, the JSON file ``firstreply status`` reads;
- ``prometheus``: the exporter and its HTTP server (the only prometheus_client import;
  not imported here, so the core never loads it).

``Health`` ties the first two to a clock: the poller's ``on_outcome`` is
``Health.record``, which updates the state and writes the file.
"""

from __future__ import annotations

from collections.abc import Mapping

from listener.health.persist import HealthFile
from listener.health.state import (
    Budget,
    HealthSnapshot,
    HealthState,
    NetworkSpend,
    SourceHealth,
)
from listener.ingest import PollOutcome
from listener.ports import Clock, SourceInfo

__all__ = [
    "Budget",
    "Health",
    "HealthFile",
    "HealthSnapshot",
    "HealthState",
    "NetworkSpend",
    "SourceHealth",
]


class Health:
    """The state, the file it is saved to (optional), and the clock that dates it."""

    def __init__(
        self,
        *,
        clock: Clock,
        state: HealthState | None = None,
        file: HealthFile | None = None,
        budgets: Mapping[str, Budget] | None = None,
    ) -> None:
        self._clock = clock
        self.state = state or HealthState(budgets=budgets)
        self.file = file
        if file is not None:
            saved = file.load()
            if saved is not None:
                self.state.restore(saved, now=clock.now())

    def register(self, source: SourceInfo) -> None:
        self.state.register(
            source.name, network=source.network, kind=source.kind, at=self._clock.now()
        )

    def record(self, outcome: PollOutcome) -> None:
        self.state.record(outcome)
        self.save()

    def save(self) -> None:
        if self.file is not None:
            self.file.save(self.state.dump())

    def snapshot(self) -> HealthSnapshot:
        return self.state.snapshot(self._clock.now())
