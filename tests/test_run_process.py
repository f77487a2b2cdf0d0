"""``firstreply run`` as a process, through the installed console script, against the
fake X and Slack servers: it stops when told, posts a missed digest, fails clearly.

These start the real command (its scheduler, its Slack buttons server, its metrics
server) and signal it the way ``docker stop``, systemd and a terminal do.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.slack_server import FakeSlack
from tests.fakes.x_server import FakeXServer

SCRIPT = Path(sys.executable).with_name("firstreply")
X_TOKEN = "process-test-bearer"
SLACK_TOKEN = "process-test-slack-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, what: str,
               proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before {what}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{_tail(log)}")
        time.sleep(0.05)


def _tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""


class Fakes:
    def __init__(self, x: FakeXServer, slack: FakeSlack, workdir: Path) -> None:
        self.x, self.slack, self.workdir = x, slack, workdir
        self.db = workdir / "fr.db"

    def config(self, **extra: str) -> Path:
        cfg = self.workdir / "firstreply.toml"
        slack_port = extra.pop("slack_port", str(free_port()))
        lines = [
            f'health_file = "{self.workdir / "health.json"}"',
            *(f"{k} = {v}" for k, v in extra.items()),
            f'[database]\nurl = "sqlite:///{self.db}"',
            f'[x]\napi_base_url = "{self.x.base_url}"\ntimeout_seconds = 5.0\n'
            "poll_interval_seconds = 5",
            f'[slack]\napi_base_url = "{self.slack.base_url}"\nport = {slack_port}',
            '[digest]\ntime = "00:00"',
            '[[brands]]\nname = "Acme"\nhandles = ["acme"]\nchannel = "#cx-acme"\n'
            f'user_ids = {{ acme = "{self.x.brand["id"]}" }}',
        ]
        cfg.write_text("\n".join(lines) + "\n")
        return cfg

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("FIRSTREPLY_", "SLACK_", "X_"))}
        env.update({"X_BEARER_TOKEN": X_TOKEN, "SLACK_BOT_TOKEN": SLACK_TOKEN,
                    "SLACK_SIGNING_SECRET": "process-test-signing-secret", **extra})
        return env

    def start(self, *args: str, env: dict[str, str] | None = None) -> tuple[
            subprocess.Popen[bytes], Path]:
        log = self.workdir / f"run-{time.monotonic_ns()}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([SCRIPT, "run", *args], cwd=self.workdir,
                                    env=env or self.env(), stdout=out, stderr=subprocess.STDOUT)
        return proc, log

    def run(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([SCRIPT, *args], cwd=self.workdir, env=env or self.env(),
                              capture_output=True, text=True, timeout=timeout)

    def stored(self) -> int:
        if not self.db.exists():
            return 0
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute("select count(*) from mentions").fetchone()[0])


@pytest.fixture
def fakes(tmp_path: Path) -> Iterator[Fakes]:
    with (FakeXServer(brand_username="acme", bearer_token=X_TOKEN) as x,
          FakeSlack(token=SLACK_TOKEN) as slack):
        yield Fakes(x, slack, tmp_path)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_finishes_the_running_job_then_exits_0_on_a_signal(
    fakes: Fakes, sig: signal.Signals
) -> None:
    """It used to log "stopping after the running jobs finish" and keep polling X until
    SIGKILL: the scheduler it built blocked the main thread."""
    metrics = free_port()
    fakes.config(metrics_port=str(metrics))
    fakes.x.add_tweet("@acme my order was charged twice, I want a refund now", author="ann")
    proc, log = fakes.start()
    try:
        # Warm: the model loaded, the complaint alerted, yesterday's digest posted.
        wait_until(lambda: len(fakes.slack.posts("#cx-acme")) >= 1, 120, "the first alert",
                   proc, log)
        wait_until(lambda: len(fakes.slack.posts("#cx-leadership")) >= 1, 30,
                   "the digest missed while down", proc, log)
        # The operations endpoint: liveness for Docker/Kubernetes, metrics for Prometheus.
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/healthz", timeout=5) as r:
            report = json.loads(r.read())
            assert r.status == 200
        assert report["status"] in ("ok", "degraded"), report
        assert report["stalled_jobs"] == []
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=5) as r:
            scrape = r.read().decode()
        for metric in ("firstreply_triage_backlog", 'firstreply_outbox_alerts{state="sent"}',
                       'firstreply_job_alive{job="triage"} 1.0', "firstreply_source_up"):
            assert metric in scrape, metric
        # A poll that takes a while is running when the signal arrives.
        fakes.x.add_tweet("@acme the app is down and I cannot log in", author="bob")
        fakes.x.delay_next(2.0, path="/2/users/")
        seen = len(fakes.x.requests_to("/2/users/"))
        wait_until(lambda: len(fakes.x.requests_to("/2/users/")) > seen, 30, "the next poll",
                   proc, log)
        sent_at = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=15)
        took = time.monotonic() - sent_at
    finally:
        _stop(proc)
    out = _tail(log)
    assert code == 0, out
    assert took < 10, out
    assert fakes.stored() == 2, out  # the poll that was running finished and stored its page
    assert "scheduler stopped" in out
    assert "Traceback" not in out
    # The services are gone with it: nothing listens on the metrics port any more.
    with pytest.raises(ConnectionRefusedError), socket.create_connection(
            ("127.0.0.1", metrics), timeout=1):
        pass
    health = json.loads((fakes.workdir / "health.json").read_text())
    assert health["sources"]["mentions:acme"]["state"] == "ok"


def test_a_second_signal_exits_at_once(fakes: Fakes) -> None:
    fakes.config()
    proc, log = fakes.start()
    try:
        wait_until(lambda: "scheduler started" in _tail(log), 60, "the scheduler", proc, log)
        fakes.x.delay_next(60.0, path="/2/users/")
        seen = len(fakes.x.requests_to("/2/users/"))
        wait_until(lambda: len(fakes.x.requests_to("/2/users/")) > seen, 30, "a stuck poll",
                   proc, log)
        proc.send_signal(signal.SIGTERM)
        wait_until(lambda: "stopping" in _tail(log), 10, "the first signal", proc, log)
        sent_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        took = time.monotonic() - sent_at
    finally:
        _stop(proc)
    assert code == 128 + signal.SIGTERM, _tail(log)
    assert took < 5


def test_run_once_with_x_unreachable_exits_1_and_status_says_unhealthy(fakes: Fakes) -> None:
    """Both used to exit 0: every source unavailable, and status with no success ever."""
    cfg = fakes.config()
    cfg.write_text(cfg.read_text().replace(fakes.x.base_url, f"http://127.0.0.1:{free_port()}"))
    once = fakes.run("run", "--once")
    assert once.returncode == 1, once.stdout + once.stderr
    assert "unavailable" in once.stdout
    assert "Traceback" not in once.stdout + once.stderr
    status = fakes.run("status", "--json")
    assert status.returncode == 1, status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert report["healthy"] is False
    (source,) = report["health"]["sources"]
    assert source["state"] == "backing_off" and source["last_success_at"] is None


def test_run_once_exits_0_when_everything_worked(fakes: Fakes) -> None:
    fakes.config()
    fakes.x.seed_tweets(3, text="@{brand} just saying hi #{i}")
    once = fakes.run("run", "--once")
    assert once.returncode == 0, once.stdout + once.stderr
    assert fakes.stored() == 3


@pytest.mark.parametrize(
    ("token", "base", "code", "says"),
    [
        ("not-the-token", None, 2, "SLACK_BOT_TOKEN: Slack refused it (invalid_auth)"),
        (SLACK_TOKEN, "http://127.0.0.1:{port}/api/", 1, "cannot reach Slack at"),
    ],
    ids=["bad token", "unreachable"],
)
def test_a_bad_slack_token_or_an_unreachable_slack_is_one_clear_line(
    fakes: Fakes, token: str, base: str | None, code: int, says: str
) -> None:
    """It used to end `run` with a ~120-line traceback from bolt."""
    cfg = fakes.config()
    if base is not None:
        cfg.write_text(cfg.read_text().replace(fakes.slack.base_url,
                                               base.format(port=free_port())))
    result = fakes.run("run", env=fakes.env(SLACK_BOT_TOKEN=token), timeout=60)
    out = result.stdout + result.stderr
    assert result.returncode == code, out
    assert says in out
    assert "Traceback" not in out
    assert fakes.x.requests_to("/2/") == []  # it stopped before reading (and paying for) X


def test_run_and_status_never_migrate_an_existing_database(fakes: Fakes) -> None:
    from listener.store import migrate

    fakes.config()
    url = f"sqlite:///{fakes.db}"
    migrate.upgrade(url, "0001")
    for args in (["run", "--once"], ["status"], ["digest"]):
        result = fakes.run(*args)
        assert result.returncode == 1, (args, result.stdout + result.stderr)
        assert "firstreply db upgrade" in result.stdout + result.stderr
        assert migrate.current(url) == "0001", args
    upgraded = fakes.run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert migrate.current(url) == migrate.head()


def test_digest_and_status_never_create_a_database(fakes: Fakes) -> None:
    fakes.config()
    digest = fakes.run("digest")
    assert digest.returncode == 1, digest.stdout + digest.stderr
    assert "no database at" in digest.stdout + digest.stderr
    assert fakes.run("status").returncode == 0
    assert not fakes.db.exists()
