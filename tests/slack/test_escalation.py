from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from listener.config import Settings
from listener.dispatch import Dispatcher
from listener.domain import Alert, AlertKind, AlertStatus, DeliveryState, Priority
from listener.escalation import Escalator, due_escalations
from listener.ports import TriagedMention, load_triaged
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.store import MemoryStore
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import (
    ALICE,
    ONCALL,
    T0,
    FakeClock,
    make_mention,
    make_scores,
    make_verdict,
    seed,
)


def escalator(settings: Settings, store: MemoryStore, clock: FakeClock) -> Escalator:
    return Escalator(
        store=store,
        clock=clock,
        channel=settings.slack.escalation_channel,
        minutes=settings.slack.escalation_minutes,
    )


def test_urgent_unclaimed_alert_escalates_once_with_the_oncall_ping(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    urgent = make_mention(1)
    seed(mem, urgent, priority=Priority.HIGH)
    seed(mem, make_mention(2), priority=Priority.NORMAL)
    claimed_id = seed(mem, make_mention(3), priority=Priority.CRITICAL)
    notifier = SlackNotifier(
        client=build_web_client(settings.slack, fake_slack.token), settings=settings
    )
    dispatcher = Dispatcher(store=mem, notifier=notifier, clock=clock, max_attempts=8)
    assert dispatcher.run_once().sent == 3
    mem.set_status(claimed_id, AlertStatus.CLAIMED, ALICE, clock.now())
    esc = escalator(settings, mem, clock)

    clock.advance(minutes=14, seconds=59)
    assert esc.run_once() == []
    clock.advance(seconds=1)
    ids = esc.run_once()
    assert len(ids) == 1
    assert esc.run_once() == []
    clock.advance(minutes=30)
    assert esc.run_once() == []

    assert dispatcher.run_once().sent == 1
    (post,) = fake_slack.posts("#cx-escalations")
    assert post.text.startswith(f"<!subteam^{ONCALL}> unclaimed for 15 min")
    row = mem.get_alert(ids[0])
    assert row is not None
    assert row.kind == AlertKind.ESCALATION
    assert row.mention == urgent.key
    item = load_triaged(mem, urgent.key)
    assert item is not None
    assert [a.kind for a in item.alerts] == [
        AlertKind.ALERT,
        AlertKind.ESCALATION,
    ]


def _item(**alert: object) -> TriagedMention:
    m = make_mention(1)
    base = Alert(m.key, "#cx", id=1, state=DeliveryState.SENT, sent_at=T0, created_at=T0)
    return TriagedMention(m, make_scores(), make_verdict(m.key), (replace(base, **alert),))  # type: ignore[arg-type]


def test_due_escalations_rules() -> None:
    later = T0 + timedelta(minutes=20)
    assert due_escalations([_item()], now=later, minutes=15)
    assert not due_escalations([_item()], now=T0 + timedelta(minutes=10), minutes=15)
    assert not due_escalations([_item(status=AlertStatus.SNOOZED)], now=later, minutes=15)
    assert not due_escalations(
        [_item(state=DeliveryState.PENDING, sent_at=None)], now=later, minutes=15
    )
    # Dead alerts never reached their channel: all the more reason to tell on-call.
    assert due_escalations([_item(state=DeliveryState.DEAD, sent_at=None)], now=later, minutes=15)
    m = make_mention(2)
    low = TriagedMention(
        m,
        make_scores(),
        make_verdict(m.key, priority=Priority.NORMAL),
        (Alert(m.key, "#cx", id=2, state=DeliveryState.SENT, sent_at=T0),),
    )
    assert not due_escalations([low], now=later, minutes=15)
