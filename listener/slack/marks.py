"""The card's *Should have pinged* / *Should not have pinged* button, and its mark.

A card's *Urgency* field says whether it pinged (``urgency_label``: *Urgent · …* or *Not
urgent · queued, no ping*); its one urgency button says the opposite, so a click is a
plain training label: ``urgent`` on a queued card, ``not_urgent`` on one that paged
(``classifiers.labels``). Once someone clicked it, the card says who did instead of
offering it again, so the rest of the team sees the call was questioned. Pure, like
``blocks``.
"""

from __future__ import annotations

from collections.abc import Sequence

from classifiers.labels import NOT_URGENT, URGENT
from listener.domain import Feedback
from listener.feedback import card_urgent
from listener.ports import TriagedMention
from listener.slack.actions import (
    ACTIONS_BLOCK_ID,
    MARK_BLOCK_ID,
    PING_LABELS,
    SHOULD_NOT_PING,
    SHOULD_PING,
)
from listener.slack.kit import Block, button, mrkdwn, user_mention

__all__ = ["BUTTON_TEXT", "mark_line", "ping_button", "with_mark"]

#: What each label's button says, and (lower case) what its mark says was claimed.
BUTTON_TEXT = {URGENT: "Should have pinged", NOT_URGENT: "Should not have pinged"}


def ping_button(item: TriagedMention, value: str) -> Block | None:
    """The button contradicting the card's *Urgency* field; None when the card has no
    verdict (its field then shows the model's severity, which says nothing of paging)."""
    urgent = card_urgent(item)
    if urgent is None:
        return None
    action_id = SHOULD_NOT_PING if urgent else SHOULD_PING
    return button(BUTTON_TEXT[PING_LABELS[action_id]], action_id, value)


def mark_line(mark: Feedback) -> Block:
    """*Marked should have pinged by @who*: the context line that replaces the button."""
    what = BUTTON_TEXT[mark.label].lower()
    text = f":triangular_flag_on_post: Marked *{what}* by {user_mention(mark.user)}"
    return {"type": "context", "block_id": MARK_BLOCK_ID, "elements": [mrkdwn(text)]}


def with_mark(blocks: Sequence[Block], mark: Feedback) -> list[Block]:
    """The card ``blocks`` (as Slack shows it now) with ``mark`` in place of the button.

    The rest of the card is kept as it is: a card redrawn from the store alone would lose
    what only its last redraw knew (who snoozed it, the link to the public reply).
    """
    out: list[Block] = []
    placed = False
    for block in blocks:
        if block.get("block_id") == MARK_BLOCK_ID:
            continue  # an earlier mark: the new one replaces it
        if block.get("type") == "actions" and block.get("block_id") == ACTIONS_BLOCK_ID:
            out.append(mark_line(mark))
            placed = True
            elements = [
                e for e in block.get("elements", []) if e.get("action_id") not in PING_LABELS
            ]
            if elements:
                out.append({**block, "elements": elements})
            continue
        out.append(block)
    if not placed:
        out.append(mark_line(mark))
    return out
