"""``firstreply db upgrade`` and ``db current``, through typer's test runner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from listener.cli import db_cmds
from listener.store import migrate


@pytest.fixture
def app() -> typer.Typer:
    # A root like the real one: it stores --config in ctx.obj for the sub-commands.
    root = typer.Typer()

    @root.callback()
    def _root(
        ctx: typer.Context, config: Annotated[Path | None, typer.Option("--config")] = None
    ) -> None:
        ctx.obj = {"config": config}

    db_cmds.register(root)
    return root


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FIRSTREPLY_CONFIG", raising=False)
    monkeypatch.delenv("FIRSTREPLY_DATABASE__URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./firstreply.toml


def test_upgrade_then_current_with_url(app: typer.Typer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    runner = CliRunner()
    behind = runner.invoke(app, ["db", "current", "--url", url, "--check"])
    assert behind.exit_code == 1
    assert "revision none" in behind.output
    first = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert first.exit_code == 0, first.output
    assert f"upgraded from empty to revision {migrate.head()}" in first.output
    again = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert f"already at revision {migrate.head()}" in again.output
    now = runner.invoke(app, ["db", "current", "--url", url, "--check"])
    assert now.exit_code == 0
    assert "up to date" in now.output
    assert migrate.current(url) == migrate.head()


def test_url_comes_from_the_config_file(app: typer.Typer, tmp_path: Path) -> None:
    db = tmp_path / "from-config.db"
    cfg = tmp_path / "firstreply.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{db}"\n')
    result = CliRunner().invoke(app, ["--config", str(cfg), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert migrate.current(f"sqlite:///{db}") == migrate.head()


def test_unreachable_database_exits_1_with_a_message(app: typer.Typer) -> None:
    url = "postgresql+psycopg://someone:s3cret@127.0.0.1:1/none?connect_timeout=2"
    result = CliRunner().invoke(app, ["db", "upgrade", "--url", url])
    assert result.exit_code == 1
    assert "failed" in result.output
    assert "s3cret" not in result.output


def test_memory_store_needs_no_migration(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade", "--url", "memory://"])
    assert result.exit_code == 0
    assert "nothing to migrate" in result.output
