"""One validated settings object, from ``firstreply.toml`` and ``FIRSTREPLY_*`` variables.

- ``types``: the parsed value types (time windows, times of day, handles, languages);
- ``sections``: the frozen section models (``[x]``, ``[slack]``, ``[[brands]]`` ...);
- ``settings``: ``Settings``, ``Secrets`` (environment only), ``load_settings`` (every
  bad key named, with the variable that set it when it came from the environment) and
  ``describe_settings`` (the registry the example file is checked against).
"""

from __future__ import annotations

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
    XPrices,
    XSettings,
)
from listener.config.settings import (
    DEFAULT_CONFIG_FILE,
    Secrets,
    Settings,
    config_path,
    describe_settings,
    load_settings,
    settings_problems,
)

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "URGENCY_REASONS",
    "BlueskySettings",
    "BrandBlueskySettings",
    "BrandSettings",
    "DatabaseSettings",
    "DigestSettings",
    "ModelSettings",
    "RuleSettings",
    "Secrets",
    "Settings",
    "SlackSettings",
    "XPrices",
    "XSettings",
    "config_path",
    "describe_settings",
    "load_settings",
    "settings_problems",
]
