"""``firstreply run`` with a brand on Bluesky, as a process through the console script,
against the fake PDS/AppView, the fake Jetstream and the fake Slack: it streams, polls,
triages, alerts, replies from a Slack click, and a SIGKILL loses and repeats nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bluesky.conftest import PASSWORD
from tests.fakes.bsky_server import FakeBlueskyServer
from tests.fakes.jetstream_server import FakeJetstream
from tests.fakes.slack_server import FakeSlack, post_interaction

SCRIPT = Path(sys.executable).with_name("firstreply")
SIGNING = "bsky-process-signing-secret"
ALICE = "U0ALICE01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        tail = log.read_text()[-3000:] if log.exists() else ""
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before {what}:\n{tail}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{tail}")
        time.sleep(0.05)


class Rig:
    def __init__(self, pds: FakeBlueskyServer, jet: FakeJetstream, slack: FakeSlack,
                 workdir: Path) -> None:
        self.pds, self.jet, self.slack, self.workdir = pds, jet, slack, workdir
        self.db = workdir / "fr.db"
        self.port = free_port()
        (workdir / "firstreply.toml").write_text(
            f'health_file = "{workdir / "health.json"}"\n'
            f'[database]\nurl = "sqlite:///{self.db}"\n'
            f'[bluesky]\nservice_url = "{pds.base_url}"\ntimeout_seconds = 5.0\n'
            f'poll_interval_seconds = 5\nstream = true\njetstream_url = "{jet.url}"\n'
            f'[slack]\napi_base_url = "{slack.base_url}"\nport = {self.port}\n'
            f'repliers = ["{ALICE}"]\n'
            '[digest]\ntime = "00:00"\n'
            '[[brands]]\nname = "Acme"\nchannel = "#cx-acme"\n'
            '[brands.bluesky]\nhandles = ["acme.bsky.social"]\nqueries = ["acme broken"]\n'
        )

    def start(self) -> tuple[subprocess.Popen[bytes], Path]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("FIRSTREPLY_", "SLACK_", "X_", "BLUESKY_"))}
        env.update(BLUESKY_APP_PASSWORD=PASSWORD, SLACK_BOT_TOKEN=self.slack.token,
                   SLACK_SIGNING_SECRET=SIGNING, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        log = self.workdir / f"run-{time.monotonic_ns()}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([SCRIPT, "run"], cwd=self.workdir, env=env, stdout=out,
                                    stderr=subprocess.STDOUT)
        return proc, log

    def rows(self) -> list[tuple[str, str]]:
        if not self.db.exists():
            return []
        with sqlite3.connect(self.db) as conn:
            return [(str(s), str(i)) for s, i in
                    conn.execute("select source, id from mentions order by id")]


@pytest.fixture
def rig(pds: FakeBlueskyServer, tmp_path: Path) -> Iterator[Rig]:
    with FakeJetstream(pds.network) as jet, FakeSlack() as slack:
        yield Rig(pds, jet, slack, tmp_path)


def _button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {json.dumps(blocks)[:500]}")


def _click(rig: Rig, message: Any, action_id: str) -> None:
    value = _button(message.blocks, action_id)["value"]
    payload = {
        "type": "block_actions", "user": {"id": ALICE, "username": "alice", "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2.trigger",
        "team": {"id": "T1", "domain": "t"}, "channel": {"id": message.channel, "name": "cx"},
        "container": {"type": "message", "message_ts": message.ts,
                      "channel_id": message.channel, "is_ephemeral": False},
        "message": {"type": "message", "ts": message.ts, "text": "alert"},
        "response_url": "https://hooks.slack.com/actions/T1/1/abc",
        "actions": [{"action_id": action_id, "block_id": "fr_actions", "type": "button",
                     "value": value, "action_ts": f"{time.time():.6f}"}],
    }
    url = f"http://127.0.0.1:{rig.port}/slack/events"
    assert post_interaction(url, payload, secret=SIGNING)[0] == 200


def _submit(rig: Rig, view: dict[str, Any], text: str) -> tuple[int, str]:
    payload = {
        "type": "view_submission", "team": {"id": "T1", "domain": "t"},
        "user": {"id": ALICE, "username": "alice", "team_id": "T1"}, "api_app_id": "A1",
        "token": "legacy", "trigger_id": "1.2.submit",
        "view": {**view, "id": "V1", "state": {"values": {
            "reply": {"text": {"type": "plain_text_input", "value": text}},
            "allow_url": {"confirm": {"type": "checkboxes", "selected_options": []}}}}},
        "response_urls": [],
    }
    return post_interaction(f"http://127.0.0.1:{rig.port}/slack/events", payload,
                            secret=SIGNING)


@pytest.mark.slow  # two model loads: ~1 min idle, past the 300 s test timeout on a busy box
def test_run_streams_alerts_replies_and_survives_a_kill(rig: Rig) -> None:
    net = rig.pds.network
    ann = net.add_account("ann.bsky.social", display_name="Ann", followers=80)
    polled = net.post(ann, "@acme.bsky.social my kettle arrived broken, I want a refund")
    proc, log = rig.start()
    try:
        wait_until(lambda: rig.jet.clients == 1, 120, "the stream", proc, log)
        live = net.post(ann, "acme broken again, worst support ever")
        wait_until(lambda: len(rig.slack.posts("#cx-acme")) >= 2, 300, "two alerts", proc, log)
        cards = {json.dumps(p.blocks): p for p in rig.slack.posts("#cx-acme")}
        link = f"https://bsky.app/profile/ann.bsky.social/post/{live.rkey}"
        (card,) = [p for text, p in cards.items() if link in text]
        assert any(f"/post/{polled.rkey}" in text for text in cards)
        assert "Open the post on Bluesky" in json.dumps(card.blocks)

        _click(rig, card, "fr_reply")
        wait_until(lambda: bool(rig.slack.calls_to("views.open")), 30, "the reply modal",
                   proc, log)
        view = rig.slack.calls_to("views.open")[-1].args["view"]
        assert "Bluesky" in json.dumps(view)
        status, body = _submit(rig, view, "So sorry Ann! Please DM us your order number.")
        assert (status, body) == (200, "")
        (created,) = rig.pds.created
        assert created["record"]["reply"]["parent"]["uri"] == live.uri
        wait_until(lambda: any("View the reply on Bluesky" in p.text or "Bluesky" in p.text
                               for p in rig.slack.posts() if p.thread_ts == card.ts),
                   30, "the thread note", proc, log)

        before = rig.rows()
        assert len(before) == 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        # Published while firstreply is down: the stream's cursor brings them back.
        down = [net.post(ann, f"acme broken kettle number {i}", push=False) for i in range(3)]
        proc, log = rig.start()
        wait_until(lambda: len(rig.rows()) == 5, 300, "the posts made while down", proc, log)
        after = net.post(ann, "acme broken once more")
        wait_until(lambda: len(rig.rows()) == 6, 60, "a live post after the restart", proc,
                   log)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    rows = rig.rows()
    assert len(rows) == len(set(rows)) == 6
    want = {f"{ann.did}/{p.rkey}" for p in [polled, live, *down, after]}
    assert {i for _, i in rows} == want
    assert "Traceback" not in log.read_text()
    assert PASSWORD not in log.read_text()
