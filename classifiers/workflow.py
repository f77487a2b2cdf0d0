"""End-to-end chores: train, evaluate (held-out and cross-domain), write the card, save."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from classifiers import evaluate as ev
from classifiers.encoder import Encoder
from classifiers.model import TriageModel, features_from_layers
from classifiers.model_card import render
from classifiers.train import TrainOptions, complaint_rows, fit_complaint, train_model
from classifiers.training_data import FeatureStore, load_corpora, split_corpora

logger = logging.getLogger(__name__)


def cross_domain(
    data_dir: Path, *, opts: TrainOptions, encoder: str | None = None, cache_dir: Path | None = None
) -> dict[str, float]:
    """Complaint macro-F1 on a brand/industry the complaint head never saw.

    For each airline: train (and pick the threshold) without any of its tweets, then
    score all of its labelled tweets. Same for CESAMARD (another industry and genre).
    """
    frames = load_corpora(data_dir)
    enc = Encoder(encoder)
    enc._load()
    enc.layers = tuple(range(int(enc._model.config.num_hidden_layers) + 1))
    store = FeatureStore.build(frames, enc, cache_dir=cache_dir)
    splits = split_corpora(frames, seed=opts.seed)
    positions = list(opts.feature_layers)

    def feats(df: pd.DataFrame) -> np.ndarray:
        return features_from_layers(store.rows(df), positions)

    train_all, val_all = complaint_rows(splits, "train"), complaint_rows(splits, "val")
    chatter = splits["tweeteval_val"]
    out: dict[str, float] = {}
    held_outs: list[tuple[str, pd.Series, pd.Series, pd.DataFrame]] = []
    airline = frames["airline"].assign(corpus="airline")
    for name in sorted(airline["group"].unique()):
        test = airline[(airline["group"] == name) & (airline["complaint"] >= 0)]
        held_outs.append(
            (f"airline:{name}", train_all["group"] != name, val_all["group"] != name, test)
        )
    ces = frames["cesamard"].assign(corpus="cesamard")
    held_outs.append(
        ("cesamard", train_all["corpus"] != "cesamard", val_all["corpus"] != "cesamard", ces)
    )
    for label, keep_train, keep_val, test in held_outs:
        head, threshold, _ = fit_complaint(
            train_all[keep_train], val_all[keep_val], chatter, feats, opts
        )
        pred = (head.predict_proba(feats(test))[:, 1] >= threshold).astype(int)
        out[f"xdomain_{label}_complaint_macro_f1"] = ev.binary_macro_f1(test["complaint"], pred)
        logger.info("cross-domain %s: %.3f", label, out[f"xdomain_{label}_complaint_macro_f1"])
    airline_scores = [v for k, v in out.items() if k.startswith("xdomain_airline:")]
    out["xdomain_airline_mean_complaint_macro_f1"] = float(np.mean(airline_scores))
    return out


def train_and_save(
    data_dir: Path,
    output: Path,
    *,
    opts: TrainOptions | None = None,
    encoder: str | None = None,
    feedback: Sequence[tuple[str, str]] = (),
    run_evaluation: bool = True,
    run_cross_domain: bool = True,
    notes: str = "",
) -> dict[str, Any]:
    """Train, evaluate, write ``config.json``, ``heads.safetensors`` and ``README.md``."""
    opts = opts or TrainOptions()
    started = time.perf_counter()
    model: TriageModel = train_model(data_dir, opts=opts, encoder=encoder, feedback=feedback)
    metrics: dict[str, Any] = {}
    if run_evaluation:
        metrics.update(ev.evaluate_model(model, data_dir, seed=opts.seed))
    if run_cross_domain:
        metrics.update(cross_domain(data_dir, opts=opts, encoder=encoder))
    model.config.metrics = {
        k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()
    }
    model.config.training["total_seconds"] = round(time.perf_counter() - started, 1)
    model.save_pretrained(output)
    (output / "README.md").write_text(render(model, notes=notes), encoding="utf-8")
    return {
        **model.config.metrics,
        "complaint_threshold": model.threshold,
        "train_seconds": model.config.training["total_seconds"],
    }
