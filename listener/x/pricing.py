"""What X bills, from ``settings.x.prices``: the only module that knows X's prices.

Reads are billed per post (the owned mentions timeline cheaper than search and the
stream); replies per post created, much more when the text has a URL. Sources and the
replier ask here; the core only ever sees the resulting USD (``SourceInfo.read_cost``,
``PublicReplier.cost_warning``).
"""

from __future__ import annotations

import re

from listener.config import XPrices

__all__ = ["contains_url", "read_price", "reply_cost_warning"]

# URLs as X detects them: a scheme, "www.", or a bare domain with a common TLD.
_URL = re.compile(
    r"(?:https?://\S+|www\.\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\."
    r"(?:com|net|org|io|co|ly|app|dev|ai|me|info|biz|us|uk|de|fr|gg|tv|link|shop)\b)",
    re.IGNORECASE,
)


def read_price(prices: XPrices, kind: str) -> float:
    """USD per post read by a source of ``kind`` ("owned", "search", "stream")."""
    return prices.owned_read if kind == "owned" else prices.post_read


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
