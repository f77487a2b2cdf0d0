"""The Block Kit digest, and posting it with its chart to a local fake Slack Web API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from listener.digest import Digest
from listener.errors import DeliveryError, PermanentDelivery
from listener.slack.digest import digest_blocks, digest_fallback_text, post_digest
from listener.slack.escape import WORD_JOINER, utf16_len
from tests.fakes.slack_server import FakeSlack

PNG = b"\x89PNG\r\n\x1a\nnot-really-a-chart" * 50


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def client_for(slack: FakeSlack) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.base_url, timeout=5)


def test_blocks_fit_slack_limits(sample_digest: Digest, empty_digest: Digest) -> None:
    for d in (sample_digest, empty_digest):
        blocks = digest_blocks(d)
        assert len(blocks) <= 50
        assert blocks[0]["type"] == "header"
        assert utf16_len(blocks[0]["text"]["text"]) <= 150
        for b in blocks:
            if b["type"] == "section":
                if "text" in b:
                    assert utf16_len(b["text"]["text"]) <= 3000
                for f in b.get("fields", []):
                    assert utf16_len(f["text"]) <= 2000
                assert len(b.get("fields", [])) <= 10


def test_mention_text_cannot_ping_or_inject_links(sample_digest: Digest) -> None:
    text = json.dumps(digest_blocks(sample_digest), ensure_ascii=False)
    assert "<!here>" not in text
    assert "<script>" not in text
    assert "&lt;!here&gt;" in text
    assert "@" + WORD_JOINER + "channel" in text
    assert "<javascript:" not in text
    assert "<https://x.com/" in text
    assert "Acme digest for Mon 09 Mar 2026" in digest_fallback_text(sample_digest)


def test_post_digest_posts_the_message_then_uploads_the_chart_in_three_steps(
    slack: FakeSlack, sample_digest: Digest
) -> None:
    ref = post_digest(client_for(slack), "#cx-leadership", sample_digest, PNG)
    methods = [c.method for c in slack.calls]
    assert methods == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    (posted,) = slack.posts("#cx-leadership")
    assert posted.blocks == digest_blocks(sample_digest)
    assert (ref.channel, ref.ts) == (posted.channel, posted.ts)
    get_url = slack.calls_to("files.getUploadURLExternal")[0].args
    assert get_url["filename"] == "digest-2026-03-09.png"
    assert int(get_url["length"]) == len(PNG)
    assert ref.file_id is not None
    assert slack.uploads[ref.file_id] == PNG  # step 2: the bytes went to the upload URL
    complete = slack.calls_to("files.completeUploadExternal")[0].args
    # The upload API wants the channel ID that chat.postMessage answered with.
    assert complete["channel_id"] == posted.channel
    assert complete["files"][0]["id"] == ref.file_id
    assert json.loads(ref.to_json()) == {
        "channel": posted.channel,
        "ts": posted.ts,
        "file_id": ref.file_id,
    }


def test_no_chart_means_no_upload(slack: FakeSlack, empty_digest: Digest) -> None:
    ref = post_digest(client_for(slack), "#cx-leadership", empty_digest, None)
    assert [c.method for c in slack.calls] == ["chat.postMessage"]
    assert ref.file_id is None


def test_a_missing_channel_is_a_permanent_failure(slack: FakeSlack, sample_digest: Digest) -> None:
    slack.missing_channels.add("#gone")
    with pytest.raises(PermanentDelivery, match="channel_not_found"):
        post_digest(client_for(slack), "#gone", sample_digest, PNG)
    assert slack.calls_to("files.getUploadURLExternal") == []


def test_a_server_error_is_retryable(slack: FakeSlack, sample_digest: Digest) -> None:
    slack.fail("internal_error", method="chat.postMessage", status=500)
    with pytest.raises(DeliveryError) as info:
        post_digest(client_for(slack), "#cx-leadership", sample_digest, PNG)
    assert not isinstance(info.value, PermanentDelivery)


def test_a_failed_chart_upload_keeps_the_posted_digest(
    slack: FakeSlack, sample_digest: Digest, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail("internal_error", method="files.completeUploadExternal")
    with caplog.at_level(logging.WARNING, logger="listener.slack.digest"):
        ref = post_digest(client_for(slack), "#cx-leadership", sample_digest, PNG)
    assert ref.file_id is None
    assert len(slack.posts("#cx-leadership")) == 1
    assert "chart upload failed" in caplog.text
