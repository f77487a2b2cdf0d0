"""Dead letters seen and sent again, and channels checked online, through the installed
``firstreply`` script against the fake Slack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from listener.dispatch import Dispatcher
from listener.domain import DeliveryState
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.store import open_store
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import FakeClock, make_mention, make_settings, seed
from tests.test_console_script import firstreply

pytestmark = pytest.mark.usefixtures("fake_slack")


def env_for(db: Path, fake: FakeSlack, **extra: str) -> dict[str, str]:
    return {
        "FIRSTREPLY_DATABASE__URL": f"sqlite:///{db}",
        "FIRSTREPLY_SLACK__API_BASE_URL": fake.base_url,
        "SLACK_BOT_TOKEN": fake.token,
        "X_BEARER_TOKEN": "x-test-bearer",
        **extra,
    }


def test_an_alert_dead_on_a_wrong_channel_is_sent_again_once_the_channel_exists(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    db = tmp_path / "fr.db"
    store = open_store(f"sqlite:///{db}", create=True)
    settings = make_settings(fake_slack.base_url)
    fake_slack.missing_channels.add("#cx-typo")
    try:
        alert_id = seed(store, make_mention(1), channel="#cx-typo")  # type: ignore[arg-type]
        notifier = SlackNotifier(
            client=build_web_client(settings.slack, fake_slack.token), settings=settings
        )
        dispatcher = Dispatcher(store=store, notifier=notifier, clock=FakeClock(), max_attempts=5)
        assert dispatcher.run_once().dead == 1
        env = env_for(db, fake_slack)

        listed = firstreply("outbox", "list", "--state", "dead", "--json", cwd=tmp_path, env=env)
        assert listed.returncode == 0, listed.stderr
        (row,) = json.loads(listed.stdout)
        assert (row["id"], row["channel"], row["last_error"], row["attempts"]) == (
            alert_id, "#cx-typo", "slack refused: channel_not_found", 1)
        table = firstreply("outbox", "list", cwd=tmp_path, env=env)
        assert "channel_not_found" in table.stdout

        assert firstreply("outbox", "retry", cwd=tmp_path, env=env).returncode == 2
        fake_slack.missing_channels.clear()  # the channel was created
        again = firstreply("outbox", "retry", "--all-dead", cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == f"queued again: 1 ({alert_id})"
        assert dispatcher.run_once().sent == 1
        assert store.get_alert(alert_id).state == DeliveryState.SENT  # type: ignore[union-attr]
        twice = firstreply("outbox", "retry", str(alert_id), cwd=tmp_path, env=env)
        assert twice.returncode == 1
        assert f"not dead, left alone: {alert_id}" in twice.stderr
    finally:
        store.close()


def test_check_config_online_names_each_channel_setting_slack_lacks(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    config = tmp_path / "firstreply.toml"
    config.write_text(
        '[[brands]]\nname = "Acme"\nhandles = ["acme"]\nchannel = "#cx-acme-typo"\n'
        '[[brands]]\nname = "Beta"\nhandles = ["beta"]\nchannel = "#cx-beta"\n'
        'queue_channel = "#cx-beta-queue"\n'
    )
    for name in ("#cx-alerts", "#cx-escalations", "#cx-beta", "#cx-beta-queue"):
        fake_slack.add_channel(name)
    for i in range(450):  # three pages of 200
        fake_slack.add_channel(f"#random-{i:03d}")
    fake_slack.add_channel("#cx-leadership")
    fake_slack.archived_channels.add("#cx-leadership")
    fake_slack.fail("ratelimited", method="conversations.list", status=429, retry_after=0)
    env = {**env_for(tmp_path / "none.db", fake_slack), "FIRSTREPLY_CONFIG": str(config)}

    result = firstreply("check-config", "--online", cwd=tmp_path, env=env)

    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "the token is good, posting as firstreply" in result.stdout
    assert "brands.0.channel: #cx-acme-typo is not a public channel" in result.stdout
    assert "digest.channel: #cx-leadership is archived" in result.stdout
    assert "brands.1.channel" not in result.stdout
    # Non-urgent cards go to the queue channels: a missing one would kill them all.
    assert "slack.queue_channel: #cx-queue is not a public channel" in result.stdout
    assert "brands.1.queue_channel" not in result.stdout
    assert "slack.default_channel" not in result.stdout
    pages = [c.args.get("cursor") for c in fake_slack.calls_to("conversations.list")]
    assert len(pages) == 4  # the 429, then three pages
    assert len(set(pages[1:])) == 3


def test_check_config_online_with_a_refused_token_names_the_secret(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    config = tmp_path / "firstreply.toml"
    config.write_text('[[brands]]\nname = "Acme"\nhandles = ["acme"]\n')
    env = {**env_for(tmp_path / "none.db", fake_slack), "SLACK_BOT_TOKEN": "xoxb-wrong",
           "FIRSTREPLY_CONFIG": str(config)}
    result = firstreply("check-config", "--online", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr + result.stdout
    assert fake_slack.calls_to("conversations.list") == []
