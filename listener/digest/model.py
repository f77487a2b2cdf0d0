"""The digest's values: frozen, typed, and free of any rendering.

``listener.digest.build`` computes them; ``listener.report`` and
``listener.slack.digest`` render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from listener.digest.items import Post

__all__ = [
    "LIST_LIMIT",
    "Breach",
    "Change",
    "DayPoint",
    "Digest",
    "Durations",
    "Incident",
    "ModelHealth",
    "NotableAuthor",
    "Post",
    "Response",
    "Spike",
    "Theme",
    "Trend",
]


#: Most posts a digest lists per section; counts are kept separately.
LIST_LIMIT = 50


class Trend(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"
    NEW = "new"
    UNKNOWN = "unknown"  # nothing to compare with yet

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "flat": "▶", "new": "★", "unknown": "·"}[self.value]


@dataclass(frozen=True, slots=True)
class Change:
    """A figure for the period, the previous period, and the 7-day average (same scale)."""

    value: float
    previous: float | None
    baseline: float | None
    kind: Literal["count", "share"] = "count"

    def vs(self, other: float | None) -> float | None:
        """Relative change for counts, difference in points (0-1) for shares."""
        if other is None:
            return None
        if self.kind == "share":
            return self.value - other
        return None if other == 0 else (self.value - other) / other


@dataclass(frozen=True, slots=True)
class DayPoint:
    day: date
    volume: int
    complaints: int
    negative: int

    @property
    def complaint_share(self) -> float | None:
        return self.complaints / self.volume if self.volume else None


@dataclass(frozen=True, slots=True)
class Theme:
    kind: Literal["topic", "incident"]
    key: str
    label: str
    count: int
    previous: int | None
    trend: Trend
    examples: tuple[Post, ...]


@dataclass(frozen=True, slots=True)
class Durations:
    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True, slots=True)
class Breach:
    post: Post
    #: Time on the SLA clock to the reply, or until the digest's ``now`` if none yet.
    elapsed: timedelta
    replied: bool


@dataclass(frozen=True, slots=True)
class Response:
    to_alert: Durations
    to_claim: Durations
    to_reply: Durations
    sla_minutes: int
    business_hours: str | None
    within_sla: int
    #: Alerted items the SLA can judge: answered, or unanswered past the SLA.
    measured: int
    #: Unanswered and still inside the SLA: not judged yet.
    pending: int
    #: The worst ``LIST_LIMIT`` breaches, longest wait first; ``breach_count`` is the total.
    breaches: tuple[Breach, ...]
    breach_count: int = 0

    @property
    def share_within_sla(self) -> float | None:
        return self.within_sla / self.measured if self.measured else None


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    topic: str
    count: int
    first_seen: datetime
    last_seen: datetime
    open_alerts: int
    example: Post


@dataclass(frozen=True, slots=True)
class NotableAuthor:
    handle: str
    name: str
    followers: int
    verified_type: str
    complaints: int
    post: Post


@dataclass(frozen=True, slots=True)
class Spike:
    day: date
    kind: Literal["volume", "complaint_share"]
    value: float
    baseline: float


@dataclass(frozen=True, slots=True)
class ModelHealth:
    alerts: int
    not_complaint: int
    feedback: int
    feedback_by_label: tuple[tuple[str, int], ...]
    models: tuple[str, ...]

    @property
    def precision_proxy(self) -> float | None:
        """Share of alerts the team did not mark "not a complaint"."""
        return 1 - self.not_complaint / self.alerts if self.alerts else None


@dataclass(frozen=True, slots=True)
class Digest:
    brand: str
    tz: str
    period_start: datetime
    period_end: datetime
    first_day: date
    last_day: date
    volume: Change
    complaints: Change
    negative_share: Change
    complaint_share: Change
    unscored: int
    days: tuple[DayPoint, ...]
    themes: tuple[Theme, ...]
    response: Response
    open_incidents: tuple[Incident, ...]
    unresolved_urgent: tuple[Post, ...]
    resolved: tuple[Post, ...]
    notable_authors: tuple[NotableAuthor, ...]
    spikes: tuple[Spike, ...]
    model_health: ModelHealth
    notes: tuple[str, ...]
    #: Daily points for the chart: the last ``trend_days`` up to the period's end.
    trend: tuple[DayPoint, ...] = ()
    #: The lists above hold at most ``LIST_LIMIT`` posts (the oldest); these are the totals.
    unresolved_urgent_count: int = 0
    resolved_count: int = 0
    #: When the digest was made (posted): how long an unresolved post has been open is
    #: measured to here, not to the period's end. None: the period's end.
    as_of: datetime | None = None

    @property
    def n_days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def is_empty(self) -> bool:
        return self.volume.value == 0

    @property
    def period_label(self) -> str:
        if self.n_days == 1:
            return f"{self.first_day:%a %d %b %Y}"
        return f"{self.first_day:%d %b} – {self.last_day:%d %b %Y} ({self.n_days} days)"
