"""``firstreply learn`` through the installed script: fits, saves, refuses bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from classifiers.judgement import JudgementHead, fingerprint
from classifiers.model import DEFAULT_DIR
from tests.test_console_script import firstreply


def _labels(path: Path) -> Path:
    urgent = [f"@acme I was charged {n} times for one order, £{n}0 gone" for n in range(2, 14)]
    calm = [f"@acme the app colour scheme changed again, version {n}, not a fan" for n in range(12)]
    rows = [{"text": t, "urgent": True} for t in urgent]
    rows += [{"text": t, "urgent": False} for t in calm]
    rows.append({"text": "@acme love it", "urgent": False, "reach_slack": False})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_learn_writes_a_head_for_the_copied_model(tmp_path: Path) -> None:
    out = tmp_path / "model"
    result = firstreply("learn", str(_labels(tmp_path / "l.jsonl")), "-o", str(out),
                        cwd=tmp_path, env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    assert "fitted on 12 urgent and 12 not urgent posts" in result.stdout
    head = JudgementHead.load(out)
    assert head is not None and head.fingerprint == fingerprint(out)
    # The shipped model's own head is untouched.
    assert (DEFAULT_DIR / "judgement.json").read_bytes() != (out / "judgement.json").read_bytes()


def test_learn_refuses_a_bad_label_file_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hello"}\n', encoding="utf-8")
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_DIR, model)
    result = firstreply("learn", str(bad), "--model", str(model), cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.jsonl:1: needs 'urgent'" in result.stderr
    assert "Traceback" not in result.stderr


def test_learn_refuses_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    result = firstreply("learn", str(_labels(tmp_path / "l.jsonl")), "--model", str(tmp_path),
                        cwd=tmp_path)
    assert result.returncode == 2
    assert "not a firstreply model folder" in result.stderr
