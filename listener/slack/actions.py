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
from listener.domain import MentionKey

__all__ = [
    "ACTIONS_BLOCK_ID",
    "ACTION_IDS",
    "CLAIM",
    "NOT_COMPLAINT",
    "OPEN_ON_X",
    "REPLY",
    "RESOLVE",
    "SNOOZE",
    "WRONG_URGENCY",
    "ActionRef",
]

CLAIM, REPLY, RESOLVE, SNOOZE = "fr_claim", "fr_reply", "fr_resolve", "fr_snooze"
NOT_COMPLAINT, WRONG_URGENCY, OPEN_ON_X = "fr_not_complaint", "fr_wrong_urgency", "fr_open_x"
ACTION_IDS = (CLAIM, REPLY, RESOLVE, SNOOZE, NOT_COMPLAINT, WRONG_URGENCY, OPEN_ON_X)
ACTIONS_BLOCK_ID = "fr_actions"


@dataclass(frozen=True, slots=True)
class ActionRef:
    """What a button's ``value`` carries: the outbox row and the mention it is about."""

    alert_id: int | None
    mention: MentionKey
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
