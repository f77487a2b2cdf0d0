"""Decide what to do about one scored mention, and say why.

Pure: ``decide(mention, scores, rules, ctx, now=...)`` looks at nothing but its
arguments. Whatever needs the store or memory (the earlier alert in a conversation, the
incident a post joins, how many alerts a channel had this hour, the author's last alert,
a spike) is looked up by the pipeline and handed in as a frozen :class:`DecisionContext`.

Order of the rules (the first that settles the route wins; every step leaves a reason):

1. never alert: the brand's own posts, ignore phrases, languages not kept;
2. qualify: a complaint (threshold or the model's own call), an escalate phrase, or a
   safety/legal/outage signal; other posts are ignored, unless they follow up an
   alerted conversation, where they join its thread as context;
3. priority from urgency, signals, escalate phrases and the author's reach;
4. route: same conversation -> thread; same incident -> thread; low priority -> digest;
   quiet or out-of-business hours -> digest unless urgent; author cooldown -> thread;
   channel over its hourly budget -> digest unless urgent; otherwise a new alert.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from classifiers.base import URGENCY_LEVELS, Scores, Signal
from listener.config import BrandSettings, RuleSettings, Settings
from listener.domain import Mention, MentionKey, Priority, Route, Verdict
from listener.incidents import Incident
from listener.spikes import SpikeEvent

__all__ = [
    "BrandRules",
    "DecisionContext",
    "PhraseList",
    "TimeRange",
    "blocked_reason",
    "decide",
    "human_count",
    "is_complaint",
]

#: Signals that make a post actionable whatever the complaint score.
ESCALATING_SIGNALS = frozenset({"safety", "legal", "outage"})
#: Signals that lift priority one step (capped at HIGH).
RAISING_SIGNALS = frozenset({"money", "churn", "press"})
#: Money taken and intent to leave act on their own in a negative post, even when the
#: complaint head hesitates ("day 9 waiting on my refund 🙂"); a neutral "how do I get a
#: refund?" is a question, not an alert.
NEGATIVE_TONE_SIGNALS = frozenset({"money", "churn"})
#: Below this many followers a low-urgency complaint is "retweet-size": digest it.
SMALL_REACH = 1_000
DEFAULT_COOLDOWN = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A daily local-time window such as ``09:00-18:00``; ``22:00-07:00`` wraps midnight."""

    start: time
    end: time
    text: str

    @classmethod
    def parse(cls, text: str) -> TimeRange | None:
        """``""`` means "no window"; anything else must be ``HH:MM-HH:MM``."""
        text = text.strip()
        if not text:
            return None
        m = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", text)
        if m is None:
            raise ValueError(f"time range must look like 09:00-18:00, got {text!r}")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        return cls(time(h1 % 24, m1), time(h2 % 24, m2), text)

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True, slots=True)
class PhraseList:
    """Case-insensitive, word-bounded phrases; ``refund*`` matches any suffix."""

    phrases: tuple[str, ...] = ()
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, phrases: list[str] | tuple[str, ...]) -> PhraseList:
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
    """One brand's rules, resolved once from settings (channels, phrases, hours)."""

    brand: str
    channel: str
    topic_channels: Mapping[str, str] = field(default_factory=dict)
    own_handles: frozenset[str] = frozenset()
    complaint_threshold: float | None = None
    min_urgency: int = 2
    page_urgency: int = 4
    vip_handles: frozenset[str] = frozenset()
    vip_followers: int = 50_000
    escalate: PhraseList = field(default_factory=PhraseList)
    ignore: PhraseList = field(default_factory=PhraseList)
    languages: frozenset[str] = frozenset({"en"})
    business_hours: TimeRange | None = None
    quiet_hours: TimeRange | None = None
    timezone: str = "UTC"
    incident_window: timedelta = timedelta(minutes=120)
    incident_similarity: float = 0.75
    channel_budget_per_hour: int = 30
    author_cooldown: timedelta = DEFAULT_COOLDOWN

    @classmethod
    def from_settings(cls, brand: BrandSettings | None, settings: Settings) -> BrandRules:
        """Rules of ``brand``; ``None`` (an unknown brand) gets the defaults."""
        r = brand.rules if brand is not None else RuleSettings()  # type: ignore[call-arg]
        return cls(
            brand=brand.name if brand is not None else "",
            channel=(brand.channel if brand is not None else None)
            or settings.slack.default_channel,
            topic_channels=dict(brand.topic_channels) if brand is not None else {},
            own_handles=frozenset(_handle(h) for h in (brand.handles if brand else [])),
            complaint_threshold=r.complaint_threshold,
            min_urgency=r.min_urgency,
            page_urgency=r.page_urgency,
            vip_handles=frozenset(_handle(h) for h in r.vip_handles),
            vip_followers=r.vip_followers,
            escalate=PhraseList.of(r.escalate_phrases),
            ignore=PhraseList.of(r.ignore_phrases),
            languages=frozenset(lang.lower() for lang in r.languages),
            business_hours=TimeRange.parse(r.business_hours),
            quiet_hours=TimeRange.parse(r.quiet_hours),
            timezone=settings.timezone,
            incident_window=timedelta(minutes=r.incident_window_minutes),
            incident_similarity=r.incident_similarity,
            channel_budget_per_hour=settings.slack.channel_budget_per_hour,
            author_cooldown=timedelta(minutes=r.cooldown_minutes),
        )

    def channel_for(self, topic: str) -> str:
        """Topic route, else the brand's channel, else the default channel."""
        return self.topic_channels.get(topic, self.channel)

    def is_quiet(self, now: datetime) -> str | None:
        """Why only urgent items may ping at ``now``, or None when anything may."""
        local = now.astimezone(ZoneInfo(self.timezone)).time()
        if self.quiet_hours is not None and self.quiet_hours.contains(local):
            return f"quiet hours ({self.quiet_hours.text} {self.timezone})"
        if self.business_hours is not None and not self.business_hours.contains(local):
            return f"outside business hours ({self.business_hours.text} {self.timezone})"
        return None


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """What the pipeline looked up about a mention before deciding."""

    #: The earlier alert's mention in the same conversation (one alert per conversation).
    conversation_alert: MentionKey | None = None
    #: The incident this post matched (before counting this post).
    incident: Incident | None = None
    #: ALERT messages already sent or queued to the destination channel in the last hour.
    channel_alerts_last_hour: int = 0
    #: The author's most recent alert: its mention and when it was decided.
    author_last_alert: tuple[MentionKey, datetime] | None = None
    #: A spike active for this brand and topic.
    spike: SpikeEvent | None = None


def decide(
    mention: Mention,
    scores: Scores,
    rules: BrandRules,
    ctx: DecisionContext | None = None,
    *,
    now: datetime,
) -> Verdict:
    """The verdict about ``mention``; every verdict carries its reasons."""
    ctx = ctx or DecisionContext()
    channel = rules.channel_for(scores.topic)

    def verdict(
        route: Route,
        priority: Priority,
        reasons: list[str],
        *,
        actionable: bool = True,
        thread_of: MentionKey | None = None,
        incident_id: str | None = None,
    ) -> Verdict:
        return Verdict(
            mention=mention.key,
            actionable=actionable,
            priority=priority,
            route=route,
            channel=None if route is Route.IGNORE else channel,
            reasons=tuple(reasons),
            decided_at=now,
            incident_id=incident_id,
            thread_of=thread_of,
        )

    blocked = blocked_reason(mention, rules)
    if blocked is not None:
        return verdict(Route.IGNORE, Priority.NONE, [blocked], actionable=False)

    reasons: list[str] = []
    qualifies = _qualify(mention, scores, rules, reasons)
    if not qualifies:
        if ctx.conversation_alert is not None and ctx.conversation_alert != mention.key:
            reasons.append("follow-up in an alerted conversation → thread")
            return verdict(
                Route.THREAD, Priority.LOW, reasons,
                actionable=False, thread_of=ctx.conversation_alert,
            )
        return verdict(Route.IGNORE, Priority.NONE, reasons, actionable=False)

    priority = _priority(mention, scores, rules, reasons)
    if ctx.spike is not None:
        reasons.append(ctx.spike.describe())

    # One alert per conversation, then one per incident: later posts join the thread.
    if ctx.conversation_alert is not None and ctx.conversation_alert != mention.key:
        reasons.append("same conversation as an earlier alert → thread")
        return verdict(Route.THREAD, priority, reasons, thread_of=ctx.conversation_alert)
    inc = ctx.incident
    inc_id = inc.id if inc is not None else None
    if inc is not None:
        reasons.append(
            f"joins incident '{inc.topic}' since {_local_hm(inc.first_seen, rules)} "
            f"({inc.count + 1} posts)"
        )
        if inc.alert_of is not None and inc.alert_of != mention.key:
            return verdict(
                Route.THREAD, priority, reasons, thread_of=inc.alert_of, incident_id=inc_id
            )

    if priority <= Priority.LOW:
        if mention.author.followers < SMALL_REACH:
            reasons.append("retweet-size author, low urgency → digest")
        else:
            reasons.append("low urgency → digest")
        return verdict(Route.DIGEST, priority, reasons, incident_id=inc_id)

    urgent = priority >= Priority.HIGH or scores.urgency >= rules.page_urgency
    quiet = rules.is_quiet(now)
    if quiet is not None and not urgent:
        reasons.append(f"{quiet}: digest only")
        return verdict(Route.DIGEST, priority, reasons, incident_id=inc_id)
    if quiet is not None:
        reasons.append(f"{quiet}, but urgent: pings")

    last = ctx.author_last_alert
    if (
        last is not None
        and last[0] != mention.key
        and now - last[1] < rules.author_cooldown
        and priority < Priority.CRITICAL
    ):
        ago = max(0, int((now - last[1]).total_seconds() // 60))
        reasons.append(f"cooldown: {mention.author.handle} alerted {ago} min ago → thread")
        return verdict(Route.THREAD, priority, reasons, thread_of=last[0], incident_id=inc_id)

    budget = rules.channel_budget_per_hour
    if ctx.channel_alerts_last_hour >= budget:
        used = f"{ctx.channel_alerts_last_hour}/{budget} this hour"
        if not urgent:
            reasons.append(f"{channel} over budget ({used}) → digest")
            return verdict(Route.DIGEST, priority, reasons, incident_id=inc_id)
        reasons.append(f"{channel} over budget ({used}), but urgent: alerts")
    return verdict(Route.ALERT, priority, reasons, incident_id=inc_id)


def blocked_reason(mention: Mention, rules: BrandRules) -> str | None:
    """Why this post must never alert, or None."""
    if _handle(mention.author.username) in rules.own_handles:
        return f"the brand's own post ({mention.author.handle})"
    phrase = rules.ignore.find(mention.text)
    if phrase is not None:
        return f"ignore phrase: '{phrase}'"
    lang = (mention.lang or "").lower()
    if rules.languages and lang not in ("", "und", "zxx") and lang not in rules.languages:
        return f"language '{lang}' not in {', '.join(sorted(rules.languages))}"
    return None


def is_complaint(scores: Scores, rules: BrandRules) -> bool:
    """The brand's threshold if set, else the model's own call."""
    if rules.complaint_threshold is None:
        return scores.is_complaint
    return scores.complaint_probability >= rules.complaint_threshold


def _qualify(mention: Mention, scores: Scores, rules: BrandRules, reasons: list[str]) -> bool:
    p = scores.complaint_probability
    complaint = is_complaint(scores, rules)
    if rules.complaint_threshold is None:
        reasons.append(f"complaint {p:.2f} ({'≥' if complaint else '<'} model threshold)")
    else:
        t = rules.complaint_threshold
        reasons.append(f"complaint {p:.2f} {'≥' if complaint else '<'} {t:.2f}")
    if not complaint:
        reasons[-1] = "not a " + reasons[-1]
    phrase = rules.escalate.find(mention.text)
    if phrase is not None:
        reasons.append(f"escalate phrase: '{phrase}'")
    signals = [
        s
        for s in _trusted_signals(scores, reasons)
        if s.name in ESCALATING_SIGNALS
        or (s.name in NEGATIVE_TONE_SIGNALS and scores.sentiment == "negative")
    ]
    if signals and not complaint and phrase is None:
        reasons.append(f"{signals[0].name} signal: '{signals[0].evidence}' acts on its own")
    return complaint or phrase is not None or bool(signals)


#: A phrase list matches words, not meaning ("Fire TV Stick 500 yen off!", "this deal
#: is fire"). Signals escalate whatever the tone, except a phrase-only match in a post the
#: model reads as positive and clearly not a complaint: that is a promo, not a fire.
PHRASE_SIGNAL_MIN_COMPLAINT = 0.25


def _corroborated(signal: Signal, scores: Scores) -> bool:
    if signal.source != "phrase" or scores.sentiment != "positive":
        return True
    return scores.complaint_probability >= PHRASE_SIGNAL_MIN_COMPLAINT


def _trusted_signals(scores: Scores, reasons: list[str] | None = None) -> list[Signal]:
    """The signals to act on; a discounted one is said so in ``reasons``."""
    kept = []
    for signal in scores.signals:
        if _corroborated(signal, scores):
            kept.append(signal)
        elif reasons is not None:
            reasons.append(
                f"{signal.name} phrase '{signal.evidence}' discounted: {scores.sentiment} tone, "
                f"complaint {scores.complaint_probability:.2f}"
            )
    return kept


def _priority(mention: Mention, scores: Scores, rules: BrandRules, reasons: list[str]) -> Priority:
    u = scores.urgency
    label = URGENCY_LEVELS[u] if 0 <= u < len(URGENCY_LEVELS) else "?"
    if u >= rules.page_urgency:
        priority = Priority.HIGH
        reasons.append(f"urgency {u} ({label}) ≥ page {rules.page_urgency}")
    elif u >= rules.min_urgency:
        priority = Priority.NORMAL
        reasons.append(f"urgency {u} ({label})")
    else:
        priority = Priority.LOW
        reasons.append(f"urgency {u} ({label}) < min {rules.min_urgency}")

    for signal in _trusted_signals(scores):
        ev = f"{signal.name} signal: '{signal.evidence}'"
        if signal.name == "safety":
            priority = Priority.CRITICAL
        elif signal.name in ESCALATING_SIGNALS:
            priority = max(priority, Priority.HIGH)
        elif signal.name in RAISING_SIGNALS and priority < Priority.HIGH:
            priority = Priority(priority + 1)
        else:
            continue
        reasons.append(ev)
    if rules.escalate.find(mention.text) is not None:
        priority = max(priority, Priority.HIGH)

    vip = _vip(mention, rules)
    if vip is not None:
        reasons.append(f"VIP: {vip}")
        # Reach lifts one step, but only signals and phrases make a post CRITICAL.
        if priority < Priority.HIGH:
            priority = Priority(priority + 1)
    return priority


def _vip(mention: Mention, rules: BrandRules) -> str | None:
    author = mention.author
    if _handle(author.username) in rules.vip_handles:
        return f"{author.handle} is on the VIP list"
    if rules.vip_followers and author.followers >= rules.vip_followers:
        return f"{human_count(author.followers)} followers"
    if author.verified_type in ("business", "government"):
        return f"verified {author.verified_type} account"
    return None


def human_count(n: int) -> str:
    """120000 -> '120k', 1500000 -> '1.5M'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if n >= 1_000:
        return f"{n / 1_000:.1f}".rstrip("0").rstrip(".") + "k"
    return str(n)


def _handle(h: str) -> str:
    return h.strip().lstrip("@").lower()


def _local_hm(at: datetime, rules: BrandRules) -> str:
    return at.astimezone(ZoneInfo(rules.timezone)).strftime("%H:%M")
