"""Slack misbehaving, through the real slack_sdk against the fake Slack, with the whole
cycle on SQLite: the outbox holds every alert until Slack is back, each is posted once,
and what no retry can fix becomes a dead letter that ``firstreply status`` shows.

Already covered in tests/slack/test_dispatch.py (not repeated): backoff maths and
Retry-After, dead after max attempts, a permanent refusal, thread parents, a crash
before mark_sent.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listener.cli import app
from tests.reliability.rig import Rig

CHANNEL = "#cx-queue"  # where "my order never arrived" goes: a card, not urgent


def seed(rig: Rig, n: int, start: int = 0) -> list[str]:
    tokens = []
    for i in range(start, start + n):
        token = f"zqslk{i:05d}"
        rig.x.add_tweet(f"@acme my order never arrived {token}", author=f"c{i}", stream=False)
        tokens.append(token)
    return tokens


def posts_per_token(rig: Rig, tokens: list[str]) -> Counter[str]:
    delivered: Counter[str] = Counter()
    for posted in rig.slack.posts():
        body = json.dumps(posted.blocks) + posted.text
        delivered.update(t for t in tokens if t in body)
    return delivered


def test_a_ratelimited_storm_delays_but_delivers_each_alert_once(rig: Rig) -> None:
    tokens = seed(rig, 40)
    rig.slack.fail("ratelimited", method="chat.postMessage", status=429, retry_after=30, times=60)
    rig.drain()
    assert posts_per_token(rig, tokens) == Counter({t: 1 for t in tokens})
    assert rig.store.dead_alerts() == []
    attempts = rig.slack.calls_to("chat.postMessage")
    assert len(attempts) == 40 + 60  # every 429 retried exactly once more, no hot loop


@pytest.mark.parametrize("status", [500, 502, 503])
def test_slack_down_then_back_drains_the_outbox(rig: Rig, status: int) -> None:
    tokens = seed(rig, 25)
    rig.slack.go_down(status)
    for _ in range(5):  # five minutes of outage, the outbox fills
        rig.cycle()
        rig.clock.advance(timedelta(minutes=1))
    counts = rig.store.counts()
    assert counts.alerts.get("sent", 0) == 0
    assert counts.alerts.get("retrying", 0) + counts.alerts.get("pending", 0) == 25
    rig.slack.come_back()
    rig.drain()
    assert posts_per_token(rig, tokens) == Counter({t: 1 for t in tokens})
    assert rig.store.dead_alerts() == []


@pytest.mark.parametrize("error", ["channel_not_found", "invalid_auth", "not_in_channel"])
def test_permanent_refusals_are_dead_letters_at_once(rig: Rig, error: str) -> None:
    seed(rig, 3)
    rig.slack.fail(error, method="chat.postMessage", times=3)
    rig.drain()
    dead = rig.store.dead_alerts()
    assert len(dead) == 3
    assert all(error in (a.last_error or "") and a.attempts == 1 for a in dead)


def test_channel_archived_mid_run(rig: Rig) -> None:
    first = seed(rig, 5)
    rig.drain()
    assert sum(posts_per_token(rig, first).values()) == 5
    rig.slack.archived_channels.add(CHANNEL)
    second = seed(rig, 4, start=100)
    rig.drain()
    dead = rig.store.dead_alerts()
    assert len(dead) == 4
    assert all("is_archived" in (a.last_error or "") for a in dead)
    assert sum(posts_per_token(rig, second).values()) == 0
    # Unarchived: new alerts flow again; the dead ones stay listed for a human.
    rig.slack.archived_channels.discard(CHANNEL)
    third = seed(rig, 2, start=200)
    rig.drain()
    assert sum(posts_per_token(rig, third).values()) == 2
    assert len(rig.store.dead_alerts()) == 4


def test_status_exits_1_and_lists_dead_letters(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(rig, 2)
    rig.slack.fail("channel_not_found", method="chat.postMessage", times=2)
    rig.drain()
    rig.store.close()
    for var in list(os.environ):
        if var.startswith(("FIRSTREPLY_", "SLACK_", "X_")):
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "firstreply.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "rig.db"}"\n')
    result = CliRunner().invoke(app, ["--config", str(cfg), "status"])
    assert result.exit_code == 1, result.output
    assert "Dead letters" in result.output
    assert "channel_not_found" in result.output
    assert "firstreply outbox retry --all-dead" in " ".join(result.output.split())
    as_json = CliRunner().invoke(app, ["--config", str(cfg), "status", "--json"])
    assert as_json.exit_code == 1
    dead = json.loads(as_json.output)["dead_letters"]
    assert len(dead) == 2
    assert all("channel_not_found" in d["error"] for d in dead)
