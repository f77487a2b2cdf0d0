"""Configuration mistakes are named by key; planted secrets never leak.

tests/test_config.py already covers a handful of bad keys, a missing file and bad TOML,
and tests/test_cli.py ``check-config`` and ``run --once`` output. Here: every setting,
and the secrets through logs (the CLI's ``SecretScrubber``), errors, ``--help``,
``status`` and the digest.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listener.cli import app
from listener.cli.logs import SecretScrubber
from listener.config import Secrets, describe_settings, load_settings
from listener.errors import ConfigError, StoreError
from listener.store import open_store
from tests.reliability.rig import Rig

PLANTED = {
    "X_BEARER_TOKEN": "AAAA-planted-x-bearer-0123456789abcdef",
    "SLACK_BOT_TOKEN": "planted-slack-bot-0123456789abcdef",
    "SLACK_SIGNING_SECRET": "planted-signing-secret-0123456789abcdef",
    "SLACK_APP_TOKEN": "xapp-planted-app-token-0123456789abcdef",
    "X_ACCESS_TOKEN_SECRET": "planted-access-secret-0123456789abcdef",
}


def _toml_for(key: str, value: str) -> str:
    """A config file setting ``key`` (dotted, ``brands[].`` for a brand) to ``value``."""
    if key.startswith("brands[]."):
        rest = key.removeprefix("brands[].")
        head = '[[brands]]\nname = "Acme"\n'
        if rest.startswith("rules."):
            return head + f"[brands.rules]\n{rest.removeprefix('rules.')} = {value}\n"
        if rest == "name":
            return f"[[brands]]\nname = {value}\n"
        return head + f"{rest} = {value}\n"
    *tables, leaf = key.split(".")
    header = f"[{'.'.join(tables)}]\n" if tables else ""
    return f"{header}{leaf} = {value}\n"


KEYS = [key for key, _default, _help in describe_settings()]


@pytest.mark.parametrize("key", KEYS)
def test_every_invalid_setting_names_its_key(key: str, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    # A nested list of numbers is valid for no setting: not a str, number, bool, list of
    # strings or table.
    cfg.write_text(_toml_for(key, "[[1]]"))
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    want = key.replace("brands[].", "brands.0.")
    named = [k for k, _why in info.value.problems]
    assert any(k == want or k.startswith(want + ".") for k in named), (want, named)
    assert want in str(info.value)


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for var in list(os.environ):
        if var.startswith(("FIRSTREPLY_", "SLACK_", "X_")):
            monkeypatch.delenv(var)
    for name, value in PLANTED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _leaks(text: str) -> list[str]:
    return [name for name, value in PLANTED.items() if value in text]


def test_help_of_every_command_has_no_secret(planted: Path) -> None:
    runner = CliRunner()
    commands = [
        "",
        "run",
        "status",
        "demo",
        "classify",
        "train",
        "evaluate",
        "backfill",
        "digest",
        "check-config",
        "db",
    ]
    for command in commands:
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert _leaks(result.output) == [], command


def test_status_and_check_config_output_have_no_secret(planted: Path) -> None:
    cfg = planted / "firstreply.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{planted / "s.db"}"\n')
    runner = CliRunner()
    for args in (["status"], ["status", "--json"], ["check-config"]):
        result = runner.invoke(app, ["--config", str(cfg), *args])
        assert _leaks(result.output + str(result.exception or "")) == [], args


def test_digest_output_has_no_secret(planted: Path, rig: Rig) -> None:
    rig.x.seed_tweets(5, text="@{brand} my parcel #{i} never arrived, refund")
    rig.drain()
    url = rig.settings.database.url
    cfg = planted / "firstreply.toml"
    cfg.write_text(f'[database]\nurl = "{url}"\n[[brands]]\nname = "Acme"\nhandles = ["acme"]\n')
    out = planted / "digest.md"
    result = CliRunner().invoke(
        app, ["--config", str(cfg), "digest", "--date", "2026-11-22", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert _leaks(result.output + out.read_text()) == []


def test_the_scrubber_keeps_secrets_out_of_debug_logs_of_a_whole_cycle(rig: Rig) -> None:
    """Even at DEBUG, where slack_sdk logs its request headers, nothing leaks."""
    secrets = Secrets(
        x_bearer_token=rig.x.bearer_token,  # type: ignore[arg-type]
        slack_bot_token=rig.slack.token,  # type: ignore[arg-type]
    )
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.addFilter(SecretScrubber(secrets.secret_values()))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        rig.x.seed_tweets(3, text="@{brand} broken again #{i}")
        rig.slack.fail("invalid_auth", method="chat.postMessage", times=1)
        rig.drain()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    logged = buf.getvalue()
    assert "chat.postMessage" in logged or "alert" in logged  # it did log the cycle
    assert rig.slack.token not in logged
    assert rig.x.bearer_token not in logged


def test_a_database_password_is_not_in_the_error() -> None:
    password = "Pl4nted-DB-Passw0rd"
    with pytest.raises(StoreError) as info:
        open_store(f"postgresql+psycopg://fr:{password}@127.0.0.1:1/firstreply?connect_timeout=1")
    assert password not in str(info.value)
    assert "127.0.0.1" in str(info.value)
