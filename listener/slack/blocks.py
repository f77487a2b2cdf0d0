"""Block Kit payloads for alerts, status changes, escalations and thread replies.

Pure: no SDK calls, so the same payload goes to Slack (``notifier.SlackNotifier``) and to
the terminal (``notifier.TerminalNotifier``), and tests read it without a server. Every
piece of user text goes through ``escape_mrkdwn``; the only ``<…>`` control sequences in
a message are the ones written here (dates, the on-call group, our own links), built
from IDs that are checked against Slack's ID shapes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from classifiers.base import URGENCY_LEVELS
from listener import lifecycle
from listener.decisions.explain import explain, urgency_label
from listener.domain import Alert, AlertKind, AlertStatus, Feedback, Priority
from listener.networks import network_label
from listener.ports import TriagedMention
from listener.slack import marks
from listener.slack.actions import (
    ACTION_IDS,
    ACTIONS_BLOCK_ID,
    CLAIM,
    NOT_COMPLAINT,
    OPEN_ON_X,
    REPLY,
    RESOLVE,
    SNOOZE,
    ActionRef,
)
from listener.slack.escape import escape_mrkdwn, escape_url
from listener.slack.kit import (
    FALLBACK_SNIPPET,
    FIELD_LIMIT,
    GROUP_ID,
    Block,
    Message,
    author_line,
    button,
    date_token,
    link_line,
    mrkdwn,
    permalink,
    plain,
    quote,
    user_mention,
)

__all__ = [
    "ACTION_IDS",
    "ActionRef",
    "Block",
    "Message",
    "alert_message",
    "escalation_message",
    "permalink",
    "render",
    "reply_posted_message",
    "spike_message",
    "thread_reply_message",
    "user_mention",
]

_PRIORITY_EMOJI = {
    Priority.CRITICAL: ":red_circle:",
    Priority.HIGH: ":large_orange_circle:",
    Priority.NORMAL: ":large_yellow_circle:",
    Priority.LOW: ":white_circle:",
    Priority.NONE: ":white_circle:",
}
POSSIBLE_COPY = (
    ":warning: This may be a second copy: an earlier send was cut off before Slack's answer "
    "arrived. If the first copy is here too, use either; the buttons act on the same alert."
)
_STATUS_LINE = {
    AlertStatus.CLAIMED: ":eyes: Claimed by {who}",
    AlertStatus.REPLIED: ":speech_balloon: Replied on {network} by {who}",
    AlertStatus.RESOLVED: ":white_check_mark: Resolved by {who}",
    AlertStatus.SNOOZED: ":zzz: Snoozed by {who}",
    AlertStatus.NOT_COMPLAINT: ":no_entry_sign: Marked not a complaint by {who}",
}


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
            f"*Urgency*\n{urgency_label(verdict) if verdict is not None else level}",
            f"*Topic*\n{escape_mrkdwn(scores.topic, limit=200)}",
        ]
    if verdict is not None:
        out.append(f"*Priority*\n{verdict.priority.name.title()}")
        incident = (
            f"`{escape_mrkdwn(verdict.incident_id, limit=100)}`" if verdict.incident_id else "—"
        )
        out.append(f"*Incident*\n{incident}")
    deadline = mention.created_at + timedelta(minutes=sla_minutes)
    out.append(f"*Reply by*\n{date_token(deadline, '{date_short_pretty} {time}')}")
    if mention.found_by:
        out.append(f"*Found by*\n{escape_mrkdwn(mention.found_by, limit=200)}")
    return [mrkdwn(text, FIELD_LIMIT) for text in out[:10]]


def _why(item: TriagedMention) -> Block | None:
    elements: list[Block] = []
    # Only the decisive reasons (listener.decisions.explain): the model's own signal list
    # and summary would put back what the decision weighed and set aside.
    if item.verdict is not None and (reasons := explain(item.verdict)):
        elements.append(mrkdwn(f"*Why:* {' · '.join(escape_mrkdwn(r) for r in reasons)}"))
    return {"type": "context", "elements": elements} if elements else None


def _actions(
    item: TriagedMention, ref: ActionRef, status: AlertStatus, *, marked: bool
) -> Block | None:
    """The buttons of the moves ``listener.lifecycle`` allows from ``status``, and no
    others, then the urgency button (``marks``) unless the card was ``marked``."""
    if status in lifecycle.FINAL:
        return None
    value = ref.encode()
    elements: list[Block] = []
    if lifecycle.can_move(status, AlertStatus.CLAIMED):
        elements.append(button("Claim", CLAIM, value, "primary"))
    if lifecycle.can_move(status, AlertStatus.REPLIED):
        url = escape_url(item.mention.url) if item.mention.url else None
        if item.mention.can_reply_via_api:
            elements.append(button("Reply", REPLY, value))
        elif url:
            network = network_label(item.mention.source)
            manual = button(f"Reply manually on {network}", OPEN_ON_X, value)
            manual["url"] = item.mention.url
            elements.append(manual)
    elements.append(button("Resolve", RESOLVE, value))
    if lifecycle.can_move(status, AlertStatus.SNOOZED):
        elements.append(button("Snooze", SNOOZE, value))
    if lifecycle.can_move(status, AlertStatus.NOT_COMPLAINT):
        elements.append(button("Not a complaint", NOT_COMPLAINT, value, "danger"))
    # A training label, not a move: offered while the card has buttons, until someone
    # has clicked it (the card then says who, ``marks.mark_line``).
    ping = marks.ping_button(item, value) if not marked else None
    if ping is not None:
        elements.append(ping)
    return {"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": elements}


def _status_line(
    item: TriagedMention,
    status: AlertStatus,
    actor: str | None,
    note: str = "",
    reply_url: str | None = None,
) -> Block:
    line = _STATUS_LINE[status].format(
        who=user_mention(actor), network=escape_mrkdwn(network_label(item.mention.source))
    )
    if note:
        line += f": {escape_mrkdwn(note, limit=1000)}"
    url = escape_url(reply_url) if reply_url else None
    if url:
        line += f" · <{url}|the reply>"
    return {"type": "context", "elements": [mrkdwn(line)]}


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
    mark: Feedback | None = None,
) -> Message:
    """The alert, as first posted (status OPEN) or as edited after a button press;
    ``mark``: the *Should (not) have pinged* label someone gave it (``urgency_mark``)."""
    status = status if status is not None else alert.status
    actor = actor if actor is not None else alert.claimed_by
    header, label = _header_text(item)
    blocks: list[Block] = [
        {"type": "header", "text": plain(header)},
        {"type": "section", "text": mrkdwn(f"{author_line(item)}\n{quote(item.mention.text)}")},
        {"type": "section", "fields": _fields(item, sla_minutes)},
    ]
    why = _why(item)
    if why is not None:
        blocks.append(why)
    blocks.append({"type": "section", "text": mrkdwn(link_line(item))})
    if status != AlertStatus.OPEN:
        blocks.append(_status_line(item, status, actor, note, reply_url))
    if mark is not None:
        blocks.append(marks.mark_line(mark))
    actions = _actions(item, ActionRef(alert.id, item.mention.key), status, marked=mark is not None)
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
    actor: str | None = None,
) -> Message:
    """An urgent alert nobody claimed: pings the on-call group (our text, not the post's).

    Redrawn from the primary alert's status whenever it changes: once someone took it,
    the ping and the Claim button are gone and the message says who did what.
    """
    status = primary.status if primary is not None else AlertStatus.OPEN
    waiting = lifecycle.can_move(status, AlertStatus.CLAIMED)
    _, label = _header_text(item)
    if status == AlertStatus.OPEN:
        ping = f"<!subteam^{oncall_group}>" if GROUP_ID.match(oncall_group) else "On-call"
        headline = f"{ping} unclaimed for {minutes} min: {escape_mrkdwn(label)}"
    else:
        headline = f"Was unclaimed for {minutes} min: {escape_mrkdwn(label)}"
    where = permalink(primary.slack) if primary is not None and primary.slack else None
    lines = [headline, quote(item.mention.text)]
    if where:
        lines.append(f"<{where}|Open the original alert>")
    title = ":rotating_light: Urgent and unclaimed" if waiting else ":rotating_light: Urgent"
    blocks: list[Block] = [
        {"type": "header", "text": plain(title)},
        {"type": "section", "text": mrkdwn("\n".join(lines))},
        {"type": "section", "text": mrkdwn(link_line(item))},
    ]
    if status != AlertStatus.OPEN:
        who = actor if actor is not None else (primary.claimed_by if primary else None)
        blocks.append(_status_line(item, status, who))
    if waiting:
        ref = ActionRef(primary.id if primary else None, item.mention.key)
        blocks.append(
            {
                "type": "actions",
                "block_id": ACTIONS_BLOCK_ID,
                "elements": [button("Claim", CLAIM, ref.encode(), "primary")],
            }
        )
    snippet = escape_mrkdwn(item.mention.text, limit=FALLBACK_SNIPPET)
    state = "" if status == AlertStatus.OPEN else f" [{status.value}]"
    return Message(text=f"{headline}{state}: {snippet}", blocks=blocks)


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
        {"type": "section", "text": mrkdwn(f"{author_line(item)}\n{quote(item.mention.text)}")},
    ]
    if facts:
        blocks.append({"type": "context", "elements": [mrkdwn(" · ".join(facts))]})
    blocks.append({"type": "section", "text": mrkdwn(link_line(item))})
    handle = escape_mrkdwn(item.mention.author.handle)
    snippet = escape_mrkdwn(item.mention.text, limit=FALLBACK_SNIPPET)
    return Message(text=f"Follow-up from {handle}: {snippet}", blocks=blocks)


def reply_posted_message(
    user_id: str, url: str, text: str, warnings: Sequence[str] = (), *, network: str = "X"
) -> Message:
    """Posted in the alert's thread once a public reply is live on its network."""
    net = escape_mrkdwn(network)
    safe_url = escape_url(url)
    link = f"<{safe_url}|View the reply on {net}>" if safe_url else escape_mrkdwn(url)
    lines = [f"{user_mention(user_id)} replied on {net}: {link}", quote(text)]
    lines += [f":warning: {escape_mrkdwn(w)}" for w in warnings]
    body = "\n".join(lines)
    return Message(
        text=f"{user_mention(user_id)} replied on {net}: {escape_mrkdwn(url)}",
        blocks=[{"type": "section", "text": mrkdwn(body)}],
    )


def spike_message(item: TriagedMention) -> Message:
    """A sudden rise in volume or complaint share: a notice, no buttons.

    The message is the verdict's ``spike: ...`` reason (what rose, against what usual);
    the post that tipped it is only named, it is not what the notice is about.
    """
    reasons = item.verdict.reasons if item.verdict is not None else ()
    spikes = [r for r in reasons if r.startswith("spike: ")] or ["spike: more posts than usual"]
    brand = item.mention.brand or "All brands"
    what = "\n".join(f"*{escape_mrkdwn(r.removeprefix('spike: '), limit=500)}*" for r in spikes)
    mention = item.mention
    url = escape_url(mention.url) if mention.url else None
    tipped = escape_mrkdwn(mention.author.handle)
    if url:
        tipped = f"<{url}|{tipped}'s post on {escape_mrkdwn(network_label(mention.source))}>"
    blocks: list[Block] = [
        {"type": "header", "text": plain(f":chart_with_upwards_trend: Spike · {brand}")},
        {"type": "section", "text": mrkdwn(what)},
        {"type": "context", "elements": [mrkdwn(
            f"Tipped by {tipped} at {date_token(mention.created_at, '{time}')}. "
            "The posts themselves arrive as alerts or in the digest.")]},
    ]
    text = f"Spike for {escape_mrkdwn(brand)}: " + "; ".join(
        escape_mrkdwn(r.removeprefix("spike: ")) for r in spikes)
    return Message(text=text, blocks=blocks)


def render(
    alert: Alert,
    item: TriagedMention,
    *,
    sla_minutes: int,
    oncall_group: str,
    escalation_minutes: int,
    primary: Alert | None = None,
) -> Message:
    """The message an outbox row stands for, by its kind.

    A row whose earlier send was cut off mid-call (``Alert.interrupted``) may already be
    in the channel: the new post says so, so nobody answers the same post twice.
    """
    if alert.kind == AlertKind.ESCALATION:
        message = escalation_message(
            item, primary, oncall_group=oncall_group, minutes=escalation_minutes
        )
    elif alert.kind == AlertKind.THREAD_REPLY:
        message = thread_reply_message(item)
    elif alert.kind == AlertKind.SPIKE:
        message = spike_message(item)
    elif alert.kind == AlertKind.UPDATE:
        return alert_message(item, primary or alert, sla_minutes=sla_minutes)
    else:
        message = alert_message(item, alert, sla_minutes=sla_minutes)
    if alert.interrupted:
        message.blocks.append({"type": "context", "elements": [mrkdwn(POSSIBLE_COPY)]})
    return message
