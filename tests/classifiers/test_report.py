"""Held-out report and fold table plumbing, with a fake model (no encoder) on the real splits."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from classifiers.base import SENTIMENT_LABELS, URGENCY_LEVELS, Scores
from classifiers.folds import FOLDS
from classifiers.model_card_ft import _fold_failures, _fold_table
from classifiers.report import complaint_figures, evaluate_saved, fold_rows, read_folds
from tests.shared_data import SHARED_DATA, needs_shared_data


class KeywordModel:
    """Flags texts with a complaint word; sentiment and severity from a hash."""

    threshold = 0.5
    config = SimpleNamespace(training={"seed": 13})
    name = "keyword"

    def predict(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> list[Scores]:
        out = []
        for text in texts:
            bad = any(w in text.lower() for w in ("not", "never", "worst", "refund", "delay"))
            h = zlib.crc32(text.encode())
            out.append(
                Scores(
                    sentiment=SENTIMENT_LABELS[h % 3],
                    sentiment_scores={k: 1 / 3 for k in SENTIMENT_LABELS},
                    complaint_probability=0.9 if bad else 0.1,
                    is_complaint=bad,
                    urgency=1 + h % 4 if bad else 0,
                    signals=(),
                    topic="other",
                    topic_scores={"other": 1.0},
                    explanation="",
                    model=self.name,
                    severity_scores={
                        lev: float(i == h % 4) for i, lev in enumerate(URGENCY_LEVELS[1:])
                    },
                )
            )
        if progress is not None:
            progress(len(texts))
        return out


def scores_for(flags: Sequence[bool]) -> list[Scores]:
    return [
        Scores("neutral", {}, 0.9 if f else 0.1, f, int(f), (), "other", {}, "", "m")
        for f in flags
    ]


def test_complaint_figures() -> None:
    y = np.array([1, 1, 0, 0])
    got = complaint_figures(y, scores_for([True, False, True, False]))
    assert got["complaint_recall"] == pytest.approx(0.5)
    assert got["false_alarm"] == pytest.approx(0.5)
    assert got["complaint_f1"] == pytest.approx(0.5)


@needs_shared_data("x-fincorp")
def test_every_card_figure_is_computed() -> None:
    seen: list[int] = []
    got = evaluate_saved(KeywordModel(), SHARED_DATA, progress=seen.append)  # type: ignore[arg-type]
    for key in (
        "tweeteval_test_macro_recall",
        "chatter_false_alarm_tweeteval_test",
        "chatter_false_alarm_tse_test",
        "xfincorp_complaint_recall",
        "xfincorp_severity_macro_f1",
        "cesamard_severity_macro_f1",
        "twcs_complaint_recall",
        "complaint_test_ece",
    ):
        assert 0.0 <= got[key] <= 1.0, key
    assert sum(seen) > 12_000


def test_fold_table_says_when_folds_ran_shorter_than_the_recipe(tmp_path: Path) -> None:
    path = tmp_path / "folds.json"
    row = {"steps": 300, "n": 10, "complaints": 4, "complaint_macro_f1": 0.7}
    row |= {"complaint_f1": 0.6, "complaint_recall": 0.5, "false_alarm": 0.1}
    path.write_text(json.dumps({"folds": {"xfincorp:cards": row, "cesamard": row}}))
    folds = read_folds(path)
    assert [r["fold"] for r in fold_rows(folds)] == ["cesamard", "xfincorp:cards"]
    table = _fold_table(folds, shipped_steps=3000)
    assert "fewer than the shipped recipe's 3000" in table
    assert "Recall below 0.80 when held out: cesamard, xfincorp:cards" in table
    assert f"{len(FOLDS) - 2} of the {len(FOLDS)} folds were not run" in table
    assert read_folds(tmp_path / "none.json") == {}


def test_the_card_says_what_a_brand_never_seen_should_expect() -> None:
    def row(recall: float, fa: float, f1: float) -> dict[str, float]:
        return {"steps": 400, "n": 10, "complaints": 4, "complaint_macro_f1": f1,
                "complaint_f1": f1, "complaint_recall": recall, "false_alarm": fa}

    folds = {"folds": {h.label: row(0.9, 0.2, 0.8) for h in FOLDS}}
    folds["folds"]["twcs"] = row(0.7, 0.4, 0.6)
    assert f"all {len(FOLDS)} folds were run" in _fold_table(folds, shipped_steps=3000)
    text = _fold_failures(folds)
    assert "every fold except twcs" in text
    assert "to 40.0 % (twcs)" in text and "weakest fold is twcs (macro-F1 0.600)" in text
    assert _fold_failures({}) == ""
