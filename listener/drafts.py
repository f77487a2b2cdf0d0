"""Suggested reply drafts. Pure.

A draft is a starting point a human edits in the Reply modal, never posted as is: it
greets the author by name, acknowledges the topic, and asks them to continue in DMs,
which keeps account details out of public. It contains no link on purpose: networks
may charge more for a post with one (X does: ``listener.x.pricing``).
"""

from __future__ import annotations

import re

from classifiers.base import Scores
from listener.domain import Mention

__all__ = ["MAX_REPLY_CHARS", "suggest_reply"]

MAX_REPLY_CHARS = 280

_TOPIC_LINES = {
    "delivery": "Sorry your order hasn't turned up as it should.",
    "billing/refund": "Sorry about the trouble with your payment.",
    "product defect": "Sorry the product isn't working as it should.",
    "account/login": "Sorry you're having trouble getting into your account.",
    "customer service": "Sorry about the experience you had with our team.",
    "outage": "Sorry about the disruption, we're on it.",
    "safety": "Thank you for flagging this; safety comes first for us.",
    "pricing": "Thanks for the honest feedback on pricing.",
}
_DEFAULT_LINE = "Sorry to hear about this."

_TONES = {
    "friendly": ("Hi {name}! ", "Could you send us a DM so we can sort it out together?"),
    "formal": (
        "Hello {name}, ",
        "Please send us a direct message with the details and we will look into it.",
    ),
    "casual": ("Hey {name}, ", "Drop us a DM and we'll get this fixed."),
}

def _first_name(mention: Mention) -> str:
    name = re.sub(r"[^\w' -]", "", mention.author.name).strip()
    first = name.split(" ")[0] if name else ""
    return first if first else mention.author.handle


def suggest_reply(
    mention: Mention, scores: Scores | None = None, *, brand: str = "", tone: str = "friendly"
) -> str:
    """A short, personal first reply in the brand's ``tone`` (friendly, formal, casual)."""
    opening, closing = _TONES.get(tone.strip().lower(), _TONES["friendly"])
    topic = scores.topic if scores is not None else ""
    middle = _TOPIC_LINES.get(topic, _DEFAULT_LINE)
    sign = f" – {brand} team" if brand else ""
    draft = f"{opening.format(name=_first_name(mention))}{middle} {closing}{sign}"
    if len(draft) > MAX_REPLY_CHARS:
        draft = f"{opening.format(name=mention.author.handle)}{middle} {closing}"
    return draft[:MAX_REPLY_CHARS]
