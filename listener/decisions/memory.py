"""The decision engine's memory: what deciding the next post needs about the posts before it.

Pure and in memory, one instance per engine. It holds the open incidents, the spike
series, every recent ALERT as a :class:`~listener.decisions.policy.Parent` (its channel,
topic and priority), each author's and each conversation's alert, keyed by
``(brand, author id)`` and ``(brand, conversation id)``, and the alerts each channel had
recently (for the hourly budget). Every map is bounded (least recently used entries go
first), so a million-row backfill runs in flat memory.

The engine fills it as it decides (``count``) and, for a live process that restarts,
from the stored verdicts (``DecisionEngine.rebuild``).
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from classifiers.base import Scores
from listener.decisions.incidents import IncidentTracker
from listener.decisions.policy import Parent
from listener.decisions.spikes import SpikeDetector, SpikeRules
from listener.domain import Mention, MentionKey, Route, Verdict

__all__ = ["BUDGET_WINDOW", "DecisionMemory"]

#: The channel budget counts the alerts of the last hour.
BUDGET_WINDOW = timedelta(hours=1)
#: Entries each map keeps at most.
CAPACITY = 100_000

_K = TypeVar("_K")
_V = TypeVar("_V")


class _Lru(Generic[_K, _V]):
    def __init__(self, capacity: int) -> None:
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self._capacity = capacity

    def get(self, key: _K) -> _V | None:
        return self._items.get(key)

    def put(self, key: _K, value: _V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class DecisionMemory:
    """Not thread-safe: one engine, in one thread, owns it."""

    def __init__(self, *, spike_rules: SpikeRules | None = None, capacity: int = CAPACITY) -> None:
        self.incidents = IncidentTracker()
        self.spikes = SpikeDetector(spike_rules)
        self._parents: _Lru[MentionKey, Parent] = _Lru(capacity)
        self._authors: _Lru[tuple[str, str], MentionKey] = _Lru(capacity)
        self._conversations: _Lru[tuple[str, str], MentionKey] = _Lru(capacity)
        #: Channel -> decision times of its recent ALERTs, kept sorted.
        self._channels: dict[str, list[datetime]] = {}

    # -- reading ---------------------------------------------------------------------------

    def parent(self, key: MentionKey) -> Parent | None:
        """The remembered ALERT about ``key``, if it is one."""
        return self._parents.get(key)

    def author_alert(self, brand: str, author_id: str) -> Parent | None:
        key = self._authors.get((brand, author_id))
        return self._parents.get(key) if key is not None else None

    def conversation_alert(self, brand: str, conversation_id: str) -> Parent | None:
        key = self._conversations.get((brand, conversation_id))
        return self._parents.get(key) if key is not None else None

    def channel_alerts(self, channel: str, since: datetime, until: datetime) -> int:
        """ALERTs to ``channel`` decided in ``[since, until]``; older ones are forgotten."""
        times = self._channels.get(channel)
        if not times:
            return 0
        del times[: bisect.bisect_left(times, since)]
        return bisect.bisect_right(times, until)

    # -- writing ---------------------------------------------------------------------------

    def count(self, mention: Mention, scores: Scores, verdict: Verdict, *, brand: str) -> None:
        """Remember a decided verdict: its incident, and, for an ALERT, everything that
        later posts may thread under or count against."""
        if verdict.incident_id is not None:
            self.incidents.add(
                mention.key, brand=brand, topic=scores.topic, embedding=scores.embedding,
                at=mention.created_at, text=mention.text, incident_id=verdict.incident_id,
            )
        if verdict.route is not Route.ALERT or verdict.channel is None:
            return
        if verdict.incident_id is not None:
            self.incidents.note_alert(verdict.incident_id, mention.key)
        parent = Parent(
            key=mention.key, channel=verdict.channel, topic=scores.topic,
            priority=verdict.priority, decided_at=verdict.decided_at,
        )
        self._parents.put(mention.key, parent)
        author = (brand, mention.author.id)
        previous = self.author_alert(*author)
        if previous is None or previous.decided_at <= parent.decided_at:
            self._authors.put(author, mention.key)
        if mention.conversation_id:
            conversation = (brand, mention.conversation_id)
            if self._conversations.get(conversation) is None:  # the first alert opens it
                self._conversations.put(conversation, mention.key)
        bisect.insort(self._channels.setdefault(verdict.channel, []), verdict.decided_at)

    def prune(self, before: datetime) -> None:
        """Forget incidents last seen before ``before``."""
        self.incidents.prune(before)
