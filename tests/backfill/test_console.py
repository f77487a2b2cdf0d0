"""``firstreply backfill --rejected`` as a shell sees it: the installed script."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from listener.domain import Rejected
from listener.store import open_store
from tests.test_console_script import firstreply, pytestmark  # noqa: F401


def test_rejected_lists_every_kept_input_on_stdout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fr.db'}"
    store = open_store(url, create=True)
    at = datetime(2026, 3, 1, tzinfo=UTC)
    try:
        store.add_rejected(
            [Rejected("twcs.csv", f"line {i}: no text column", f"{i},[red]x[/]", at)
             for i in range(2, 12)]
        )
    finally:
        store.close()
    result = firstreply("backfill", "--rejected", cwd=tmp_path,
                        env={"FIRSTREPLY_DATABASE__URL": url, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("twcs.csv\t")]
    assert len(rows) == 10
    assert rows[0] == "twcs.csv\tline 2: no text column\t2,[red]x[/]"
    assert "10 rejected input(s)" in result.stderr


def test_rejected_with_nothing_kept_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fr.db'}"
    result = firstreply("backfill", "--rejected", cwd=tmp_path,
                        env={"FIRSTREPLY_DATABASE__URL": url})
    assert result.returncode == 0, result.stderr
    assert "no rejected inputs stored" in result.stdout


def test_workers_refuse_a_file_they_cannot_split_with_exit_2(tmp_path: Path) -> None:
    # Refused before any model loads: a user error, one short message, no traceback.
    (tmp_path / "export.json").write_text('{"data": []}')
    result = firstreply("backfill", "--file", "export.json", "--workers", "2", cwd=tmp_path,
                        env={"FIRSTREPLY_DATABASE__URL": f"sqlite:///{tmp_path / 'fr.db'}"})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "cannot be split by byte range" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
