"""Decide what to do about one scored mention, and say why.

Pure: ``decide(mention, scores, rules, ctx, now=...)`` looks at nothing but its
arguments. Whatever needs the store or memory (the earlier alert in a conversation, the
incident a post joins, how many alerts a channel had this hour, the author's last alert,
a spike) is looked up by the decision engine (``listener.decisions.engine``) and handed
in as a frozen :class:`DecisionContext`.

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

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from classifiers.base import URGENCY_LEVELS, Scores, Signal
from listener.decisions.incidents import Incident
from listener.decisions.rules import BrandRules, handle_key
from listener.decisions.spikes import SpikeEvent
from listener.domain import AlertStatus, Mention, MentionKey, Priority, Route, Verdict

__all__ = [
    "DecisionContext",
    "Parent",
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


@dataclass(frozen=True, slots=True)
class Parent:
    """An earlier ALERT a post may join: what judging "thread under it?" needs to know."""

    key: MentionKey
    channel: str
    topic: str
    priority: Priority
    decided_at: datetime
    #: Where a human is with it now (Slack buttons), as the engine's lookup reports it.
    status: AlertStatus = AlertStatus.OPEN


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """What the engine looked up about a mention before deciding (memory and the store)."""

    #: The alert that opened this conversation's thread (one alert per conversation).
    conversation_alert: Parent | None = None
    #: The incident this post matched (before counting this post).
    incident: Incident | None = None
    #: The alert that opened the incident's thread, once there is one.
    incident_alert: Parent | None = None
    #: ALERT messages already sent or queued to the destination channel in the last hour.
    channel_alerts_last_hour: int = 0
    #: The author's most recent alert.
    author_last_alert: Parent | None = None
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
    conversation = ctx.conversation_alert
    if conversation is not None and conversation.key == mention.key:
        conversation = None
    if not qualifies:
        if conversation is not None:
            reasons.append("follow-up in an alerted conversation → thread")
            return verdict(
                Route.THREAD, Priority.LOW, reasons,
                actionable=False, thread_of=conversation.key,
            )
        return verdict(Route.IGNORE, Priority.NONE, reasons, actionable=False)

    priority = _priority(mention, scores, rules, reasons)
    if ctx.spike is not None:
        reasons.append(ctx.spike.describe())

    # One alert per conversation, then one per incident: later posts join the thread.
    if conversation is not None:
        reasons.append("same conversation as an earlier alert → thread")
        return verdict(Route.THREAD, priority, reasons, thread_of=conversation.key)
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
        and last.key != mention.key
        and now - last.decided_at < rules.author_cooldown
        and priority < Priority.CRITICAL
    ):
        ago = max(0, int((now - last.decided_at).total_seconds() // 60))
        reasons.append(f"cooldown: {mention.author.handle} alerted {ago} min ago → thread")
        return verdict(Route.THREAD, priority, reasons, thread_of=last.key, incident_id=inc_id)

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
    if handle_key(mention.author.username) in rules.own_handles:
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
    if handle_key(author.username) in rules.vip_handles:
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


def _local_hm(at: datetime, rules: BrandRules) -> str:
    return at.astimezone(ZoneInfo(rules.timezone)).strftime("%H:%M")
