"""The installed ``firstreply`` script as a shell sees it: exit codes, streams, messages.

These run the console script in a subprocess (not the typer app object): the exit code
and which stream carries what are exactly what cron, CI and pipelines observe.
"""

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


def firstreply(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    ours = ("FIRSTREPLY_", "SLACK_", "X_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    clean.update(env or {})
    return subprocess.run(
        [str(SCRIPT), *args], cwd=cwd, env=clean, input=stdin, capture_output=True,
        text=True, timeout=300, check=False,
    )


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = firstreply("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"firstreply {version('firstreply')}"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuch"], "No such command 'nosuch'"),
        (["classify"], "Missing argument"),
        (["demo", "--show", "abc"], "--show"),
        (["digest", "--date", "notadate"], "notadate"),
        (["backfill"], "--file"),
        (["--no-such-flag"], "No such option"),
        (["evaluate", "--data-dir", "no-corpora"], "--data-dir no-corpora: missing"),
        (["train", "--frozen", "--data-dir", "no-corpora"], "--data-dir no-corpora: missing"),
        (["folds", "--data-dir", "no-corpora"], "--data-dir no-corpora: missing"),
    ],
)
def test_usage_errors_exit_2_with_a_short_message(
    tmp_path: Path, args: list[str], says: str
) -> None:
    result = firstreply(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.splitlines()) <= 6, result.stderr


def test_help_lists_flags_without_type_noise(tmp_path: Path) -> None:
    result = firstreply("run", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--once" in result.stdout
    assert "<bool>" not in result.stdout


def test_shell_completion_is_offered(tmp_path: Path) -> None:
    result = firstreply("--help", cwd=tmp_path)
    assert "--install-completion" in result.stdout
    assert "Exit codes" in result.stdout


def test_error_text_keeps_its_brackets(tmp_path: Path) -> None:
    # Rich markup would eat "[distributed]" from the install hint.
    (tmp_path / "firstreply.toml").write_text('timezone = "mars/[olympus]"\n')
    for command in ("check-config", "status"):
        result = firstreply(command, cwd=tmp_path)
        assert result.returncode == 2
        assert "mars/[olympus]" in result.stdout + result.stderr, command


def test_logs_go_to_stderr_and_can_be_json(tmp_path: Path) -> None:
    # `firstreply classify in > out.jsonl` must leave out.jsonl pure JSON Lines.
    posts = tmp_path / "in.jsonl"
    posts.write_text('{"id": "1", "text": "@acme my parcel never came"}\n'
                     '{"id": "2", "text": "lovely day at the beach"}\n')
    text = firstreply("classify", str(posts), cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert [json.loads(line)["id"] for line in text.stdout.splitlines()] == ["1", "2"]
    assert "loading encoder" in text.stderr

    as_json = firstreply("--log-format", "json", "classify", str(posts), cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    logs = [json.loads(line) for line in as_json.stderr.splitlines() if line.startswith("{")]
    assert any("loading encoder" in entry["message"] for entry in logs)
    assert {"time", "level", "logger", "message"} <= set(logs[0])
    assert len(as_json.stdout.splitlines()) == 2


def test_log_format_comes_from_the_environment_too(tmp_path: Path) -> None:
    result = firstreply("check-config", cwd=tmp_path, env={"FIRSTREPLY_LOG_FORMAT": "yaml"})
    assert result.returncode == 2
    assert "yaml" in result.stderr


def test_digest_refuses_an_output_format_it_cannot_write(tmp_path: Path) -> None:
    result = firstreply("digest", "-o", "digest.pdf", cwd=tmp_path)
    assert result.returncode == 2
    assert ".html, .md or .txt" in result.stderr
    assert not (tmp_path / "digest.pdf").exists()
    assert not (tmp_path / "firstreply.db").exists()  # failed before touching the store
