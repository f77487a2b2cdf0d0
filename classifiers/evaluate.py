"""Metrics, reusable from notebooks, and the held-out evaluation of a saved model.

The metric functions take plain integer label arrays and are numpy-only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

logger = logging.getLogger(__name__)


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> np.ndarray:
    """``m[i, j]`` = number of items of true class ``i`` predicted as ``j``."""
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return m


def per_class(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> dict[str, np.ndarray]:
    """Per-class precision, recall, F1 and support (0 where undefined)."""
    m = confusion_matrix(y_true, y_pred, n_classes)
    tp = np.diag(m).astype(float)
    pred = m.sum(axis=0).astype(float)
    true = m.sum(axis=1).astype(float)
    precision = np.divide(tp, pred, out=np.zeros_like(tp), where=pred > 0)
    recall = np.divide(tp, true, out=np.zeros_like(tp), where=true > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": true}


def _present(stats: dict[str, np.ndarray]) -> np.ndarray:
    return stats["support"] > 0


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> float:
    """Mean F1 over the classes present in ``y_true``."""
    stats = per_class(y_true, y_pred, n_classes)
    return float(stats["f1"][_present(stats)].mean())


def macro_recall(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> float:
    """Mean recall over classes present (TweetEval sentiment's official metric)."""
    stats = per_class(y_true, y_pred, n_classes)
    return float(stats["recall"][_present(stats)].mean())


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def precision_recall_points(
    y_true: ArrayLike, scores: ArrayLike, thresholds: Sequence[float] | None = None
) -> list[dict[str, float]]:
    """Precision, recall, F1 and false-positive rate of ``score >= t`` for each threshold."""
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=float)
    ts = np.linspace(0.05, 0.95, 19) if thresholds is None else np.asarray(thresholds)
    out = []
    for t in ts:
        pred = s >= t
        tp = float(np.sum(pred & y))
        fp = float(np.sum(pred & ~y))
        precision = tp / max(tp + fp, 1.0)
        recall = tp / max(float(y.sum()), 1.0)
        f1 = 2 * precision * recall / max(precision + recall, 1e-12)
        fpr = fp / max(float((~y).sum()), 1.0)
        out.append(
            {"threshold": float(t), "precision": precision, "recall": recall, "f1": f1, "fpr": fpr}
        )
    return out


def calibration_bins(
    y_true: ArrayLike, probs: ArrayLike, n_bins: int = 10
) -> tuple[list[dict[str, float]], float]:
    """Reliability bins (mean predicted vs observed rate) and expected calibration error."""
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(probs, dtype=float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        sel = which == b
        if not sel.any():
            continue
        conf, rate = float(p[sel].mean()), float(y[sel].mean())
        ece += sel.mean() * abs(conf - rate)
        bins.append(
            {
                "lo": float(edges[b]),
                "hi": float(edges[b + 1]),
                "mean_prob": conf,
                "observed": rate,
                "count": float(sel.sum()),
            }
        )
    return bins, float(ece)


def false_alarm_rate(is_complaint: ArrayLike) -> float:
    """Share of ordinary (non-complaint) posts flagged as complaints."""
    flags = np.asarray(is_complaint, dtype=bool)
    return float(flags.mean()) if len(flags) else 0.0


def binary_macro_f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return macro_f1(y_true, y_pred, 2)


def evaluate_model(model: Any, data_dir: Path, *, seed: int | None = None) -> dict[str, Any]:
    """Held-out figures for a saved :class:`~classifiers.model.TriageModel`.

    Uses the same seeded splits as training (seed from the model unless given).
    """
    from classifiers import data as corpora
    from classifiers.training_data import build_splits

    seed = int(model.config.training.get("seed", 13) if seed is None else seed)
    splits = build_splits(data_dir, seed=seed)
    results: dict[str, Any] = {}

    def run(texts: Sequence[str]) -> list[Any]:
        return list(model.predict(list(texts)))

    test = corpora.tweeteval_sentiment(data_dir, "test")
    preds = run(test["text"])
    y_pred = [("negative", "neutral", "positive").index(s.sentiment) for s in preds]
    results["tweeteval_test_macro_recall"] = macro_recall(test["sentiment"], y_pred, 3)
    results["tweeteval_test_accuracy"] = accuracy(test["sentiment"], y_pred)
    # TweetEval test is ordinary chatter: general tweets, rarely addressed to a brand.
    results["chatter_false_alarm"] = false_alarm_rate([s.is_complaint for s in preds])
    results["chatter_negative_false_alarm"] = false_alarm_rate(
        [s.is_complaint for s, y in zip(preds, test["sentiment"], strict=True) if y == 0]
    )

    air = splits["airline_test"]
    preds = run(air["text"])
    y_pred = [("negative", "neutral", "positive").index(s.sentiment) for s in preds]
    results["airline_sentiment_accuracy"] = accuracy(air["sentiment"], y_pred)
    results["airline_sentiment_macro_f1"] = macro_f1(air["sentiment"], y_pred, 3)
    known = air["complaint"].to_numpy() >= 0
    flags = np.array([int(s.is_complaint) for s in preds])
    results["airline_complaint_macro_f1"] = binary_macro_f1(air["complaint"][known], flags[known])

    ces = splits["cesamard_test"]
    preds = run(ces["text"])
    flags = np.array([int(s.is_complaint) for s in preds])
    results["cesamard_complaint_macro_f1"] = binary_macro_f1(ces["complaint"], flags)
    sev_known = ces["severity"].to_numpy() >= 0
    urg = np.array([s.urgency for s in preds])
    results["cesamard_severity_macro_f1"] = macro_f1(ces["severity"][sev_known], urg[sev_known], 5)

    return results
