"""Pure digest maths: what happened to a brand over a period, for leadership.

``build_digest`` turns stored mentions (``TriagedMention``) and feedback into a frozen
``Digest``; ``collect_digest`` asks a store the same questions (``DigestQueries``), which
a SQL store answers in aggregates. Rendering
lives in ``listener.report`` (HTML, Markdown, charts) and ``listener.slack.digest``
(Block Kit). Periods are local days in the brand's timezone (``listener.timewindow``).
Nothing here reads a clock, the network or a database.
"""

from __future__ import annotations

from listener.digest.build import (
    DigestSource,
    build_digest,
    collect_digest,
    daily_series,
    digest_of,
)
from listener.digest.items import Post
from listener.digest.model import (
    Breach,
    Change,
    DayPoint,
    Digest,
    Durations,
    Incident,
    ModelHealth,
    NotableAuthor,
    Response,
    Spike,
    Theme,
    Trend,
)
from listener.digest.queries import AlertTimes, DigestQueries, ItemQueries, Segment
from listener.digest.sections import percentile
from listener.timewindow import day_bounds, local_day, period_bounds

__all__ = [
    "AlertTimes",
    "Breach",
    "Change",
    "DayPoint",
    "Digest",
    "DigestQueries",
    "DigestSource",
    "Durations",
    "Incident",
    "ItemQueries",
    "ModelHealth",
    "NotableAuthor",
    "Post",
    "Response",
    "Segment",
    "Spike",
    "Theme",
    "Trend",
    "build_digest",
    "collect_digest",
    "daily_series",
    "day_bounds",
    "digest_of",
    "local_day",
    "percentile",
    "period_bounds",
]
