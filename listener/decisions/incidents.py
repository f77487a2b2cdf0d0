"""Many posts about one problem become one incident, not fifty alerts.

Pure and in memory. A post joins the open incident of its brand and topic whose
centroid (the normalised mean of its members' classifier embeddings) is closest, if the
cosine reaches the brand's ``incident_similarity`` and the incident saw a post within
``incident_window`` (the window slides: a long outage stays one incident; a gap longer
than the window starts a new one). Posts without an embedding match on brand and topic
alone.

Ids are derived from the first member's key, so a crash-and-retry that regroups the
same posts yields the same ids. ``DecisionMemory.rebuild`` restores the state from the
store's recent history (verdicts carry ``incident_id``; the store keeps embeddings).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from listener.domain import Mention, MentionKey

__all__ = ["Incident", "IncidentTracker", "incident_followups", "incident_id_for"]

Vector = npt.NDArray[np.float32]
#: X's limit on a post's length.
MAX_POST = 280


@dataclass(frozen=True, slots=True)
class Incident:
    """A snapshot of one incident."""

    id: str
    brand: str
    topic: str
    first_seen: datetime
    last_seen: datetime
    count: int
    members: tuple[MentionKey, ...]
    #: Normalised mean embedding of the members; empty when none had one.
    centroid: tuple[float, ...]
    representative_text: str
    #: The member whose ALERT opened the incident's Slack thread, once there is one.
    alert_of: MentionKey | None = None


def incident_id_for(first: MentionKey) -> str:
    return f"{first[0]}-{first[1]}"


class _Open:
    """Mutable state of an incident; :meth:`snapshot` freezes it."""

    __slots__ = ("_snap", "alert_of", "brand", "first_seen", "id", "last_seen", "member_set",
                 "members", "sum", "text", "topic")

    def __init__(self, id: str, brand: str, topic: str, at: datetime, text: str) -> None:
        self.id, self.brand, self.topic, self.text = id, brand, topic, text
        self.first_seen = self.last_seen = at
        self.members: list[MentionKey] = []
        self.member_set: set[MentionKey] = set()
        self.sum: Vector | None = None
        self.alert_of: MentionKey | None = None
        self._snap: Incident | None = None

    def add(self, key: MentionKey, embedding: Vector | None, at: datetime) -> None:
        if key in self.member_set:  # idempotent: a retried post is not counted twice
            return
        self.members.append(key)
        self.member_set.add(key)
        self.first_seen = min(self.first_seen, at)
        self.last_seen = max(self.last_seen, at)
        if embedding is not None:
            self.sum = embedding.copy() if self.sum is None else self.sum + embedding
        self._snap = None

    def set_alert(self, key: MentionKey) -> None:
        self.alert_of = key
        self._snap = None

    def centroid(self) -> Vector | None:
        if self.sum is None:
            return None
        norm = float(np.linalg.norm(self.sum))
        return self.sum / norm if norm > 0 else None

    def snapshot(self) -> Incident:
        # Cached until the next change: a busy incident is matched once per post, and
        # copying thousands of members each time made matching quadratic.
        if self._snap is None:
            centroid = self.centroid()
            self._snap = Incident(
                id=self.id,
                brand=self.brand,
                topic=self.topic,
                first_seen=self.first_seen,
                last_seen=self.last_seen,
                count=len(self.members),
                members=tuple(self.members),
                centroid=tuple(centroid.tolist()) if centroid is not None else (),
                representative_text=self.text,
                alert_of=self.alert_of,
            )
        return self._snap


class _Bucket:
    """The open incidents of one brand and topic, with their centroids as one matrix.

    Matching a post is one matrix-vector product over the bucket instead of a Python
    loop: with thousands of incidents open in the window, the loop cost milliseconds
    per post and capped a 200 posts/s pipeline after a few minutes.
    """

    def __init__(self) -> None:
        self.incidents: list[_Open] = []
        self.slot: dict[str, int] = {}
        self.centroids = np.zeros((8, 0), dtype=np.float32)
        self.has = np.zeros(8, dtype=bool)
        self.last = np.zeros(8, dtype=np.float64)

    def append(self, inc: _Open) -> None:
        n = len(self.incidents)
        if n == len(self.has):
            grow = max(8, n)
            self.centroids = np.concatenate(
                [self.centroids, np.zeros((grow, self.centroids.shape[1]), np.float32)]
            )
            self.has = np.concatenate([self.has, np.zeros(grow, dtype=bool)])
            self.last = np.concatenate([self.last, np.zeros(grow, dtype=np.float64)])
        self.incidents.append(inc)
        self.slot[inc.id] = n
        self.update(inc)

    def update(self, inc: _Open) -> None:
        i = self.slot[inc.id]
        self.last[i] = inc.last_seen.timestamp()
        centroid = inc.centroid()
        if centroid is None:
            self.has[i] = False
            return
        if self.centroids.shape[1] != len(centroid):
            if self.has[: len(self.incidents)].any():
                # Embeddings of another size (a model swapped mid-run): compare only
                # within one size; the rest match on brand, topic and window.
                self.has[i] = False
                return
            self.centroids = np.zeros((len(self.has), len(centroid)), np.float32)
        self.centroids[i] = centroid
        self.has[i] = True

    def best(self, vec: Vector | None, at: float, window: float, similarity: float) -> _Open | None:
        n = len(self.incidents)
        if n == 0:
            return None
        last = self.last[:n]
        live = (last - window <= at) & (at <= last + window)
        # No embedding on one side: brand + topic + window is all we can go on; prefer
        # the most recently active incident (a score below any cosine that qualifies).
        scores = np.where(live, -1.0 + last * 1e-12, -np.inf)
        if vec is not None and self.centroids.shape[1] == len(vec):
            has = self.has[:n]
            cos = self.centroids[:n] @ vec
            scores = np.where(has, np.where(live & (cos >= similarity), cos, -np.inf), scores)
        best = int(np.argmax(scores))
        return self.incidents[best] if np.isfinite(scores[best]) else None

    def rebuild(self, keep: Iterable[_Open]) -> None:
        fresh = _Bucket()
        for inc in keep:
            fresh.append(inc)
        self.incidents, self.slot = fresh.incidents, fresh.slot
        self.centroids, self.has, self.last = fresh.centroids, fresh.has, fresh.last


def _vector(embedding: Sequence[float]) -> Vector | None:
    if not embedding:
        return None
    v = np.asarray(embedding, dtype=np.float32)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else None


class IncidentTracker:
    """The open incidents, by brand and topic. Not thread-safe: one pipeline owns it."""

    def __init__(self) -> None:
        self._open: dict[str, _Open] = {}
        self._by_topic: dict[tuple[str, str], _Bucket] = {}

    def match(
        self,
        brand: str,
        topic: str,
        embedding: Sequence[float],
        at: datetime,
        *,
        window: timedelta,
        similarity: float,
    ) -> Incident | None:
        """The incident a post would join, without changing anything."""
        found = self._match(brand, topic, _vector(embedding), at, window, similarity)
        return found.snapshot() if found is not None else None

    def _match(
        self,
        brand: str,
        topic: str,
        vec: Vector | None,
        at: datetime,
        window: timedelta,
        similarity: float,
    ) -> _Open | None:
        bucket = self._by_topic.get((brand, topic))
        if bucket is None:
            return None
        return bucket.best(vec, at.timestamp(), window.total_seconds(), similarity)

    def add(
        self,
        key: MentionKey,
        *,
        brand: str,
        topic: str,
        embedding: Sequence[float],
        at: datetime,
        text: str,
        incident_id: str | None = None,
    ) -> Incident:
        """Count a post into ``incident_id`` (from :meth:`match`), or open a new incident."""
        inc = self._open.get(incident_id) if incident_id is not None else None
        if inc is None:
            new_id = incident_id or incident_id_for(key)
            inc = self._open.get(new_id)
            if inc is None:
                inc = _Open(new_id, brand, topic, at, text)
                self._open[new_id] = inc
                self._by_topic.setdefault((brand, topic), _Bucket()).append(inc)
        inc.add(key, _vector(embedding), at)
        self._by_topic[(inc.brand, inc.topic)].update(inc)
        return inc.snapshot()

    def note_alert(self, incident_id: str, key: MentionKey) -> None:
        """Remember the member whose alert is the incident's thread (the first one wins)."""
        inc = self._open.get(incident_id)
        if inc is not None and inc.alert_of is None:
            inc.set_alert(key)

    def get(self, incident_id: str) -> Incident | None:
        inc = self._open.get(incident_id)
        return inc.snapshot() if inc is not None else None

    def incidents(self, brand: str | None = None) -> list[Incident]:
        """Open incidents, oldest first."""
        found = [i for i in self._open.values() if brand is None or i.brand == brand]
        return [i.snapshot() for i in sorted(found, key=lambda i: i.first_seen)]

    def prune(self, before: datetime) -> int:
        """Forget incidents last seen before ``before``; return how many."""
        stale = [i for i in self._open.values() if i.last_seen < before]
        for inc in stale:
            del self._open[inc.id]
        for bucket_key in {(inc.brand, inc.topic) for inc in stale}:
            bucket = self._by_topic[bucket_key]
            bucket.rebuild(i for i in bucket.incidents if i.id in self._open)
            if not bucket.incidents:
                del self._by_topic[bucket_key]
        return len(stale)


_TEMPLATES: dict[str, str] = {
    "friendly": (
        "Hi {handle}, following up on {issue} you told us about: {note} "
        "Thanks for your patience, and tell us if anything still isn't right."
    ),
    "formal": (
        "Hello {handle}, regarding {issue} you reported: {note} "
        "We apologise for the inconvenience. Please reply if the problem persists."
    ),
    "concise": "{handle} Update on {issue}: {note}",
}


def incident_followups(
    incident: Incident, mentions: Sequence[Mention], note: str, tone: str = "friendly"
) -> list[tuple[MentionKey, str]]:
    """A personal follow-up draft for each affected author the API lets the brand answer.

    One draft per author (their first post in the incident); posts that don't address
    the brand (``can_reply_via_api`` false) are left for a human to answer on X. Drafts
    fit in one post; ``note`` is shortened, never the greeting.
    """
    members = set(incident.members)
    template = _TEMPLATES.get(tone, _TEMPLATES["friendly"])
    issue = "the issue" if incident.topic in ("", "other") else f"the {incident.topic} issue"
    note = " ".join(note.split())
    if note and note[-1] not in ".!?":
        note += "."
    seen: set[str] = set()
    out: list[tuple[MentionKey, str]] = []
    for m in sorted(mentions, key=lambda m: m.created_at):
        if (members and m.key not in members) or not m.can_reply_via_api:
            continue
        if m.author.id in seen:
            continue
        seen.add(m.author.id)
        out.append((m.key, _fit(template, handle=m.author.handle, issue=issue, note=note)))
    return out


def _fit(template: str, *, handle: str, issue: str, note: str) -> str:
    text = template.format(handle=handle, issue=issue, note=note)
    if len(text) <= MAX_POST:
        return text
    room = len(note) - (len(text) - MAX_POST) - 1
    return template.format(handle=handle, issue=issue, note=note[: max(room, 0)].rstrip() + "…")
