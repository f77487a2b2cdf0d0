"""The card's urgency button and its mark, as payloads: which button a card offers, the
line that replaces it, and Block Kit's limits on every card that can carry them."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from classifiers.base import URGENCY_LEVELS
from listener.domain import AlertStatus, Feedback, Priority, Route
from listener.slack import marks
from listener.slack.blocks import alert_message
from tests.slack.block_kit import assert_block_kit
from tests.slack.conftest import ALICE, T0
from tests.slack.test_blocks import action_ids, dump, elements, item

PINGED = ("fr_should_not_ping", "Should not have pinged")
QUEUED = ("fr_should_ping", "Should have pinged")


@pytest.mark.parametrize(
    ("priority", "route", "field", "offered"),
    [
        (Priority.CRITICAL, Route.ALERT, "Urgent", PINGED),
        (Priority.HIGH, Route.ALERT, "Urgent", PINGED),
        (Priority.NORMAL, Route.ALERT, "Not urgent · queued, no ping", QUEUED),
        (Priority.LOW, Route.ALERT, "Not urgent · queued, no ping", QUEUED),
        (Priority.HIGH, Route.IGNORE, "Not a complaint", QUEUED),
    ],
)
def test_the_urgency_button_contradicts_the_urgency_field(
    priority: Priority, route: Route, field: str, offered: tuple[str, str]
) -> None:
    it = item(priority=priority, route=route)
    msg = alert_message(it, it.alerts[0], sla_minutes=60)
    assert f"*Urgency*\\n{field}" in dump(msg)
    pings = [(e["action_id"], e["text"]["text"]) for e in elements(msg)
             if e["action_id"] in ("fr_should_ping", "fr_should_not_ping")]
    assert pings == [offered]
    assert_block_kit(msg.blocks)


def test_a_card_without_a_verdict_offers_no_urgency_button() -> None:
    # Its Urgency field shows the model's severity, which says nothing of paging.
    it = replace(item(), verdict=None)
    msg = alert_message(it, it.alerts[0], sla_minutes=60)
    assert f"*Urgency*\\n{URGENCY_LEVELS[3]}" in dump(msg)
    assert action_ids(msg) == ["fr_claim", "fr_reply", "fr_resolve", "fr_snooze",
                               "fr_not_complaint"]


def test_a_marked_card_says_who_marked_it_instead_of_offering_the_button() -> None:
    it = item(priority=Priority.NORMAL)
    mark = Feedback(it.mention.key, "urgent", ALICE, T0)
    msg = alert_message(it, it.alerts[0], sla_minutes=60, mark=mark)
    assert f"Marked *should have pinged* by <@{ALICE}>" in dump(msg)
    assert "fr_should_ping" not in action_ids(msg)
    assert_block_kit(msg.blocks)
    claimed = alert_message(it, it.alerts[0], sla_minutes=60, status=AlertStatus.CLAIMED,
                            actor=ALICE, mark=replace(mark, user="<!channel>"))
    assert "Marked *should have pinged* by &lt;!channel&gt;" in dump(claimed)


def test_with_mark_swaps_the_button_for_the_mark_and_keeps_the_rest() -> None:
    it = item()
    shown = alert_message(it, it.alerts[0], sla_minutes=60, status=AlertStatus.SNOOZED,
                          actor=ALICE).blocks
    first = marks.with_mark(shown, Feedback(it.mention.key, "not_urgent", ALICE, T0))
    assert [b for b in first if b.get("block_id") != "fr_urgency_mark"][:-1] == shown[:-1]
    assert [e["action_id"] for e in first[-1]["elements"]] == [
        e["action_id"] for e in shown[-1]["elements"] if e["action_id"] != "fr_should_not_ping"]
    again = marks.with_mark(first, Feedback(it.mention.key, "not_urgent", "U0BOB0001", T0))
    assert json.dumps(again).count("fr_urgency_mark") == 1
    assert "by <@U0BOB0001>" in json.dumps(again)
    assert_block_kit(again)
    # A card with no buttons left (a race with a final move) still gets the line.
    closed = alert_message(it, it.alerts[0], sla_minutes=60, status=AlertStatus.RESOLVED).blocks
    late = marks.with_mark(closed, Feedback(it.mention.key, "not_urgent", ALICE, T0))
    assert late[:-1] == closed and late[-1]["block_id"] == "fr_urgency_mark"


@pytest.mark.parametrize("status", list(AlertStatus))
@pytest.mark.parametrize("priority", [Priority.HIGH, Priority.NORMAL])
@pytest.mark.parametrize("marked", [False, True])
def test_every_card_meets_block_kit_limits(
    status: AlertStatus, priority: Priority, marked: bool
) -> None:
    it = item("é😀<" * 9000, priority=priority)
    mark = Feedback(it.mention.key, "urgent", ALICE, T0) if marked else None
    msg = alert_message(it, replace(it.alerts[0], status=status), sla_minutes=60,
                        actor=ALICE, note="n" * 5000, reply_url="https://x.com/acme/status/9",
                        mark=mark)
    assert_block_kit(msg.blocks)
