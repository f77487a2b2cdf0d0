"""The decision engine: one function from (mention, scores, memory, now) to a verdict and
the outbox rows it asks for. Live triage, backfill, replay and ``triage`` drive it.

``DecisionEngine.decide`` does, for one post:

1. count it into the spike series (unless it may never alert) and note the spikes it
   raises;
2. look up its context: the conversation's alert, the incident it joins, the author's
   last alert, the channel's alerts this hour, an active spike; memory first, then the
   read-only :class:`AlertLookup` (the live store; nothing for history);
3. ``policy.decide``, then give a new actionable post an incident of its own;
4. build the rows: an ALERT message, a THREAD_REPLY in its parent's channel (with the
   parent's Slack message once it was sent), a SPIKE notice per spike raised;
5. count the verdict into memory, so the next post sees it.

The drivers differ only in their ``now`` (the clock live, each post's own time over
history) and in their lookup, so they agree by construction.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from classifiers.base import Scores
from listener.config import Settings
from listener.decisions.incidents import incident_id_for
from listener.decisions.memory import BUDGET_WINDOW, DecisionMemory
from listener.decisions.policy import (
    DecisionContext,
    Parent,
    assess_with_rules,
    blocked_reason,
    decide,
    destination,
    is_complaint,
)
from listener.decisions.rules import BrandRules, Rulebook
from listener.decisions.spikes import SpikeEvent, SpikeRules
from listener.decisions.urgency import Assessment
from listener.domain import Alert, AlertKind, Mention, MentionKey, Route, Verdict
from listener.ports import TriagedMention, TriageRecord

__all__ = ["AlertLookup", "Decision", "DecisionEngine", "NoLookup"]

log = logging.getLogger(__name__)

#: How often (in decision time) memory forgets incidents that can no longer be joined.
PRUNE_EVERY = timedelta(minutes=10)


class AlertLookup(Protocol):
    """What the engine may ask about alerts it did not decide itself. Read-only."""

    def alert(self, key: MentionKey) -> Alert | None:
        """The primary alert about ``key``: its channel, Slack message and status."""
        ...

    def conversation_alert(self, brand: str, conversation_id: str) -> Parent | None:
        """The first ALERT in this brand's conversation, if memory no longer has it."""
        ...

    def channel_alerts_since(self, channel: str, since: datetime) -> int:
        """ALERT rows for ``channel`` created since ``since``, by any process."""
        ...


class NoLookup:
    """History decides from memory alone: nothing was sent, every alert is open."""

    def alert(self, key: MentionKey) -> Alert | None:
        return None

    def conversation_alert(self, brand: str, conversation_id: str) -> Parent | None:
        return None

    def channel_alerts_since(self, channel: str, since: datetime) -> int:
        return 0


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict and the outbox rows it asks for."""

    mention: Mention
    scores: Scores
    verdict: Verdict
    rows: tuple[Alert, ...]
    spikes: tuple[SpikeEvent, ...] = ()

    def record(self, *, with_rows: bool = True) -> TriageRecord:
        """What the store writes (``with_rows=False``: the verdict only, no messages)."""
        rows = self.rows if with_rows else ()
        return TriageRecord(self.mention.key, self.scores, self.verdict, rows)


class DecisionEngine:
    """Owns the decision memory. Not thread-safe: one driver, in one thread, uses it."""

    def __init__(
        self,
        *,
        rules: Rulebook,
        lookup: AlertLookup | None = None,
        spike_rules: SpikeRules | None = None,
    ) -> None:
        self.rules = rules
        self.spike_rules = spike_rules or SpikeRules()
        self._lookup: AlertLookup = lookup or NoLookup()
        self.memory = DecisionMemory(spike_rules=self.spike_rules)
        self._pruned_at: datetime | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> DecisionEngine:
        """An engine with ``settings``' rules (history's: no lookup unless given)."""
        return cls(rules=Rulebook.from_settings(settings), **kwargs)

    @property
    def memory_span(self) -> timedelta:
        """How far back the memory must reach to decide as if it never forgot."""
        spikes = self.spike_rules.bucket * self.spike_rules.baseline_buckets
        return max(
            self.rules.longest_incident_window, spikes, BUDGET_WINDOW, self.rules.longest_cooldown
        )

    def forget(self) -> None:
        """Start from an empty memory (after a write that failed or raced)."""
        self.memory = DecisionMemory(spike_rules=self.spike_rules)
        self._pruned_at = None

    # -- deciding --------------------------------------------------------------------------

    def decide(
        self, mention: Mention, scores: Scores, *, now: datetime,
        assessment: Assessment | None = None,
    ) -> Decision:
        """Decide ``mention`` at ``now`` and count the verdict into memory.

        ``assessment``: ``assess_with_rules`` of this post under these rules, worked out
        beforehand (it needs no memory: parallel backfill writers read posts in parallel).
        """
        self._prune(now)
        rules = self.rules.rules_for(mention.brand)
        brand = rules.brand or mention.brand  # ``Rulebook.brand_key``
        spikes: tuple[SpikeEvent, ...] = ()
        if blocked_reason(mention, rules) is None:
            spikes = tuple(
                self.memory.spikes.observe(
                    brand, scores.topic, mention.created_at, complaint=is_complaint(scores, rules)
                )
            )
        if assessment is None:
            assessment = assess_with_rules(mention, scores, rules)
        ctx = self._context(mention, scores, rules, brand, now, assessment)
        verdict = decide(mention, scores, rules, ctx, now=now, assessment=assessment)
        if verdict.actionable and verdict.thread_of is None and verdict.incident_id is None:
            # A new actionable post opens an incident of its own, which later posts join.
            verdict = dataclasses.replace(verdict, incident_id=incident_id_for(mention.key))
        verdict, rows = self._rows(mention, verdict, rules, spikes)
        self.memory.count(mention, scores, verdict, brand=brand)
        return Decision(mention, scores, verdict, rows, spikes)

    def decide_history(
        self, items: Sequence[tuple[Mention, Scores]],
        assessed: Mapping[MentionKey, Assessment] | None = None,
    ) -> list[Decision]:
        """Decisions in input order, decided oldest first, each at its post's own time
        (``assessed``: posts already read, by key; see ``decide``)."""
        order = sorted(range(len(items)), key=lambda i: items[i][0].created_at)
        out: list[Decision | None] = [None] * len(items)
        for i in order:
            mention, scores = items[i]
            out[i] = self.decide(mention, scores, now=mention.created_at,
                                 assessment=assessed.get(mention.key) if assessed else None)
        return [d for d in out if d is not None]

    def context(self, mention: Mention, scores: Scores, *, now: datetime) -> DecisionContext:
        """What ``decide`` would look up for ``mention`` at ``now`` (nothing changes)."""
        rules = self.rules.rules_for(mention.brand)
        brand = self.rules.brand_key(mention.brand)
        return self._context(mention, scores, rules, brand, now,
                             assess_with_rules(mention, scores, rules))

    def _context(
        self, mention: Mention, scores: Scores, rules: BrandRules, brand: str, now: datetime,
        assessment: Assessment,
    ) -> DecisionContext:
        memory = self.memory
        conversation = None
        if mention.conversation_id:
            conversation = memory.conversation_alert(
                brand, mention.conversation_id
            ) or self._lookup.conversation_alert(mention.brand, mention.conversation_id)
        incident = memory.incidents.match(
            brand, scores.topic, scores.embedding, mention.created_at,
            window=rules.incident_window, similarity=rules.incident_similarity,
        )
        _, channel = destination(assessment, mention, scores, rules)
        since = now - BUDGET_WINDOW
        budget = max(
            memory.channel_alerts(channel, since, now),
            self._lookup.channel_alerts_since(channel, since),
        )
        incident_alert = None
        if incident is not None and incident.alert_of is not None:
            incident_alert = self._current(memory.parent(incident.alert_of))
        return DecisionContext(
            conversation_alert=self._current(conversation),
            incident=incident,
            incident_alert=incident_alert,
            channel_alerts_last_hour=budget,
            author_last_alert=self._current(memory.author_alert(brand, mention.author.id)),
            spike=memory.spikes.active(brand, scores.topic, mention.created_at),
        )

    def _current(self, parent: Parent | None) -> Parent | None:
        """``parent`` with the status a human has given it since."""
        if parent is None:
            return None
        stored = self._lookup.alert(parent.key)
        if stored is None or stored.status is parent.status:
            return parent
        return dataclasses.replace(parent, status=stored.status)

    def _rows(
        self,
        mention: Mention,
        verdict: Verdict,
        rules: BrandRules,
        spikes: Sequence[SpikeEvent],
    ) -> tuple[Verdict, tuple[Alert, ...]]:
        rows: list[Alert] = []
        if verdict.route is Route.ALERT and verdict.channel is not None:
            rows.append(Alert(mention=mention.key, channel=verdict.channel))
        elif verdict.route is Route.THREAD and verdict.thread_of is not None:
            stored = self._lookup.alert(verdict.thread_of)
            remembered = self.memory.parent(verdict.thread_of)
            # A thread lives in its parent's channel; the dispatcher finds the parent's
            # Slack message through ``verdict.thread_of`` if it was not sent yet.
            channel = (
                remembered.channel if remembered is not None
                else stored.channel if stored is not None
                else verdict.channel or rules.channel
            )
            if verdict.channel != channel:
                verdict = dataclasses.replace(verdict, channel=channel)
            rows.append(
                Alert(
                    mention=mention.key,
                    channel=channel,
                    kind=AlertKind.THREAD_REPLY,
                    thread=stored.slack if stored is not None else None,
                )
            )
        for event in spikes:
            note = event.describe()
            if note not in verdict.reasons:
                verdict = dataclasses.replace(verdict, reasons=(*verdict.reasons, note))
            rows.append(Alert(mention=mention.key, channel=rules.channel, kind=AlertKind.SPIKE))
        return verdict, tuple(rows)

    def _prune(self, now: datetime) -> None:
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        # Incidents are matched on the posts' own times, which may lag ``now``: keep
        # twice the longest window before forgetting one.
        self.memory.prune(now - 2 * self.rules.longest_incident_window)
        self._pruned_at = now

    # -- memory from the store ------------------------------------------------------------

    def rebuild(self, history: Iterable[TriagedMention]) -> int:
        """Forget, then count stored verdicts (oldest first) back in, as decided then.

        Spikes are replayed too, which marks them raised: a restart does not announce
        them again. Returns how many stored posts were read.
        """
        self.forget()
        n = 0
        for item in history:
            n += 1
            mention, scores, verdict = item.mention, item.scores, item.verdict
            if scores is None:
                continue
            rules = self.rules.rules_for(mention.brand)
            brand = self.rules.brand_key(mention.brand)
            if blocked_reason(mention, rules) is None:
                self.memory.spikes.observe(
                    brand, scores.topic, mention.created_at, complaint=is_complaint(scores, rules)
                )
            if verdict is not None:
                self.memory.count(mention, scores, verdict, brand=brand)
        return n
