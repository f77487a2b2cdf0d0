"""The values that flow through firstreply: mention -> scores -> verdict -> alert.

Stdlib only (plus the classifier's stdlib-only contract), frozen and typed, so the
pure core can be tested without any server, SDK or database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from classifiers.base import Scores, Signal

__all__ = [
    "Alert",
    "AlertKind",
    "AlertStatus",
    "Author",
    "DeliveryState",
    "Feedback",
    "Mention",
    "MentionKey",
    "Priority",
    "Rejected",
    "Route",
    "Scores",
    "Signal",
    "SlackRef",
    "Verdict",
]

MentionKey = tuple[str, str]
"""(source, id): the identity of a mention; storing is idempotent on it."""


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    username: str
    name: str = ""
    followers: int = 0
    #: X's verified_type: "none", "blue", "business" or "government".
    verified_type: str = "none"

    @property
    def handle(self) -> str:
        return f"@{self.username}" if self.username else self.id


@dataclass(frozen=True, slots=True)
class Mention:
    """One public post about a brand, parsed once at the boundary.

    ``text`` is the full text (X long posts come from ``note_tweet``); ``raw`` keeps the
    original payload so nothing the source said is lost.
    """

    source: str
    id: str
    text: str
    author: Author
    created_at: datetime
    brand: str = ""
    conversation_id: str | None = None
    in_reply_to_id: str | None = None
    quoted_id: str | None = None
    lang: str | None = None
    url: str = ""
    #: True when the post @mentions or quotes the brand's account: the API lets the
    #: brand reply only to such posts; others are "reply manually on X".
    addresses_brand: bool = False
    #: Which poller source or query found it (e.g. "mentions:Tesla", "search:q1").
    found_by: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> MentionKey:
        return (self.source, self.id)

    @property
    def can_reply_via_api(self) -> bool:
        return self.addresses_brand


class Priority(IntEnum):
    """How fast a human should look. Ordered, so rules can compare."""

    NONE = 0
    LOW = 1
    NORMAL = 2
    HIGH = 3
    CRITICAL = 4


class Route(StrEnum):
    ALERT = "alert"  # a new Slack message
    THREAD = "thread"  # a reply in an existing alert or incident thread
    DIGEST = "digest"  # no ping; shows up in the digest
    IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision about one mention, and why."""

    mention: MentionKey
    actionable: bool
    priority: Priority
    route: Route
    channel: str | None
    reasons: tuple[str, ...]
    decided_at: datetime
    incident_id: str | None = None
    #: Key of the earlier alert whose thread this mention joins, for Route.THREAD.
    thread_of: MentionKey | None = None


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    RETRYING = "retrying"
    DEAD = "dead"


class AlertKind(StrEnum):
    ALERT = "alert"
    THREAD_REPLY = "thread_reply"
    UPDATE = "update"
    ESCALATION = "escalation"
    #: A sudden rise in volume or complaint share, announced on the post that tipped it;
    #: the message is the verdict's "spike: ..." reason, not the post itself.
    SPIKE = "spike"


class AlertStatus(StrEnum):
    """Where a human is with an alert (set from Slack buttons)."""

    OPEN = "open"
    CLAIMED = "claimed"
    REPLIED = "replied"
    RESOLVED = "resolved"
    SNOOZED = "snoozed"
    NOT_COMPLAINT = "not_complaint"


@dataclass(frozen=True, slots=True)
class SlackRef:
    channel: str
    ts: str


@dataclass(frozen=True, slots=True)
class Alert:
    """A row of the outbox: one Slack message to send (or sent) about a mention."""

    mention: MentionKey
    channel: str
    kind: AlertKind = AlertKind.ALERT
    id: int | None = None
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    created_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    slack: SlackRef | None = None
    #: Parent message for thread replies.
    thread: SlackRef | None = None
    status: AlertStatus = AlertStatus.OPEN
    claimed_by: str | None = None
    #: When a human first claimed it, replied publicly, resolved it: the digest's
    #: response times (``status_changed_at`` alone loses the earlier steps).
    claimed_at: datetime | None = None
    replied_at: datetime | None = None
    resolved_at: datetime | None = None
    #: Set while a send is in flight (``Outbox.begin_attempt``); still set when the row
    #: is claimed again means that send was cut off and may have reached Slack.
    attempt_started_at: datetime | None = None
    #: How many sends of this row were cut off mid-call: possible duplicates in Slack.
    interrupted: int = 0


@dataclass(frozen=True, slots=True)
class Feedback:
    """A human's correction, kept as a training label."""

    mention: MentionKey
    label: str  # "not_complaint", "urgent", "not_urgent", "complaint", "urgency:N"
    user: str
    created_at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that could not be parsed: stored with its reason, never dropped."""

    source: str
    reason: str
    raw: str
    received_at: datetime
