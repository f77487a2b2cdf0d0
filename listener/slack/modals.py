"""Block Kit modals of the bolt app: the Reply editor and the Resolve note. Pure.

Each modal carries the alert it is about in ``private_metadata`` (our JSON, at most a few
hundred characters of Slack's 3,000), so the submission handler needs no server state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from listener.domain import MentionKey
from listener.drafts import MAX_REPLY_CHARS
from listener.networks import network_label
from listener.ports import TriagedMention
from listener.slack.blocks import Block
from listener.slack.escape import escape_mrkdwn

__all__ = [
    "REPLY_MODAL",
    "RESOLVE_MODAL",
    "ModalContext",
    "reply_modal",
    "resolve_modal",
    "submitted_value",
]

REPLY_MODAL = "fr_reply_modal"
RESOLVE_MODAL = "fr_resolve_modal"
REPLY_BLOCK, REPLY_INPUT = "reply", "text"
CONFIRM_BLOCK, CONFIRM_INPUT = "allow_url", "confirm"
NOTE_BLOCK, NOTE_INPUT = "note", "text"


@dataclass(frozen=True, slots=True)
class ModalContext:
    """Which mention, and which Slack message the button was on (to thread the result)."""

    mention: MentionKey
    alert_id: int | None
    channel: str
    ts: str

    def encode(self) -> str:
        return json.dumps(
            {"k": list(self.mention), "a": self.alert_id, "c": self.channel, "t": self.ts},
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, raw: str) -> ModalContext:
        try:
            data = json.loads(raw)
            source, mention_id = data["k"]
            return cls(
                (str(source), str(mention_id)), data.get("a"), str(data["c"]), str(data["t"])
            )
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError("not a firstreply modal") from exc


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def reply_modal(item: TriagedMention, context: ModalContext, draft: str) -> Block:
    """Edit-and-post: the post quoted, the draft editable, a confirm box for replies the
    network bills more for (the replier's ``cost_warning`` says why on submit)."""
    post = escape_mrkdwn(item.mention.text, limit=2500)
    quoted = "\n".join(f">{line}" for line in post.split("\n"))
    handle = escape_mrkdwn(item.mention.author.handle)
    return {
        "type": "modal",
        "callback_id": REPLY_MODAL,
        "private_metadata": context.encode(),
        "title": _plain(f"Reply on {network_label(item.mention.source)}"[:24]),
        "submit": _plain("Post reply"),
        "close": _plain("Cancel"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{handle} wrote:\n{quoted}"}},
            {
                "type": "input",
                "block_id": REPLY_BLOCK,
                "label": _plain("Your public reply"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REPLY_INPUT,
                    "multiline": True,
                    "initial_value": draft,
                    "max_length": MAX_REPLY_CHARS,
                },
                "hint": _plain("A suggested draft: make it personal before posting."),
            },
            {
                "type": "input",
                "block_id": CONFIRM_BLOCK,
                "optional": True,
                "label": _plain("Links"),
                "element": {
                    "type": "checkboxes",
                    "action_id": CONFIRM_INPUT,
                    "options": [
                        {
                            "text": _plain(
                                f"Post even if {network_label(item.mention.source)} charges more "
                                "for it (a link)"
                            ),
                            "value": "yes",
                        }
                    ],
                },
            },
        ],
    }


def resolve_modal(context: ModalContext) -> Block:
    return {
        "type": "modal",
        "callback_id": RESOLVE_MODAL,
        "private_metadata": context.encode(),
        "title": _plain("Resolve"),
        "submit": _plain("Resolve"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "optional": True,
                "label": _plain("Note (optional)"),
                "element": {"type": "plain_text_input", "action_id": NOTE_INPUT, "multiline": True},
            }
        ],
    }


def submitted_value(view: dict[str, Any], block: str, action: str) -> Any:
    """The submitted value of one input: a string, or a list of selected option values."""
    state = view.get("state", {}).get("values", {}).get(block, {}).get(action, {})
    if "selected_options" in state:
        return [o.get("value") for o in state.get("selected_options") or []]
    return state.get("value")
