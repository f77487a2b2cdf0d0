"""The small interfaces between firstreply's pure core and its edges.

Each port is documented here once. Implementations: ``listener.store`` (memory,
SQLite, PostgreSQL), ``listener.x`` (X API v2 via tweepy; any network registered in
``listener.networks``), ``listener.slack`` (Slack Web API via slack_sdk, or the
terminal), and the system clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from listener.domain import (
    Alert,
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


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A source's rate-limit window, as its last response reported it."""

    limit: int
    remaining: int
    reset_at: datetime


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a source: the mentions it parsed and the inputs it could not."""

    mentions: Sequence[Mention]
    rejected: Sequence[Rejected] = ()
    #: The source's cursor after this poll (its next ``since_id``); ``None``: unchanged.
    newest_id: str | None = None
    #: Posts the source read (and its network bills) for this page, noise it dropped
    #: included; ``None`` means ``len(mentions) + len(rejected)``.
    read: int | None = None


class SourceInfo(Protocol):
    """What the poller, health and the scheduler know about a source, whatever its
    network: declared here, so the core never guesses with ``getattr``."""

    @property
    def name(self) -> str:
        """Stable key for the cursor, health and cost of this source."""
        ...

    @property
    def network(self) -> str:
        """The network's key in ``listener.networks`` (``Mention.source`` of its posts)."""
        ...

    @property
    def kind(self) -> str:
        """``"owned"`` (the brand account's own mentions), ``"search"`` or ``"stream"``."""
        ...

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate-limit window of the last response, if the network reports one."""
        ...

    def read_cost(self, posts: int) -> float:
        """USD the network bills for reading ``posts`` posts here (0 where reading is free)."""
        ...

    def cursor_advances(self, new: str, old: str | None) -> bool:
        """Whether ``new`` is a valid cursor of this source that moves past ``old``.

        The poller stores a page's ``newest_id`` only then: a cursor never moves backwards
        and never becomes something the source could not resume from.
        """
        ...


class MentionSource(SourceInfo, Protocol):
    """Somewhere mentions are polled from: an X endpoint, the demo sample."""

    def poll(self, since_id: str | None) -> Iterator[Page]:
        """Yield pages newer than ``since_id``; the caller stores each, then advances."""
        ...


@dataclass(frozen=True, slots=True)
class TriagedMention:
    """A stored mention with what firstreply made of it."""

    mention: Mention
    scores: Scores | None
    verdict: Verdict | None
    alerts: tuple[Alert, ...] = field(default=())


class MentionRepo(Protocol):
    def add_mentions(self, mentions: Sequence[Mention]) -> int:
        """Insert mentions not stored yet (keyed on source and id); return how many were new."""
        ...

    def add_rejected(self, rejected: Sequence[Rejected]) -> None:
        """Keep inputs that could not be parsed, with their reason; the same input with
        the same reason (a backfill's line read again on resume) is kept once."""
        ...

    def list_rejected(self, limit: int | None = None) -> list[Rejected]:
        """Kept inputs, oldest first (the first ``limit``)."""
        ...

    def get_mention(self, key: MentionKey) -> Mention | None: ...

    def pending_triage(self, limit: int) -> list[Mention]:
        """Stored mentions without a verdict yet, oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class TriageRecord:
    """One mention's triage, as ``record_triage`` takes it: for ``record_triage_many``."""

    key: MentionKey
    scores: Scores
    verdict: Verdict
    alerts: Sequence[Alert] = ()


class TriageRepo(Protocol):
    def record_triage(
        self, key: MentionKey, scores: Scores, verdict: Verdict, alerts: Sequence[Alert]
    ) -> bool:
        """Save scores, verdict and outbox rows in one transaction.

        Idempotent: if the mention already has a verdict nothing is written and the
        result is False, so a crash-and-retry never enqueues an alert twice.
        """
        ...

    def record_triage_many(self, items: Sequence[TriageRecord]) -> list[bool]:
        """``record_triage`` of each item in order, all in ONE transaction (an error on
        any item writes nothing of the batch). Per item: False if the mention already had
        a verdict (by then, or earlier in the batch) and nothing was written, else True."""
        ...

    def history(
        self,
        start: datetime,
        end: datetime,
        *,
        brand: str | None = None,
        embeddings: bool = True,
    ) -> Iterator[TriagedMention]:
        """Mentions created in ``[start, end)``, oldest first, with scores, verdicts, alerts.
        ``embeddings=False`` leaves ``Scores.embedding`` empty: reports over months need
        none, and as Python floats they are most of each item's memory."""
        ...

    def digest_queries(
        self, start: datetime, end: datetime, *, brand: str | None = None
    ) -> Any:
        """The digest's questions (a ``listener.digest.DigestQueries``, which the core
        values here cannot import) over the mentions created in ``[start, end)``: a SQL
        store answers them in aggregates, without reading the mentions back."""
        ...


class Outbox(Protocol):
    """The alerts to deliver. Delivery is at-least-once: see ``due_alerts``."""

    def due_alerts(self, now: datetime, limit: int) -> list[Alert]:
        """Pending or retrying alerts whose next attempt is due, oldest first.

        The returned alerts are *claimed*: their ``next_attempt_at`` moves to ``now`` plus
        the store's claim lease (5 minutes by default), so concurrent dispatchers never get
        the same row. Settle each with ``mark_sent``, ``mark_failed`` or ``defer_alert``; a
        dispatcher that dies holding a claim sees the alert come due again after the lease,
        so a message may (rarely) be sent twice, never lost.
        """
        ...

    def enqueue(self, alerts: Sequence[Alert], now: datetime) -> list[int]:
        """Add outbox rows outside ``record_triage`` (escalations, updates); return ids.

        ``created_at`` defaults to ``now``; the mentions must be stored.
        """
        ...

    def get_alert(self, alert_id: int) -> Alert | None: ...

    def defer_alert(self, alert_id: int, until: datetime) -> None:
        """Release a claim without counting an attempt (e.g. a channel over its budget)."""
        ...

    def mark_sent(self, alert_id: int, ref: SlackRef, now: datetime) -> None:
        """Record a delivered alert (counts as an attempt); unknown ids raise ``StoreError``."""
        ...

    def mark_failed(
        self, alert_id: int, error: str, now: datetime, retry_at: datetime | None
    ) -> None:
        """Record a failed attempt; ``retry_at=None`` marks the alert dead."""
        ...

    def dead_alerts(self, limit: int = 100) -> list[Alert]:
        """Dead letters, newest first."""
        ...

    def begin_attempt(self, alert_id: int, now: datetime) -> bool:
        """Stamp a claimed row as being sent, before the call to Slack.

        True if the row still carried the stamp of an earlier attempt that was never
        settled: that send was cut off mid-call and may have posted, so this one may be
        a duplicate (counted in ``Alert.interrupted``). Settling clears the stamp.
        """
        ...

    def outbox_rows(self, state: DeliveryState | None, limit: int) -> list[Alert]:
        """Outbox rows in ``state`` (any state for None), newest first."""
        ...

    def revive(self, alert_ids: Sequence[int] | None, now: datetime) -> list[int]:
        """Queue dead rows again (all of them for None) with a fresh attempt count;
        rows that are not dead are left alone. Returns the ids queued again."""
        ...


class AlertRepo(Protocol):
    """The alerts about a mention or a conversation, and where a human is with them."""

    def alert_for(self, key: MentionKey) -> Alert | None:
        """The primary (first) alert about a mention, if any."""
        ...

    def alert_for_conversation(self, brand: str, conversation_id: str) -> Alert | None:
        """The first ``AlertKind.ALERT`` about a mention of ``brand`` in this conversation.

        Keyed by brand too: two brands tagged in one thread each get their own alert.
        """
        ...

    def alerts_in_channel_since(self, channel: str, since: datetime) -> int:
        """How many ``AlertKind.ALERT`` rows for ``channel`` were created at or after ``since``.

        Sent or still queued, by any process: what a per-channel budget has spent.
        """
        ...

    def set_status(
        self, alert_id: int, status: AlertStatus, user: str | None, now: datetime
    ) -> bool:
        """Move an alert to ``status`` if ``listener.lifecycle`` allows it from where it is.

        One compare-and-set: True if it moved, False (nothing changed) if the alert's
        current status may not be followed by ``status`` (a Claim after the reply, a
        replayed Resolve). ``user`` becomes ``claimed_by``; ``user=None`` keeps it.
        Unknown ids raise ``StoreError``.
        """
        ...


class CursorRepo(Protocol):
    """Each mention source's cursor (``SourceInfo.name`` -> its next ``since_id``)."""

    def get_cursor(self, source: str) -> str | None: ...

    def set_cursor(self, source: str, since_id: str, now: datetime) -> None: ...


class CheckpointRepo(Protocol):
    """Where a backfill resumes (a file position, an archive page), by backfill key."""

    def get_checkpoint(self, key: str) -> str | None: ...

    def set_checkpoint(self, key: str, value: str, now: datetime) -> None: ...

    def clear_checkpoint(self, key: str) -> None: ...


class ReplyLedgerRepo(Protocol):
    """The public replies posted, by idempotency key: a restart never posts one twice."""

    def reply_for(self, key: str) -> str | None:
        """The URL of the reply posted under ``key``, if any."""
        ...

    def record_reply(self, key: str, url: str, now: datetime) -> bool:
        """Remember a posted reply; False if ``key`` was recorded already (nothing changes)."""
        ...


class FeedbackRepo(Protocol):
    def add_feedback(self, feedback: Feedback) -> None: ...

    def list_feedback(self, since: datetime | None = None) -> list[Feedback]: ...


class DigestRepo(Protocol):
    """Remembers which daily digests went out, so a restart never posts one twice."""

    def digest_sent(self, brand: str, day: date) -> bool: ...

    def mark_digest_sent(self, brand: str, day: date, ref_json: str, now: datetime) -> bool:
        """Record the digest of ``day``; False if it was already recorded (nothing changes)."""
        ...


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """What ``firstreply status`` shows about the store."""

    mentions: int
    rejected: int
    pending_triage: int
    #: Outbox rows by ``DeliveryState`` value ("pending", "sent", "retrying", "dead").
    alerts: Mapping[str, int]
    feedback: int

    @property
    def dead_letters(self) -> int:
        return self.alerts.get("dead", 0)


class TriagedReader(MentionRepo, TriageRepo, Protocol):
    """Reads a mention with what was made of it (``load_triaged``)."""


class Store(
    MentionRepo,
    TriageRepo,
    Outbox,
    AlertRepo,
    CursorRepo,
    CheckpointRepo,
    ReplyLedgerRepo,
    FeedbackRepo,
    DigestRepo,
    Protocol,
):
    """Everything firstreply persists, repo by repo: each consumer asks for the repos it
    uses (``Poller``: mentions and cursors; ``ReplyLedger``: the reply ledger...). One
    contract test suite runs over every store."""

    def counts(self) -> StoreCounts: ...

    def close(self) -> None: ...


class Notifier(Protocol):
    """Delivers alerts to humans (Slack, or the terminal in dry runs)."""

    def send(self, alert: Alert, item: TriagedMention) -> SlackRef:
        """Post (or, for updates, edit) the message; raise ``DeliveryError`` on failure."""
        ...


class PublicReplier(Protocol):
    """Posts the brand's public reply to a mention on its network (X ``create_tweet``)."""

    def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> str:
        """Post ``text`` as a reply to ``mention``; return the new post's URL. Refuses
        (``errors.FirstReplyError``) posts the API may not reply to, and returns the
        earlier result for a repeated ``idempotency_key`` instead of posting twice."""
        ...

    def cost_warning(self, mention: Mention, text: str) -> str | None:
        """Why posting ``text`` costs more than a plain reply, for a human to confirm."""
        ...


def load_triaged(store: TriagedReader, key: MentionKey) -> TriagedMention | None:
    """The mention with its scores, verdict and alerts, composed from the Store port."""
    mention = store.get_mention(key)
    if mention is None:
        return None
    start = mention.created_at
    for item in store.history(start, start + timedelta(microseconds=1)):
        if item.mention.key == key:
            return item
    return TriagedMention(mention=mention, scores=None, verdict=None)
