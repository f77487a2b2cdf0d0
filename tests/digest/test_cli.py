"""``firstreply digest`` end to end: settings file, SQLite store, files, Slack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listener.cli import app
from listener.store import open_store
from tests.digest.factories import local, mins, tm
from tests.digest.test_job import load
from tests.fakes.slack_server import FakeSlack

runner = CliRunner()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def config(tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    db = tmp_path / "fr.db"
    store = open_store(f"sqlite:///{db}", create=True)
    load(
        store,
        [
            tm(local(2026, 3, 7, 9), replied_after=mins(20)),
            tm(local(2026, 3, 8, 10), text="Refund <b>never</b> came", topic="billing"),
            tm(local(2026, 3, 8, 11), complaint=False, sentiment="positive"),
        ],
    )
    store.close()
    path = tmp_path / "firstreply.toml"
    path.write_text(
        f"""
timezone = "America/Los_Angeles"
[database]
url = "sqlite:///{db}"
[slack]
api_base_url = "{slack.base_url}"
[digest]
channel = "#cx-leadership"
[[brands]]
name = "Acme"
handles = ["acme"]
""",
        encoding="utf-8",
    )
    return path


def test_terminal_summary_by_default(config: Path) -> None:
    result = runner.invoke(app, ["--config", str(config), "digest", "--date", "2026-03-08"])
    assert result.exit_code == 0, result.output
    assert "Acme · complaint digest · Sun 08 Mar 2026" in result.output
    assert "Mentions" in result.output


def test_html_and_markdown_files(config: Path, tmp_path: Path) -> None:
    html = tmp_path / "digest.html"
    result = runner.invoke(
        app, ["-c", str(config), "digest", "--date", "2026-03-08", "--days", "2", "-o", str(html)]
    )
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "2-day complaint digest" in page
    assert "Refund &lt;b&gt;never&lt;/b&gt; came" in page
    md = tmp_path / "digest.md"
    result = runner.invoke(
        app, ["-c", str(config), "digest", "--date", "2026-03-08", "-o", str(md)]
    )
    assert result.exit_code == 0, result.output
    assert md.read_text(encoding="utf-8").startswith("# Acme · complaint digest")
    result = runner.invoke(
        app, ["-c", str(config), "digest", "--date", "2026-03-08", "--format", "md"]
    )
    assert result.exit_code == 0, result.output
    assert "| Mentions | **2** |" in result.output


def test_an_empty_day_on_a_new_install(config: Path) -> None:
    result = runner.invoke(app, ["-c", str(config), "digest", "--date", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert "No mentions in this period." in result.output


def test_post_needs_a_token(config: Path) -> None:
    result = runner.invoke(app, ["-c", str(config), "digest", "--date", "2026-03-08", "--post"])
    assert result.exit_code == 1
    assert "SLACK_BOT_TOKEN" in result.output


def test_post_sends_the_digest_and_chart(
    config: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    result = runner.invoke(app, ["-c", str(config), "digest", "--date", "2026-03-08", "--post"])
    assert result.exit_code == 0, result.output
    (post,) = slack.posts("#cx-leadership")
    assert "Acme digest for Sun 08 Mar 2026" in post.text
    assert len(slack.uploads) == 1


@pytest.mark.parametrize(
    ("args", "complaint"),
    [(["--date", "08/03/2026"], "--date"), (["--brand", "Nope"], "--brand")],
)
def test_bad_options_are_usage_errors(config: Path, args: list[str], complaint: str) -> None:
    result = runner.invoke(app, ["-c", str(config), "digest", *args])
    assert result.exit_code == 2
    assert complaint in result.output
