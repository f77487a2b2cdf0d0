"""Block Kit payloads for alerts, status changes, escalations and thread replies.

Pure: no SDK calls, so the same payload goes to Slack (``notifier.SlackNotifier``) and to
the terminal (``notifier.TerminalNotifier``), and tests read it without a server. Every
piece of user text goes through ``escape_mrkdwn``; the only ``<…>`` control sequences in
a message are the ones written here (dates, the on-call group, our own links), built
from IDs that are checked against Slack's ID shapes first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from classifiers.base import URGENCY_LEVELS
from listener.domain import Alert, AlertKind, AlertStatus, Priority, SlackRef
from listener.ports import TriagedMention
from listener.slack.actions import (
    ACTION_IDS,
    ACTIONS_BLOCK_ID,
    CLAIM,
    NOT_COMPLAINT,
    OPEN_ON_X,
    REPLY,
    RESOLVE,
    SNOOZE,
    WRONG_URGENCY,
    ActionRef,
)
from listener.slack.escape import SECTION_TEXT_LIMIT, escape_mrkdwn, escape_url, truncate

__all__ = [
    "ACTION_IDS",
    "ActionRef",
    "Message",
    "alert_message",
    "escalation_message",
    "permalink",
    "reply_posted_message",
    "thread_reply_message",
]

Block = dict[str, Any]


HEADER_LIMIT = 150  # plain_text in a header block
FIELD_LIMIT = 2000  # each section field
FALLBACK_SNIPPET = 280

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_TS = re.compile(r"^\d+\.\d+$")

_PRIORITY_EMOJI = {
    Priority.CRITICAL: ":red_circle:",
    Priority.HIGH: ":large_orange_circle:",
    Priority.NORMAL: ":large_yellow_circle:",
    Priority.LOW: ":white_circle:",
    Priority.NONE: ":white_circle:",
}
_STATUS_LINE = {
    AlertStatus.CLAIMED: ":eyes: Claimed by {who}",
    AlertStatus.REPLIED: ":speech_balloon: Replied on X by {who}",
    AlertStatus.RESOLVED: ":white_check_mark: Resolved by {who}",
    AlertStatus.SNOOZED: ":zzz: Snoozed by {who}",
    AlertStatus.NOT_COMPLAINT: ":no_entry_sign: Marked not a complaint by {who}",
}


@dataclass(frozen=True, slots=True)
class Message:
    """A Slack message: the plain-text ``text`` fallback (always set) and its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def post_kwargs(self) -> dict[str, Any]:
        """Arguments for ``chat.postMessage``: previews of posted links stay off."""
        return {
            "text": self.text,
            "blocks": self.blocks,
            "unfurl_links": False,
            "unfurl_media": False,
        }

    def update_kwargs(self) -> dict[str, Any]:
        """Arguments for ``chat.update`` (which takes no unfurl flags)."""
        return {"text": self.text, "blocks": self.blocks}


def user_mention(user_id: str | None) -> str:
    """``<@U…>`` for a real-looking Slack user ID, else the escaped text."""
    if user_id and _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape_mrkdwn(user_id or "someone")


def permalink(ref: SlackRef) -> str | None:
    """A link to a message that works from any workspace domain."""
    if not (_CHANNEL_ID.match(ref.channel) and _TS.match(ref.ts)):
        return None
    return f"https://slack.com/archives/{ref.channel}/p{ref.ts.replace('.', '')}"


def _date_token(when: datetime, fmt: str) -> str:
    """Slack renders this in each reader's own timezone; the fallback is UTC."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{fmt}|{fallback}>"


def _plain(text: str, limit: int = HEADER_LIMIT) -> Block:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def _mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> Block:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def _quote(text: str) -> str:
    body = escape_mrkdwn(text, limit=SECTION_TEXT_LIMIT - 200)
    return "\n".join(f">{line}" for line in body.split("\n"))


def _author_line(item: TriagedMention) -> str:
    author = item.mention.author
    verified = (
        "" if author.verified_type in ("", "none") else f" · verified ({author.verified_type})"
    )
    name = escape_mrkdwn(author.name, limit=100) if author.name else ""
    who = (
        f"*{name}* {escape_mrkdwn(author.handle)}" if name else f"*{escape_mrkdwn(author.handle)}*"
    )
    return f"{who} · {author.followers:,} followers{escape_mrkdwn(verified)}"


def _link_line(item: TriagedMention) -> str:
    mention = item.mention
    url = escape_url(mention.url) if mention.url else None
    link = f"<{url}|Open the post on X>" if url else "_no link to the post_"
    if mention.can_reply_via_api:
        how = ":white_check_mark: *Reply here*: the post mentions or quotes the brand"
    else:
        how = (
            ":raised_hand: *Reply manually on X*: the API may only reply to posts "
            "that mention or quote the brand"
        )
    return f"{link}  ·  {how}"


def _fields(item: TriagedMention, sla_minutes: int) -> list[Block]:
    scores, verdict, mention = item.scores, item.verdict, item.mention
    out: list[str] = []
    if scores is not None:
        level = URGENCY_LEVELS[scores.urgency] if 0 <= scores.urgency < len(URGENCY_LEVELS) else "?"
        sentiment_p = scores.sentiment_scores.get(scores.sentiment)
        sentiment = escape_mrkdwn(scores.sentiment)
        if sentiment_p is not None:
            sentiment += f" ({sentiment_p:.2f})"
        out += [
            f"*Sentiment*\n{sentiment}",
            f"*Complaint*\n{scores.complaint_probability:.0%}",
            f"*Urgency*\n{scores.urgency} · {level}",
            f"*Topic*\n{escape_mrkdwn(scores.topic, limit=200)}",
        ]
    if verdict is not None:
        out.append(f"*Priority*\n{verdict.priority.name.title()}")
        incident = (
            f"`{escape_mrkdwn(verdict.incident_id, limit=100)}`" if verdict.incident_id else "—"
        )
        out.append(f"*Incident*\n{incident}")
    deadline = mention.created_at + timedelta(minutes=sla_minutes)
    out.append(f"*Reply by*\n{_date_token(deadline, '{date_short_pretty} {time}')}")
    if mention.found_by:
        out.append(f"*Found by*\n{escape_mrkdwn(mention.found_by, limit=200)}")
    return [_mrkdwn(text, FIELD_LIMIT) for text in out[:10]]


def _why(item: TriagedMention) -> Block | None:
    elements: list[Block] = []
    if item.verdict is not None and item.verdict.reasons:
        reasons = " · ".join(escape_mrkdwn(r) for r in item.verdict.reasons)
        elements.append(_mrkdwn(f"*Why:* {reasons}"))
    if item.scores is not None and item.scores.signals:
        signals = ", ".join(
            f"{escape_mrkdwn(s.name)} (“{escape_mrkdwn(s.evidence, limit=100)}”)"
            for s in item.scores.signals
        )
        elements.append(_mrkdwn(f"*Signals:* {signals}"))
    if item.scores is not None and item.scores.explanation:
        elements.append(_mrkdwn(f"*Model:* {escape_mrkdwn(item.scores.explanation)}"))
    return {"type": "context", "elements": elements} if elements else None


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": _plain(text, 75),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _actions(item: TriagedMention, ref: ActionRef, status: AlertStatus) -> Block | None:
    if status in (AlertStatus.RESOLVED, AlertStatus.NOT_COMPLAINT):
        return None
    value = ref.encode()
    elements: list[Block] = []
    if status in (AlertStatus.OPEN, AlertStatus.SNOOZED):
        elements.append(_button("Claim", CLAIM, value, "primary"))
    if status != AlertStatus.REPLIED:
        url = escape_url(item.mention.url) if item.mention.url else None
        if item.mention.can_reply_via_api:
            elements.append(_button("Reply", REPLY, value))
        elif url:
            manual = _button("Reply manually on X", OPEN_ON_X, value)
            manual["url"] = item.mention.url
            elements.append(manual)
    elements.append(_button("Resolve", RESOLVE, value))
    if status != AlertStatus.SNOOZED:
        elements.append(_button("Snooze", SNOOZE, value))
    elements.append(_button("Not a complaint", NOT_COMPLAINT, value, "danger"))
    elements.append(
        {
            "type": "static_select",
            "action_id": WRONG_URGENCY,
            "placeholder": _plain("Wrong urgency?", 150),
            "options": [
                {
                    "text": _plain(f"{level} · {name}", 75),
                    "value": ActionRef(ref.alert_id, ref.mention, level).encode(),
                }
                for level, name in enumerate(URGENCY_LEVELS)
            ],
        }
    )
    return {"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": elements}


def _header_text(item: TriagedMention) -> tuple[str, str]:
    """(emoji + label for the header, plain label for the fallback)."""
    verdict, scores = item.verdict, item.scores
    priority = verdict.priority if verdict is not None else Priority.NORMAL
    kind = "Complaint" if scores is not None and scores.is_complaint else "Mention"
    topic = f" · {scores.topic}" if scores is not None and scores.topic else ""
    label = f"{priority.name.title()} {kind.lower()} from {item.mention.author.handle}{topic}"
    return f"{_PRIORITY_EMOJI[priority]} {label}", label


def alert_message(
    item: TriagedMention,
    alert: Alert,
    *,
    sla_minutes: int,
    status: AlertStatus | None = None,
    actor: str | None = None,
    note: str = "",
    reply_url: str | None = None,
) -> Message:
    """The alert, as first posted (status OPEN) or as edited after a button press."""
    status = status if status is not None else alert.status
    actor = actor if actor is not None else alert.claimed_by
    header, label = _header_text(item)
    blocks: list[Block] = [
        {"type": "header", "text": _plain(header)},
        {"type": "section", "text": _mrkdwn(f"{_author_line(item)}\n{_quote(item.mention.text)}")},
        {"type": "section", "fields": _fields(item, sla_minutes)},
    ]
    why = _why(item)
    if why is not None:
        blocks.append(why)
    blocks.append({"type": "section", "text": _mrkdwn(_link_line(item))})
    if status != AlertStatus.OPEN:
        line = _STATUS_LINE[status].format(who=user_mention(actor))
        if note:
            line += f": {escape_mrkdwn(note, limit=1000)}"
        url = escape_url(reply_url) if reply_url else None
        if url:
            line += f" · <{url}|the reply>"
        blocks.append({"type": "context", "elements": [_mrkdwn(line)]})
    actions = _actions(item, ActionRef(alert.id, item.mention.key), status)
    if actions is not None:
        blocks.append(actions)
    snippet = escape_mrkdwn(item.mention.text, limit=FALLBACK_SNIPPET)
    state = "" if status == AlertStatus.OPEN else f" [{status.value}]"
    text = f"{escape_mrkdwn(label)}{state}: {snippet}"
    return Message(text=text, blocks=blocks)


def escalation_message(
    item: TriagedMention,
    primary: Alert | None,
    *,
    oncall_group: str,
    minutes: int,
) -> Message:
    """An urgent alert nobody claimed: pings the on-call group (our text, not the post's)."""
    ping = f"<!subteam^{oncall_group}>" if _GROUP_ID.match(oncall_group) else "On-call"
    _, label = _header_text(item)
    headline = f"{ping} unclaimed for {minutes} min: {escape_mrkdwn(label)}"
    where = permalink(primary.slack) if primary is not None and primary.slack else None
    lines = [headline, _quote(item.mention.text)]
    if where:
        lines.append(f"<{where}|Open the original alert>")
    blocks: list[Block] = [
        {"type": "header", "text": _plain(":rotating_light: Urgent and unclaimed")},
        {"type": "section", "text": _mrkdwn("\n".join(lines))},
        {"type": "section", "text": _mrkdwn(_link_line(item))},
    ]
    ref = ActionRef(primary.id if primary else None, item.mention.key)
    blocks.append(
        {
            "type": "actions",
            "block_id": ACTIONS_BLOCK_ID,
            "elements": [_button("Claim", CLAIM, ref.encode(), "primary")],
        }
    )
    snippet = escape_mrkdwn(item.mention.text, limit=FALLBACK_SNIPPET)
    return Message(text=f"{headline}: {snippet}", blocks=blocks)


def thread_reply_message(item: TriagedMention) -> Message:
    """A follow-up post in an incident or conversation, as a reply in the alert's thread."""
    scores = item.scores
    facts: list[str] = []
    if scores is not None:
        facts.append(f"urgency {scores.urgency}")
        facts.append(f"complaint {scores.complaint_probability:.0%}")
        facts.append(escape_mrkdwn(scores.topic, limit=200))
    if item.verdict is not None and item.verdict.incident_id:
        facts.append(f"incident `{escape_mrkdwn(item.verdict.incident_id, limit=100)}`")
    blocks: list[Block] = [
        {"type": "section", "text": _mrkdwn(f"{_author_line(item)}\n{_quote(item.mention.text)}")},
    ]
    if facts:
        blocks.append({"type": "context", "elements": [_mrkdwn(" · ".join(facts))]})
    blocks.append({"type": "section", "text": _mrkdwn(_link_line(item))})
    handle = escape_mrkdwn(item.mention.author.handle)
    snippet = escape_mrkdwn(item.mention.text, limit=FALLBACK_SNIPPET)
    return Message(text=f"Follow-up from {handle}: {snippet}", blocks=blocks)


def reply_posted_message(
    user_id: str, url: str, text: str, warnings: Sequence[str] = ()
) -> Message:
    """Posted in the alert's thread once a public reply is live on X."""
    safe_url = escape_url(url)
    link = f"<{safe_url}|View the reply on X>" if safe_url else escape_mrkdwn(url)
    lines = [f"{user_mention(user_id)} replied on X: {link}", _quote(text)]
    lines += [f":warning: {escape_mrkdwn(w)}" for w in warnings]
    body = "\n".join(lines)
    return Message(
        text=f"{user_mention(user_id)} replied on X: {escape_mrkdwn(url)}",
        blocks=[{"type": "section", "text": _mrkdwn(body)}],
    )


def render(
    alert: Alert,
    item: TriagedMention,
    *,
    sla_minutes: int,
    oncall_group: str,
    escalation_minutes: int,
    primary: Alert | None = None,
) -> Message:
    """The message an outbox row stands for, by its kind."""
    if alert.kind == AlertKind.ESCALATION:
        return escalation_message(
            item, primary, oncall_group=oncall_group, minutes=escalation_minutes
        )
    if alert.kind == AlertKind.THREAD_REPLY:
        return thread_reply_message(item)
    source = primary if alert.kind == AlertKind.UPDATE and primary is not None else alert
    return alert_message(item, source, sla_minutes=sla_minutes)
