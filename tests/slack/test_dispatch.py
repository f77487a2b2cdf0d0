from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest

from listener.config import Settings
from listener.dispatch import Backoff, Dispatcher
from listener.domain import Alert, AlertKind, DeliveryState, SlackRef
from listener.errors import StoreError
from listener.ports import load_triaged
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.store import MemoryStore
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import FakeClock, make_mention, seed

SLEEP = "slack_sdk.http_retry.builtin_handlers.time.sleep"


def dispatcher(
    fake: FakeSlack, settings: Settings, store: MemoryStore, clock: FakeClock, **kw: object
) -> Dispatcher:
    notifier = SlackNotifier(client=build_web_client(settings.slack, fake.token), settings=settings)
    opts: dict[str, object] = {"max_attempts": settings.slack.max_attempts, "rand": lambda: 0.5}
    opts.update(kw)
    return Dispatcher(store=store, notifier=notifier, clock=clock, **opts)  # type: ignore[arg-type]


def drain(d: Dispatcher, clock: FakeClock, rounds: int = 20, step: float = 3600) -> None:
    for _ in range(rounds):
        d.run_once(100)
        clock.advance(seconds=step)


def posted_ids(fake: FakeSlack) -> Counter[str]:
    """Which mention each top-level post was about (from its button values)."""
    out: Counter[str] = Counter()
    for post in fake.posts():
        found = re.search(r'\\"k\\":\[\\"x\\",\\"(\w+)\\"\]', json.dumps(post.blocks))
        if found and post.thread_ts is None:
            out[found.group(1)] += 1
    return out


def test_backoff_doubles_with_jitter_and_honours_retry_after() -> None:
    b = Backoff(base=10, factor=2, cap=300)
    assert [b.delay(n, None, lambda: 0.0) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert [b.delay(n, None, lambda: 1.0) for n in (1, 2, 3)] == [10, 20, 40]
    assert b.delay(10, None, lambda: 1.0) == 300
    assert b.delay(1, 120.0, lambda: 1.0) == 120


def test_slack_down_for_a_while_then_back_delivers_each_alert_once(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    ids = [seed(mem, make_mention(i)) for i in range(1, 6)]
    d = dispatcher(fake_slack, settings, mem, clock, max_attempts=10)
    fake_slack.go_down(503)
    for _ in range(3):
        result = d.run_once(100)
        assert result.retrying == 5
        assert result.sent == 0
        clock.advance(minutes=30)
    assert all(mem.get_alert(i).state == DeliveryState.RETRYING for i in ids)  # type: ignore[union-attr]
    fake_slack.come_back()
    drain(d, clock)
    assert posted_ids(fake_slack) == {str(i): 1 for i in range(1, 6)}
    for alert_id in ids:
        alert = mem.get_alert(alert_id)
        assert alert is not None
        assert alert.state == DeliveryState.SENT
        assert alert.attempts == 4
        assert alert.slack is not None
        assert (alert.slack.channel, alert.slack.ts) in fake_slack.messages


def test_retry_waits_for_the_backoff(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    alert_id = seed(mem, make_mention(1))
    d = dispatcher(fake_slack, settings, mem, clock, backoff=Backoff(base=60))
    fake_slack.fail("internal_error", status=500)
    assert d.run_once().retrying == 1
    alert = mem.get_alert(alert_id)
    assert alert is not None
    assert alert.next_attempt_at == clock.now() + timedelta(seconds=45)
    clock.advance(seconds=44)
    assert d.run_once().attempted == 0
    clock.advance(seconds=1)
    assert d.run_once().sent == 1


def test_retry_after_of_a_persistent_429_is_honoured(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    alert_id = seed(mem, make_mention(1))
    fake_slack.fail("ratelimited", status=429, retry_after=600, times=2)
    d = dispatcher(fake_slack, settings, mem, clock)
    with mock.patch(SLEEP):
        assert d.run_once().retrying == 1
    alert = mem.get_alert(alert_id)
    assert alert is not None
    assert alert.next_attempt_at == clock.now() + timedelta(seconds=600)


def test_dead_after_max_attempts_and_listed(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    alert_id = seed(mem, make_mention(1))
    fake_slack.fail("internal_error", status=500, times=100)
    d = dispatcher(fake_slack, settings, mem, clock, max_attempts=3)
    outcomes = []
    for _ in range(5):
        r = d.run_once()
        outcomes.append((r.retrying, r.dead))
        clock.advance(hours=2)
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    (dead,) = mem.dead_alerts()
    assert dead.id == alert_id
    assert dead.attempts == 3
    assert "500" in (dead.last_error or "")


def test_permanent_refusal_is_dead_at_once(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    fake_slack.missing_channels.add("#gone")
    seed(mem, make_mention(1), channel="#gone")
    ok = seed(mem, make_mention(2))
    result = dispatcher(fake_slack, settings, mem, clock).run_once()
    assert (result.dead, result.sent) == (1, 1)
    assert "channel_not_found" in (mem.dead_alerts()[0].last_error or "")
    assert mem.get_alert(ok).state == DeliveryState.SENT  # type: ignore[union-attr]


def test_thread_reply_waits_for_its_parent(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    parent = make_mention(1)
    parent_id = seed(mem, parent)
    child_id = seed(mem, make_mention(2), kind=AlertKind.THREAD_REPLY, thread_of=parent.key)
    fake_slack.fail("internal_error", status=500, method="chat.postMessage")
    d = dispatcher(fake_slack, settings, mem, clock, backoff=Backoff(base=10))
    first = d.run_once()
    assert (first.retrying, first.waiting) == (1, 1)
    child = mem.get_alert(child_id)
    assert child is not None
    assert child.attempts == 0
    assert child.state == DeliveryState.PENDING
    clock.advance(seconds=31)
    result = d.run_once()
    assert result.sent == 2
    parent_ref = mem.get_alert(parent_id).slack  # type: ignore[union-attr]
    child_ref = mem.get_alert(child_id).slack  # type: ignore[union-attr]
    assert parent_ref is not None
    assert child_ref is not None
    assert fake_slack.messages[(child_ref.channel, child_ref.ts)].thread_ts == parent_ref.ts


def test_thread_reply_of_a_dead_parent_goes_out_alone(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    fake_slack.missing_channels.add("#gone")
    parent = make_mention(1)
    seed(mem, parent, channel="#gone")
    child_id = seed(mem, make_mention(2), kind=AlertKind.THREAD_REPLY, thread_of=parent.key)
    d = dispatcher(fake_slack, settings, mem, clock)
    d.run_once()
    clock.advance(seconds=31)
    d.run_once()
    child = mem.get_alert(child_id)
    assert child is not None
    assert child.state == DeliveryState.SENT
    assert fake_slack.messages[(child.slack.channel, child.slack.ts)].thread_ts is None  # type: ignore[union-attr]


def test_a_post_containing_broadcasts_does_not_ping(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    text = "<!channel> <!here> <!everyone> @here <@U024BE7LH> <#C024BE7LH> <https://evil.example|acme.com>"
    seed(mem, make_mention(1, text=text))
    assert dispatcher(fake_slack, settings, mem, clock).run_once().sent == 1
    (call,) = fake_slack.calls_to("chat.postMessage")
    wire = json.dumps(call.args)
    for bad in (
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U024BE7LH>",
        "<#C024BE7LH>",
        "|acme.com>",
    ):
        assert bad not in wire
    assert not re.search(r"(?<!\w)@(channel|here|everyone)\b", wire)
    assert call.args.get("link_names") in (None, False)


def test_a_crash_before_mark_sent_duplicates_at_most_once(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    """The documented at-least-once window: Slack took it, the store never heard."""
    alert_id = seed(mem, make_mention(1))
    d = dispatcher(fake_slack, settings, mem, clock)
    with (
        mock.patch.object(mem, "mark_sent", side_effect=StoreError("db gone")),
        pytest.raises(StoreError),
    ):
        d.run_once()
    assert d.run_once().attempted == 0  # still claimed by the crashed run
    clock.advance(minutes=5, seconds=1)  # the store's claim lease ends
    assert d.run_once().sent == 1
    clock.advance(hours=1)
    assert d.run_once().attempted == 0
    assert posted_ids(fake_slack) == {"1": 2}
    assert mem.get_alert(alert_id).state == DeliveryState.SENT  # type: ignore[union-attr]


def test_missing_mention_is_dead(mem: MemoryStore, clock: FakeClock) -> None:
    class Never:
        def send(self, alert: object, item: object) -> SlackRef:
            raise AssertionError("not called")

    alert_id = seed(mem, make_mention(1))
    mem._mentions.clear()  # simulate a row whose mention vanished
    result = Dispatcher(store=mem, notifier=Never(), clock=clock, max_attempts=8).run_once()
    assert result.dead == 1
    assert mem.get_alert(alert_id).state == DeliveryState.DEAD  # type: ignore[union-attr]


def test_a_bug_in_rendering_does_not_stall_the_outbox(mem: MemoryStore, clock: FakeClock) -> None:
    class Flaky:
        def __init__(self) -> None:
            self.n = 0

        def send(self, alert: object, item: object) -> SlackRef:
            self.n += 1
            if self.n == 1:
                raise KeyError("blocks")
            return SlackRef("C1", f"1.{self.n}")

    seed(mem, make_mention(1))
    seed(mem, make_mention(2))
    result = Dispatcher(store=mem, notifier=Flaky(), clock=clock, max_attempts=8).run_once()
    assert (result.retrying, result.sent) == (1, 1)


def test_load_triaged_composes_the_item(mem: MemoryStore) -> None:
    m = make_mention(1)
    seed(mem, m)
    seed(mem, make_mention(2))  # same created_at: must not be confused
    item = load_triaged(mem, m.key)
    assert item is not None
    assert item.mention.key == m.key
    assert item.verdict is not None
    assert [a.mention for a in item.alerts] == [m.key]
    assert load_triaged(mem, ("x", "nope")) is None


def test_update_waits_for_the_message_it_edits(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    m = make_mention(1)
    primary_id = seed(mem, m)
    (update_id,) = mem.enqueue([Alert(m.key, "#cx-alerts", kind=AlertKind.UPDATE)], clock.now())
    fake_slack.fail("internal_error", status=500, method="chat.postMessage")
    d = dispatcher(fake_slack, settings, mem, clock, backoff=Backoff(base=10))
    first = d.run_once()
    assert (first.retrying, first.waiting) == (1, 1)
    clock.advance(seconds=31)
    assert d.run_once().sent == 2
    (edit,) = fake_slack.calls_to("chat.update")
    primary = mem.get_alert(primary_id)
    assert primary is not None
    assert primary.slack is not None
    assert (edit.args["channel"], edit.args["ts"]) == (primary.slack.channel, primary.slack.ts)
    assert mem.get_alert(update_id).state == DeliveryState.SENT  # type: ignore[union-attr]
