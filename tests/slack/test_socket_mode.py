"""Socket Mode end to end: the real SocketModeHandler (slack_sdk's builtin client) opens
its connection with the app token, takes envelopes over a local WebSocket and acks them."""

from __future__ import annotations

from listener.config import Settings
from listener.dispatch import Dispatcher
from listener.domain import AlertStatus
from listener.slack.app import build_app
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.slack.server import InteractivityServer
from listener.store import MemoryStore
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_socket import FakeSocketMode
from tests.slack.conftest import ALICE, BOB, SIGNING_SECRET, FakeClock, make_mention, seed
from tests.slack.test_app import Env
from tests.slack.test_operations import NoReplier


def test_clicks_over_socket_mode_are_acked_and_a_redelivered_envelope_changes_nothing(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock
) -> None:
    alert_id = seed(mem, make_mention(1))
    client = build_web_client(settings.slack, fake_slack.token)
    notifier = SlackNotifier(client=client, settings=settings)
    assert Dispatcher(store=mem, notifier=notifier, clock=clock, max_attempts=3).run_once(
    ).sent == 1
    sent = mem.get_alert(alert_id)
    assert sent is not None and sent.slack is not None
    app = build_app(settings=settings, store=mem, replier=NoReplier(), clock=clock,
                    token=fake_slack.token, signing_secret="", client=client)
    slack = settings.slack.model_copy(update={"mode": "socket"})
    clicks = Env("", fake_slack, None, mem, None, "1", alert_id, sent.slack)  # type: ignore[arg-type]
    with FakeSocketMode() as socket:
        fake_slack.socket_url = socket.url
        server = InteractivityServer(app=app, settings=slack, app_token=fake_slack.app_token)
        server.start()
        try:
            socket.wait_connected()
            (opened,) = fake_slack.calls_to("apps.connections.open")
            assert opened.headers["authorization"] == f"Bearer {fake_slack.app_token}"

            first = socket.send_interactive(clicks.block_action(ALICE, "fr_claim"))
            assert socket.wait_for_ack(first) == {"envelope_id": first}
            assert mem.get_alert(alert_id).status == AlertStatus.CLAIMED  # type: ignore[union-attr]
            assert len(fake_slack.calls_to("chat.update")) == 1

            # Slack redelivers an envelope it thinks was not acked: same id, same click.
            socket.send_interactive(clicks.block_action(ALICE, "fr_claim"), envelope_id=first)
            other = socket.send_interactive(clicks.block_action(BOB, "fr_claim"))
            socket.wait_for_ack(other)
            fake_slack.wait_for(lambda: len(fake_slack.calls_to("chat.postEphemeral")) == 1)
            assert len(fake_slack.calls_to("chat.update")) == 1
            (refusal,) = fake_slack.calls_to("chat.postEphemeral")
            assert refusal.args["user"] == BOB
            assert refusal.args["text"] == f"Already claimed by <@{ALICE}>: nothing changed."
            alert = mem.get_alert(alert_id)
            assert alert is not None and alert.claimed_by == ALICE
        finally:
            server.stop()
    assert SIGNING_SECRET  # Socket Mode needs no signing secret: requests come over the socket
