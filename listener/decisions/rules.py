"""Brand rules, resolved once from settings, and the one rule for finding a post's brand.

``Rulebook.from_settings(settings)`` builds every brand's :class:`BrandRules` once. A
mention names its brand in ``Mention.brand``; :meth:`Rulebook.rules_for` finds it by

1. the configured brand name, exactly;
2. else a brand name or X handle equal to it, ignoring case and a leading ``@``
   (history files often name the brand by its handle: ``AcmeHelp``);
3. else the defaults: ``RuleSettings()`` with ``slack.default_channel`` and no own
   handles, for ``""`` and for any brand nobody configured.

The live pipeline, backfill, replay and ``triage`` all go through this one rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from listener.config import BrandSettings, RuleSettings, Settings
from listener.timewindow import Window

__all__ = ["BrandRules", "PhraseList", "Rulebook", "handle_key"]


def handle_key(handle: str) -> str:
    """``@AcmeHelp`` and ``acmehelp`` are the same account."""
    return handle.strip().lstrip("@").lower()


@dataclass(frozen=True, slots=True)
class PhraseList:
    """Case-insensitive, word-bounded phrases; ``refund*`` matches any suffix."""

    phrases: tuple[str, ...] = ()
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, phrases: Sequence[str]) -> PhraseList:
        kept = tuple(p.strip() for p in phrases if p.strip())
        return cls(kept, tuple(_compile(p) for p in kept))

    def find(self, text: str) -> str | None:
        """The first phrase found in ``text``, as configured."""
        for phrase, pattern in zip(self.phrases, self._patterns, strict=True):
            if pattern.search(text):
                return phrase
        return None


def _compile(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w.rstrip("*")) + (r"\w*" if w.endswith("*") else "") for w in phrase.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BrandRules:
    """One brand's rules. Built only by :meth:`from_settings`: the defaults live in
    ``RuleSettings`` and ``SlackSettings``, nowhere else."""

    brand: str
    channel: str
    topic_channels: Mapping[str, str]
    own_handles: frozenset[str]
    complaint_threshold: float | None
    min_urgency: int
    page_urgency: int
    vip_handles: frozenset[str]
    vip_followers: int
    escalate: PhraseList
    ignore: PhraseList
    languages: frozenset[str]
    business_hours: Window | None
    quiet_hours: Window | None
    timezone: str
    incident_window: timedelta
    incident_similarity: float
    channel_budget_per_hour: int
    author_cooldown: timedelta
    queue_channel: str = "#cx-queue"
    queue_budget_per_hour: int = 120

    @classmethod
    def from_settings(cls, brand: BrandSettings | None, settings: Settings) -> BrandRules:
        """Rules of ``brand``; ``None`` (no configured brand) gets the defaults."""
        r = brand.rules if brand is not None else RuleSettings.model_validate({})
        return cls(
            brand=brand.name if brand is not None else "",
            channel=(brand.channel if brand is not None else None)
            or settings.slack.default_channel,
            topic_channels=dict(brand.topic_channels) if brand is not None else {},
            own_handles=frozenset(handle_key(h) for h in (brand.handles if brand else [])),
            complaint_threshold=r.complaint_threshold,
            min_urgency=r.min_urgency,
            page_urgency=r.page_urgency,
            vip_handles=frozenset(handle_key(h) for h in r.vip_handles),
            vip_followers=r.vip_followers,
            escalate=PhraseList.of(r.escalate_phrases),
            ignore=PhraseList.of(r.ignore_phrases),
            languages=frozenset(lang.lower() for lang in r.languages),
            business_hours=r.business_hours,
            quiet_hours=r.quiet_hours,
            timezone=settings.timezone,
            incident_window=timedelta(minutes=r.incident_window_minutes),
            incident_similarity=r.incident_similarity,
            channel_budget_per_hour=settings.slack.channel_budget_per_hour,
            author_cooldown=timedelta(minutes=r.cooldown_minutes),
            queue_channel=(brand.queue_channel if brand is not None else None)
            or settings.slack.queue_channel,
            queue_budget_per_hour=settings.slack.queue_budget_per_hour,
        )

    def channel_for(self, topic: str, reason: str = "") -> str:
        """Where an urgent item goes: the route of what made it urgent (``safety``…),
        else of its topic, else the brand's channel, else the default channel."""
        return self.topic_channels.get(reason) or self.topic_channels.get(topic, self.channel)

    def budget_of(self, channel: str) -> int:
        """New cards ``channel`` takes per hour."""
        if channel == self.queue_channel:
            return self.queue_budget_per_hour
        return self.channel_budget_per_hour

    def is_quiet(self, now: datetime) -> str | None:
        """Why only urgent items may ping at ``now``, or None when anything may."""
        zone = ZoneInfo(self.timezone)
        if self.quiet_hours is not None and self.quiet_hours.contains(now, zone):
            return f"quiet hours ({self.quiet_hours.describe()} {self.timezone})"
        if self.business_hours is not None and not self.business_hours.contains(now, zone):
            return f"outside business hours ({self.business_hours.describe()} {self.timezone})"
        return None


class Rulebook:
    """Every brand's rules, built once; see the module docstring for the brand rule."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.defaults = BrandRules.from_settings(None, settings)
        self.brands = tuple(BrandRules.from_settings(b, settings) for b in settings.brands)
        self._exact = {r.brand: r for r in self.brands}
        self._folded: dict[str, BrandRules] = {}
        for rules, conf in zip(self.brands, settings.brands, strict=True):
            for name in (conf.name, *conf.handles):
                self._folded.setdefault(handle_key(name), rules)
        self._cache: dict[str, BrandRules] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Rulebook:
        return cls(settings)

    def rules_for(self, brand: str) -> BrandRules:
        rules = self._cache.get(brand)
        if rules is None:
            rules = self._exact.get(brand) or self._folded.get(handle_key(brand)) or self.defaults
            self._cache[brand] = rules
        return rules

    def brand_key(self, brand: str) -> str:
        """The name memory files a post under: its configured brand, else what it said."""
        return self.rules_for(brand).brand or brand

    @property
    def all_rules(self) -> tuple[BrandRules, ...]:
        return (*self.brands, self.defaults)

    @property
    def longest_incident_window(self) -> timedelta:
        return max(r.incident_window for r in self.all_rules)

    @property
    def longest_cooldown(self) -> timedelta:
        return max(r.author_cooldown for r in self.all_rules)
