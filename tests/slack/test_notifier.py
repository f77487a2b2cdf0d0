from __future__ import annotations

from dataclasses import replace
from unittest import mock

import pytest
from rich.console import Console

from listener.config import Settings
from listener.domain import Alert, AlertKind, AlertStatus, SlackRef
from listener.errors import DeliveryError, PermanentDelivery
from listener.ports import TriagedMention
from listener.slack.notifier import SlackNotifier, TerminalNotifier, build_web_client
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import ALICE, make_mention, make_scores, make_verdict

SLEEP = "slack_sdk.http_retry.builtin_handlers.time.sleep"


def triaged(i: int = 1, text: str | None = None, alerts: tuple[Alert, ...] = ()) -> TriagedMention:
    mention = make_mention(i, text=text)
    return TriagedMention(mention, make_scores(), make_verdict(mention.key), alerts)


def notifier(fake: FakeSlack, settings: Settings, token: str | None = None) -> SlackNotifier:
    client = build_web_client(settings.slack, token or fake.token)
    return SlackNotifier(client=client, settings=settings)


def test_posts_a_new_alert(fake_slack: FakeSlack, settings: Settings) -> None:
    item = triaged()
    ref = notifier(fake_slack, settings).send(Alert(item.mention.key, "#cx-alerts", id=1), item)
    assert ref == SlackRef(fake_slack.channel_id("#cx-alerts"), ref.ts)
    (call,) = fake_slack.calls_to("chat.postMessage")
    assert call.headers["authorization"] == f"Bearer {fake_slack.token}"
    assert call.args["channel"] == "#cx-alerts"
    assert call.args["unfurl_links"] is False
    assert call.args["unfurl_media"] is False
    assert call.args["text"].startswith("High complaint from @jane1")
    assert call.args["blocks"][0]["type"] == "header"
    assert "thread_ts" not in call.args


def test_thread_reply_goes_in_the_parents_thread(fake_slack: FakeSlack, settings: Settings) -> None:
    item = triaged(2)
    parent = SlackRef(fake_slack.channel_id("#cx-alerts"), "1732276800.000001")
    alert = Alert(item.mention.key, "#cx-alerts", kind=AlertKind.THREAD_REPLY, id=2, thread=parent)
    ref = notifier(fake_slack, settings).send(alert, item)
    (call,) = fake_slack.calls_to("chat.postMessage")
    assert call.args["thread_ts"] == parent.ts
    assert call.args["channel"] == parent.channel
    assert fake_slack.messages[(ref.channel, ref.ts)].thread_ts == parent.ts


def test_update_edits_the_primary_message(fake_slack: FakeSlack, settings: Settings) -> None:
    n = notifier(fake_slack, settings)
    item = triaged(3)
    first = n.send(Alert(item.mention.key, "#cx-alerts", id=3), item)
    primary = Alert(
        item.mention.key,
        "#cx-alerts",
        id=3,
        slack=first,
        status=AlertStatus.CLAIMED,
        claimed_by=ALICE,
    )
    update = Alert(item.mention.key, "#cx-alerts", kind=AlertKind.UPDATE, id=4)
    ref = n.send(update, replace(item, alerts=(primary, update)))
    assert ref == first
    (call,) = fake_slack.calls_to("chat.update")
    assert (call.args["channel"], call.args["ts"]) == (first.channel, first.ts)
    assert "unfurl_links" not in call.args
    assert f"Claimed by <@{ALICE}>" in str(fake_slack.messages[(first.channel, first.ts)].blocks)


def test_update_of_a_never_sent_message_is_permanent(
    fake_slack: FakeSlack, settings: Settings
) -> None:
    item = triaged(4)
    with pytest.raises(PermanentDelivery):
        notifier(fake_slack, settings).send(
            Alert(item.mention.key, "#c", AlertKind.UPDATE, id=9), item
        )


def test_one_429_is_waited_out_for_its_retry_after(
    fake_slack: FakeSlack, settings: Settings
) -> None:
    fake_slack.fail("ratelimited", method="chat.postMessage", status=429, retry_after=3)
    item = triaged(5)
    with mock.patch(SLEEP) as sleep:
        ref = notifier(fake_slack, settings).send(Alert(item.mention.key, "#cx-alerts", id=5), item)
    assert ref.ts
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    (waited,), _ = sleep.call_args
    assert 3 <= waited < 4


def test_persistent_429_becomes_a_delivery_error_with_retry_after(
    fake_slack: FakeSlack, settings: Settings
) -> None:
    fake_slack.fail("ratelimited", method="chat.postMessage", status=429, retry_after=42, times=2)
    item = triaged(6)
    with mock.patch(SLEEP), pytest.raises(DeliveryError) as info:
        notifier(fake_slack, settings).send(Alert(item.mention.key, "#cx-alerts", id=6), item)
    assert not isinstance(info.value, PermanentDelivery)
    assert info.value.retry_after == 42


@pytest.mark.parametrize(
    "error", ["channel_not_found", "is_archived", "not_in_channel", "account_inactive"]
)
def test_permanent_refusals(fake_slack: FakeSlack, settings: Settings, error: str) -> None:
    fake_slack.fail(error, method="chat.postMessage")
    item = triaged(7)
    with pytest.raises(PermanentDelivery, match=error):
        notifier(fake_slack, settings).send(Alert(item.mention.key, "#cx-alerts", id=7), item)


def test_missing_channel_and_bad_token(fake_slack: FakeSlack, settings: Settings) -> None:
    fake_slack.missing_channels.add("#gone")
    item = triaged(8)
    with pytest.raises(PermanentDelivery, match="channel_not_found"):
        notifier(fake_slack, settings).send(Alert(item.mention.key, "#gone", id=8), item)
    with pytest.raises(PermanentDelivery, match="invalid_auth"):
        notifier(fake_slack, settings, token="xoxb-wrong").send(
            Alert(item.mention.key, "#c", id=8), item
        )


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable(
    fake_slack: FakeSlack, settings: Settings, status: int
) -> None:
    fake_slack.fail("internal_error", status=status)
    item = triaged(9)
    with pytest.raises(DeliveryError) as info:
        notifier(fake_slack, settings).send(Alert(item.mention.key, "#cx-alerts", id=9), item)
    assert not isinstance(info.value, PermanentDelivery)
    assert str(status) in str(info.value)


def test_unreachable_slack_is_retryable(fake_slack: FakeSlack, settings: Settings) -> None:
    n = notifier(fake_slack, settings)
    fake_slack.stop()
    item = triaged(10)
    with (
        mock.patch("slack_sdk.http_retry.handler.time.sleep"),
        pytest.raises(DeliveryError) as info,
    ):
        n.send(Alert(item.mention.key, "#cx-alerts", id=10), item)
    assert not isinstance(info.value, PermanentDelivery)


def test_terminal_renders_the_same_payload(settings: Settings) -> None:
    console = Console(record=True, width=110, color_system=None)
    item = triaged(11, text="<!channel> my parcel [bold]never[/bold] came & I'm angry")
    primary = Alert(item.mention.key, "#cx-alerts", id=11, slack=SlackRef("C0ALERTS1", "1.000001"))
    tn = TerminalNotifier(console=console, settings=settings)
    ref = tn.send(primary, replace(item, alerts=(primary,)))
    escalation = Alert(item.mention.key, "#cx-escalations", AlertKind.ESCALATION, id=12)
    tn.send(escalation, replace(item, alerts=(primary, escalation)))
    out = console.export_text()
    assert ref.channel == "#cx-alerts"
    for expected in (
        "post to #cx-alerts",
        "High complaint from @jane11 · delivery",
        "│ <!channel> my parcel [bold]never[/bold] came & I'm angry",
        "Open the post on X (https://x.com/jane11/status/11)",
        "Complaint: 87%",
        "Reply by: 2026-11-22 13:00 UTC",
        "[Claim] [Reply] [Resolve] [Snooze] [Not a complaint] [Should not have pinged]",
        "@oncall unclaimed for 15 min",
    ):
        assert expected in out, expected


def test_client_from_whole_settings_and_secrets(fake_slack: FakeSlack, settings: Settings) -> None:
    from listener.config import Secrets
    from listener.errors import ConfigError

    secrets = Secrets.model_validate({"slack_bot_token": fake_slack.token})
    client = build_web_client(settings, secrets)
    assert client.base_url == fake_slack.base_url
    assert client.auth_test()["ok"]
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        build_web_client(settings, Secrets())


def test_terminal_notifier_needs_no_settings() -> None:
    console = Console(record=True, width=100, color_system=None)
    item = triaged(12)
    TerminalNotifier(console=console).send(Alert(item.mention.key, "#cx", id=1), item)
    assert "[Claim]" in console.export_text()
