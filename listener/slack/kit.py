"""Block Kit building blocks shared by every message: escaping-safe pieces. Pure.

Every piece of user text goes through ``escape_mrkdwn``; the only ``<…>`` control
sequences are written here (dates, our own links, user mentions), from IDs checked
against Slack's ID shapes first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from listener.domain import SlackRef
from listener.networks import network_label
from listener.ports import TriagedMention
from listener.slack.escape import (
    SECTION_TEXT_LIMIT,
    escape_mrkdwn,
    escape_url,
    strip_invisible,
    truncate,
)

__all__ = [
    "FALLBACK_SNIPPET",
    "FIELD_LIMIT",
    "GROUP_ID",
    "HEADER_LIMIT",
    "Block",
    "Message",
    "author_line",
    "button",
    "date_token",
    "link_line",
    "mrkdwn",
    "permalink",
    "plain",
    "quote",
    "user_mention",
]

Block = dict[str, Any]


HEADER_LIMIT = 150  # plain_text in a header block
FIELD_LIMIT = 2000  # each section field
FALLBACK_SNIPPET = 280

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
TS = re.compile(r"^\d+\.\d+$")


@dataclass(frozen=True, slots=True)
class Message:
    """A Slack message: the plain-text ``text`` fallback (always set) and its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def post_kwargs(self) -> dict[str, Any]:
        """Arguments for ``chat.postMessage``: previews of posted links stay off."""
        return {
            "text": strip_invisible(self.text),
            "blocks": self.blocks,
            "unfurl_links": False,
            "unfurl_media": False,
        }

    def update_kwargs(self) -> dict[str, Any]:
        """Arguments for ``chat.update`` (which takes no unfurl flags)."""
        return {"text": strip_invisible(self.text), "blocks": self.blocks}


def user_mention(user_id: str | None) -> str:
    """``<@U…>`` for a real-looking Slack user ID, else the escaped text."""
    if user_id and USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape_mrkdwn(user_id or "someone")


def permalink(ref: SlackRef) -> str | None:
    """A link to a message that works from any workspace domain."""
    if not (CHANNEL_ID.match(ref.channel) and TS.match(ref.ts)):
        return None
    return f"https://slack.com/archives/{ref.channel}/p{ref.ts.replace('.', '')}"


def date_token(when: datetime, fmt: str) -> str:
    """Slack renders this in each reader's own timezone; the fallback is UTC."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{fmt}|{fallback}>"


def plain(text: str, limit: int = HEADER_LIMIT) -> Block:
    # plain_text is not mrkdwn-escaped, but a bidi override reorders it all the same.
    return {"type": "plain_text", "text": truncate(strip_invisible(text), limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> Block:
    return {"type": "mrkdwn", "text": truncate(strip_invisible(text), limit)}


def quote(text: str) -> str:
    body = escape_mrkdwn(text, limit=SECTION_TEXT_LIMIT - 200)
    return "\n".join(f">{line}" for line in body.split("\n"))


def author_line(item: TriagedMention) -> str:
    author = item.mention.author
    verified = (
        "" if author.verified_type in ("", "none") else f" · verified ({author.verified_type})"
    )
    name = escape_mrkdwn(author.name, limit=100) if author.name else ""
    who = (
        f"*{name}* {escape_mrkdwn(author.handle)}" if name else f"*{escape_mrkdwn(author.handle)}*"
    )
    return f"{who} · {author.followers:,} followers{escape_mrkdwn(verified)}"


def link_line(item: TriagedMention) -> str:
    mention = item.mention
    network = escape_mrkdwn(network_label(mention.source))
    url = escape_url(mention.url) if mention.url else None
    link = f"<{url}|Open the post on {network}>" if url else "_no link to the post_"
    if mention.can_reply_via_api:
        how = f":white_check_mark: *Reply here*: the reply is posted publicly on {network}"
    else:
        how = (
            f":raised_hand: *Reply manually on {network}*: {network} takes no reply to this "
            "post from the brand's API client"
        )
    return f"{link}  ·  {how}"


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": plain(text, 75),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button
