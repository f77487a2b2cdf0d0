"""`firstreply classify` on JSONL and CSV, through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from classifiers.model import TriageModel
from listener.cli import model_cmds


@pytest.fixture
def app(model: TriageModel, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setattr(model_cmds, "_load_model", lambda *a, **k: model)
    app = typer.Typer()

    @app.callback()
    def group() -> None:
        """A group, as in the real CLI (one command alone would become the app)."""

    model_cmds.register(app)
    return app


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_classify_jsonl_skips_malformed_lines_loudly(app: typer.Typer, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "a", "text": "@united my bag is lost and nobody answers"}\n'
        "{not json\n"
        '{"id": "b", "text": "I hate Mondays"}\n'
        '{"id": "c"}\n'
        '{"id": 7, "text": "love this song"}\n'
    )
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["classify", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _lines(out)
    assert [r["id"] for r in rows] == ["a", "b", "7"]
    assert {"sentiment", "complaint", "urgency", "topic", "explanation"} <= set(rows[0])
    assert rows[0]["complaint"]["is_complaint"] is True  # type: ignore[index]
    assert "in.jsonl:2" in result.stderr
    assert "in.jsonl:4" in result.stderr


def test_classify_csv(app: typer.Typer, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,"hello, world"\n2,too,many,fields\n3,"the app is down again"\n')
    result = CliRunner().invoke(app, ["classify", str(src)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert [r["id"] for r in rows] == ["1", "3"]
    assert "in.csv:3" in result.stderr


def test_unreadable_input_exits_non_zero(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["classify", str(tmp_path / "missing.jsonl")])
    assert result.exit_code != 0
    assert "cannot read" in result.stderr
