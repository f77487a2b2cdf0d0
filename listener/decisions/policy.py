"""Decide what to do about one scored mention, and say why.

Pure: ``decide(mention, scores, rules, ctx, now=...)`` looks at nothing but its
arguments. Whatever needs the store or memory (the earlier alert in a conversation, the
incident a post joins, how many cards a channel had this hour, the author's last alert,
a spike) is looked up by the decision engine (``listener.decisions.engine``) and handed
in as a frozen :class:`DecisionContext`.

Order of the rules (the first that settles the route wins):

1. never alert: the brand's own posts, ignore phrases, languages not kept;
2. the urgency model (``listener.decisions.urgency``): a complaint or a request for help
   to the brand reaches Slack, anything else is ignored (a follow-up in an alerted,
   open conversation joins its thread as context); an escalate phrase makes a
   complaint or request urgent;
3. where: an urgent item goes to ``topic_channels[reason]`` (safety, outage, legal…),
   else ``topic_channels[topic]``, else the brand's channel, and pings; an item that is
   not urgent goes to the brand's queue channel, with the same buttons and no ping;
4. threads: same conversation, then same incident, then the author's cooldown join the
   earlier alert's thread, but never one that is closed (resolved, not a complaint), is
   less urgent than this post, or (for the cooldown) is about another topic or channel;
5. budgets: an urgent item is sent over its channel's hourly budget; a queued one over
   the queue's budget is held back for the digest, and says so.

Reasons come in order of weight: what made it urgent, why it is a complaint or request,
then where it went. An alert lists only the reasons for it (:mod:`explain`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from classifiers.base import Scores
from listener.decisions.incidents import Incident
from listener.decisions.rules import BrandRules, handle_key
from listener.decisions.spikes import SpikeEvent
from listener.decisions.urgency import Assessment, assess, human_count
from listener.domain import AlertStatus, Mention, MentionKey, Priority, Route, Verdict

__all__ = [
    "AGAINST",
    "HELD_PREFIX",
    "URGENT_PREFIX",
    "DecisionContext",
    "Parent",
    "assess_with_rules",
    "blocked_reason",
    "decide",
    "destination",
    "human_count",
    "is_complaint",
]

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
    assessment: Assessment | None = None,
) -> Verdict:
    """The verdict about ``mention``; every verdict carries its reasons."""
    ctx = ctx or DecisionContext()

    def verdict(
        route: Route,
        priority: Priority,
        reasons: list[str],
        *,
        channel: str | None = None,
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

    a = assessment or assess_with_rules(mention, scores, rules)
    conversation = ctx.conversation_alert
    if conversation is not None and conversation.key == mention.key:
        conversation = None
    if not a.reaches_slack:
        reasons = [*a.evidence, *(f"{AGAINST}{x}" for x in a.against)]
        if conversation is not None and not _closed(conversation):
            reasons = [*a.evidence, "follow-up in an alerted conversation → thread"]
            return verdict(
                Route.THREAD, Priority.LOW, reasons, channel=conversation.channel,
                actionable=False, thread_of=conversation.key,
            )
        return verdict(Route.IGNORE, Priority.NONE, reasons, actionable=False)

    priority, channel = destination(a, mention, scores, rules)
    reasons = list(a.evidence)
    if priority > a.priority:
        phrase = rules.escalate.find(mention.text)
        reasons.insert(0, f"{URGENT_PREFIX}escalate phrase: '{phrase}'")
    urgent = priority >= Priority.HIGH
    if ctx.spike is not None:
        reasons.append(ctx.spike.describe())

    # One alert per conversation, then one per incident: later posts join the thread.
    if conversation is not None:
        why = _unjoinable(conversation, priority)
        if why is None:
            reasons.append("same conversation as an earlier alert → thread")
            return verdict(Route.THREAD, priority, reasons, channel=conversation.channel,
                           thread_of=conversation.key)
        reasons.append(f"earlier alert in this conversation is {why} → new card")
    inc = ctx.incident
    inc_id = inc.id if inc is not None else None
    if inc is not None:
        joins = (
            f"joins incident '{inc.topic}' since {_local_hm(inc.first_seen, rules)} "
            f"({inc.count + 1} posts)"
        )
        parent = ctx.incident_alert
        if inc.alert_of is not None and inc.alert_of != mention.key:
            why = _unjoinable(parent, priority) if parent is not None else None
            if why is None:
                reasons.append(joins + " → thread")
                return verdict(Route.THREAD, priority, reasons, channel=channel,
                               thread_of=inc.alert_of, incident_id=inc_id)
            reasons.append(f"{joins}; its alert is {why} → new card")
        else:
            reasons.append(joins)

    quiet = rules.is_quiet(now)
    if urgent:
        reasons.append(f"→ {channel}, pings" + (f" ({quiet}, but urgent)" if quiet else ""))
    else:
        reasons.append(f"not urgent → {channel}, no ping")

    last = ctx.author_last_alert
    if (
        last is not None
        and last.key != mention.key
        and now - last.decided_at < rules.author_cooldown
        and priority < Priority.CRITICAL
    ):
        why = _unjoinable(last, priority) or _elsewhere(last, scores, channel)
        if why is None:
            ago = max(0, int((now - last.decided_at).total_seconds() // 60))
            reasons[-1] = f"cooldown: {mention.author.handle} alerted {ago} min ago → thread"
            return verdict(Route.THREAD, priority, reasons, channel=last.channel,
                           thread_of=last.key, incident_id=inc_id)

    budget = rules.budget_of(channel)
    if ctx.channel_alerts_last_hour >= budget:
        used = f"{ctx.channel_alerts_last_hour}/{budget} this hour"
        if not urgent:
            reasons[-1] = f"{HELD_PREFIX}{channel} over budget ({used}) → digest"
            return verdict(Route.DIGEST, priority, reasons, channel=channel,
                           incident_id=inc_id)
        reasons.append(f"{channel} over budget ({used}), but urgent: sent")
    return verdict(Route.ALERT, priority, reasons, channel=channel, incident_id=inc_id)


#: Prefix of the reasons that argued against acting (kept only on ignored posts).
AGAINST = "against: "
#: Prefix of the first reason of an urgent verdict: what is at stake.
URGENT_PREFIX = "urgent · "
#: Prefix of the reason a card was held back by a budget.
HELD_PREFIX = "held back: "


def assess_with_rules(mention: Mention, scores: Scores, rules: BrandRules) -> Assessment:
    """The urgency model's answer, its first reason marked when the post is urgent."""
    a = assess(mention, scores, rules)
    if a.urgent and a.evidence and not a.evidence[0].startswith(URGENT_PREFIX):
        a = dataclasses.replace(a, evidence=(URGENT_PREFIX + a.evidence[0], *a.evidence[1:]))
    return a


def destination(
    a: Assessment, mention: Mention, scores: Scores, rules: BrandRules
) -> tuple[Priority, str]:
    """The priority (an escalate phrase makes a complaint urgent) and the channel: an
    urgent item's by what made it urgent, any other item's queue."""
    priority = a.priority
    if a.reaches_slack and priority < Priority.HIGH and rules.escalate.find(mention.text):
        priority = Priority.HIGH
    if priority >= Priority.HIGH:
        reason = a.reason if a.urgent else "none"
        return priority, rules.channel_for(scores.topic, reason)
    return priority, rules.queue_channel


def _closed(parent: Parent) -> bool:
    return parent.status in (AlertStatus.RESOLVED, AlertStatus.NOT_COMPLAINT)


def _unjoinable(parent: Parent, priority: Priority) -> str | None:
    """Why this post must not join ``parent``'s thread, or None."""
    if _closed(parent):
        return f"closed ({parent.status.value.replace('_', ' ')})"
    if priority > parent.priority:
        return f"less urgent ({parent.priority.name.lower()})"
    return None


def _elsewhere(parent: Parent, scores: Scores, channel: str) -> str | None:
    if parent.topic != scores.topic or parent.channel != channel:
        return "about another topic"
    return None


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
    """The model's complaint call (the brand's threshold if set): what spikes count."""
    if rules.complaint_threshold is None:
        return scores.is_complaint
    return scores.complaint_probability >= rules.complaint_threshold


def _local_hm(at: datetime, rules: BrandRules) -> str:
    return at.astimezone(ZoneInfo(rules.timezone)).strftime("%H:%M")
