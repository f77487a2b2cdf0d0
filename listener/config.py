"""One validated settings object, from ``firstreply.toml`` and ``FIRSTREPLY_*`` variables.

Precedence (highest first): environment variables, the TOML file, defaults. Nested keys
map to variables with a double underscore: ``database.url`` is
``FIRSTREPLY_DATABASE__URL``. Secrets (tokens, signing secrets) come only from the
environment, under their conventional names, and are never part of ``Settings``'
printable form.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from listener.errors import ConfigError
from listener.timewindow import Window

DEFAULT_CONFIG_FILE = "firstreply.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {value!r}") from exc
    return value


def _window(value: object) -> Window | None:
    if value is None or isinstance(value, Window):
        return value
    if not isinstance(value, str):
        raise ValueError("a time window is a string such as '09:00-18:00'")
    return Window.parse(value)


#: A time window, parsed once from its text (``Window.parse``'s one grammar).
TimeWindow = Annotated[
    Window | None,
    BeforeValidator(_window),
    PlainSerializer(lambda w: w.describe() if w is not None else "", return_type=str),
]


def _clock_time(value: object) -> time:
    if isinstance(value, time):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{text!r} is not a local time of day like 08:30 (00:00-23:59)")
    return time(int(match[1]), int(match[2]))


#: A local time of day, ``HH:MM``.
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
]


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


class SlackSettings(_Section):
    api_base_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    mode: Literal["http", "socket"] = Field("http", description="Bolt app: HTTP or Socket Mode.")
    port: int = Field(3000, ge=1, le=65535, description="Port of the HTTP interactivity app.")
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


class ModelSettings(_Section):
    path: str | None = Field(None, description="Model directory; unset = the shipped default.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Inference device.")
    batch_size: int = Field(64, ge=1, le=4096, description="Texts per inference batch.")
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
    min_urgency: int = Field(2, ge=0, le=4, description="Lowest severity (0-4) that pings.")
    page_urgency: int = Field(4, ge=0, le=4, description="Severity that pages even when quiet.")
    vip_handles: list[str] = Field(default_factory=list, description="Always-alert authors.")
    vip_followers: int = Field(50_000, ge=0, description="Followers that make an author a VIP.")
    escalate_phrases: list[str] = Field(default_factory=list, description="Always escalate.")
    ignore_phrases: list[str] = Field(default_factory=list, description="Never alert.")
    languages: list[str] = Field(default_factory=lambda: ["en"], description="Languages kept.")
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


class BrandSettings(_Section):
    name: str = Field(description="Brand name shown in alerts and the digest.")
    handles: list[str] = Field(default_factory=list, description="X handles without '@'.")
    user_ids: dict[str, str] = Field(
        default_factory=dict, description="Handle -> X user id (saves a lookup per start)."
    )
    queries: list[str] = Field(default_factory=list, description="X recent-search queries.")
    channel: str | None = Field(None, description="Default Slack channel for this brand.")
    topic_channels: dict[str, str] = Field(
        default_factory=dict, description="Topic -> Slack channel."
    )
    topics: dict[str, list[str]] = Field(
        default_factory=dict, description="Extra topics: name -> a few example posts."
    )
    tone: str = Field("friendly", description="Tone of suggested reply drafts.")
    rules: RuleSettings = Field(default_factory=RuleSettings)  # type: ignore[arg-type]


class DigestSettings(_Section):
    time: ClockTime = Field(
        time(8, 30), description="Local time to post, HH:MM (see timezone; DST-safe)."
    )
    channel: str = Field("#cx-leadership", description="Leadership channel for the digest.")
    sla_minutes: int = Field(60, ge=1, description="Target minutes to first public reply.")


class Settings(BaseSettings):
    """Every setting firstreply reads. ``firstreply check-config`` validates it."""

    model_config = SettingsConfigDict(
        env_prefix="FIRSTREPLY_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        toml_file=None,
    )

    timezone: str = Field("UTC", description="IANA timezone for schedules and the digest.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    health_file: str = Field(
        "firstreply-health.json",
        description="Where `run` keeps per-source health and X spend for `status`.",
    )
    metrics_port: int = Field(
        0, ge=0, le=65535, description="Serve Prometheus metrics on this port; 0 = off."
    )
    brands: list[BrandSettings] = Field(default_factory=list, description="Brands to listen for.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)  # type: ignore[arg-type]
    x: XSettings = Field(default_factory=XSettings)  # type: ignore[arg-type]
    slack: SlackSettings = Field(default_factory=SlackSettings)  # type: ignore[arg-type]
    model: ModelSettings = Field(default_factory=ModelSettings)  # type: ignore[arg-type]
    digest: DigestSettings = Field(default_factory=DigestSettings)  # type: ignore[arg-type]

    _tz_ok = field_validator("timezone")(lambda cls, v: _check_tz(v))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _CONFIG_PATH.get("path")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    def brand(self, name: str) -> BrandSettings | None:
        return next((b for b in self.brands if b.name == name), None)


class Secrets(BaseModel):
    """Credentials, from the environment only. ``SecretStr`` keeps them out of reprs."""

    model_config = ConfigDict(frozen=True)

    x_bearer_token: SecretStr | None = None
    x_consumer_key: SecretStr | None = None
    x_consumer_secret: SecretStr | None = None
    x_access_token: SecretStr | None = None
    x_access_token_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if environ is None else environ
        values = {name: env.get(name.upper()) or None for name in cls.model_fields}
        return cls(**values)

    def secret_values(self) -> list[str]:
        """The raw values, for scrubbing them from anything we print."""
        out = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                out.append(value.get_secret_value())
        return out


_CONFIG_PATH: dict[str, Path | None] = {}


def config_path(explicit: str | Path | None = None) -> Path | None:
    """``--config`` wins, then ``FIRSTREPLY_CONFIG``, then ``./firstreply.toml`` if present."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("FIRSTREPLY_CONFIG")
    if env:
        return Path(env)
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.exists() else None


def load_settings(path: str | Path | None = None) -> Settings:
    """Load and validate settings; raise ``ConfigError`` naming every bad key."""
    resolved = config_path(path)
    if resolved is not None:
        if not resolved.is_file():
            raise ConfigError([("--config", f"file not found: {resolved}")])
        try:
            with resolved.open("rb") as fh:
                tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([(str(resolved), f"not valid TOML: {exc}")]) from exc
    _CONFIG_PATH["path"] = resolved
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(_problems(exc)) from None
    finally:
        _CONFIG_PATH.pop("path", None)


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        key = ".".join(str(part) for part in err["loc"]) or "(root)"
        why = err["msg"]
        if err["type"] == "extra_forbidden":
            why = "unknown setting (typo?)"
        problems.append((key, why))
    return problems


def describe_settings() -> list[tuple[str, Any, str]]:
    """(dotted key, default, help) for every setting: the registry the docs are checked against."""
    rows: list[tuple[str, Any, str]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            key = f"{prefix}{name}"
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, key + ".")
            else:
                default = (
                    None if info.is_required() else info.get_default(call_default_factory=True)
                )
                rows.append((key, default, info.description or ""))

    walk(Settings, "")
    walk(BrandSettings, "brands[].")
    walk(RuleSettings, "brands[].rules.")
    return rows
