"""The fine-tuned model, end to end: data, LP-FT, fp16 export, calibration, signals, topics.

``train_finetuned`` is what ``firstreply train`` runs by default. The linear probe is the
frozen v1 model's heads (``classifiers/weights/frozen-v1``, themselves made by
``firstreply train --frozen``); fine-tuning starts from them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from classifiers import evaluate as ev
from classifiers.base import SENTIMENT_LABELS
from classifiers.calibrate import CHATTER_VAL_FPR, choose_threshold, expected_calibration_error
from classifiers.encoder import DEFAULT_ENCODER, Encoder, default_encoder_dir, l2_normalize
from classifiers.finetune import (
    FinetuneOptions,
    ProgressFn,
    build_net,
    export_heads,
    save_encoder_fp16,
    train_net,
)
from classifiers.finetune_data import (
    SHARES,
    Holdout,
    load_frames,
    split_frames,
    training_table,
    validation_sets,
)
from classifiers.heads import MLPHead, fit_temperature
from classifiers.model import FROZEN_V1_DIR, TriageConfig, TriageModel
from classifiers.signals import DEFAULT_SIGNAL_EXAMPLES, SignalPrototypes
from classifiers.topics import DEFAULT_TOPIC_EXAMPLES, TopicModel
from classifiers.train import signal_prototypes

logger = logging.getLogger(__name__)

ENCODER_FILE = "encoder.safetensors"


def _base_encoder() -> tuple[Any, Any, dict[str, Any]]:
    from transformers import AutoModel, AutoTokenizer

    enc = Encoder(None)
    info = enc.info()
    path = default_encoder_dir()
    record = {
        "name": info.name,
        "path": None,
        "package": info.package,
        "version": info.version,
        "revision": info.revision,
    }
    return AutoModel.from_pretrained(path), AutoTokenizer.from_pretrained(path), record


def calibrate(
    model: TriageModel, val: Mapping[str, pd.DataFrame], *, max_fpr: float = CHATTER_VAL_FPR
) -> dict[str, Any]:
    """Fit head temperatures and the complaint threshold on validation rows; return figures."""

    def feats(df: pd.DataFrame) -> np.ndarray:
        return model.encode(df["text"].tolist())[0]

    info: dict[str, Any] = {}
    x, y = feats(val["sentiment"]), val["sentiment"]["sentiment"].to_numpy()
    head = model.heads["sentiment"]
    head.temperature = fit_temperature(head.logits(x), y)
    tv = val["tweeteval_val"]
    pred = head.predict_proba(feats(tv)).argmax(1)
    info["tweeteval_val_macro_recall"] = ev.macro_recall(
        tv["sentiment"], pred, len(SENTIMENT_LABELS)
    )

    sev = val["severity"]
    head = model.heads["severity"]
    head.temperature = fit_temperature(head.logits(feats(sev)), sev["severity"].to_numpy() - 1)

    comp = val["complaint"]
    xc, yc = feats(comp), comp["complaint"].to_numpy()
    head = model.heads["complaint"]
    head.temperature = fit_temperature(head.logits(xc), yc)
    p_val = head.predict_proba(xc)[:, 1]
    chatter = {
        name: head.predict_proba(feats(val[name]))[:, 1]
        for name in ("tweeteval_val", "semeval_val", "tse_val")
    }
    threshold, thr = choose_threshold(yc, p_val, chatter, max_fpr=max_fpr)
    model.config.complaint_threshold = threshold
    info.update(thr)
    info["val_complaint_ece"] = expected_calibration_error(yc, p_val)
    return info


def attach_signals_and_topics(model: TriageModel, chatter_texts: Sequence[str]) -> None:
    """Embed the default signal and topic examples with the model's own encoder."""
    chatter = model.embed(list(chatter_texts))
    model.prototypes = signal_prototypes(model, l2_normalize(chatter))
    model.config.signal_threshold = model.prototypes.threshold
    model.topics = TopicModel.from_examples(DEFAULT_TOPIC_EXAMPLES, model)


def train_finetuned(
    data_dir: Path,
    output: Path,
    *,
    opts: FinetuneOptions | None = None,
    holdouts: Sequence[Holdout] = (),
    checkpoint_dir: Path | None = None,
    progress: ProgressFn | None = None,
) -> TriageModel:
    """Fine-tune, save ``encoder.safetensors`` + heads + config into ``output``, return it."""
    opts = opts or FinetuneOptions()
    started = time.perf_counter()
    splits = split_frames(load_frames(data_dir), seed=opts.seed)
    shares = dict(opts.shares) or SHARES
    table = training_table(splits, holdouts)
    val = validation_sets(splits, holdouts)
    logger.info("training rows per corpus: %s", table["source"].value_counts().to_dict())
    probe = TriageModel.from_pretrained(FROZEN_V1_DIR, device="cpu")
    base, tokenizer, record = _base_encoder()
    net = build_net(base, probe.config.feature_layers, probe.heads)
    stats = train_net(
        net, tokenizer, table, opts, shares, checkpoint_dir=checkpoint_dir, progress=progress
    )
    output.mkdir(parents=True, exist_ok=True)
    save_encoder_fp16(base, output / ENCODER_FILE)
    heads: dict[str, MLPHead] = export_heads(net, probe.heads)
    del net, base
    config = TriageConfig(
        name=f"firstreply-triage-minilm-ft/{time.strftime('%Y%m%d')}",
        encoder={
            **record,
            "weights": ENCODER_FILE,
            "max_length": opts.max_length,
            "n_layers": probe.config.encoder.get("n_layers", 6),
        },
        feature_layers=probe.config.feature_layers,
        complaint_threshold=0.5,
        heads={name: h.config() for name, h in heads.items()},
        signal_examples={k: list(v) for k, v in DEFAULT_SIGNAL_EXAMPLES.items()},
        training={
            "recipe": "multi-task LP-FT from frozen-v1 heads",
            "seed": opts.seed,
            "steps": opts.steps,
            "batch_size": opts.batch_size,
            "max_length": opts.max_length,
            "lr_encoder": opts.lr_encoder,
            "lr_heads": opts.lr_heads,
            "warmup": opts.warmup,
            "weight_decay": opts.weight_decay,
            "severity_weight": opts.severity_weight,
            "fingerprint": opts.fingerprint(),
            "shares": ", ".join(f"{k} {v:.2f}" for k, v in shares.items()),
            "held_out": ", ".join(h.label for h in holdouts) or "none",
            "max_chatter_fpr": CHATTER_VAL_FPR,
            "train_rows": {k: int(v) for k, v in table["source"].value_counts().items()},
            "device": opts.device,
            "peak_rss_mb": stats["peak_rss_mb"],
            "finetune_seconds": stats["train_seconds"],
        },
    )
    encoder = Encoder(
        DEFAULT_ENCODER,
        device=opts.device,
        max_length=opts.max_length,
        weights=output / ENCODER_FILE,
    )
    placeholder = TopicModel(["other"], np.ones((1, 1), np.float32))
    empty = SignalPrototypes((), (), (), np.zeros((0, 1), np.float32))
    model = TriageModel(config, heads, placeholder, empty, encoder=encoder)
    finish(model, val)
    model.config.training["total_seconds"] = round(time.perf_counter() - started, 1)
    model.save_pretrained(output)
    logger.info("fine-tuned model saved to %s (%.0fs)", output, time.perf_counter() - started)
    return model


def finish(model: TriageModel, val: Mapping[str, pd.DataFrame]) -> None:
    """Everything after the weights: temperatures, threshold, signal prototypes, topics."""
    model.config.training.update(calibrate(model, val))
    attach_signals_and_topics(model, val["tweeteval_val"]["text"].tolist())


def recalibrate(data_dir: Path, folder: Path) -> TriageModel:
    """Redo :func:`finish` for a saved fine-tuned model (same seed and hold-outs), and save."""
    model = TriageModel.from_pretrained(folder, device="cpu")
    tr = model.config.training
    held = [h for h in str(tr.get("held_out", "none")).split(", ") if h != "none"]
    splits = split_frames(load_frames(data_dir), seed=int(tr.get("seed", 13)))
    finish(model, validation_sets(splits, [Holdout.parse(h) for h in held]))
    model.save_pretrained(folder)
    return model
