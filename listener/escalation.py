"""Escalate urgent alerts that nobody claimed in time.

``due_escalations`` is pure; ``Escalator`` reads the store and enqueues one
``AlertKind.ESCALATION`` row per mention, which the dispatcher then posts to the
escalation channel with the on-call group's ping. "Exactly once" holds because an
escalation row, once enqueued, is part of the mention's history and excludes it from
the next run (runs are sequential: one scheduler job).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from listener.domain import Alert, AlertKind, AlertStatus, DeliveryState, Priority
from listener.ports import Clock, Outbox, TriagedMention, TriageRepo

__all__ = ["EscalationStore", "Escalator", "due_escalations"]

log = logging.getLogger(__name__)


def _primary(item: TriagedMention) -> Alert | None:
    return next((a for a in item.alerts if a.kind == AlertKind.ALERT), None)


def due_escalations(
    items: Iterable[TriagedMention],
    *,
    now: datetime,
    minutes: int,
    min_priority: Priority = Priority.HIGH,
) -> list[TriagedMention]:
    """Urgent mentions whose alert has sat OPEN for ``minutes`` with no escalation yet.

    The clock starts when the alert reached Slack (a human could not have claimed it
    before). A dead alert counts from its creation: it never reached its channel, which
    is all the more reason to tell on-call.
    """
    out = []
    for item in items:
        verdict, primary = item.verdict, _primary(item)
        if verdict is None or primary is None or verdict.priority < min_priority:
            continue
        if primary.status != AlertStatus.OPEN:
            continue
        if any(a.kind == AlertKind.ESCALATION for a in item.alerts):
            continue
        if primary.state == DeliveryState.SENT:
            since = primary.sent_at
        elif primary.state == DeliveryState.DEAD:
            since = primary.created_at
        else:
            continue
        if since is not None and now - since >= timedelta(minutes=minutes):
            out.append(item)
    return out


class EscalationStore(TriageRepo, Outbox, Protocol):
    """The part of ``Store`` the escalator needs."""


class Escalator:
    """Enqueues ESCALATION alerts for ``due_escalations``; run it every minute or so."""

    def __init__(
        self,
        *,
        store: EscalationStore,
        clock: Clock,
        channel: str,
        minutes: int,
        lookback: timedelta = timedelta(hours=24),
    ) -> None:
        self._store = store
        self._clock = clock
        self._channel = channel
        self._minutes = minutes
        self._lookback = lookback

    def run_once(self) -> list[int]:
        """Enqueue what is due; return the new outbox ids."""
        now = self._clock.now()
        start = now - self._lookback
        end = now - timedelta(minutes=self._minutes) + timedelta(microseconds=1)
        items = self._store.history(start, end, embeddings=False)
        due = due_escalations(items, now=now, minutes=self._minutes)
        if not due:
            return []
        rows = [
            Alert(mention=item.mention.key, channel=self._channel, kind=AlertKind.ESCALATION)
            for item in due
        ]
        ids = self._store.enqueue(rows, now)
        for item in due:
            log.warning("escalating unclaimed urgent mention %s:%s", *item.mention.key)
        return ids
