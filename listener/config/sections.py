"""The sections of the settings: each a frozen model whose fields document themselves
(``describe_settings`` reads the descriptions; a test checks the example file)."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from listener.config.types import (
    ClockTime,
    TimeWindow,
    check_bluesky_handles,
    check_handles,
    check_languages,
)

__all__ = [
    "URGENCY_REASONS",
    "BlueskySettings",
    "BrandBlueskySettings",
    "BrandSettings",
    "DatabaseSettings",
    "DigestSettings",
    "ModelSettings",
    "RuleSettings",
    "SlackSettings",
    "XPrices",
    "XSettings",
]


#: What can make a complaint urgent (the urgency model, ``listener.decisions.urgency``), in
#: the order that names the reason; each may also be a ``topic_channels`` key. ``judged``:
#: the model's judgement head, when nothing before it applies.
URGENCY_REASONS: tuple[str, ...] = (
    "safety", "stranded", "money", "outage", "legal", "press", "reach", "judged",
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = Field(
        "sqlite:///firstreply.db",
        description="SQLAlchemy URL: sqlite:///path.db (default) or postgresql+psycopg://...",
    )

    @field_validator("url")
    @classmethod
    def _known_dialect(cls, v: str) -> str:
        if not v.startswith(("sqlite", "postgresql", "memory:")):
            raise ValueError("must start with sqlite://, postgresql+psycopg:// or memory://")
        return v


class XPrices(_Section):
    post_read: float = Field(0.005, ge=0, description="USD per post read (search, stream).")
    owned_read: float = Field(0.001, ge=0, description="USD per post read from owned mentions.")
    post_create: float = Field(0.01, ge=0, description="USD per reply posted.")
    post_create_with_url: float = Field(0.2, ge=0, description="USD per reply containing a URL.")


class XSettings(_Section):
    api_base_url: str = Field("https://api.x.com", description="X API host (proxy or emulator).")
    poll_interval_seconds: int = Field(60, ge=5, description="Seconds between polls of a source.")
    max_results: int = Field(100, ge=5, le=100, description="Posts per page (5-100).")
    timeout_seconds: float = Field(10.0, gt=0, description="HTTP timeout per request.")
    stream: bool = Field(False, description="Use the filtered stream (needs a tier with it).")
    prices: XPrices = Field(default_factory=XPrices)  # type: ignore[arg-type]
    monthly_budget_usd: float = Field(100.0, ge=0, description="Warn near this monthly spend.")
    daily_budget_usd: float = Field(10.0, ge=0, description="Warn near this daily spend.")


class BlueskySettings(_Section):
    service_url: str = Field(
        "https://bsky.social",
        description="The brand account's PDS (or entryway): login, notifications, search, replies.",
    )
    login: str = Field(
        "",
        description="Handle whose app password BLUESKY_APP_PASSWORD is; empty = the first "
        "brand's first Bluesky handle.",
    )
    poll_interval_seconds: int = Field(60, ge=5, description="Seconds between polls of a source.")
    page_size: int = Field(100, ge=1, le=100, description="Posts or notifications per page.")
    first_poll_pages: int = Field(
        1, ge=1, description="Pages a source reads on its first poll (no stored cursor yet)."
    )
    search_overlap_seconds: int = Field(
        600, ge=0, description="Search re-reads this far behind its cursor (index lag; free)."
    )
    timeout_seconds: float = Field(10.0, gt=0, description="HTTP timeout per request.")
    stream: bool = Field(False, description="Follow the brands on Jetstream in real time.")
    jetstream_url: str = Field(
        "wss://jetstream2.us-east.bsky.network/subscribe",
        description="Jetstream's /subscribe WebSocket URL.",
    )
    profile_cache_minutes: int = Field(
        60, ge=0, description="How long an author's follower count is reused."
    )

    @field_validator("login")
    @classmethod
    def _login_handle(cls, v: str) -> str:
        return check_bluesky_handles([v])[0] if v.strip() else ""


class BrandBlueskySettings(_Section):
    handles: list[str] = Field(
        default_factory=list, description="Bluesky handles (acme.bsky.social; '@' optional)."
    )
    queries: list[str] = Field(
        default_factory=list, description="searchPosts queries (also the stream's keywords)."
    )

    _handles = field_validator("handles")(lambda cls, v: check_bluesky_handles(v))


class SlackSettings(_Section):
    api_base_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    mode: Literal["http", "socket"] = Field("http", description="Bolt app: HTTP or Socket Mode.")
    port: int = Field(3000, ge=1, le=65535, description="Port of the HTTP interactivity app.")
    host: str = Field(
        "127.0.0.1",
        description="Address it listens on: loopback behind a TLS proxy, 0.0.0.0 for all.",
    )
    default_channel: str = Field("#cx-alerts", description="Channel for alerts with no route.")
    escalation_channel: str = Field("#cx-escalations", description="Where unclaimed urgent go.")
    escalation_minutes: int = Field(
        15, ge=1, description="Minutes before an urgent alert escalates."
    )
    oncall_group: str = Field("", description="Slack user group ID (S...) pinged on escalation.")
    repliers: list[str] = Field(
        default_factory=list, description="Slack user IDs allowed to reply publicly and resolve."
    )
    replier_groups: list[str] = Field(
        default_factory=list, description="Slack user group IDs whose members may reply."
    )
    # 20 attempts with the dispatcher's backoff (10 s doubling, capped at 1 h) keep an
    # alert alive through a Slack outage of 6-11 hours; 8 gave up after ~20 minutes.
    max_attempts: int = Field(
        20, ge=1, description="Delivery attempts before an alert is dead (permanent errors: 1)."
    )
    channel_budget_per_hour: int = Field(30, ge=1, description="New alerts per channel per hour.")
    queue_channel: str = Field(
        "#cx-queue",
        description="Where complaints that are not urgent go, as cards with the same buttons "
        "and no ping (a brand's queue_channel wins).",
    )
    queue_budget_per_hour: int = Field(
        120, ge=1, description="Cards per queue channel per hour; the rest wait in the digest."
    )


class ModelSettings(_Section):
    path: str | None = Field(None, description="Model directory; unset = the shipped default.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Inference device.")
    batch_size: int = Field(64, ge=1, le=4096, description="Texts per inference batch.")
    threads: int = Field(
        0, ge=0, le=1024,
        description="torch threads on a CPU; 0 = one per core (on cores other work shares, "
        "fewer can be faster: docs/batch.md).",
    )
    sentiment_model: str | None = Field(
        None,
        description="HF sequence-classification model id or directory to use for sentiment.",
    )
    sentiment_labels: dict[str, str] = Field(
        default_factory=dict,
        description="That model's label -> negative/neutral/positive, e.g. LABEL_0 = negative.",
    )


class RuleSettings(_Section):
    complaint_threshold: float | None = Field(
        None, ge=0, le=1, description="Complaint probability to act on (unset: model's own)."
    )
    min_urgency: int = Field(
        2, ge=0, le=4, description="Severity (0-4) that makes a queued complaint NORMAL, not LOW."
    )
    page_urgency: int = Field(
        4, ge=0, le=4,
        description="Severity with which a model signal (no words at stake) pages.",
    )
    vip_handles: list[str] = Field(default_factory=list, description="Always-alert authors.")
    vip_followers: int = Field(
        100_000, ge=0, description="Followers that make a complaint urgent by reach alone."
    )
    escalate_phrases: list[str] = Field(
        default_factory=list, description="Make a complaint or request urgent."
    )
    ignore_phrases: list[str] = Field(default_factory=list, description="Never alert.")
    languages: list[str] = Field(
        default_factory=lambda: ["en"], description="Languages kept (ISO 639-1 codes)."
    )
    business_hours: TimeWindow = Field(
        None, description="'09:00-18:00' or 'Mon-Fri 09:00-18:00' local; empty = always on."
    )
    quiet_hours: TimeWindow = Field(
        None, description="'22:00-07:00' local (weekdays allowed): only urgent items ping."
    )
    incident_window_minutes: int = Field(120, ge=1, description="Window to group an incident.")
    incident_similarity: float = Field(0.75, ge=0, le=1, description="Cosine to join incident.")
    cooldown_minutes: int = Field(
        30, ge=0, description="Minutes after an author's alert when more of theirs thread."
    )

    _vip = field_validator("vip_handles")(lambda cls, v: check_handles(v))
    _langs = field_validator("languages")(lambda cls, v: check_languages(v))


class BrandSettings(_Section):
    name: str = Field(description="Brand name shown in alerts and the digest.")
    handles: list[str] = Field(
        default_factory=list, description="X handles ('@' optional, stored without)."
    )
    user_ids: dict[str, str] = Field(
        default_factory=dict, description="Handle -> X user id (saves a lookup per start)."
    )
    queries: list[str] = Field(default_factory=list, description="X recent-search queries.")
    channel: str | None = Field(None, description="Default Slack channel for this brand.")
    topic_channels: dict[str, str] = Field(
        default_factory=dict,
        description="Topic or urgency reason (safety, stranded, money, outage, legal, press, "
        "reach, judged) -> Slack channel for urgent items.",
    )
    queue_channel: str | None = Field(
        None, description="This brand's queue of complaints that are not urgent (no ping)."
    )
    topics: dict[str, list[str]] = Field(
        default_factory=dict, description="Extra topics: name -> a few example posts."
    )
    tone: str = Field("friendly", description="Tone of suggested reply drafts.")
    bluesky: BrandBlueskySettings = Field(
        default_factory=BrandBlueskySettings  # type: ignore[arg-type]
    )
    rules: RuleSettings = Field(default_factory=RuleSettings)  # type: ignore[arg-type]

    _handles = field_validator("handles")(lambda cls, v: check_handles(v))

    @field_validator("user_ids")
    @classmethod
    def _user_id_handles(cls, v: dict[str, str]) -> dict[str, str]:
        return dict(zip(check_handles(list(v)), v.values(), strict=True))


class DigestSettings(_Section):
    time: ClockTime = Field(
        time(8, 30), description="Local time to post, HH:MM (see timezone; DST-safe)."
    )
    channel: str = Field("#cx-leadership", description="Leadership channel for the digest.")
    sla_minutes: int = Field(60, ge=1, description="Target minutes to first public reply.")
