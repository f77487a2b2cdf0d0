"""Running the buttons' server: where it listens, what it logs for hostile requests, and the
manifest that tells Slack about it."""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
import yaml
from slack_sdk import WebClient

from listener.config import Settings, load_settings
from listener.dispatch import Dispatcher
from listener.slack.app import build_app, build_wsgi_app
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.slack.server import InteractivityServer
from listener.store import MemoryStore
from tests.fakes.slack_server import FakeSlack, post_interaction, serve_wsgi
from tests.slack.conftest import (
    ALICE,
    BOB,
    CX_GROUP,
    MALLORY,
    SIGNING_SECRET,
    FakeClock,
    make_mention,
    make_settings,
    seed,
)
from tests.slack.test_app import Env

ROOT = Path(__file__).resolve().parents[2]


class NoReplier:
    def reply(self, mention: object, text: str, *, idempotency_key: str) -> str:
        raise AssertionError("not called")

    def cost_warning(self, mention: object, text: str) -> str | None:
        return None


def app_for(fake: FakeSlack, settings: Settings) -> object:
    return build_app(
        settings=settings, store=MemoryStore(), replier=NoReplier(), clock=FakeClock(),
        token=fake.token, signing_secret=SIGNING_SECRET,
        client=WebClient(token=fake.token, base_url=fake.base_url),
    )


def test_a_badly_signed_request_is_logged_as_one_short_line_without_its_body(
    fake_slack: FakeSlack, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_for(fake_slack, settings)
    payload = {"type": "block_actions", "user": {"id": ALICE}, "junk": "A" * 500_000}
    caplog.set_level(logging.DEBUG)
    with serve_wsgi(build_wsgi_app(app)) as base:  # type: ignore[arg-type]
        for _ in range(3):
            status, _ = post_interaction(
                f"{base}/slack/events", payload, secret=SIGNING_SECRET, signature="v0=" + "0" * 64
            )
            assert status == 401
    refused = [r for r in caplog.records if "signature" in r.getMessage()]
    assert len(refused) == 3
    assert all(r.levelno == logging.WARNING for r in refused)
    assert all(len(r.getMessage()) < 120 for r in caplog.records), [
        r.getMessage()[:200] for r in caplog.records if len(r.getMessage()) >= 120]
    assert "AAAA" not in caplog.text
    assert "byte body" in refused[0].getMessage()


def test_no_token_unused_warning_when_slack_bot_token_is_in_the_environment(
    fake_slack: FakeSlack, settings: Settings, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    caplog.set_level(logging.DEBUG)
    app_for(fake_slack, settings)
    assert "will be unused" not in caplog.text


def test_the_interactivity_server_listens_on_loopback_unless_told(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(fake_slack.base_url, port=1)
    assert settings.slack.host == "127.0.0.1"
    for host in ("127.0.0.1", "0.0.0.0"):
        slack = settings.slack.model_copy(update={"port": 0, "host": host})
        server = InteractivityServer(app=app_for(fake_slack, settings), settings=slack)  # type: ignore[arg-type]
        server.start()
        try:
            assert server._httpd is not None
            assert server._httpd.server_address[0] == host
            url = f"http://127.0.0.1:{server.port}/slack/events"
            request = urllib.request.Request(url, data=b"payload=%7B%7D", method="POST")
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=5)
            assert refused.value.code == 401
        finally:
            server.stop()
    monkeypatch.setenv("FIRSTREPLY_SLACK__HOST", "0.0.0.0")
    assert load_settings(None).slack.host == "0.0.0.0"


def test_the_docker_image_listens_on_all_interfaces_for_the_published_port() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FIRSTREPLY_SLACK__HOST=0.0.0.0" in dockerfile
    assert "EXPOSE 3000" in dockerfile


def test_the_manifest_names_real_commands_and_only_scopes_the_code_uses() -> None:
    manifest_path = ROOT / "listener/slack/manifest.yml"
    text = manifest_path.read_text()
    manifest = yaml.safe_load(text)
    from listener.cli import app

    commands = {c.name for c in app.registered_commands}
    for command in ("run", "check-config"):
        assert f"`firstreply {command}" in text
        assert command in commands
    assert "slack serve" not in text
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {"chat:write", "chat:write.public", "files:write", "usergroups:read",
                      "channels:read"}
    code = "\n".join(p.read_text() for p in (ROOT / "listener/slack").glob("*.py"))
    uses = {
        "files:write": "files_upload_v2",
        "usergroups:read": "usergroups_users_list",
        "channels:read": "conversations_list",
        "chat:write": "chat_postMessage",
    }
    for scope, call in uses.items():
        assert call in code, scope
    assert not re.search(r"\.users_(info|list|lookupByEmail)\(", code)  # no users:read
    assert json.dumps(manifest["settings"]["interactivity"]["is_enabled"]) == "true"


@pytest.mark.parametrize(
    ("method", "action", "user"),
    [
        ("chat.update", "fr_claim", ALICE),
        ("views.open", "fr_reply", ALICE),
        ("chat.postEphemeral", "fr_reply", MALLORY),
        ("usergroups.users.list", "fr_reply", BOB),
    ],
)
def test_a_429_on_each_method_the_buttons_call_is_waited_out(
    fake_slack: FakeSlack, settings: Settings, mem: MemoryStore, clock: FakeClock,
    method: str, action: str, user: str,
) -> None:
    alert_id = seed(mem, make_mention(1))
    client = build_web_client(settings.slack, fake_slack.token)
    notifier = SlackNotifier(client=client, settings=settings)
    assert Dispatcher(store=mem, notifier=notifier, clock=clock, max_attempts=3).run_once(
    ).sent == 1
    sent = mem.get_alert(alert_id)
    assert sent is not None and sent.slack is not None
    app = build_app(settings=settings, store=mem, replier=NoReplier(), clock=clock,
                    token=fake_slack.token, signing_secret=SIGNING_SECRET, client=client)
    fake_slack.usergroups[CX_GROUP] = [BOB]
    fake_slack.fail("ratelimited", method=method, status=429, retry_after=2)
    with (
        mock.patch("slack_sdk.http_retry.builtin_handlers.time.sleep") as slept,
        serve_wsgi(build_wsgi_app(app)) as base,
    ):
        env = Env(f"{base}/slack/events", fake_slack, None, mem, None, "1",  # type: ignore[arg-type]
                  alert_id, sent.slack)
        assert env.click(user, action)[0] == 200
    calls = fake_slack.calls_to(method)
    assert len(calls) == 2  # the 429, then the retry after Retry-After
    assert slept.call_args.args[0] >= 2
