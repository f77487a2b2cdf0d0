"""Temperatures and the complaint threshold of a trained model, from validation data only."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from classifiers import evaluate as ev

#: The threshold must keep every chatter validation set at or below this share flagged,
#: a margin under the 5 % target because a test set's rate scatters around its val rate.
CHATTER_VAL_FPR = 0.04
#: Recall is maximised among thresholds within this much of the best validation macro-F1,
#: so that brand-directed non-complaints (thanks, questions) are not all flagged.
MACRO_F1_SLACK = 0.02


def choose_threshold(
    y_val: np.ndarray,
    p_val: np.ndarray,
    chatter: Mapping[str, np.ndarray],
    *,
    max_fpr: float = CHATTER_VAL_FPR,
    slack: float = MACRO_F1_SLACK,
) -> tuple[float, dict[str, float]]:
    """Highest-recall threshold with every chatter set's false alarms <= ``max_fpr``.

    Among the thresholds meeting the chatter bound, those within ``slack`` of the best
    validation macro-F1 are eligible; the lowest eligible one (the most recall) wins.
    """
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)

    def worst_fpr(t: float) -> float:
        return max((float(np.mean(p >= t)) for p in chatter.values() if len(p)), default=0.0)

    allowed = [float(t) for t in grid if worst_fpr(float(t)) <= max_fpr] or [float(grid[-1])]
    f1 = {t: ev.binary_macro_f1(y_val, (p_val >= t).astype(int)) for t in allowed}
    best = max(f1.values())
    threshold = min(t for t in allowed if f1[t] >= best - slack)
    pred = p_val >= threshold
    info = {
        "val_macro_f1": f1[threshold],
        "val_recall": float(pred[y_val == 1].mean()) if (y_val == 1).any() else 0.0,
        **{
            f"val_{name}_false_alarm": float(np.mean(p >= threshold)) for name, p in chatter.items()
        },
    }
    return threshold, info


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """ECE of binary probabilities ``p`` against labels ``y`` (10 equal-width bins)."""
    return ev.calibration_bins(y, p, n_bins)[1]
