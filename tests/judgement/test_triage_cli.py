"""``firstreply triage`` through the installed console script: verdicts on stdout as JSON
Lines in input order, the summary on stderr, nothing stored, bad lines named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("firstreply")

pytestmark = pytest.mark.skipif(
    not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})"
)

POSTS = [
    {"id": "a", "text": "@acmecharge stall 4 is sparking and smoking, everyone stepped back",
     "brand": "Acme Charge", "handle": "acmecharge"},
    {"id": "b", "text": "@acmecharge my receipt from last week still hasn't arrived by email",
     "brand": "Acme Charge", "handle": "acmecharge"},
    {"id": "c", "text": "@acmecharge app works again, thanks! panic over",
     "brand": "Acme Charge", "handle": "acmecharge"},
    {"id": "d", "text": "my cat has decided 4am is zoomies o'clock", "brand": ""},
    {"id": "e", "text": "@acmecharge mild gripe: the card reader is slow again",
     "brand": "Acme Charge", "handle": "acmecharge", "followers": 250000},
]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    ours = ("FIRSTREPLY_", "SLACK_", "X_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.setdefault("HF_HUB_OFFLINE", "1")
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_triage_writes_one_verdict_per_post_and_stores_nothing(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(json.dumps(p) + "\n" for p in POSTS) + "not json\n")
    (tmp_path / "firstreply.toml").write_text(
        '[slack]\nqueue_channel = "#cx-queue"\n'
        '[[brands]]\nname = "Acme Charge"\nhandles = ["acmecharge"]\nchannel = "#cx-acme"\n'
        'topic_channels = { safety = "#cx-urgent" }\n'
    )
    result = run("triage", str(posts), "--alone", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c", "d", "e"]
    by = {r["id"]: r for r in rows}
    assert (by["a"]["priority"], by["a"]["urgency_reason"], by["a"]["channel"], by["a"]["pings"]) \
        == ("critical", "safety", "#cx-urgent", True)
    assert by["a"]["why"][0].startswith("safety: ")
    assert (by["b"]["route"], by["b"]["channel"], by["b"]["pings"], by["b"]["urgent"]) == (
        "alert", "#cx-queue", False, False)
    assert by["c"]["route"] == "ignore" and not by["c"]["slack"]
    assert by["d"]["route"] == "ignore"
    assert (by["e"]["urgency_reason"], by["e"]["channel"]) == ("reach", "#cx-acme")
    assert {"route", "priority", "channel", "thread_of", "incident", "reasons"} <= set(rows[0])
    assert "5 posts: 3 to Slack (2 urgent" in result.stderr
    assert "skipped" in result.stderr and "1 rejected lines" in result.stderr
    assert not (tmp_path / "firstreply.db").exists()


def test_triage_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("triage", "nope.jsonl", cwd=tmp_path)
    assert result.returncode == 2
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr
