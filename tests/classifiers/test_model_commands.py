"""`firstreply classify/train/evaluate/folds` through the installed script: streams, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.model import MAX_TEXT_CHARS, TriageModel
from tests.test_console_script import SCRIPT, firstreply

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT}")


def test_classify_exits_1_when_no_line_could_be_read(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1}\nnot json\n[1, 2]\n')
    result = firstreply("classify", str(src), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{src}:2: skipped malformed line" in result.stderr
    assert "no line could be read" in result.stderr


@pytest.mark.parametrize("command", ["train", "evaluate", "folds"])
def test_a_missing_train_extra_is_named(tmp_path: Path, command: str) -> None:
    fake = tmp_path / "site" / "pandas"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError(\"No module named 'pandas'\")\n")
    result = firstreply(command, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")})
    assert result.returncode == 1, result.stderr
    assert "pip install 'firstreply[train]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_frozen_only_options_need_frozen(tmp_path: Path) -> None:
    result = firstreply("train", "--without", "airline", cwd=tmp_path)
    assert result.returncode == 2
    assert "need --frozen" in result.stderr


def test_a_huge_text_is_clipped_before_the_encoder(model: TriageModel) -> None:
    huge = "my parcel never arrived " * 500_000  # 12 MB
    score = model.predict([huge])[0]
    assert (
        score.complaint_probability
        == model.predict([huge[:MAX_TEXT_CHARS]])[0].complaint_probability
    )
