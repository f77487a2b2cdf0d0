"""Decide past mentions as the live pipeline would have, at the time each was posted.

The live pipeline looks its ``DecisionContext`` up in the store (the conversation's
alert, the channel's alerts this hour, the author's last alert, the incident). Over
history that state is rebuilt in memory as mentions go by, oldest first, with each
mention's ``created_at`` as "now". Every piece of state is bounded (windows and LRU
maps), so a million-row backfill runs in flat memory.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from listener.config import BrandSettings, Settings
from listener.domain import Alert, AlertKind, Mention, MentionKey, Route, Scores, Verdict
from listener.incidents import IncidentTracker, incident_id_for
from listener.policy import BrandRules, DecisionContext, blocked_reason, decide, is_complaint
from listener.spikes import SpikeDetector, SpikeEvent

__all__ = ["HistoryDecider", "alerts_for"]

_K = TypeVar("_K")
_V = TypeVar("_V")
_MEMORY = 100_000
_HOUR = timedelta(hours=1)


def _remember(store: OrderedDict[_K, _V], key: _K, value: _V) -> None:
    store[key] = value
    store.move_to_end(key)
    if len(store) > _MEMORY:
        store.popitem(last=False)


def alerts_for(verdict: Verdict) -> tuple[Alert, ...]:
    """The outbox rows a verdict asks for: a new message, or a reply in a thread."""
    if verdict.channel is None:
        return ()
    if verdict.route is Route.ALERT:
        return (Alert(mention=verdict.mention, channel=verdict.channel),)
    if verdict.route is Route.THREAD:
        return (
            Alert(mention=verdict.mention, channel=verdict.channel, kind=AlertKind.THREAD_REPLY),
        )
    return ()


def find_brand(settings: Settings, brand: str) -> BrandSettings | None:
    """The configured brand called ``brand``, or owning the handle ``brand``."""
    found = settings.brand(brand)
    if found is not None or not brand:
        return found
    handle = brand.lstrip("@").lower()
    return next((b for b in settings.brands if handle in (h.lower() for h in b.handles)), None)


class HistoryDecider:
    """``decide`` with a context simulated from the mentions decided so far."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._rules: dict[str, BrandRules] = {}
        self._conversations: OrderedDict[tuple[str, str], MentionKey] = OrderedDict()
        self._authors: OrderedDict[tuple[str, str], tuple[MentionKey, datetime]] = OrderedDict()
        self._channels: dict[str, list[datetime]] = {}
        self._incidents = IncidentTracker()
        self._spikes = SpikeDetector()
        self._latest: datetime | None = None
        self._decided = 0
        #: Spikes raised so far (the live pipeline posts each to the brand's channel).
        self.spikes: list[tuple[SpikeEvent, str]] = []

    def rules_for(self, brand: str) -> BrandRules:
        rules = self._rules.get(brand)
        if rules is None:
            rules = BrandRules.from_settings(find_brand(self._settings, brand), self._settings)
            self._rules[brand] = rules
        return rules

    def decide_many(self, items: Sequence[tuple[Mention, Scores]]) -> list[Verdict]:
        """Verdicts in input order, decided oldest first."""
        order = sorted(range(len(items)), key=lambda i: items[i][0].created_at)
        out: list[Verdict | None] = [None] * len(items)
        for i in order:
            out[i] = self(*items[i])
        return [v for v in out if v is not None]

    def __call__(self, mention: Mention, scores: Scores) -> Verdict:
        # Mirrors ``listener.pipeline.Triage._triage_one``, with the store's answers
        # (conversation alert, channel count) replaced by memory of the history so far.
        rules = self.rules_for(mention.brand)
        brand = rules.brand or mention.brand
        now = mention.created_at
        if blocked_reason(mention, rules) is None:
            for event in self._spikes.observe(brand, scores.topic, now,
                                              complaint=is_complaint(scores, rules)):
                self.spikes.append((event, rules.channel))
        conv = (brand, mention.conversation_id) if mention.conversation_id else None
        channel = rules.channel_for(scores.topic)
        ctx = DecisionContext(
            conversation_alert=self._conversations.get(conv) if conv else None,
            incident=self._incidents.match(
                brand, scores.topic, scores.embedding, now,
                window=rules.incident_window, similarity=rules.incident_similarity,
            ),
            channel_alerts_last_hour=self._recent(channel, now),
            author_last_alert=self._authors.get((brand, mention.author.id)),
            spike=self._spikes.active(brand, scores.topic, now),
        )
        verdict = decide(mention, scores, rules, ctx, now=now)
        if verdict.actionable and verdict.thread_of is None and verdict.incident_id is None:
            # A new actionable post opens an incident of its own (as the pipeline does).
            verdict = replace(verdict, incident_id=incident_id_for(mention.key))
        self._note(mention, brand, scores, verdict)
        return verdict

    def _recent(self, channel: str, now: datetime) -> int:
        times = self._channels.get(channel)
        if not times:
            return 0
        # Kept sorted (input is only roughly time-ordered, a batch at a time), so the
        # hour before ``now`` is two bisections, not a scan of a busy channel's hour.
        del times[: bisect.bisect_right(times, now - _HOUR)]
        return bisect.bisect_right(times, now) - bisect.bisect_right(times, now - _HOUR)

    def _note(self, mention: Mention, brand: str, scores: Scores, verdict: Verdict) -> None:
        now = mention.created_at
        if verdict.incident_id is not None:
            self._incidents.add(
                mention.key, brand=brand, topic=scores.topic,
                embedding=scores.embedding, at=now, text=mention.text,
                incident_id=verdict.incident_id,
            )
            if verdict.route is Route.ALERT:
                self._incidents.note_alert(verdict.incident_id, mention.key)
        if verdict.route is Route.ALERT and verdict.channel is not None:
            if mention.conversation_id:
                _remember(self._conversations, (brand, mention.conversation_id), mention.key)
            _remember(self._authors, (brand, mention.author.id), (mention.key, now))
            bisect.insort(self._channels.setdefault(verdict.channel, []), now)
        self._latest = now if self._latest is None else max(self._latest, now)
        self._decided += 1
        if self._decided % 1000 == 0:
            self._incidents.prune(self._latest - timedelta(days=2))
