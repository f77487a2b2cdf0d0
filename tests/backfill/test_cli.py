"""``firstreply backfill``: modes, messages, exit codes, resume, replay."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from listener.cli import backfill_cmds
from listener.cli.context import Components
from listener.errors import FirstReplyError
from tests.backfill.doubles import KeywordClassifier

TWCS = Path(__file__).parent / "data" / "twcs_tiny.csv"


def keyword_model(**kwargs: int) -> Components:
    """No model download or load in unit tests: the command gets the keyword double."""
    return Components(classifier=lambda settings: KeywordClassifier(**kwargs))


def make_app(components: Components | None = None) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = {"config": None, "components": components or keyword_model()}

    backfill_cmds.register(app)
    return app


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FIRSTREPLY_DATABASE__URL", sqlite_url)
    monkeypatch.delenv("FIRSTREPLY_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps at the terminal width
    return CliRunner()


def test_file_backfill_then_resume_then_replay(cli: CliRunner, tmp_path: Path) -> None:
    app = make_app()
    path = tmp_path / "twcs.csv"
    shutil.copyfile(TWCS, path)
    first = cli.invoke(app, ["backfill", "--file", str(path)])
    assert first.exit_code == 0, first.output
    assert "19 new mentions" in first.output
    assert "2 rejected" in first.output
    assert "no alerts sent" in first.output
    again = cli.invoke(app, ["backfill", "--file", str(path)])
    assert again.exit_code == 0, again.output
    assert "already backfilled" in again.output
    restart = cli.invoke(app, ["backfill", "--file", str(path), "--restart"])
    assert restart.exit_code == 0, restart.output
    assert "0 new mentions" in restart.output
    replay = cli.invoke(app, ["backfill", "--replay", "--start", "2017-10-01",
                              "--end", "2017-12-01"])
    assert replay.exit_code == 0, replay.output
    assert "What the current rules would have sent" in replay.output
    assert "#cx-queue" in replay.output  # complaints that are not urgent: the queue


def test_a_first_backfill_creates_the_embedded_database(cli: CliRunner, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "new" / "firstreply.db"
    db.parent.mkdir()
    monkeypatch.setenv("FIRSTREPLY_DATABASE__URL", f"sqlite:///{db}")
    result = cli.invoke(make_app(), ["backfill", "--file", str(TWCS)])
    assert result.exit_code == 0, result.output
    assert db.exists()
    # The summary stands in for alerts: what was found, and where to look next.
    assert "19 new mentions" in result.output
    assert "complaints (" in result.output
    assert "top complaint themes:" in result.output
    assert "firstreply backfill --replay --start 2017-10-" in result.output
    assert "firstreply digest --date 2017-" in result.output


def test_an_existing_unmigrated_database_is_not_touched(cli: CliRunner, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "old.db"
    db.touch()
    monkeypatch.setenv("FIRSTREPLY_DATABASE__URL", f"sqlite:///{db}")
    result = cli.invoke(make_app(), ["backfill", "--file", str(TWCS)])
    assert "firstreply db upgrade" in str(result.exception)


def test_ray_actors_without_ray_says_what_to_install(cli: CliRunner, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    result = cli.invoke(make_app(), ["backfill", "--file", str(TWCS), "--ray-actors", "2"])
    assert isinstance(result.exception, FirstReplyError)
    assert "pip install 'firstreply[distributed]'" in str(result.exception)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of"),
        (["--replay", "--archive"], "exactly one of"),
        (["--archive", "--start", "2026-01-01", "--end", "2026-02-01"], "--query"),
        (["--archive", "--query", "x", "--start", "2026-02-01", "--end", "2026-01-01"],
         "--start before --end"),
        (["--replay", "--start", "someday"], "unrecognised date"),
        (["--file", "nope.csv"], "does not exist"),
    ],
)
def test_bad_usage_exits_2_with_a_clear_message(cli: CliRunner, args: list[str],
                                                message: str) -> None:
    result = cli.invoke(make_app(), ["backfill", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_replay_with_nothing_stored_says_so(cli: CliRunner) -> None:
    result = cli.invoke(make_app(), ["backfill", "--replay"])
    assert result.exit_code == 0
    assert "no stored mentions" in result.output


def test_archive_without_a_token_fails_clearly(cli: CliRunner,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    result = cli.invoke(make_app(), ["backfill", "--archive", "--query", "@acme",
                                     "--start", "2026-01-01", "--end", "2026-02-01"])
    assert result.exit_code != 0
    assert "X_BEARER_TOKEN" in str(result.exception)


def test_interrupt_exits_130_and_the_rerun_resumes(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    path = tmp_path / "big.jsonl"
    lines = [
        f'{{"id": "{i}", "text": "{"x" * (i % 50)} order {i} never came", '
        f'"created_at": "2024-05-01T10:00:00Z", "author": "a{i}"}}'
        for i in range(1_000)
    ]
    path.write_text("\n".join(lines) + "\n")
    sizes = ["--batch-size", "25", "--buffer-size", "100"]
    first = cli.invoke(make_app(keyword_model(fail_after=500)),
                       ["backfill", "--file", str(path), *sizes])
    assert first.exit_code == 130
    assert "run the same command again to resume" in first.output
    second = cli.invoke(make_app(), ["backfill", "--file", str(path), *sizes])
    assert second.exit_code == 0, second.output
    assert "resuming" in second.output
    # At most the two buffers in flight at the interrupt are read again.
    again = int(second.output.split(" records:")[0].split()[-1].replace(",", ""))
    assert 500 <= again <= 700
    from listener.store import open_store

    store = open_store(sqlite_url)
    try:
        counts = store.counts()
    finally:
        store.close()
    assert counts.mentions == 1_000
    assert counts.pending_triage == 0


def test_archive_estimates_asks_and_pages(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakes.x_server import FakeXServer

    with FakeXServer(brand_username="acme") as x:
        x.seed_tweets(30)
        monkeypatch.setenv("X_BEARER_TOKEN", x.bearer_token)
        monkeypatch.setenv("FIRSTREPLY_X__API_BASE_URL", x.base_url)
        args = ["backfill", "--archive", "--query", "@acme", "--start", "2026-01-01",
                "--end", "2026-04-01", "--confirm-above", "0.1"]
        declined = cli.invoke(make_app(), args, input="n\n")
        assert declined.exit_code == 1
        assert "about 30 posts" in declined.output
        assert "$0.15" in declined.output
        assert x.requests_to("/2/tweets/search/all") == []
        done = cli.invoke(make_app(), [*args, "--yes"])
        assert done.exit_code == 0, done.output
        assert "30 new mentions" in done.output
        assert "30 posts read from X in 2 requests" in done.output
        again = cli.invoke(make_app(), [*args, "--yes"])
        assert "already backfilled" in again.output


def _jsonl_with_bad_lines(path: Path, n: int, bad_every: int) -> int:
    lines, bad = [], 0
    for i in range(n):
        if i % bad_every == 7:
            lines.append(f'{{"id": "{i}", "text": [broken')
            bad += 1
        else:
            lines.append(f'{{"id": "{i}", "text": "order {i} never came, refund now", '
                         f'"created_at": "2024-05-01T10:00:00Z", "author": "a{i}"}}')
    path.write_text("\n".join(lines) + "\n")
    return bad


def test_rejects_are_shown_listed_and_kept_once_across_a_resume(
    cli: CliRunner, tmp_path: Path, sqlite_url: str
) -> None:
    path = tmp_path / "history.jsonl"
    bad = _jsonl_with_bad_lines(path, 1_000, 50)
    sizes = ["--batch-size", "25", "--buffer-size", "100"]
    first = cli.invoke(make_app(keyword_model(fail_after=500)),
                       ["backfill", "--file", str(path), *sizes])
    assert first.exit_code == 130
    second = cli.invoke(make_app(), ["backfill", "--file", str(path), *sizes])
    assert second.exit_code == 0, second.output
    assert "resuming" in second.output
    assert "rejected: line " in second.output
    assert "all of them: firstreply backfill --rejected" in second.output
    listed = cli.invoke(make_app(), ["backfill", "--rejected"])
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if "\tline " in line]
    assert len(rows) == bad  # read twice around the interrupt, kept once
    assert '"text": [broken' in rows[0]  # brackets shown, not eaten as markup
    assert f"{bad} rejected input(s)" in listed.output


def test_urgent_alerts_are_a_subset_of_the_alerts(cli: CliRunner, tmp_path: Path) -> None:
    import re

    path = tmp_path / "twcs.csv"
    shutil.copyfile(TWCS, path)
    result = cli.invoke(make_app(), ["backfill", "--file", str(path)])
    assert result.exit_code == 0, result.output
    found = re.search(r"would have sent ([\d,]+) alerts \(([\d,]+) urgent\)", result.output)
    assert found, result.output
    alerts, urgent = (int(g.replace(",", "")) for g in found.groups())
    assert urgent <= alerts
