"""One validated settings object, from ``firstreply.toml`` and ``FIRSTREPLY_*`` variables.

Precedence (highest first): environment variables, the TOML file, defaults. Nested keys
map to variables with a double underscore: ``database.url`` is
``FIRSTREPLY_DATABASE__URL``. Secrets (tokens, signing secrets) come only from the
environment, under their conventional names, and are never part of ``Settings``'
printable form.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from classifiers.base import DEFAULT_TOPICS
from listener.config.sections import (
    URGENCY_REASONS,
    BlueskySettings,
    BrandBlueskySettings,
    BrandSettings,
    DatabaseSettings,
    DigestSettings,
    ModelSettings,
    RuleSettings,
    SlackSettings,
    XSettings,
)
from listener.config.types import check_tz
from listener.errors import ConfigError

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "Secrets",
    "Settings",
    "config_path",
    "describe_settings",
    "load_settings",
    "settings_problems",
]

DEFAULT_CONFIG_FILE = "firstreply.toml"


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
        0, ge=0, le=65535,
        description="Serve /metrics (Prometheus) and /healthz on this port during `run`; 0 = off.",
    )
    metrics_host: str = Field(
        "127.0.0.1",
        min_length=1,
        description="Address for /metrics and /healthz: 0.0.0.0 to be scraped from outside "
        "(the Docker image sets it).",
    )
    brands: list[BrandSettings] = Field(default_factory=list, description="Brands to listen for.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)  # type: ignore[arg-type]
    x: XSettings = Field(default_factory=XSettings)  # type: ignore[arg-type]
    bluesky: BlueskySettings = Field(default_factory=BlueskySettings)  # type: ignore[arg-type]
    slack: SlackSettings = Field(default_factory=SlackSettings)  # type: ignore[arg-type]
    model: ModelSettings = Field(default_factory=ModelSettings)  # type: ignore[arg-type]
    digest: DigestSettings = Field(default_factory=DigestSettings)  # type: ignore[arg-type]

    _tz_ok = field_validator("timezone")(lambda cls, v: check_tz(v))

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
    #: A Bluesky app password (Settings -> Privacy and security -> App passwords).
    bluesky_app_password: SecretStr | None = None
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
        settings = Settings()
    except ValidationError as exc:
        raise ConfigError(_problems(exc)) from None
    finally:
        _CONFIG_PATH.pop("path", None)
    problems = settings_problems(settings)
    if problems:
        raise ConfigError(problems)
    return settings


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = err["loc"]
        key = ".".join(str(part) for part in loc) or "(root)"
        why = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            why = "unknown setting (typo?)"
        env = _env_name(loc)
        problems.append((f"{key} (from the environment: {env})" if env else key, why))
    return problems


def _env_name(loc: tuple[int | str, ...]) -> str | None:
    """The ``FIRSTREPLY_*`` variable that set the value at ``loc``, if one is set: the
    environment wins over the file, so a bad value there is the variable's doing."""
    for depth in range(len(loc), 0, -1):
        name = "FIRSTREPLY_" + "__".join(str(p).upper() for p in loc[:depth])
        if name in os.environ:
            return name
    return None


def settings_problems(settings: Settings) -> list[tuple[str, str]]:
    """What each key allows on its own, but the settings as a whole do not."""
    problems: list[tuple[str, str]] = []
    for i, brand in enumerate(settings.brands):
        if settings.model.path is None:  # the shipped model: its taxonomy is known
            known = set(DEFAULT_TOPICS) | set(brand.topics) | set(URGENCY_REASONS)
            for topic in brand.topic_channels:
                if topic not in known:
                    problems.append((
                        f"brands.{i}.topic_channels.{topic}",
                        f"unknown topic: the model's topics are {', '.join(sorted(known))}",
                    ))
    names = [b.name for b in settings.brands]
    for i, name in enumerate(names):
        if name in names[:i]:
            problems.append((f"brands.{i}.name", f"{name!r} is configured twice"))
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
    walk(BrandBlueskySettings, "brands[].bluesky.")
    walk(RuleSettings, "brands[].rules.")
    return rows
