"""Block Kit limits a message must meet before Slack takes it, checked with slack_sdk's own
models (``slack_sdk.models.blocks``: lengths, counts, required fields) plus the rules those
models leave out (ids unique within a message and within an actions block)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

__all__ = ["assert_block_kit"]

BUTTON_TEXT, BUTTON_VALUE, ACTION_ID, BLOCK_ID = 75, 2000, 255, 255


def assert_block_kit(blocks: Sequence[dict[str, Any]]) -> None:
    assert 0 < len(blocks) <= 50
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert not [i for i, n in Counter(block_ids).items() if n > 1], block_ids
    for raw in blocks:
        assert len(raw.get("block_id", "")) <= BLOCK_ID
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()  # raises SlackObjectFormationError past a limit
        elements = raw.get("elements", [])
        if raw["type"] == "actions":
            assert 0 < len(elements) <= 25
            ids = [e["action_id"] for e in elements]
            assert len(ids) == len(set(ids)), ids
            for element, model in zip(elements, block.elements, strict=True):  # type: ignore[attr-defined]
                model.validate_json()
                assert len(element["action_id"]) <= ACTION_ID
                if element["type"] == "button":
                    assert element["text"]["type"] == "plain_text"
                    assert 0 < len(element["text"]["text"]) <= BUTTON_TEXT
                    assert len(element.get("value", "")) <= BUTTON_VALUE
        if raw["type"] == "context":
            assert 0 < len(elements) <= 10
