"""Metric functions used by the evaluation and the notebooks."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers import evaluate as ev
from classifiers.heads import MLPHead, fit_temperature, softmax
from classifiers.text import normalize
from classifiers.train import balanced_weights, choose_threshold


def test_confusion_and_macro_scores() -> None:
    y, p = [0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0]
    m = ev.confusion_matrix(y, p, 3)
    assert m.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert ev.macro_recall(y, p, 3) == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert ev.macro_f1(y, p, 3) == pytest.approx(np.mean([0.5, 0.8, 2 / 3]))
    assert ev.accuracy(y, p) == pytest.approx(4 / 6)


def test_pr_points_and_calibration() -> None:
    points = ev.precision_recall_points([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1], [0.5])
    assert (points[0]["precision"], points[0]["recall"], points[0]["fpr"]) == (0.5, 0.5, 0.5)
    bins, ece = ev.calibration_bins([1, 0, 1, 1], [0.95, 0.05, 0.9, 0.85], n_bins=10)
    assert sum(b["count"] for b in bins) == 4
    assert 0 <= ece < 0.2
    assert ev.false_alarm_rate([True, False, False, False]) == 0.25


def test_threshold_respects_the_chatter_false_alarm_target() -> None:
    rng = np.random.default_rng(0)
    y = np.array([0] * 100 + [1] * 100)
    p = np.concatenate([rng.uniform(0, 0.6, 100), rng.uniform(0.4, 1, 100)])
    chatter = rng.uniform(0, 0.8, 1000)
    t, info = choose_threshold(y, p, chatter, max_fpr=0.05)
    assert np.mean(chatter >= t) <= 0.05 + 1e-9
    assert info["val_chatter_fpr"] <= 0.05


def test_heads_softmax_and_temperature() -> None:
    head = MLPHead("x", ("a", "b"), [np.eye(2, dtype=np.float32)], [np.zeros(2, np.float32)])
    probs = head.predict_proba(np.array([[1.0, 0.0], [0.0, 3.0]]))
    assert np.allclose(probs.sum(1), 1.0)
    assert probs[1, 1] > probs[0, 1]
    logits = np.array([[2.0, -2.0]] * 50 + [[-2.0, 2.0]] * 50)
    y = np.array([0] * 40 + [1] * 10 + [1] * 40 + [0] * 10)
    assert fit_temperature(logits, y) > 1.0  # over-confident logits get softened
    assert np.allclose(softmax(np.zeros((1, 3))), 1 / 3)


def test_balanced_weights_equalise_cells() -> None:
    y = np.array([0, 0, 0, 1])
    w = balanced_weights(y)
    assert w[:3].sum() == pytest.approx(w[3])


def test_normalize_masks_handles_and_links() -> None:
    assert (
        normalize("@AmericanAir hi&amp;bye http://t.co/x  \\u2019ok")
        == "@user hi&bye http \u2019ok"
    )
    assert normalize("mail me at a@b.com") == "mail me at a@b.com"
