"""Triage: stored mentions -> classify (one batch) -> decide -> verdict and outbox rows.

Through ports only. A batch is decided in full, then recorded with one
``store.record_triage_many``, which writes every verdict, score and alert in one
transaction and is idempotent per mention, so a crash anywhere is safe: the mentions
stay in ``pending_triage`` and the rerun decides them again, enqueueing each alert
exactly once.

What ``decide`` needs beyond the store (open incidents, spikes, each author's last alert,
the alerts each channel had this hour) lives in memory here, rebuilt from
``store.history`` on the first run and after any failure, so a restart picks up where
the stored verdicts left off.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from classifiers.base import Classifier, Scores
from listener.config import Settings
from listener.domain import (
    Alert,
    AlertKind,
    Mention,
    MentionKey,
    Route,
    Verdict,
)
from listener.incidents import IncidentTracker, incident_id_for
from listener.policy import (
    BrandRules,
    DecisionContext,
    blocked_reason,
    decide,
    is_complaint,
)
from listener.ports import Clock, Store, SystemClock, TriagedMention, TriageRecord
from listener.spikes import SpikeDetector, SpikeEvent, SpikeRules

__all__ = ["Triage", "TriageResult"]

log = logging.getLogger(__name__)

BUDGET_WINDOW = timedelta(hours=1)


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


@dataclass(slots=True)
class _Memory:
    """What decide needs that the store does not answer directly."""

    incidents: IncidentTracker
    spikes: SpikeDetector
    #: (brand, author id) -> (mention key, decided_at) of the author's latest ALERT.
    last_alert: dict[tuple[str, str], tuple[MentionKey, datetime]] = field(default_factory=dict)
    #: (channel, decided_at) of recent ALERTs, oldest first.
    sent: deque[tuple[str, datetime]] = field(default_factory=deque)


@dataclass(slots=True)
class _Batch:
    """A run's decided but not yet written verdicts, and the outbox rows they will add.

    The store cannot see them until ``record_triage_many`` commits, so later mentions of
    the same run look up their conversation's alert and a thread's parent here too.
    """

    records: list[TriageRecord] = field(default_factory=list)
    #: Mention -> its first outbox row (what ``Outbox.alert_for`` would answer).
    alerts: dict[MentionKey, Alert] = field(default_factory=dict)
    #: Conversation -> its first ``AlertKind.ALERT`` row.
    conversations: dict[str, Alert] = field(default_factory=dict)

    def add(self, mention: Mention, record: TriageRecord) -> None:
        self.records.append(record)
        if record.alerts:
            self.alerts.setdefault(mention.key, record.alerts[0])
        conversation = mention.conversation_id
        for a in record.alerts:
            if conversation and a.kind is AlertKind.ALERT:
                self.conversations.setdefault(conversation, a)


class Triage:
    """Decides every pending mention. One instance per process; not thread-safe."""

    def __init__(
        self,
        *,
        store: Store,
        classifier: Classifier,
        settings: Settings,
        clock: Clock | None = None,
        spike_rules: SpikeRules | None = None,
    ) -> None:
        self.store = store
        self.classifier = classifier
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.spike_rules = spike_rules or SpikeRules()
        self._rules: dict[str, BrandRules] = {}
        self._memory: _Memory | None = None

    # -- rules -----------------------------------------------------------------------------

    def rules_for(self, brand: str) -> BrandRules:
        """The brand's rules; an unknown brand gets the first brand's, or the defaults."""
        rules = self._rules.get(brand)
        if rules is None:
            settings = self.settings.brand(brand) or (
                self.settings.brands[0] if self.settings.brands else None
            )
            rules = BrandRules.from_settings(settings, self.settings)
            self._rules[brand] = rules
        return rules

    # -- running ---------------------------------------------------------------------------

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
        memory = self._memory_at(now)
        routes: Counter[Route] = Counter()
        actionable = alerts = spikes = skipped = 0
        budget_cache: dict[str, int] = {}
        batch = _Batch()
        decided: list[tuple[Mention, Verdict, int, int]] = []
        try:
            # Decide the whole batch in order, counting each verdict into memory as it is
            # decided (the next one may thread into it), then write it in ONE transaction:
            # a crash before the write leaves every mention pending, after it none.
            for mention, score in zip(mentions, scores, strict=True):
                verdict, rows, n_spikes = self._triage_one(
                    mention, score, now, memory, budget_cache, batch
                )
                self._remember(mention, score, verdict, memory)
                batch.add(mention, TriageRecord(mention.key, score, verdict, tuple(rows)))
                decided.append((mention, verdict, len(rows), n_spikes))
            written = self.store.record_triage_many(batch.records)
        except BaseException:
            self._memory = None  # it holds posts that were never recorded
            raise
        for (_, verdict, n_rows, n_spikes), fresh in zip(decided, written, strict=True):
            if not fresh:
                # Someone else decided it first: our in-memory view counted a post
                # that isn't ours. Rebuild before the next run.
                skipped += 1
                self._memory = None
                continue
            routes[verdict.route] += 1
            actionable += verdict.actionable
            alerts += n_rows
            spikes += n_spikes
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

    # -- one mention -----------------------------------------------------------------------

    def _triage_one(
        self,
        mention: Mention,
        scores: Scores,
        now: datetime,
        memory: _Memory,
        budget_cache: dict[str, int],
        batch: _Batch,
    ) -> tuple[Verdict, list[Alert], int]:
        rules = self.rules_for(mention.brand)
        brand = rules.brand or mention.brand
        events: list[SpikeEvent] = []
        if blocked_reason(mention, rules) is None:
            events = memory.spikes.observe(
                brand, scores.topic, mention.created_at, complaint=is_complaint(scores, rules)
            )
        channel = rules.channel_for(scores.topic)
        ctx = DecisionContext(
            conversation_alert=self._conversation_alert(mention, batch),
            incident=memory.incidents.match(
                brand, scores.topic, scores.embedding, mention.created_at,
                window=rules.incident_window, similarity=rules.incident_similarity,
            ),
            channel_alerts_last_hour=self._channel_count(channel, now, memory, budget_cache),
            author_last_alert=memory.last_alert.get((brand, mention.author.id)),
            spike=memory.spikes.active(brand, scores.topic, mention.created_at),
        )
        verdict = decide(mention, scores, rules, ctx, now=now)

        if verdict.actionable and (verdict.thread_of is None or verdict.incident_id):
            incident_id = verdict.incident_id or incident_id_for(mention.key)
            if verdict.incident_id is None:
                verdict = dataclasses.replace(verdict, incident_id=incident_id)

        rows: list[Alert] = []
        if verdict.route is Route.ALERT:
            rows.append(Alert(mention=mention.key, channel=verdict.channel or rules.channel))
        elif verdict.route is Route.THREAD and verdict.thread_of is not None:
            parent = self.store.alert_for(verdict.thread_of) or batch.alerts.get(
                verdict.thread_of
            )
            # A thread lives in its parent's channel; the dispatcher resolves the parent's
            # Slack ref through ``verdict.thread_of`` if it wasn't sent yet.
            thread_channel = parent.channel if parent else (verdict.channel or rules.channel)
            if verdict.channel != thread_channel:
                verdict = dataclasses.replace(verdict, channel=thread_channel)
            rows.append(
                Alert(
                    mention=mention.key,
                    channel=thread_channel,
                    kind=AlertKind.THREAD_REPLY,
                    thread=parent.slack if parent else None,
                )
            )
        for event in events:
            note = event.describe()
            if note not in verdict.reasons:
                verdict = dataclasses.replace(verdict, reasons=(*verdict.reasons, note))
            rows.append(Alert(mention=mention.key, channel=rules.channel, kind=AlertKind.SPIKE))
        return verdict, rows, len(events)

    def _conversation_alert(self, mention: Mention, batch: _Batch) -> MentionKey | None:
        if not mention.conversation_id:
            return None
        # Stored alerts are older than this batch's, so the store answers first.
        alert = self.store.alert_for_conversation(
            mention.conversation_id
        ) or batch.conversations.get(mention.conversation_id)
        return alert.mention if alert is not None else None

    def _channel_count(
        self, channel: str, now: datetime, memory: _Memory, cache: dict[str, int]
    ) -> int:
        since = now - BUDGET_WINDOW
        while memory.sent and memory.sent[0][1] < since:
            memory.sent.popleft()
        ours = sum(1 for c, _ in memory.sent if c == channel)
        if channel not in cache:
            # Sent alerts per the store: covers alerts another process enqueued.
            cache[channel] = self.store.alerts_in_channel_since(channel, since)
        return max(ours, cache[channel])

    def _remember(
        self, mention: Mention, scores: Scores, verdict: Verdict, memory: _Memory
    ) -> None:
        """Count a recorded verdict into memory (incidents, cooldowns, budgets)."""
        rules = self.rules_for(mention.brand)
        if verdict.incident_id is not None:
            memory.incidents.add(
                mention.key, brand=rules.brand or mention.brand, topic=scores.topic,
                embedding=scores.embedding, at=mention.created_at, text=mention.text,
                incident_id=verdict.incident_id,
            )
        if verdict.route is Route.ALERT:
            if verdict.incident_id is not None:
                memory.incidents.note_alert(verdict.incident_id, mention.key)
            brand = rules.brand or mention.brand
            memory.last_alert[(brand, mention.author.id)] = (mention.key, verdict.decided_at)
            memory.sent.append((verdict.channel or rules.channel, verdict.decided_at))

    # -- memory ----------------------------------------------------------------------------

    def _memory_at(self, now: datetime) -> _Memory:
        if self._memory is None:
            self._memory = self._rebuild(now)
        else:
            # Incidents are matched on the posts' own times, which may lag ``now``:
            # keep twice the longest window before forgetting one.
            longest = max((r.incident_window for r in self._rules.values()),
                          default=timedelta(hours=2))
            self._memory.incidents.prune(now - 2 * longest)
            cooldown = self._max_cooldown()
            stale = [k for k, (_, at) in self._memory.last_alert.items() if now - at > cooldown]
            for k in stale:
                del self._memory.last_alert[k]
        return self._memory

    def _rebuild(self, now: datetime) -> _Memory:
        windows = [self.rules_for(b.name).incident_window for b in self.settings.brands]
        windows = windows or [self.rules_for("").incident_window]
        spike_span = self.spike_rules.bucket * self.spike_rules.baseline_buckets
        span = max([*windows, spike_span, BUDGET_WINDOW, self._max_cooldown()])
        start = now - span
        history = list(self.store.history(start, now + timedelta(days=1)))

        def complaint_of(item: TriagedMention) -> bool | None:
            rules = self.rules_for(item.mention.brand)
            if item.scores is None or blocked_reason(item.mention, rules) is not None:
                return None
            return is_complaint(item.scores, rules)

        memory = _Memory(
            incidents=IncidentTracker.rebuild(history),
            # The baseline starts at the oldest stored post, not at ``start``: a new
            # install has no history, and an empty span would read as "usually silent".
            spikes=SpikeDetector.rebuild(
                history,
                start=history[0].mention.created_at if history else None,
                complaint_of=complaint_of,
                rules=self.spike_rules,
            ),
        )
        alerted = sorted(
            (item for item in history if item.verdict and item.verdict.route is Route.ALERT),
            key=lambda item: item.verdict.decided_at if item.verdict else now,
        )
        for item in alerted:
            assert item.verdict is not None
            brand = self.rules_for(item.mention.brand).brand or item.mention.brand
            memory.last_alert[(brand, item.mention.author.id)] = (
                item.mention.key, item.verdict.decided_at
            )
            if item.verdict.decided_at >= now - BUDGET_WINDOW:
                channel = item.verdict.channel or self.rules_for(item.mention.brand).channel
                memory.sent.append((channel, item.verdict.decided_at))
        log.info("triage memory rebuilt from %s stored mentions since %s", len(history), start)
        return memory

    def _max_cooldown(self) -> timedelta:
        rules = [self.rules_for(b.name) for b in self.settings.brands]
        return max((r.author_cooldown for r in rules), default=timedelta(minutes=30))
