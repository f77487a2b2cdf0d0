"""Triage, the live driver of the decision engine: stored mentions -> classify (one
batch) -> ``DecisionEngine.decide`` -> verdicts and outbox rows.

Through ports only. A batch is decided in full, then recorded with one
``store.record_triage_many``, which writes every verdict, score and alert in one
transaction and is idempotent per mention, so a crash anywhere is safe: the mentions
stay in ``pending_triage`` and the rerun decides them again, enqueueing each alert
exactly once.

The engine's memory (open incidents, spikes, each author's last alert, the alerts each
channel had this hour) is rebuilt from ``store.history`` on the first run and after any
failure, so a restart picks up where the stored verdicts left off. What memory does not
hold (an older conversation's alert, alerts another process queued, the Slack message
and status of a parent) the engine asks the store through :class:`StoreLookup`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from classifiers.base import Classifier
from listener.decisions import DecisionEngine, Parent, Rulebook, SpikeRules
from listener.domain import Alert, MentionKey, Route
from listener.ports import (
    AlertRepo,
    Clock,
    MentionRepo,
    SystemClock,
    TriagedReader,
    TriageRepo,
    load_triaged,
)

__all__ = ["StoreLookup", "Triage", "TriageResult", "TriageStore"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TriageResult:
    processed: int = 0
    routes: Mapping[Route, int] = field(default_factory=dict)
    actionable: int = 0
    #: Outbox rows enqueued (alerts, thread replies, spikes).
    alerts: int = 0
    spikes: int = 0
    #: Mentions another worker had already recorded (nothing written).
    skipped: int = 0

    def __add__(self, other: TriageResult) -> TriageResult:
        return TriageResult(
            processed=self.processed + other.processed,
            routes=dict(Counter(self.routes) + Counter(other.routes)),
            actionable=self.actionable + other.actionable,
            alerts=self.alerts + other.alerts,
            spikes=self.spikes + other.spikes,
            skipped=self.skipped + other.skipped,
        )


class TriageStore(MentionRepo, TriageRepo, AlertRepo, Protocol):
    """The part of ``Store`` triage needs."""


class LookupStore(AlertRepo, TriagedReader, Protocol):
    """What the engine's lookup reads."""


class StoreLookup:
    """The engine's ``AlertLookup`` over the live store; answers cached for one batch
    (a busy incident asks for its parent's status once, not once per post)."""

    def __init__(self, store: LookupStore) -> None:
        self._store = store
        self._counts: dict[tuple[str, datetime], int] = {}
        self._alerts: dict[MentionKey, Alert | None] = {}

    def refresh(self) -> None:
        """Forget cached answers: a new batch sees what changed since (other processes'
        alerts, a human's status change)."""
        self._counts.clear()
        self._alerts.clear()

    def alert(self, key: MentionKey) -> Alert | None:
        if key not in self._alerts:
            self._alerts[key] = self._store.alert_for(key)
        return self._alerts[key]

    def conversation_alert(self, brand: str, conversation_id: str) -> Parent | None:
        alert = self._store.alert_for_conversation(brand, conversation_id)
        if alert is None:
            return None
        item = load_triaged(self._store, alert.mention)
        if item is None or item.verdict is None:  # an ALERT row is written with its verdict
            return None
        return Parent(
            key=alert.mention,
            channel=alert.channel,
            topic=item.scores.topic if item.scores is not None else "",
            priority=item.verdict.priority,
            decided_at=item.verdict.decided_at,
            status=alert.status,
        )

    def channel_alerts_since(self, channel: str, since: datetime) -> int:
        # Within one batch ``since`` is the same for every post: one query per channel.
        key = (channel, since)
        if key not in self._counts:
            self._counts[key] = self._store.alerts_in_channel_since(channel, since)
        return self._counts[key]


class Triage:
    """Decides every pending mention. One instance per process; not thread-safe."""

    def __init__(
        self,
        *,
        store: TriageStore,
        classifier: Classifier,
        rules: Rulebook,
        clock: Clock | None = None,
        spike_rules: SpikeRules | None = None,
    ) -> None:
        self.store = store
        self.classifier = classifier
        self.clock: Clock = clock or SystemClock()
        self._lookup = StoreLookup(store)
        self.engine = DecisionEngine(rules=rules, lookup=self._lookup, spike_rules=spike_rules)
        self._ready = False

    def run_once(self, limit: int = 512) -> TriageResult:
        """Triage up to ``limit`` pending mentions, oldest first."""
        mentions = self.store.pending_triage(limit)
        if not mentions:
            return TriageResult()
        scores = self.classifier.predict([m.text for m in mentions])
        if len(scores) != len(mentions):
            raise ValueError(
                f"classifier returned {len(scores)} scores for {len(mentions)} texts"
            )
        now = self.clock.now()
        if not self._ready:
            self._rebuild(now)
        self._lookup.refresh()
        try:
            # Decide the whole batch in order, each verdict counted into memory as it is
            # decided (the next one may thread into it), then write it in ONE transaction:
            # a crash before the write leaves every mention pending, after it none.
            decisions = [
                self.engine.decide(m, s, now=now) for m, s in zip(mentions, scores, strict=True)
            ]
            written = self.store.record_triage_many([d.record() for d in decisions])
        except BaseException:
            self._ready = False  # memory holds posts that were never recorded
            raise
        routes: Counter[Route] = Counter()
        actionable = alerts = spikes = skipped = 0
        for decision, fresh in zip(decisions, written, strict=True):
            if not fresh:
                # Someone else decided it first: memory counted a post that isn't ours.
                # Rebuild before the next run.
                skipped += 1
                self._ready = False
                continue
            routes[decision.verdict.route] += 1
            actionable += decision.verdict.actionable
            alerts += len(decision.rows)
            spikes += len(decision.spikes)
        result = TriageResult(len(mentions), dict(routes), actionable, alerts, spikes, skipped)
        log.info(
            "triaged %s mentions: %s actionable, %s alerts enqueued, %s spikes",
            result.processed, result.actionable, result.alerts, result.spikes,
        )
        return result

    def triage_until_empty(self, limit: int = 512, max_batches: int = 1_000) -> TriageResult:
        """Run batches until nothing is pending (or ``max_batches``)."""
        total = TriageResult()
        for _ in range(max_batches):
            result = self.run_once(limit)
            total = total + result
            if result.processed == 0 or result.processed == result.skipped:
                break
        return total

    def _rebuild(self, now: datetime) -> None:
        start = now - self.engine.memory_span
        n = self.engine.rebuild(self.store.history(start, now + timedelta(days=1)))
        self._ready = True
        log.info("triage memory rebuilt from %s stored mentions since %s", n, start)
