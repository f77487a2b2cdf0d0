"""The interactive elements' identity: action ids, and what a button's value carries.

Shared by the payload builder (``blocks``) and the bolt handlers (``app``). A value is
compact JSON we wrote ourselves; anything else decodes to ``ValueError``, so a crafted
payload cannot smuggle in other keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from classifiers.base import URGENCY_LEVELS
from classifiers.labels import NOT_URGENT, URGENT
from listener.domain import MentionKey

__all__ = [
    "ACTIONS_BLOCK_ID",
    "ACTION_IDS",
    "CLAIM",
    "MARK_BLOCK_ID",
    "NOT_COMPLAINT",
    "OPEN_ON_X",
    "PING_LABELS",
    "REPLY",
    "RESOLVE",
    "SHOULD_NOT_PING",
    "SHOULD_PING",
    "SNOOZE",
    "WRONG_URGENCY",
    "ActionRef",
    "clicked",
    "clicked_ref",
    "where_clicked",
]

CLAIM, REPLY, RESOLVE, SNOOZE = "fr_claim", "fr_reply", "fr_resolve", "fr_snooze"
NOT_COMPLAINT, WRONG_URGENCY, OPEN_ON_X = "fr_not_complaint", "fr_wrong_urgency", "fr_open_x"
#: *Should have pinged* (a queued card) and *Should not have pinged* (a card that paged).
SHOULD_PING, SHOULD_NOT_PING = "fr_should_ping", "fr_should_not_ping"
#: The feedback label each of those buttons stores (``classifiers.labels``' vocabulary).
PING_LABELS = {SHOULD_PING: URGENT, SHOULD_NOT_PING: NOT_URGENT}
#: Every action a card may carry. ``WRONG_URGENCY`` (the *Wrong urgency?* menu) is no
#: longer drawn, but cards posted before the buttons still send it: it stays routed.
ACTION_IDS = (
    CLAIM, REPLY, RESOLVE, SNOOZE, NOT_COMPLAINT, SHOULD_PING, SHOULD_NOT_PING, WRONG_URGENCY,
    OPEN_ON_X,
)
ACTIONS_BLOCK_ID = "fr_actions"
#: The context line that says who marked the card *should (not) have pinged*.
MARK_BLOCK_ID = "fr_urgency_mark"


@dataclass(frozen=True, slots=True)
class ActionRef:
    """What a button's ``value`` carries: the outbox row and the mention it is about."""

    alert_id: int | None
    mention: MentionKey
    #: The level picked in the *Wrong urgency?* menu: only cards posted before the
    #: *Should (not) have pinged* buttons send one.
    urgency: int | None = None

    def encode(self) -> str:
        data: dict[str, Any] = {"a": self.alert_id, "k": list(self.mention)}
        if self.urgency is not None:
            data["u"] = self.urgency
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> ActionRef:
        """Parse a value we wrote; ``ValueError`` for anything else."""
        try:
            data = json.loads(value)
            source, mention_id = data["k"]
            alert_id = data.get("a")
            urgency = data.get("u")
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"not a firstreply action value: {value[:80]!r}") from exc
        if not (isinstance(source, str) and isinstance(mention_id, str)):
            raise ValueError("mention key must be two strings")
        if alert_id is not None and not isinstance(alert_id, int):
            raise ValueError("alert id must be an integer")
        if urgency is not None and urgency not in range(len(URGENCY_LEVELS)):
            raise ValueError("urgency out of range")
        return cls(alert_id, (source, mention_id), urgency)


def where_clicked(body: dict[str, Any]) -> tuple[str, str]:
    """(channel, ts) of the message whose button was pressed."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts", "")
    return str(channel), str(ts)


def clicked_ref(body: dict[str, Any]) -> ActionRef:
    """The pressed button's (or picked menu option's) value; ``ValueError`` if not ours."""
    action = (body.get("actions") or [{}])[0]
    value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
    return ActionRef.decode(str(value))


def clicked(body: dict[str, Any]) -> tuple[str, ActionRef, tuple[str, str]]:
    """(who clicked, the value they sent, where): what every button handler starts from."""
    return str(body["user"]["id"]), clicked_ref(body), where_clicked(body)
