"""Leave-one-corpus-out and leave-one-industry-out folds: how the recipe does on data it never saw.

Each fold fine-tunes the recipe with one corpus (or one industry group of it) removed from
training *and* from the validation that picks the threshold, then scores every labelled
row of what was removed. The complaint figures of the held-out rows are the proxy for a
brand from an industry that is in none of our corpora. Results go to a JSON file that
``firstreply evaluate`` prints (so evaluating stays quick); a rerun skips the folds
already in it with the same recipe fingerprint.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.finetune import FinetuneOptions
from classifiers.finetune_data import Holdout, holdout_rows, load_frames
from classifiers.recipe import train_finetuned
from classifiers.report import complaint_figures

logger = logging.getLogger(__name__)

AIRLINES = ("American", "Delta", "Southwest", "US Airways", "United", "Virgin America")
XFIN_GROUPS = ("banking", "cards", "markets", "payments")

#: Corpus folds first (the widest shift), then industry folds inside a corpus.
FOLDS: tuple[Holdout, ...] = (
    Holdout("cesamard"),
    Holdout("xfincorp"),
    Holdout("twcs"),
    Holdout("airline"),
    *(Holdout("xfincorp", g) for g in XFIN_GROUPS),
    *(Holdout("airline", a) for a in AIRLINES),
)


def run_folds(
    data_dir: Path,
    results: Path,
    *,
    opts: FinetuneOptions,
    folds: Sequence[Holdout] = FOLDS,
    workdir: Path,
) -> dict[str, Any]:
    """Run each fold not yet in ``results`` (same fingerprint); return the whole file."""
    data: dict[str, Any] = json.loads(results.read_text()) if results.exists() else {}
    data.setdefault("folds", {})
    frames = load_frames(data_dir)
    for i, fold in enumerate(folds, start=1):
        done = data["folds"].get(fold.label)
        if done and done.get("fingerprint") == opts.fingerprint():
            logger.info("fold %s already measured, skipped", fold.label)
            continue
        logger.info("fold %d/%d: %s held out, %d steps", i, len(folds), fold.label, opts.steps)
        started = time.perf_counter()
        out = workdir / fold.label.replace(":", "_").replace(" ", "_")
        model = train_finetuned(
            data_dir, out, opts=replace(opts), holdouts=[fold], checkpoint_dir=out / "ckpt"
        )
        rows = holdout_rows(frames, fold)
        scores = model.predict(rows["text"].tolist())
        figures = complaint_figures(rows["complaint"].to_numpy(), scores)
        data["folds"][fold.label] = {
            "steps": opts.steps,
            "fingerprint": opts.fingerprint(),
            "n": len(rows),
            "complaints": int(np.sum(rows["complaint"].to_numpy() == 1)),
            **{k: round(v, 4) for k, v in figures.items()},
            "threshold": model.threshold,
            "seconds": round(time.perf_counter() - started, 1),
        }
        logger.info("fold %s: %s", fold.label, data["folds"][fold.label])
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
    return data
