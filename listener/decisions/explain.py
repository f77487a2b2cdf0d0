"""What a card says about its decision: the decisive reasons, and a priority in words.

Pure functions of a :class:`~listener.domain.Verdict`, so Slack cards, the terminal,
``triage`` and the replay report explain a decision the same way. The reasons come from
``policy.decide`` in order of weight (what is at stake, why it is a complaint or a
request, where it went); on anything that was sent, reasons that argued against acting
are left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from listener.decisions.policy import AGAINST, HELD_PREFIX, URGENT_PREFIX
from listener.domain import Priority, Route, Verdict

__all__ = [
    "MAX_REASONS",
    "explain",
    "is_held_back",
    "reaches_slack",
    "shows_urgent",
    "urgency_label",
    "urgency_reason",
    "urgent_share",
]

#: A card shows at most this many reasons: the decisive ones come first.
MAX_REASONS = 4


def explain(verdict: Verdict, *, limit: int = MAX_REASONS) -> list[str]:
    """The reasons for ``verdict``'s action, strongest first (all of them when ignored)."""
    if verdict.route is Route.IGNORE:
        return list(verdict.reasons)
    kept = [r for r in verdict.reasons if not r.startswith(AGAINST)]
    return [r.removeprefix(URGENT_PREFIX) for r in kept][:limit]


def urgency_reason(verdict: Verdict) -> str:
    """What made the item urgent (``safety``, ``reach``, ``escalate phrase``…), or ``none``."""
    if verdict.priority < Priority.HIGH:
        return "none"
    first = next((r for r in verdict.reasons if r.startswith(URGENT_PREFIX)), None)
    if first is None:
        return "none"
    head = first.removeprefix(URGENT_PREFIX)
    return head.split(":", 1)[0].split(" (", 1)[0].strip()


def shows_urgent(verdict: Verdict) -> bool:
    """Whether ``urgency_label`` says *Urgent* (the card pinged): what the card's
    *Should (not) have pinged* button and the feedback export read the card as."""
    return verdict.route is not Route.IGNORE and verdict.priority >= Priority.HIGH


def urgency_label(verdict: Verdict) -> str:
    """The priority in words that agree with the route: "Urgent · safety", "Queued"."""
    if verdict.route is Route.IGNORE:
        return "Not a complaint"
    if shows_urgent(verdict):
        reason = urgency_reason(verdict)
        return "Urgent" + (f" · {reason}" if reason != "none" else "")
    if is_held_back(verdict):
        return "Not urgent · held for the digest"
    return "Not urgent · queued, no ping"


def is_held_back(verdict: Verdict) -> bool:
    """A card a budget kept out of Slack (it waits in the digest)."""
    return verdict.route is Route.DIGEST and any(r.startswith(HELD_PREFIX) for r in verdict.reasons)


def reaches_slack(verdict: Verdict) -> bool:
    """A complaint or request a person sees in Slack: a card or a thread reply."""
    return verdict.actionable and verdict.route in (Route.ALERT, Route.THREAD)


def urgent_share(verdicts: Iterable[Verdict]) -> tuple[int, int]:
    """(Slack items, how many of them are urgent): the figure issue 13 bounds."""
    items = urgent = 0
    for v in verdicts:
        if reaches_slack(v):
            items += 1
            urgent += v.priority >= Priority.HIGH
    return items, urgent
