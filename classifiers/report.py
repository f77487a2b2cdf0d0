"""Held-out figures of a saved model (fine-tuned or frozen), and recording them in its card.

Test rows only: TweetEval sentiment test and tweet-sentiment-extraction ``kfold`` 1 as
ordinary chatter, and the seeded test splits of airline, CESAMARD, X-FINCORP and the
weakly labelled twcs posts (``classifiers.finetune_data``). The fold table is not
recomputed here: it is read from the JSON that ``firstreply folds`` writes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from classifiers import data as corpora
from classifiers import evaluate as ev
from classifiers.base import SENTIMENT_LABELS, URGENCY_LEVELS, Scores
from classifiers.finetune_data import load_frames, split_frames
from classifiers.model import CONFIG_FILE, TriageModel

logger = logging.getLogger(__name__)

FOLDS_FILE = "folds.json"
ProgressFn = Callable[[int], None]


def _sentiment_index(scores: Sequence[Scores]) -> np.ndarray:
    return np.array([SENTIMENT_LABELS.index(s.sentiment) for s in scores])


def _severity_index(scores: Sequence[Scores]) -> np.ndarray:
    """Most likely level 1-4 whatever the complaint verdict (-1 if the model has none)."""
    levels = URGENCY_LEVELS[1:]
    out = []
    for s in scores:
        sev = s.severity_scores
        out.append(1 + levels.index(max(sev, key=lambda k: sev[k])) if sev else -1)
    return np.array(out)


def complaint_figures(y: np.ndarray, scores: Sequence[Scores]) -> dict[str, float]:
    """Macro-F1, complaint-class F1, recall and false alarms of the complaint verdicts."""
    flags = np.array([int(s.is_complaint) for s in scores])
    stats = ev.per_class(y, flags, 2)
    neg = y == 0
    return {
        "complaint_macro_f1": ev.binary_macro_f1(y, flags)
        if len(set(y.tolist())) > 1
        else float("nan"),
        "complaint_f1": float(stats["f1"][1]),
        "complaint_recall": float(stats["recall"][1]),
        "false_alarm": float(flags[neg].mean()) if neg.any() else float("nan"),
    }


def evaluate_saved(
    model: TriageModel, data_dir: Path, *, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Every held-out figure of the model card, in one pass over the test rows."""
    seed = int(model.config.training.get("seed", 13))
    splits = split_frames(load_frames(data_dir), seed=seed)
    sets = {
        "tweeteval_test": corpora.tweeteval_sentiment(data_dir, "test"),
        "tse_test": splits["tse_test"],
        "airline_test": splits["airline_test"],
        "cesamard_test": splits["cesamard_test"],
        "xfincorp_test": splits["xfincorp_test"],
        "twcs_test": splits["twcs_test"],
    }
    scores = {
        name: model.predict(df["text"].tolist(), progress=progress) for name, df in sets.items()
    }
    out: dict[str, Any] = {}

    test, pred = sets["tweeteval_test"], scores["tweeteval_test"]
    y = test["sentiment"].to_numpy()
    out["tweeteval_test_macro_recall"] = ev.macro_recall(y, _sentiment_index(pred), 3)
    out["tweeteval_test_accuracy"] = ev.accuracy(y, _sentiment_index(pred))
    flags = np.array([s.is_complaint for s in pred])
    out["chatter_false_alarm_tweeteval_test"] = ev.false_alarm_rate(flags)
    out["chatter_false_alarm_tweeteval_test_negative"] = ev.false_alarm_rate(flags[y == 0])
    out["chatter_false_alarm_tse_test"] = ev.false_alarm_rate(
        [s.is_complaint for s in scores["tse_test"]]
    )
    for name in ("airline", "xfincorp"):
        df, pred = sets[f"{name}_test"], scores[f"{name}_test"]
        known = df["sentiment"].to_numpy() >= 0
        y_s = df["sentiment"].to_numpy()[known]
        out[f"{name}_sentiment_macro_f1"] = ev.macro_f1(y_s, _sentiment_index(pred)[known], 3)
    probs, labels = [], []
    for name in ("airline", "cesamard", "xfincorp", "twcs"):
        df, pred = sets[f"{name}_test"], scores[f"{name}_test"]
        known = df["complaint"].to_numpy() >= 0
        y_c = df["complaint"].to_numpy()[known]
        kept = [s for s, k in zip(pred, known, strict=True) if k]
        for key, value in complaint_figures(y_c, kept).items():
            out[f"{name}_{key}"] = value
        if name != "twcs":  # weak labels are no ground truth for calibration
            probs += [s.complaint_probability for s in kept]
            labels += y_c.tolist()
    out["complaint_test_ece"] = ev.calibration_bins(labels, probs)[1]
    for name in ("cesamard", "xfincorp"):
        df, pred = sets[f"{name}_test"], scores[f"{name}_test"]
        sev = df["severity"].to_numpy()
        graded = sev >= 1
        levels = _severity_index(pred)
        if (levels >= 1).all():
            out[f"{name}_severity_macro_f1"] = ev.macro_f1(sev[graded] - 1, levels[graded] - 1, 4)
        urgency = np.array([s.urgency for s in pred])
        out[f"{name}_urgency_macro_f1_5class"] = ev.macro_f1(sev[sev >= 0], urgency[sev >= 0], 5)
    out["complaint_threshold"] = model.threshold
    return out


def read_folds(path: Path) -> dict[str, Any]:
    """The fold results JSON written by ``firstreply folds`` (empty if absent)."""
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def fold_rows(folds: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per fold, corpus folds first: fold, steps, n, complaint F1, recall, false alarms."""
    rows = [dict(fold=name, **result) for name, result in folds.get("folds", {}).items()]
    return sorted(rows, key=lambda r: (":" in r["fold"], r["fold"]))


def evaluate_and_record(model: TriageModel, data_dir: Path, folder: Path) -> dict[str, Any]:
    """Evaluate, store the figures in ``folder/config.json`` and rewrite its model card."""
    from classifiers.model_card_ft import render

    metrics = evaluate_saved(model, data_dir)
    model.config.metrics = {
        k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()
    }
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    config["metrics"] = model.config.metrics
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    folds = read_folds(folder / FOLDS_FILE)
    (folder / "README.md").write_text(render(model, folds), encoding="utf-8")
    return metrics


def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)
