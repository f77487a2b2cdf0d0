"""The bolt app over real HTTP: signed requests in, Web API calls out to the fake Slack,
public replies out to the fake X."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk import WebClient

from listener.config import Secrets, Settings
from listener.dispatch import Dispatcher
from listener.domain import AlertStatus, Priority, SlackRef
from listener.slack.app import build_app, build_wsgi_app, socket_mode_handler
from listener.slack.blocks import ActionRef
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.store import MemoryStore
from listener.x.client import build_user_client
from listener.x.replier import XReplier
from tests.fakes.slack_server import FakeSlack, post_interaction, serve_wsgi, sign
from tests.fakes.x_server import FakeXServer
from tests.slack.conftest import (
    ALICE,
    BOB,
    CX_GROUP,
    MALLORY,
    SIGNING_SECRET,
    FakeClock,
    make_mention,
    seed,
)


@dataclass
class Env:
    url: str
    slack: FakeSlack
    x: FakeXServer
    store: MemoryStore
    replier: XReplier
    mention_id: str
    alert_id: int
    ref: SlackRef

    def click(self, user: str, action_id: str, **kw: Any) -> tuple[int, str]:
        return post_interaction(
            self.url, self.block_action(user, action_id, **kw), secret=SIGNING_SECRET
        )

    def block_action(self, user: str, action_id: str, urgency: int | None = None) -> dict[str, Any]:
        value = ActionRef(self.alert_id, ("x", self.mention_id), urgency).encode()
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": "fr_actions",
            "action_ts": f"{time.time():.6f}",
        }
        if urgency is None:
            action.update(type="button", value=value)
        else:
            action.update(type="static_select", selected_option={"value": value})
        return {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": "T0TEST001"},
            "api_app_id": "A0FIRSTRE",
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": self.ref.ts,
                "channel_id": self.ref.channel,
                "is_ephemeral": False,
            },
            "trigger_id": "1234.5678.abcdef",
            "team": {"id": "T0TEST001", "domain": "firstreply-test"},
            "channel": {"id": self.ref.channel, "name": "cx-alerts"},
            # As Slack sends it: the message the button is on, as it shows now.
            "message": self.shown(),
            "response_url": "https://hooks.slack.com/actions/T0TEST001/1/abc",
            "actions": [action],
        }

    def shown(self) -> dict[str, Any]:
        posted = self.slack.messages.get((self.ref.channel, self.ref.ts))
        if posted is None:
            return {"type": "message", "ts": self.ref.ts, "text": "alert"}
        return {"type": "message", "ts": self.ref.ts, "text": posted.text,
                "blocks": posted.blocks}

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> tuple[int, str]:
        payload = {
            "type": "view_submission",
            "team": {"id": "T0TEST001", "domain": "firstreply-test"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0TEST001"},
            "api_app_id": "A0FIRSTRE",
            "token": "legacy-verification-token",
            "trigger_id": "1234.5678.ghijkl",
            "view": {**view, "id": "V0MODAL01", "state": {"values": values}},
            "response_urls": [],
        }
        return post_interaction(self.url, payload, secret=SIGNING_SECRET)

    def status(self) -> AlertStatus:
        alert = self.store.get_alert(self.alert_id)
        assert alert is not None
        return alert.status

    def opened_view(self) -> dict[str, Any]:
        view = self.slack.calls_to("views.open")[-1].args["view"]
        assert isinstance(view, dict)
        return view


def reply_values(text: str, confirm: bool = False) -> dict[str, Any]:
    return {
        "reply": {"text": {"type": "plain_text_input", "value": text}},
        "allow_url": {
            "confirm": {
                "type": "checkboxes",
                "selected_options": [{"value": "yes"}] if confirm else [],
            }
        },
    }


def x_replier(x: FakeXServer) -> XReplier:
    """The real replier (tweepy, OAuth 1.0a) aimed at the fake X."""
    settings = Settings.model_validate({"x": {"api_base_url": x.base_url}})
    secrets = Secrets.model_validate(
        {
            "x_consumer_key": "ck",
            "x_consumer_secret": "cs",
            "x_access_token": "test-access-token",
            "x_access_token_secret": "ats",
        }
    )
    return XReplier(client=build_user_client(settings, secrets), handle="acme")


@pytest.fixture
def env(
    request: pytest.FixtureRequest,
    fake_slack: FakeSlack,
    settings: Settings,
    mem: MemoryStore,
    clock: FakeClock,
) -> Iterator[Env]:
    """One card posted to the fake Slack: urgent (HIGH) unless the test asks for another
    priority (``@pytest.mark.parametrize("env", [Priority.NORMAL], indirect=True)``)."""
    priority = getattr(request, "param", Priority.HIGH)
    with FakeXServer(brand_username="acme") as x:
        tweet = x.add_tweet("@acme my order never arrived", author="jane")
        mention = make_mention(tweet["id"], text=tweet["text"])
        alert_id = seed(mem, mention, priority=priority)
        notifier = SlackNotifier(
            client=build_web_client(settings.slack, fake_slack.token), settings=settings
        )
        dispatcher = Dispatcher(store=mem, notifier=notifier, clock=clock, max_attempts=8)
        assert dispatcher.run_once().sent == 1
        sent = mem.get_alert(alert_id)
        assert sent is not None
        assert sent.slack is not None
        replier = x_replier(x)
        app = build_app(
            settings=settings,
            store=mem,
            replier=replier,
            clock=clock,
            token=fake_slack.token,
            signing_secret=SIGNING_SECRET,
            client=WebClient(token=fake_slack.token, base_url=fake_slack.base_url),
        )
        with serve_wsgi(build_wsgi_app(app)) as base:
            yield Env(
                f"{base}/slack/events",
                fake_slack,
                x,
                mem,
                replier,
                tweet["id"],
                alert_id,
                sent.slack,
            )


def test_signed_claim_is_accepted_and_updates_the_message(env: Env) -> None:
    status, _ = env.click(ALICE, "fr_claim")
    assert status == 200
    assert env.status() == AlertStatus.CLAIMED
    alert = env.store.get_alert(env.alert_id)
    assert alert is not None
    assert alert.claimed_by == ALICE
    (update,) = env.slack.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (env.ref.channel, env.ref.ts)
    assert f"Claimed by <@{ALICE}>" in json.dumps(update.args["blocks"])


@pytest.mark.parametrize(
    ("name", "timestamp", "signature"),
    [
        ("forged", None, "v0=" + "0" * 64),
        ("other secret", None, "other"),
        ("stale", -301, None),
        ("future", +301, None),
    ],
)
def test_forged_or_stale_requests_are_rejected_with_no_action(
    env: Env, name: str, timestamp: int | None, signature: str | None
) -> None:
    payload = env.block_action(ALICE, "fr_claim")
    ts = int(time.time()) + timestamp if timestamp is not None else None
    if signature == "other":
        from urllib.parse import urlencode

        body = urlencode({"payload": json.dumps(payload)})
        signature = sign("not-the-secret", body, int(time.time()))
    status, _ = post_interaction(
        env.url, payload, secret=SIGNING_SECRET, timestamp=ts, signature=signature
    )
    assert status == 401, name
    assert env.status() == AlertStatus.OPEN
    assert env.slack.calls_to("chat.update") == []


def test_claim_reply_resolve(env: Env) -> None:
    assert env.click(ALICE, "fr_claim")[0] == 200
    assert env.click(ALICE, "fr_reply")[0] == 200
    view = env.opened_view()
    assert env.slack.calls_to("views.open")[-1].args["trigger_id"] == "1234.5678.abcdef"
    draft = view["blocks"][1]["element"]["initial_value"]
    assert draft.startswith("Hi Jane!")
    assert "order" in draft

    status, body = env.submit(
        ALICE, view, reply_values("Hi Jane, so sorry! Please DM us your order number.")
    )
    assert (status, body) == (200, "")
    (posted,) = env.x.posted
    assert posted["text"] == "Hi Jane, so sorry! Please DM us your order number."
    assert posted["referenced_tweets"] == [{"type": "replied_to", "id": env.mention_id}]
    url = f"https://x.com/acme/status/{posted['id']}"
    thread = [p for p in env.slack.posts() if p.thread_ts == env.ref.ts]
    assert len(thread) == 1
    assert url in thread[0].text
    assert env.status() == AlertStatus.REPLIED

    assert env.click(ALICE, "fr_resolve")[0] == 200
    resolve_view = env.opened_view()
    assert resolve_view["callback_id"] == "fr_resolve_modal"
    note = {"note": {"text": {"type": "plain_text_input", "value": "refund issued"}}}
    assert env.submit(ALICE, resolve_view, note) == (200, "")
    assert env.status() == AlertStatus.RESOLVED
    final = env.slack.messages[(env.ref.channel, env.ref.ts)]
    text = json.dumps(final.blocks)
    assert f"Resolved by <@{ALICE}>: refund issued" in text
    assert not any(b["type"] == "actions" for b in final.blocks)


def test_unauthorised_user_is_politely_refused(env: Env) -> None:
    for action in ("fr_reply", "fr_resolve"):
        assert env.click(MALLORY, action)[0] == 200
    refusals = env.slack.calls_to("chat.postEphemeral")
    assert [c.args["user"] for c in refusals] == [MALLORY, MALLORY]
    assert "Sorry, only the configured repliers" in refusals[0].args["text"]
    assert env.slack.calls_to("views.open") == []
    assert env.status() == AlertStatus.OPEN
    # A hand-made submission (no modal was ever opened for them) is refused too.
    view = {
        "type": "modal",
        "callback_id": "fr_reply_modal",
        "private_metadata": json.dumps(
            {"k": ["x", env.mention_id], "a": env.alert_id, "c": env.ref.channel, "t": env.ref.ts}
        ),
    }
    status, body = env.submit(MALLORY, view, reply_values("hello"))
    assert status == 200
    assert json.loads(body)["response_action"] == "errors"
    assert env.x.posted == []
    assert env.x.requests_to("/2/tweets", "POST") == []


def test_members_of_a_replier_group_may_reply(env: Env) -> None:
    env.slack.usergroups[CX_GROUP] = [BOB]
    assert env.click(BOB, "fr_reply")[0] == 200
    assert len(env.slack.calls_to("views.open")) == 1
    assert env.slack.calls_to("usergroups.users.list")[0].args["usergroup"] == CX_GROUP


def test_a_reply_with_a_link_needs_confirming(env: Env) -> None:
    env.click(ALICE, "fr_reply")
    view = env.opened_view()
    text = "Sorry! Details at https://acme.com/help"
    status, body = env.submit(ALICE, view, reply_values(text))
    errors = json.loads(body)["errors"]
    assert status == 200
    assert "$0.20" in errors["reply"]
    assert "$0.01" in errors["reply"]
    assert env.x.posted == []
    assert env.submit(ALICE, view, reply_values(text, confirm=True)) == (200, "")
    assert len(env.x.posted) == 1
    thread = [p for p in env.slack.posts() if p.thread_ts == env.ref.ts]
    assert "$0.20" in json.dumps(thread[0].blocks)


def test_x_refusal_is_shown_in_the_modal(env: Env) -> None:
    env.click(ALICE, "fr_reply")
    view = env.opened_view()
    env.x.fail_next(503, path="/2/tweets")
    status, body = env.submit(ALICE, view, reply_values("Sorry Jane!"))
    assert status == 200
    assert "X refused it" in json.loads(body)["errors"]["reply"]
    assert env.status() == AlertStatus.OPEN


def test_feedback_buttons_store_labels(env: Env) -> None:
    assert env.click(BOB, "fr_should_not_ping")[0] == 200
    assert env.click(BOB, "fr_not_complaint")[0] == 200
    labels = [(f.label, f.user, f.mention) for f in env.store.list_feedback()]
    assert labels == [
        ("not_urgent", BOB, ("x", env.mention_id)),
        ("not_complaint", BOB, ("x", env.mention_id)),
    ]
    assert env.status() == AlertStatus.NOT_COMPLAINT
    thanks = env.slack.calls_to("chat.postEphemeral")[0].args
    assert thanks["user"] == BOB
    assert thanks["text"].startswith("Thanks: marked *should not have pinged*")
    # The closed card still says who questioned the ping (the redraw keeps the mark).
    card = json.dumps(env.slack.messages[(env.ref.channel, env.ref.ts)].blocks)
    assert f"Marked *should not have pinged* by <@{BOB}>" in card


def test_the_menu_of_a_card_posted_before_the_buttons_still_stores_its_level(
    env: Env,
) -> None:
    # An old card's *Wrong urgency?* menu: same action id, a value with "u".
    assert env.click(BOB, "fr_wrong_urgency", urgency=1)[0] == 200
    assert [(f.label, f.user) for f in env.store.list_feedback()] == [("urgency:1", BOB)]
    assert "Thanks: urgency 1" in env.slack.calls_to("chat.postEphemeral")[0].args["text"]
    assert env.slack.calls_to("chat.update") == []  # an old card is left as it is


def test_snooze_and_someone_elses_claim(env: Env) -> None:
    env.click(ALICE, "fr_claim")
    env.click(BOB, "fr_claim")
    assert "Already claimed by" in env.slack.calls_to("chat.postEphemeral")[0].args["text"]
    alert = env.store.get_alert(env.alert_id)
    assert alert is not None
    assert alert.claimed_by == ALICE
    env.click(BOB, "fr_snooze")
    assert env.status() == AlertStatus.SNOOZED


def test_socket_mode_handler_can_be_built_offline(
    env: Env, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    app = build_app(
        settings=settings,
        store=mem,
        replier=env.replier,
        clock=clock,
        token=env.slack.token,
        signing_secret=SIGNING_SECRET,
        client=WebClient(token=env.slack.token, base_url=env.slack.base_url),
    )
    handler = socket_mode_handler(app, "xapp-test-A0FIRSTRE")
    assert handler.app is app
