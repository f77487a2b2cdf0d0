"""The fake speaks Slack's wire format well enough for the real WebClient."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_server import FakeSlack


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(token=fake_slack.token, base_url=fake_slack.base_url)


def test_files_upload_v2_three_steps(fake_slack: FakeSlack, client: WebClient) -> None:
    response = client.files_upload_v2(
        channel="C0DIGEST1",
        content=b"\x89PNG fake chart",
        filename="digest.png",
        title="Daily digest",
        initial_comment="Yesterday in numbers",
    )
    assert response["file"]["title"] == "Daily digest"
    methods = [c.method for c in fake_slack.calls]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    file_id = response["file"]["id"]
    assert fake_slack.uploads[file_id] == b"\x89PNG fake chart"
    done = fake_slack.calls_to("files.completeUploadExternal")[0].args
    assert done["channel_id"] == "C0DIGEST1"
    assert done["initial_comment"] == "Yesterday in numbers"
    assert done["files"] == [{"id": file_id, "title": "Daily digest"}]


def test_misc_methods(fake_slack: FakeSlack, client: WebClient) -> None:
    assert client.auth_test()["user_id"] == "U0BOT0001"
    cid = fake_slack.channel_id("#cx-alerts")
    assert client.conversations_info(channel=cid)["channel"]["name"] == "cx-alerts"
    assert client.chat_postEphemeral(channel=cid, user="U1", text="hi")["message_ts"]
    fake_slack.usergroups["S1"] = ["U1", "U2"]
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError) as info:
        client.usergroups_users_list(usergroup="S404")
    assert info.value.response["error"] == "no_such_subteam"


def test_programmed_faults_are_real_http(fake_slack: FakeSlack, client: WebClient) -> None:
    fake_slack.fail("ratelimited", status=429, retry_after=9)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="#x", text="hi")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "9"
    assert client.chat_postMessage(channel="#x", text="hi")["ok"]


def test_manifest_is_valid_and_complete() -> None:
    path = Path(__file__).resolve().parents[2] / "listener" / "slack" / "manifest.yml"
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "chat:write",
        "chat:write.public",
        "files:write",
        "usergroups:read",
        "channels:read",
    } <= scopes
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["features"]["bot_user"]["display_name"] == "firstreply"
