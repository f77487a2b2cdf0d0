"""Suggested reply drafts, and the cost warning for replies with links. Pure.

A draft is a starting point a human edits in the Reply modal, never posted as is: it
greets the author by name, acknowledges the topic, and asks them to continue in DMs,
which keeps account details out of public. It contains no link on purpose: X charges
far more for a post with a URL (``x.prices.post_create_with_url``).
"""

from __future__ import annotations

import re

from classifiers.base import Scores
from listener.config import XPrices
from listener.domain import Mention

__all__ = ["MAX_REPLY_CHARS", "contains_url", "reply_cost_warning", "suggest_reply"]

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

# URLs as X detects them: a scheme, "www.", or a bare domain with a common TLD.
_URL = re.compile(
    r"(?:https?://\S+|www\.\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\."
    r"(?:com|net|org|io|co|ly|app|dev|ai|me|info|biz|us|uk|de|fr|gg|tv|link|shop)\b)",
    re.IGNORECASE,
)


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


def contains_url(text: str) -> bool:
    return _URL.search(text) is not None


def reply_cost_warning(text: str, prices: XPrices | None = None) -> str | None:
    """A warning when ``text`` has a URL (X bills those at a much higher rate), else None."""
    if not contains_url(text):
        return None
    p = prices or XPrices.model_validate({})
    return (
        f"This reply contains a link: X charges ${p.post_create_with_url:.2f} for it "
        f"instead of ${p.post_create:.2f}. Remove the link, or confirm to post anyway."
    )
