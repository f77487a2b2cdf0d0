"""Outbox -> Notifier: deliver due alerts, retry with backoff, bury dead letters.

Ports only (no Slack import): the notifier decides *how* a message is posted, this
module decides *whether and when* to try again.

Delivery guarantee: at-least-once. ``record_triage`` writes the outbox row with the
verdict in one transaction, so nothing is lost before the first attempt. Rows are
claimed one at a time (``due_alerts(now, 1)``) and stamped (``begin_attempt``) before
Slack is called. A crash (or a timeout) after Slack accepted a message but before
``mark_sent`` committed leaves that one row claimed, stamped: it comes due again when
the store's claim lease ends and is posted a second time, and the stamp tells: the
row's ``interrupted`` count, a warning and a metric show the possible duplicate. So a
crash delays and may duplicate only the alert in flight, never a whole batch, and no
alert is ever dropped silently: after ``max_attempts`` failures, or a
``PermanentDelivery``, it is *dead*, listed by ``firstreply outbox list`` and sent again
by ``firstreply outbox retry`` once the cause is fixed.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from listener.domain import Alert, AlertKind, DeliveryState
from listener.errors import DeliveryError, PermanentDelivery
from listener.ports import (
    AlertRepo,
    Clock,
    Notifier,
    Outbox,
    TriagedMention,
    TriagedReader,
    load_triaged,
)

__all__ = ["Backoff", "DeliveryObserver", "DispatchResult", "DispatchStore", "Dispatcher"]

log = logging.getLogger(__name__)

#: How long a thread reply (or an update) waits for its parent before looking again.
PARENT_WAIT = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with "equal jitter": half fixed, half random.

    The fixed half keeps retries from hammering a recovering Slack; the random half
    spreads a burst of failures so they don't all return at once.
    """

    base: float = 10.0
    factor: float = 2.0
    cap: float = 3600.0

    def delay(self, attempt: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """Seconds before attempt ``attempt + 1``; never sooner than Slack's Retry-After."""
        exp = min(self.cap, self.base * self.factor ** max(0, attempt - 1))
        jittered = exp / 2 + rand() * exp / 2
        return max(jittered, retry_after or 0.0)


@dataclass(frozen=True, slots=True)
class DispatchResult:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    waiting: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.dead


class DispatchStore(Outbox, AlertRepo, TriagedReader, Protocol):
    """The part of ``Store`` the dispatcher needs."""


class DeliveryObserver(Protocol):
    """Told each delivery outcome (``listener.health.delivery.DeliveryStats``: metrics)."""

    def delivered(self, alert: Alert, item: TriagedMention, at: datetime) -> None: ...

    def failed(self, alert: Alert, error: DeliveryError) -> None: ...

    def interrupted(self, alert: Alert) -> None: ...


class Dispatcher:
    """Sends due outbox rows through a ``Notifier``; one ``run_once`` per scheduler tick.

    ``max_attempts`` has no default: it is ``slack.max_attempts`` (one default, there).
    """

    def __init__(
        self,
        *,
        store: DispatchStore,
        notifier: Notifier,
        clock: Clock,
        max_attempts: int,
        backoff: Backoff | None = None,
        rand: Callable[[], float] = random.random,
        observer: DeliveryObserver | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._store = store
        self._notifier = notifier
        self._clock = clock
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff()
        self._rand = rand
        self._observer = observer

    def run_once(self, limit: int = 50) -> DispatchResult:
        """Try every due alert once (up to ``limit``); return what happened.

        One row claimed at a time: a dispatcher killed mid-send holds one claim, not a
        batch whose every row would wait out the lease.
        """
        sent = retrying = dead = waiting = 0
        for _ in range(limit):
            claimed = self._store.due_alerts(self._clock.now(), 1)
            if not claimed:
                break
            outcome = self._deliver(claimed[0])
            if outcome == "sent":
                sent += 1
            elif outcome == "waiting":
                waiting += 1
            elif outcome == "dead":
                dead += 1
            else:
                retrying += 1
        return DispatchResult(sent=sent, retrying=retrying, dead=dead, waiting=waiting)

    def _deliver(self, alert: Alert) -> str:
        alert_id = alert.id
        assert alert_id is not None, "outbox rows always have ids"
        item = load_triaged(self._store, alert.mention)
        if item is None:
            return self._fail(alert, PermanentDelivery(f"mention {alert.mention} is not stored"))
        if alert.kind == AlertKind.THREAD_REPLY and alert.thread is None:
            resolved = self._thread_parent(alert, item)
            if resolved is None:
                return "waiting"
            alert = resolved
        if alert.kind == AlertKind.UPDATE and alert.thread is None:
            target = self._update_target(alert, item)
            if isinstance(target, DeliveryError):
                return self._fail(alert, target)
            if target is None:
                return "waiting"
            alert = target
        if self._store.begin_attempt(alert_id, self._clock.now()):
            log.warning(
                "alert %s: an earlier send was cut off mid-call and may have reached "
                "Slack; this one may be a duplicate",
                alert_id,
            )
            alert = replace(alert, interrupted=alert.interrupted + 1)
            if self._observer is not None:
                self._observer.interrupted(alert)
        try:
            ref = self._notifier.send(alert, item)
        except DeliveryError as exc:
            return self._fail(alert, exc)
        except Exception as exc:  # a bug in rendering must not stall the whole outbox
            log.exception("alert %s: unexpected error while sending", alert.id)
            return self._fail(alert, DeliveryError(f"{type(exc).__name__}: {exc}"))
        now = self._clock.now()
        self._store.mark_sent(alert_id, ref, now)
        log.info("alert %s sent to %s at %s", alert.id, ref.channel, ref.ts)
        if self._observer is not None:
            self._observer.delivered(alert, item, now)
        return "sent"

    def _thread_parent(self, alert: Alert, item: TriagedMention) -> Alert | None:
        """The alert with its parent's ref filled in; None (and deferred) while it waits.

        A parent that died will never get a ts, so the reply goes out as a message of
        its own rather than waiting forever.
        """
        assert alert.id is not None
        verdict = item.verdict
        parent_key = verdict.thread_of if verdict is not None else None
        parent = self._store.alert_for(parent_key) if parent_key is not None else None
        if parent is None and item.mention.conversation_id:
            parent = self._store.alert_for_conversation(
                item.mention.brand, item.mention.conversation_id
            )
        if parent is not None and parent.slack is not None:
            return replace(alert, thread=parent.slack)
        if parent is None or parent.state == DeliveryState.DEAD:
            return replace(alert, kind=AlertKind.ALERT)
        self._store.defer_alert(alert.id, self._clock.now() + PARENT_WAIT)
        return None

    def _update_target(self, alert: Alert, item: TriagedMention) -> Alert | DeliveryError | None:
        """The update aimed at the message it edits; None (deferred) until that is sent."""
        assert alert.id is not None
        primary = next((a for a in item.alerts if a.kind == AlertKind.ALERT), None)
        if primary is not None and primary.slack is not None:
            return replace(alert, thread=primary.slack)
        if primary is None or primary.state == DeliveryState.DEAD:
            return PermanentDelivery("nothing to update: the alert was never delivered")
        self._store.defer_alert(alert.id, self._clock.now() + PARENT_WAIT)
        return None

    def _fail(self, alert: Alert, error: DeliveryError) -> str:
        assert alert.id is not None
        now = self._clock.now()
        attempt = alert.attempts + 1
        if self._observer is not None:
            self._observer.failed(alert, error)
        if isinstance(error, PermanentDelivery) or attempt >= self._max_attempts:
            self._store.mark_failed(alert.id, str(error), now, None)
            log.error("alert %s is dead after %s attempt(s): %s", alert.id, attempt, error)
            return "dead"
        delay = self._backoff.delay(attempt, error.retry_after, self._rand)
        self._store.mark_failed(alert.id, str(error), now, now + timedelta(seconds=delay))
        log.warning(
            "alert %s attempt %s failed (%s); retry in %.0fs", alert.id, attempt, error, delay
        )
        return "retrying"
