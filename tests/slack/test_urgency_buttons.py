"""The card's urgency button over real HTTP (bolt in, the fake Slack out): it says the
opposite of what the card claimed, stores ``urgent`` / ``not_urgent`` once, and the card
then says who marked it; the *Wrong urgency?* menu of older cards still stores its level."""

from __future__ import annotations

import json
from typing import Any

import pytest

from classifiers.base import URGENCY_LEVELS
from listener.domain import AlertStatus, Priority
from listener.slack.blocks import ActionRef
from tests.slack.block_kit import assert_block_kit
from tests.slack.conftest import ALICE, BOB, FakeClock
from tests.slack.test_app import Env, env
from tests.slack.test_lifecycle_scenarios import actions_of, ephemerals

__all__ = ["env"]  # the fixture, imported for these tests

QUEUED = pytest.mark.parametrize("env", [Priority.NORMAL], indirect=True)


def card(env: Env) -> list[dict[str, Any]]:
    return env.slack.messages[(env.ref.channel, env.ref.ts)].blocks


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {e["action_id"]: e["text"]["text"] for b in blocks if b["type"] == "actions"
            for e in b["elements"]}


def urgency_field(blocks: list[dict[str, Any]]) -> str:
    fields = [f["text"] for b in blocks for f in b.get("fields", [])]
    return next(f for f in fields if f.startswith("*Urgency*"))


def test_an_urgent_card_offers_should_not_have_pinged(env: Env) -> None:
    blocks = card(env)
    assert urgency_field(blocks).startswith("*Urgency*\nUrgent")
    offered = buttons(blocks)
    assert offered["fr_should_not_ping"] == "Should not have pinged"
    assert "fr_should_ping" not in offered and "fr_wrong_urgency" not in offered
    assert_block_kit(blocks)


@QUEUED
def test_a_queued_card_offers_should_have_pinged(env: Env) -> None:
    blocks = card(env)
    assert urgency_field(blocks) == "*Urgency*\nNot urgent · queued, no ping"
    offered = buttons(blocks)
    assert offered["fr_should_ping"] == "Should have pinged"
    assert "fr_should_not_ping" not in offered
    assert_block_kit(blocks)


@QUEUED
def test_should_have_pinged_stores_urgent_once_and_marks_the_card(env: Env) -> None:
    for _ in range(2):  # a double click (or a replay of the signed request)
        assert env.click(BOB, "fr_should_ping")[0] == 200
    assert [(f.label, f.user, f.mention) for f in env.store.list_feedback()] == [
        ("urgent", BOB, ("x", env.mention_id))]
    assert ephemerals(env, BOB) == [
        "Thanks: marked *should have pinged*, recorded as a training label. "
        "Nothing else changes: the alert stays where it is."]
    assert len(env.slack.calls_to("chat.update")) == 1
    blocks = card(env)
    assert_block_kit(blocks)
    assert f"Marked *should have pinged* by <@{BOB}>" in json.dumps(blocks)
    # The button is done; the moves stay, and nothing else on the card changed.
    assert actions_of(blocks) == ["fr_claim", "fr_reply", "fr_resolve", "fr_snooze",
                                  "fr_not_complaint"]
    assert env.status() == AlertStatus.OPEN


def without_ping(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b if b["type"] != "actions" else
            {**b, "elements": [e for e in b["elements"]
                               if e["action_id"] not in ("fr_should_ping", "fr_should_not_ping")]}
            for b in blocks if b.get("block_id") != "fr_urgency_mark"]


def test_the_mark_survives_the_next_move_and_keeps_what_the_card_showed(env: Env) -> None:
    assert env.click(ALICE, "fr_claim")[0] == 200
    claimed = card(env)
    assert env.click(BOB, "fr_should_not_ping")[0] == 200
    assert [f.label for f in env.store.list_feedback()] == ["not_urgent"]
    marked = card(env)
    # Patched in place: the card as it was, plus the mark (above the buttons), minus
    # the urgency button.
    assert without_ping(marked) == without_ping(claimed)
    assert "fr_should_not_ping" in actions_of(claimed)
    assert [b.get("block_id") for b in marked][-2:] == ["fr_urgency_mark", "fr_actions"]
    # A move redraws the card from the store: the mark is read back, no button returns.
    assert env.click(ALICE, "fr_snooze")[0] == 200
    snoozed = card(env)
    assert_block_kit(snoozed)
    assert f"Marked *should not have pinged* by <@{BOB}>" in json.dumps(snoozed)
    assert "fr_should_not_ping" not in actions_of(snoozed)
    assert "fr_claim" in actions_of(snoozed)  # the lifecycle's moves from snoozed


def test_a_click_after_the_replay_window_is_a_new_label(env: Env, clock: FakeClock) -> None:
    assert env.click(BOB, "fr_should_not_ping")[0] == 200
    clock.advance(minutes=6)  # past Slack's 5-minute signature window
    assert env.click(BOB, "fr_should_not_ping")[0] == 200
    assert [f.label for f in env.store.list_feedback()] == ["not_urgent", "not_urgent"]


def test_an_old_cards_menu_still_stores_its_level(env: Env) -> None:
    # A card posted before the buttons: its actions row ends in the *Wrong urgency?* menu.
    value = ActionRef(env.alert_id, ("x", env.mention_id), 3).encode()
    old = {"type": "static_select", "action_id": "fr_wrong_urgency",
           "placeholder": {"type": "plain_text", "text": "Wrong urgency?"},
           "options": [{"text": {"type": "plain_text", "text": f"3 · {URGENCY_LEVELS[3]}"},
                        "value": value}]}
    posted = env.slack.messages[(env.ref.channel, env.ref.ts)]
    posted.blocks = [b if b["type"] != "actions" else
                     {**b, "elements": [*b["elements"][:-1], old]} for b in posted.blocks]
    before = json.dumps(posted.blocks)
    for _ in range(2):
        assert env.click(BOB, "fr_wrong_urgency", urgency=3)[0] == 200
    assert [(f.label, f.user) for f in env.store.list_feedback()] == [("urgency:3", BOB)]
    assert ephemerals(env, BOB) == ["Thanks: urgency 3 recorded as a training label."]
    assert json.dumps(posted.blocks) == before  # the old card is left as it is
