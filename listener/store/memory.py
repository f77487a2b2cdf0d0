"""``MemoryStore``: the ``Store`` port in dictionaries, for dry runs and fast core tests.

It keeps the same contract as ``SqlStore`` (the suite in ``tests/store`` runs over both),
including the cleaning of text at the boundary and the claim lease of ``due_alerts``.
One lock guards everything, so the scheduler's threads may share one instance.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

from listener import lifecycle
from listener.digest.queries import ItemQueries
from listener.domain import (
    Alert,
    AlertKind,
    AlertStatus,
    DeliveryState,
    Feedback,
    Mention,
    MentionKey,
    Rejected,
    Scores,
    SlackRef,
    Verdict,
)
from listener.errors import StoreError
from listener.ports import StoreCounts, TriagedMention, TriageRecord
from listener.store.codec import clean_mention, clean_rejected, clean_text, rejected_key

__all__ = ["MemoryStore"]

_OPEN = (DeliveryState.PENDING, DeliveryState.RETRYING)


class MemoryStore:
    """Everything in process memory; gone when the process ends."""

    def __init__(self, *, claim_ttl: timedelta = timedelta(minutes=5)) -> None:
        self.claim_ttl = claim_ttl
        self._lock = threading.RLock()
        self._mentions: dict[MentionKey, Mention] = {}
        self._rejected: list[Rejected] = []
        self._rejected_keys: set[str] = set()
        self._scores: dict[MentionKey, Scores] = {}
        self._verdicts: dict[MentionKey, Verdict] = {}
        self._alerts: dict[int, Alert] = {}
        self._ids = itertools.count(1)
        #: Mention -> the id of its first outbox row (``alert_for``).
        self._primary: dict[MentionKey, int] = {}
        self._cursors: dict[str, str] = {}
        self._checkpoints: dict[str, str] = {}
        self._replies: dict[str, str] = {}
        self._feedback: list[Feedback] = []
        self._digests: dict[tuple[str, date], str] = {}

    def close(self) -> None:
        pass

    # -- MentionRepo ----------------------------------------------------------------------

    def add_mentions(self, mentions: Sequence[Mention]) -> int:
        new = 0
        with self._lock:
            for m in mentions:
                m = clean_mention(m)
                if m.key not in self._mentions:
                    self._mentions[m.key] = m
                    new += 1
        return new

    def add_rejected(self, rejected: Sequence[Rejected]) -> None:
        cleaned = [clean_rejected(r) for r in rejected]
        with self._lock:
            for r in cleaned:
                key = rejected_key(r)
                if key not in self._rejected_keys:
                    self._rejected_keys.add(key)
                    self._rejected.append(r)

    def list_rejected(self, limit: int | None = None) -> list[Rejected]:
        with self._lock:
            return list(self._rejected[:limit])

    def get_mention(self, key: MentionKey) -> Mention | None:
        with self._lock:
            return self._mentions.get(key)

    def pending_triage(self, limit: int) -> list[Mention]:
        with self._lock:
            pending = [m for k, m in self._mentions.items() if k not in self._verdicts]
        pending.sort(key=lambda m: (m.created_at, m.source, m.id))
        return pending[:limit]

    # -- TriageRepo -----------------------------------------------------------------------

    def record_triage(
        self, key: MentionKey, scores: Scores, verdict: Verdict, alerts: Sequence[Alert]
    ) -> bool:
        return self.record_triage_many([TriageRecord(key, scores, verdict, alerts)])[0]

    def record_triage_many(self, items: Sequence[TriageRecord]) -> list[bool]:
        with self._lock:
            # Check everything before writing anything: the batch is all or nothing.
            claimed: set[MentionKey] = set()
            results: list[bool] = []
            for item in items:
                key = item.key
                if key in self._verdicts or key in claimed:
                    results.append(False)
                    continue
                if key not in self._mentions:
                    raise StoreError(f"cannot record triage of {key}: mention not stored")
                if item.verdict.mention != key or any(a.mention != key for a in item.alerts):
                    raise StoreError(f"verdict or alerts of {key} are about another mention")
                claimed.add(key)
                results.append(True)
            for item, fresh in zip(items, results, strict=True):
                if not fresh:
                    continue
                self._verdicts[item.key] = item.verdict
                self._scores[item.key] = item.scores
                for a in item.alerts:
                    self._add_alert(a, item.verdict.decided_at)
        return results

    def _add_alert(self, alert: Alert, now: datetime) -> int:
        alert_id = next(self._ids)
        self._alerts[alert_id] = dataclasses.replace(
            alert, id=alert_id, created_at=alert.created_at or now
        )
        # Ids only grow: the first row about a mention is its primary alert.
        self._primary.setdefault(alert.mention, alert_id)
        return alert_id

    def digest_queries(
        self, start: datetime, end: datetime, *, brand: str | None = None
    ) -> ItemQueries:
        return ItemQueries(self.history(start, end, brand=brand, embeddings=False))

    def history(
        self,
        start: datetime,
        end: datetime,
        *,
        brand: str | None = None,
        embeddings: bool = True,
    ) -> Iterator[TriagedMention]:
        with self._lock:
            chosen = [
                m
                for m in self._mentions.values()
                if start <= m.created_at < end and (brand is None or m.brand == brand)
            ]
            chosen.sort(key=lambda m: (m.created_at, m.source, m.id))
            by_key: dict[MentionKey, list[Alert]] = {}
            for a in sorted(self._alerts.values(), key=lambda a: a.id or 0):
                by_key.setdefault(a.mention, []).append(a)
            items = [
                TriagedMention(
                    m,
                    _scores_for(self._scores.get(m.key), embeddings),
                    self._verdicts.get(m.key),
                    tuple(by_key.get(m.key, ())),
                )
                for m in chosen
            ]
        yield from items

    # -- Outbox ---------------------------------------------------------------------------

    def due_alerts(self, now: datetime, limit: int) -> list[Alert]:
        with self._lock:
            due = [
                a
                for a in self._alerts.values()
                if a.state in _OPEN and (a.next_attempt_at is None or a.next_attempt_at <= now)
            ]
            due.sort(key=lambda a: (a.created_at or now, a.id or 0))
            claimed = []
            for a in due[:limit]:
                alert_id = a.id or 0
                a = dataclasses.replace(a, next_attempt_at=now + self.claim_ttl)
                self._alerts[alert_id] = a
                claimed.append(a)
        return claimed

    def enqueue(self, alerts: Sequence[Alert], now: datetime) -> list[int]:
        with self._lock:
            missing = [a.mention for a in alerts if a.mention not in self._mentions]
            if missing:
                raise StoreError(f"cannot enqueue alerts about unknown mentions {missing}")
            return [self._add_alert(a, now) for a in alerts]

    def get_alert(self, alert_id: int) -> Alert | None:
        with self._lock:
            return self._alerts.get(alert_id)

    def _change(self, alert_id: int, **changes: object) -> None:
        with self._lock:
            alert = self._alerts.get(alert_id)
            if alert is None:
                raise StoreError(f"no alert with id {alert_id}")
            self._alerts[alert_id] = dataclasses.replace(alert, **changes)  # type: ignore[arg-type]

    def mark_sent(self, alert_id: int, ref: SlackRef, now: datetime) -> None:
        with self._lock:
            attempts = self._attempts(alert_id) + 1
            self._change(
                alert_id,
                state=DeliveryState.SENT,
                attempts=attempts,
                sent_at=now,
                next_attempt_at=None,
                slack=ref,
                attempt_started_at=None,
            )

    def mark_failed(
        self, alert_id: int, error: str, now: datetime, retry_at: datetime | None
    ) -> None:
        state = DeliveryState.RETRYING if retry_at is not None else DeliveryState.DEAD
        with self._lock:
            attempts = self._attempts(alert_id) + 1
            self._change(
                alert_id,
                state=state,
                attempts=attempts,
                last_error=clean_text(error),
                next_attempt_at=retry_at,
                attempt_started_at=None,
            )

    def _attempts(self, alert_id: int) -> int:
        alert = self._alerts.get(alert_id)
        return alert.attempts if alert else 0

    def defer_alert(self, alert_id: int, until: datetime) -> None:
        self._change(alert_id, next_attempt_at=until, attempt_started_at=None)

    def begin_attempt(self, alert_id: int, now: datetime) -> bool:
        with self._lock:
            alert = self._alerts.get(alert_id)
            if alert is None:
                raise StoreError(f"no alert with id {alert_id}")
            cut_off = alert.attempt_started_at is not None
            self._change(
                alert_id, attempt_started_at=now, interrupted=alert.interrupted + int(cut_off)
            )
            return cut_off

    def outbox_rows(self, state: DeliveryState | None, limit: int) -> list[Alert]:
        with self._lock:
            rows = [a for a in self._alerts.values() if state is None or a.state is state]
        rows.sort(key=lambda a: a.id or 0, reverse=True)
        return rows[:limit]

    def revive(self, alert_ids: Sequence[int] | None, now: datetime) -> list[int]:
        with self._lock:
            wanted = set(self._alerts) if alert_ids is None else set(alert_ids) & set(self._alerts)
            out = sorted(i for i in wanted if self._alerts[i].state is DeliveryState.DEAD)
            for i in out:
                self._change(i, state=DeliveryState.PENDING, attempts=0, next_attempt_at=None)
            return out

    def alert_for(self, key: MentionKey) -> Alert | None:
        with self._lock:
            alert_id = self._primary.get(key)
            return self._alerts[alert_id] if alert_id is not None else None

    def alert_for_conversation(self, brand: str, conversation_id: str) -> Alert | None:
        with self._lock:
            for _, a in sorted(self._alerts.items()):
                m = self._mentions.get(a.mention)
                if (
                    a.kind is AlertKind.ALERT
                    and m is not None
                    and m.conversation_id == conversation_id
                    and m.brand == brand
                ):
                    return a
        return None

    def alerts_in_channel_since(self, channel: str, since: datetime) -> int:
        with self._lock:
            return sum(
                1
                for a in self._alerts.values()
                if a.channel == channel
                and a.kind is AlertKind.ALERT
                and a.created_at is not None
                and a.created_at >= since
            )

    def dead_alerts(self, limit: int = 100) -> list[Alert]:
        with self._lock:
            dead = [a for a in self._alerts.values() if a.state is DeliveryState.DEAD]
        dead.sort(key=lambda a: a.id or 0, reverse=True)
        return dead[:limit]

    def set_status(
        self, alert_id: int, status: AlertStatus, user: str | None, now: datetime
    ) -> bool:
        with self._lock:
            alert = self._alerts.get(alert_id)
            if alert is None:
                raise StoreError(f"no alert with id {alert_id}")
            if not lifecycle.can_move(alert.status, status):
                return False
            changes: dict[str, object] = {"status": status}
            # The digest measures time to claim and to first reply: keep the first of each.
            if status in (AlertStatus.CLAIMED, AlertStatus.REPLIED) and alert.claimed_at is None:
                changes["claimed_at"] = now
            if status is AlertStatus.REPLIED and alert.replied_at is None:
                changes["replied_at"] = now
            if status is AlertStatus.RESOLVED:
                changes["resolved_at"] = now
            if user is not None:
                changes["claimed_by"] = user
            self._change(alert_id, **changes)
            return True

    # -- CursorRepo, CheckpointRepo, ReplyLedgerRepo, FeedbackRepo, DigestRepo -----------

    def get_cursor(self, source: str) -> str | None:
        with self._lock:
            return self._cursors.get(source)

    def set_cursor(self, source: str, since_id: str, now: datetime) -> None:
        with self._lock:
            self._cursors[source] = since_id

    def get_checkpoint(self, key: str) -> str | None:
        with self._lock:
            return self._checkpoints.get(key)

    def set_checkpoint(self, key: str, value: str, now: datetime) -> None:
        with self._lock:
            self._checkpoints[key] = clean_text(value)

    def clear_checkpoint(self, key: str) -> None:
        with self._lock:
            self._checkpoints.pop(key, None)

    def reply_for(self, key: str) -> str | None:
        with self._lock:
            return self._replies.get(key)

    def record_reply(self, key: str, url: str, now: datetime) -> bool:
        with self._lock:
            if key in self._replies:
                return False
            self._replies[key] = clean_text(url)
            return True

    def add_feedback(self, feedback: Feedback) -> None:
        fb = dataclasses.replace(feedback, label=clean_text(feedback.label),
                                 user=clean_text(feedback.user), note=clean_text(feedback.note))
        with self._lock:
            self._feedback.append(fb)

    def list_feedback(self, since: datetime | None = None) -> list[Feedback]:
        with self._lock:
            out = [f for f in self._feedback if since is None or f.created_at >= since]
        # sorted() is stable: equal timestamps stay in insertion order, as in SQL by pk.
        return sorted(out, key=lambda f: f.created_at)

    def digest_sent(self, brand: str, day: date) -> bool:
        with self._lock:
            return (brand, day) in self._digests

    def mark_digest_sent(self, brand: str, day: date, ref_json: str, now: datetime) -> bool:
        with self._lock:
            if (brand, day) in self._digests:
                return False
            self._digests[(brand, day)] = ref_json
            return True

    def counts(self) -> StoreCounts:
        with self._lock:
            states = Counter(a.state.value for a in self._alerts.values())
            return StoreCounts(
                mentions=len(self._mentions),
                rejected=len(self._rejected),
                pending_triage=sum(1 for k in self._mentions if k not in self._verdicts),
                alerts=dict(states),
                feedback=len(self._feedback),
            )


def _scores_for(scores: Scores | None, embeddings: bool) -> Scores | None:
    if scores is None or embeddings or not scores.embedding:
        return scores
    return dataclasses.replace(scores, embedding=())
