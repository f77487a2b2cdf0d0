"""The ``firstreply`` command end to end: real model, real tweepy and slack_sdk against
the local fakes, a real SQLite file."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listener.cli import app
from tests.fakes.slack_server import FakeSlack
from tests.fakes.x_server import FakeXServer

PLANTED_X = "AAAAplanted-bearer-secret-0123456789"
PLANTED_SLACK = "planted-slack-secret-0123456789"

COMPLAINTS = [
    "@acme my order was charged twice and nobody answers the phone, I want a refund now",
    "@acme the app has been down all morning, I can't log in to my account",
    "@acme your charger caught fire in my kitchen, there was smoke everywhere",
    "@acme third week waiting for my delivery, this is ridiculous",
]
CHATTER = [
    "@acme thanks, the new update looks great!",
    "I hate Mondays",
    "@acme what time does the store open on Sunday?",
]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in list(os.environ):
        if var.startswith(("FIRSTREPLY_", "SLACK_", "X_")):
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in (
        "demo",
        "run",
        "status",
        "classify",
        "train",
        "evaluate",
        "backfill",
        "digest",
        "check-config",
        "db",
    ):
        assert command in result.output


def test_check_config_names_bad_keys_and_exits_2(runner: CliRunner, workdir: Path) -> None:
    cfg = workdir / "bad.toml"
    cfg.write_text('timezone = "Nowhere/Land"\n[slack]\nmode = "carrier-pigeon"\n')
    result = runner.invoke(app, ["--config", str(cfg), "check-config"])
    assert result.exit_code == 2
    assert "timezone" in result.output and "slack.mode" in result.output


def test_check_config_ok_never_prints_secrets(
    runner: CliRunner, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", PLANTED_SLACK)
    monkeypatch.setenv("X_BEARER_TOKEN", PLANTED_X)
    root = Path(__file__).resolve().parent.parent
    result = runner.invoke(app, ["--config", str(root / "firstreply.example.toml"), "check-config"])
    assert result.exit_code == 0, result.output
    assert "SLACK_BOT_TOKEN: set" in result.output
    assert PLANTED_SLACK not in result.output


def test_check_config_names_what_would_stop_run(workdir: Path) -> None:
    """Through the console script: it said "settings valid" for all of these."""
    import subprocess
    import sys

    cfg = workdir / "firstreply.toml"
    cfg.write_text('[digest]\ntime = "25:99"\n[[brands]]\nname = "Acme"\nhandles = ["@Acme"]\n'
                   'topic_channels = { safty = "#cx-urgent" }\n[brands.rules]\n'
                   'business_hours = "9-5"\nquiet_hours = "late"\nlanguages = ["english"]\n')
    script = Path(sys.executable).with_name("firstreply")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIRSTREPLY_", "X_"))}
    bad = subprocess.run([script, "check-config"], cwd=workdir, env=env, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    for key in ("digest.time", "brands.0.rules.business_hours", "brands.0.rules.quiet_hours",
                "brands.0.rules.languages"):
        assert key in bad.stdout, key
    cfg.write_text('[[brands]]\nname = "Acme"\ntopic_channels = { safty = "#cx-urgent" }\n')
    topic = subprocess.run([script, "check-config"], cwd=workdir, env=env, capture_output=True,
                           text=True, timeout=60)
    assert topic.returncode == 2
    assert "brands.0.topic_channels.safty: unknown topic" in topic.stdout
    cfg.write_text('[[brands]]\nname = "Acme"\nhandles = ["@Acme"]\n')  # '@' is fine
    unset = subprocess.run([script, "check-config"], cwd=workdir, env=env, capture_output=True,
                           text=True, timeout=60)
    assert unset.returncode == 2
    assert "X_BEARER_TOKEN: not set in the environment" in unset.stdout
    env["X_BEARER_TOKEN"] = PLANTED_X
    env["FIRSTREPLY_X__MAX_RESULTS"] = "1000"
    blamed = subprocess.run([script, "check-config"], cwd=workdir, env=env, capture_output=True,
                            text=True, timeout=60)
    assert blamed.returncode == 2
    assert "x.max_results (from the environment: FIRSTREPLY_X__MAX_RESULTS)" in blamed.stdout
    del env["FIRSTREPLY_X__MAX_RESULTS"]
    good = subprocess.run([script, "check-config"], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=60)
    assert good.returncode == 0, good.stdout
    assert PLANTED_X not in good.stdout


@pytest.fixture
def live(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeXServer, FakeSlack, Path]]:
    with (
        FakeXServer(brand_username="acme", bearer_token=PLANTED_X) as x,
        FakeSlack(token=PLANTED_SLACK) as slack,
    ):
        cfg = workdir / "firstreply.toml"
        cfg.write_text(
            f'[database]\nurl = "sqlite:///{workdir / "fr.db"}"\n'
            f'[x]\napi_base_url = "{x.base_url}"\ntimeout_seconds = 5.0\n'
            f'[slack]\napi_base_url = "{slack.base_url}"\ndefault_channel = "#cx-alerts"\n'
            '[[brands]]\nname = "Acme"\nhandles = ["acme"]\nchannel = "#cx-acme"\n'
            f'user_ids = {{ acme = "{x.brand["id"]}" }}\n'
        )
        monkeypatch.setenv("X_BEARER_TOKEN", PLANTED_X)
        monkeypatch.setenv("SLACK_BOT_TOKEN", PLANTED_SLACK)
        yield x, slack, workdir


def _stored(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select count(*) from mentions").fetchone()[0])


def test_run_once_ingests_each_mention_once_and_alerts_each_complaint_once(
    runner: CliRunner, live: tuple[FakeXServer, FakeSlack, Path]
) -> None:
    x, slack, workdir = live
    for i, text in enumerate(COMPLAINTS):
        x.add_tweet(text, author=f"unhappy{i}")
    for i, text in enumerate(CHATTER):
        x.add_tweet(text if "@acme" in text else f"@acme {text}", author=f"happy{i}")
    x.seed_tweets(120, text="@{brand} just saying hi #{i}")

    first = runner.invoke(app, ["run", "--once"])
    assert first.exit_code == 0, first.output
    assert _stored(workdir / "fr.db") == len(COMPLAINTS) + len(CHATTER) + 120
    alerts = [p for p in slack.posts() if not p.thread_ts]
    alerted = " ".join(p.text for p in alerts)
    assert len(alerts) >= 3, alerted
    assert "fire" in alerted or "smoke" in alerted
    # Noise control: the greetings and chatter must not page anyone.
    assert len(alerts) <= len(COMPLAINTS) + 2

    # A second cycle reads nothing new, stores nothing twice, alerts nothing twice.
    posts_before = len(slack.posts())
    second = runner.invoke(app, ["run", "--once"])
    assert second.exit_code == 0, second.output
    assert _stored(workdir / "fr.db") == len(COMPLAINTS) + len(CHATTER) + 120
    assert len(slack.posts()) == posts_before
    since = x.requests_to("/2/users/")[-1].query.get("since_id")
    assert since is not None

    for out in (first.output, second.output):
        assert PLANTED_X not in out and PLANTED_SLACK not in out


def test_run_once_auth_failure_exits_nonzero_with_an_actionable_message(
    runner: CliRunner, live: tuple[FakeXServer, FakeSlack, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "wrong-token-value")
    result = runner.invoke(app, ["run", "--once"])
    assert result.exit_code == 1
    assert "auth" in result.output.lower()


def test_run_without_bearer_token_is_a_config_error(runner: CliRunner, workdir: Path) -> None:
    cfg = workdir / "firstreply.toml"
    cfg.write_text('[[brands]]\nname = "Acme"\nhandles = ["acme"]\n')
    result = runner.invoke(app, ["run", "--once"])
    assert result.exit_code != 0
    assert "X_BEARER_TOKEN" in str(result.exception) + result.output


def test_status_reports_no_database_and_creates_none(runner: CliRunner, workdir: Path) -> None:
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    assert '"store": null' in result.output
    assert not (workdir / "firstreply.db").exists()  # status never creates a database


def test_demo_runs_end_to_end_and_is_idempotent(runner: CliRunner, workdir: Path) -> None:
    db = f"sqlite:///{workdir / 'demo.db'}"
    first = runner.invoke(app, ["demo", "--db", db, "--show", "2"])
    assert first.exit_code == 0, first.output
    assert "[Claim]" in first.output
    assert _stored(workdir / "demo.db") == 359
    second = runner.invoke(app, ["demo", "--db", db, "--show", "2"])
    assert second.exit_code == 0, second.output
    assert "posts read / newly stored │ 0 / 0" in second.output.replace("  ", " ") or (
        "0 / 0" in second.output
    )
    assert "[Claim]" not in second.output
    assert _stored(workdir / "demo.db") == 359


def test_the_console_script_exits_with_the_commands_code(workdir: Path) -> None:
    # `firstreply` (main), not the typer app: cron and CI read these codes.
    import signal
    import subprocess
    import sys
    import time

    script = Path(sys.executable).with_name("firstreply")
    env = {**os.environ, "FIRSTREPLY_X__MAX_RESULTS": "1000"}
    bad = subprocess.run([script, "check-config"], env=env, capture_output=True, timeout=60)
    assert bad.returncode == 2

    env = {**os.environ, "FIRSTREPLY_DATABASE__URL": f"sqlite:///{workdir / 'new.db'}"}
    path = workdir / "posts.jsonl"
    path.write_text("".join(
        f'{{"id": "{i}", "text": "order {i} never came", '
        f'"created_at": "2024-05-01T10:00:00Z", "author": "a{i}"}}\n' for i in range(20_000)))
    proc = subprocess.Popen(
        [script, "backfill", "--file", str(path), "--batch-size", "50", "--buffer-size", "100"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not _stored_some(workdir / "new.db") and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[0]
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)  # Ctrl-C in a terminal
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out.decode()[-2000:]


def _stored_some(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        return _stored(db) > 0
    except sqlite3.Error:
        return False


def test_an_unknown_fold_is_a_usage_error_not_a_run_that_holds_nothing_out(
    runner: CliRunner, workdir: Path
) -> None:
    pytest.importorskip("torch")
    result = runner.invoke(app, ["folds", "--fold", "Delta", "-o", str(workdir / "f.json")])
    assert result.exit_code == 2, result.output
    assert "unknown fold Delta" in result.output
    assert "airline:Delta" in result.output
    assert not (workdir / "f.json").exists()
