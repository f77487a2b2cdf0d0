"""One alert walked through its life by signed clicks over HTTP, with replays, clicks from
people who may not, and stale buttons on the escalation message: nothing moves back."""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import replace

from slack_sdk import WebClient

from listener.config import Settings
from listener.dispatch import Dispatcher
from listener.domain import AlertKind, AlertStatus, Mention, SlackRef
from listener.escalation import Escalator
from listener.slack.app import build_app, build_wsgi_app
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.store import MemoryStore
from listener.x.replier import XReplier
from tests.fakes.slack_server import serve_wsgi
from tests.slack.conftest import ALICE, BOB, CX_GROUP, MALLORY, SIGNING_SECRET, FakeClock
from tests.slack.test_app import Env, env, reply_values

__all__ = ["env"]  # the fixture, imported for these tests

RESOLVE_NOTE = {"note": {"text": {"type": "plain_text_input", "value": "refund issued"}}}


def escalate(env: Env, settings: Settings, clock: FakeClock) -> SlackRef:
    """Let the alert sit unclaimed past the escalation time; post the escalation."""
    clock.advance(minutes=settings.slack.escalation_minutes)
    escalator = Escalator(
        store=env.store,
        clock=clock,
        channel=settings.slack.escalation_channel,
        minutes=settings.slack.escalation_minutes,
    )
    assert len(escalator.run_once()) == 1
    notifier = SlackNotifier(
        client=build_web_client(settings.slack, env.slack.token), settings=settings
    )
    assert Dispatcher(store=env.store, notifier=notifier, clock=clock, max_attempts=3).run_once(
    ).sent == 1
    rows = env.store.outbox_rows(None, 10)
    (row,) = [r for r in rows if r.kind == AlertKind.ESCALATION]
    assert row.slack is not None
    return row.slack


def on_escalation(env: Env, ref: SlackRef) -> Env:
    """The same alert, but the buttons pressed on its escalation message."""
    return Env(env.url, env.slack, env.x, env.store, env.replier, env.mention_id,
               env.alert_id, ref)


def snapshot(env: Env) -> tuple[object, ...]:
    alert = env.store.get_alert(env.alert_id)
    messages = {k: (p.text, json.dumps(p.blocks)) for k, p in env.slack.messages.items()}
    return alert, messages, len(env.x.posted), len(env.store.list_feedback())


def ephemerals(env: Env, user: str) -> list[str]:
    return [c.args["text"] for c in env.slack.calls_to("chat.postEphemeral")
            if c.args["user"] == user]


def actions_of(blocks: list[dict[str, object]]) -> list[str]:
    return [str(e["action_id"]) for b in blocks if b["type"] == "actions"
            for e in b["elements"]]  # type: ignore[attr-defined]


def test_one_alert_through_every_state_with_replays_strangers_and_stale_buttons(
    env: Env, settings: Settings, clock: FakeClock
) -> None:
    esc_ref = escalate(env, settings, clock)
    escalation = on_escalation(env, esc_ref)
    assert "fr_claim" in actions_of(env.slack.messages[(esc_ref.channel, esc_ref.ts)].blocks)

    # Claim from the escalation message: both messages now say who has it.
    assert escalation.click(BOB, "fr_claim")[0] == 200
    assert env.status() == AlertStatus.CLAIMED
    esc_msg = env.slack.messages[(esc_ref.channel, esc_ref.ts)]
    assert f"Claimed by <@{BOB}>" in json.dumps(esc_msg.blocks)
    assert "subteam" not in json.dumps(esc_msg.blocks)
    assert actions_of(esc_msg.blocks) == []
    assert esc_msg.blocks[0]["text"]["text"] == ":rotating_light: Urgent"
    # A replay of that claim changes nothing and says nothing.
    before = snapshot(env)
    assert escalation.click(BOB, "fr_claim")[0] == 200
    assert snapshot(env) == before
    assert ephemerals(env, BOB) == []
    # Someone else's claim is refused, ephemerally.
    assert env.click(ALICE, "fr_claim")[0] == 200
    assert snapshot(env) == before
    assert ephemerals(env, ALICE) == [f"Already claimed by <@{BOB}>: nothing changed."]

    # Alice replies publicly (a replier may reply on an alert someone else claimed).
    assert env.click(ALICE, "fr_reply")[0] == 200
    view = env.opened_view()
    values = reply_values("Hi Jane, so sorry! Please DM us your order number.")
    assert env.submit(ALICE, view, values) == (200, "")
    assert env.status() == AlertStatus.REPLIED
    notes = [p for p in env.slack.posts() if p.thread_ts == env.ref.ts]
    assert len(notes) == 1 and len(env.x.posted) == 1
    esc_msg = env.slack.messages[(esc_ref.channel, esc_ref.ts)]
    assert f"Replied on X by <@{ALICE}>" in json.dumps(esc_msg.blocks)
    card = env.slack.messages[(env.ref.channel, env.ref.ts)]
    assert actions_of(card.blocks) == ["fr_resolve", "fr_should_not_ping"]

    # The same submission replayed inside Slack's window: no second post, no second note.
    before = snapshot(env)
    assert env.submit(ALICE, view, values) == (200, "")
    assert snapshot(env) == before
    # Another replier's reply to a replied alert is refused before X is called.
    env.slack.usergroups["S0CXTEAM1"] = [BOB]
    status, body = env.submit(BOB, view, reply_values("A second answer"))
    assert status == 200
    assert json.loads(body)["errors"]["reply"] == (
        f"Already replied to on X by <@{ALICE}>: nothing changed.")
    assert snapshot(env) == before

    # The stale Claim on the escalation message, from a replier and from a stranger.
    for user in (BOB, MALLORY):
        assert escalation.click(user, "fr_claim")[0] == 200
        assert snapshot(env) == before
        assert ephemerals(env, user)[-1] == (
            f"Already replied to on X by <@{ALICE}>: nothing changed.")
    # Stale Snooze and Not-a-complaint buttons (from an older copy of the card) too.
    for action in ("fr_snooze", "fr_not_complaint"):
        assert env.click(BOB, action)[0] == 200
        assert snapshot(env) == before
    # A stale Reply button opens no modal.
    opened = len(env.slack.calls_to("views.open"))
    assert env.click(ALICE, "fr_reply")[0] == 200
    assert len(env.slack.calls_to("views.open")) == opened

    # Resolve, then replay the resolve: one edit, one state.
    assert env.click(ALICE, "fr_resolve")[0] == 200
    resolve_view = env.opened_view()
    assert env.submit(ALICE, resolve_view, RESOLVE_NOTE) == (200, "")
    assert env.status() == AlertStatus.RESOLVED
    resolved = snapshot(env)
    assert env.submit(ALICE, resolve_view, RESOLVE_NOTE) == (200, "")
    assert snapshot(env) == resolved
    card = env.slack.messages[(env.ref.channel, env.ref.ts)]
    assert actions_of(card.blocks) == []
    esc_msg = env.slack.messages[(esc_ref.channel, esc_ref.ts)]
    assert f"Resolved by <@{ALICE}>" in json.dumps(esc_msg.blocks)

    # After the end, every button anywhere changes nothing.
    for who, where, action in [
        (MALLORY, escalation, "fr_claim"),
        (ALICE, escalation, "fr_claim"),
        (ALICE, env, "fr_snooze"),
        (BOB, env, "fr_not_complaint"),
    ]:
        assert where.click(who, action)[0] == 200
        assert snapshot(env) == resolved
    assert len(env.x.posted) == 1
    assert len([p for p in env.slack.posts() if p.thread_ts == env.ref.ts]) == 1


def test_claim_on_an_escalation_of_a_resolved_alert_is_refused_and_changes_nothing(
    env: Env, settings: Settings, clock: FakeClock
) -> None:
    escalation = on_escalation(env, escalate(env, settings, clock))
    assert env.click(ALICE, "fr_resolve")[0] == 200
    assert env.submit(ALICE, env.opened_view(), RESOLVE_NOTE) == (200, "")
    before = snapshot(env)
    assert escalation.click(MALLORY, "fr_claim")[0] == 200
    assert snapshot(env) == before
    assert ephemerals(env, MALLORY) == ["Already resolved: nothing changed."]


def test_a_double_clicked_not_a_complaint_records_one_label(env: Env) -> None:
    for _ in range(2):
        assert env.click(BOB, "fr_not_complaint")[0] == 200
    assert [f.label for f in env.store.list_feedback()] == ["not_complaint"]
    assert env.status() == AlertStatus.NOT_COMPLAINT
    assert ephemerals(env, BOB) == []


def test_a_replayed_wrong_urgency_records_one_label(env: Env) -> None:
    for _ in range(3):
        assert env.click(BOB, "fr_wrong_urgency", urgency=1)[0] == 200
    assert [f.label for f in env.store.list_feedback()] == ["urgency:1"]
    assert len(ephemerals(env, BOB)) == 1


def test_an_escalation_sent_after_the_claim_neither_pings_nor_offers_claim(
    env: Env, settings: Settings, clock: FakeClock, mem: MemoryStore
) -> None:
    clock.advance(minutes=settings.slack.escalation_minutes)
    escalator = Escalator(store=mem, clock=clock, channel=settings.slack.escalation_channel,
                          minutes=settings.slack.escalation_minutes)
    assert len(escalator.run_once()) == 1
    assert env.click(ALICE, "fr_claim")[0] == 200  # claimed before the escalation went out
    notifier = SlackNotifier(
        client=build_web_client(settings.slack, env.slack.token), settings=settings
    )
    Dispatcher(store=mem, notifier=notifier, clock=clock, max_attempts=3).run_once()
    (posted,) = env.slack.posts(settings.slack.escalation_channel)
    assert "subteam" not in posted.text
    assert actions_of(posted.blocks) == []


class HeldReplier:
    """The real X replier, but each reply waits until the test lets it go."""

    def __init__(self, inner: XReplier) -> None:
        self.inner = inner
        self.entered = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> str:
        with self._lock:
            self.entered += 1
        assert self.release.wait(10)
        return self.inner.reply(mention, text, idempotency_key=idempotency_key)

    def cost_warning(self, mention: Mention, text: str) -> str | None:
        return self.inner.cost_warning(mention, text)


def test_two_repliers_submitting_at_once_post_one_reply(
    env: Env, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    held = HeldReplier(env.replier)
    app = build_app(settings=settings, store=mem, replier=held, clock=clock,
                    token=env.slack.token, signing_secret=SIGNING_SECRET,
                    client=WebClient(token=env.slack.token, base_url=env.slack.base_url))
    env.slack.usergroups[CX_GROUP] = [BOB]
    assert env.click(ALICE, "fr_reply")[0] == 200
    view = env.opened_view()
    with serve_wsgi(build_wsgi_app(app)) as base:
        held_env = replace(env, url=f"{base}/slack/events")
        answers: dict[str, tuple[int, str]] = {}

        def submit(user: str, text: str) -> None:
            answers[user] = held_env.submit(user, view, reply_values(text))

        first = threading.Thread(target=submit, args=(ALICE, "Sorry Jane, DM us please"))
        first.start()
        env.slack.wait_for(lambda: held.entered == 1)
        second = threading.Thread(target=submit, args=(BOB, "Hi Jane! We are on it"))
        second.start()
        env.slack.wait_for(lambda: len(env.slack.calls_to("usergroups.users.list")) >= 1)
        with contextlib.suppress(AssertionError):  # without the guard, Bob gets this far
            env.slack.wait_for(lambda: held.entered == 2, timeout=0.5)
        held.release.set()
        first.join(10)
        second.join(10)
    assert len(env.x.posted) == 1
    assert answers[ALICE] == (200, "")
    assert "Already replied to on X" in json.loads(answers[BOB][1])["errors"]["reply"]
    assert len([p for p in env.slack.posts() if p.thread_ts == env.ref.ts]) == 1
