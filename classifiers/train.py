"""Train the heads of the triage model on frozen encoder features.

``train_model`` is what ``firstreply train`` runs: build seeded splits, encode
every corpus once (cached), fit the sentiment, complaint and severity heads,
calibrate temperatures and the complaint threshold on validation data, and
return a :class:`~classifiers.model.TriageModel` plus its validation figures.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from classifiers import evaluate as ev
from classifiers.base import SENTIMENT_LABELS, URGENCY_LEVELS
from classifiers.data import feedback_frame
from classifiers.encoder import Encoder, l2_normalize
from classifiers.heads import MLPHead, fit_temperature
from classifiers.model import TriageConfig, TriageModel, features_from_layers, last_layer
from classifiers.signals import DEFAULT_SIGNAL_EXAMPLES, SignalPrototypes
from classifiers.topics import DEFAULT_TOPIC_EXAMPLES, TopicModel
from classifiers.training_data import FeatureStore, load_corpora, split_corpora

logger = logging.getLogger(__name__)

#: Target for the complaint threshold: at most this share of ordinary chatter flagged.
MAX_CHATTER_FPR = 0.05
#: Model signals fire on at most this share of ordinary chatter (validation).
MAX_SIGNAL_CHATTER_RATE = 0.01


@dataclass(slots=True)
class TrainOptions:
    """Knobs of one training run (all recorded in the saved config)."""

    seed: int = 13
    feature_layers: tuple[int, ...] = (4, 5, 6)
    #: 0 = logistic regression heads (the default: fast on CPU, generalises well).
    hidden: int = 0
    max_iter: int = 60
    max_chatter_fpr: float = MAX_CHATTER_FPR
    #: Corpora left out of training entirely, e.g. ``("airline",)`` for a model free of
    #: the non-commercial airline data (its held-out figures then become cross-domain).
    drop_corpora: tuple[str, ...] = ()


def _fit(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, *, hidden: int, seed: int, max_iter: int
) -> Any:
    """A one-hidden-layer MLP (or logistic regression when ``hidden == 0``)."""
    if hidden == 0:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=2.0, max_iter=1000)
        return lr.fit(x, y, sample_weight=w)
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        alpha=1e-3,
        batch_size=256,
        learning_rate_init=1e-3,
        max_iter=max_iter,
        early_stopping=True,
        n_iter_no_change=5,
        validation_fraction=0.1,
        random_state=seed,
    )
    return mlp.fit(x, y, sample_weight=w)


def balanced_weights(y: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Weights giving every class (within every group, if given) equal total mass."""
    w = np.zeros(len(y), dtype=np.float64)
    keys = list(zip(groups, y, strict=True)) if groups is not None else [(0, c) for c in y]
    counts: dict[tuple[Any, Any], int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    for i, k in enumerate(keys):
        w[i] = 1.0 / counts[k]
    return np.asarray(w * len(y) / w.sum(), dtype=np.float64)


def choose_threshold(
    y_val: np.ndarray, p_val: np.ndarray, p_chatter: np.ndarray, *, max_fpr: float
) -> tuple[float, dict[str, float]]:
    """Best validation macro-F1 threshold among those flagging <= ``max_fpr`` of chatter."""
    floor = float(np.quantile(p_chatter, 1.0 - max_fpr)) if len(p_chatter) else 0.0
    best_t, best_f1 = 0.5, -1.0
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        if t < floor:
            continue
        f1 = ev.binary_macro_f1(y_val, (p_val >= t).astype(int))
        if f1 > best_f1:
            best_t, best_f1 = float(t), f1
    if best_f1 < 0:
        best_t = min(0.99, floor + 0.01)
        best_f1 = ev.binary_macro_f1(y_val, (p_val >= best_t).astype(int))
    fpr = float(np.mean(p_chatter >= best_t)) if len(p_chatter) else 0.0
    return best_t, {"val_macro_f1": best_f1, "val_chatter_fpr": fpr, "chatter_floor": floor}


def _head(
    name: str, labels: Sequence[str], est: Any, x_val: np.ndarray, y_val: np.ndarray
) -> MLPHead:
    head = MLPHead.from_sklearn(name, labels, est)
    head.temperature = fit_temperature(head.logits(x_val), y_val)
    return head


def complaint_rows(splits: dict[str, pd.DataFrame], part: str) -> pd.DataFrame:
    """Rows with a complaint label for ``part`` in {train, val, test}."""
    frames = [splits[f"airline_{part}"], splits[f"cesamard_{part}"]]
    if part == "train":
        frames += [splits["semeval"], splits["emotion"]]
    df = pd.concat(frames, ignore_index=True)
    return df[df["complaint"] >= 0].reset_index(drop=True)


def fit_complaint(
    train: pd.DataFrame,
    val: pd.DataFrame,
    chatter: pd.DataFrame,
    feats: Callable[[pd.DataFrame], np.ndarray],
    opts: TrainOptions,
) -> tuple[MLPHead, float, dict[str, float]]:
    """Complaint head (each (corpus, label) cell weighted equally) and its threshold."""
    x, y = feats(train), train["complaint"].to_numpy()
    groups = train["corpus"].to_numpy()
    groups = np.where(np.isin(groups, ["semeval", "emotion"]), "chatter", groups)
    est = _fit(
        x,
        y,
        balanced_weights(y, groups),
        hidden=opts.hidden,
        seed=opts.seed,
        max_iter=opts.max_iter,
    )
    xv, yv = feats(val), val["complaint"].to_numpy()
    head = _head("complaint", ("no", "yes"), est, xv, yv)
    p_val = head.predict_proba(xv)[:, 1]
    p_chat = head.predict_proba(feats(chatter))[:, 1]
    threshold, info = choose_threshold(yv, p_val, p_chat, max_fpr=opts.max_chatter_fpr)
    return head, threshold, info


def train_heads(
    splits: dict[str, pd.DataFrame],
    store: FeatureStore,
    opts: TrainOptions,
    *,
    positions: Sequence[int],
) -> tuple[dict[str, MLPHead], float, dict[str, Any]]:
    """Fit sentiment, complaint and severity heads; return heads, threshold, val figures."""

    def feats(df: pd.DataFrame) -> np.ndarray:
        return features_from_layers(store.rows(df), positions)

    fit_kw = {"hidden": opts.hidden, "seed": opts.seed, "max_iter": opts.max_iter}
    info: dict[str, Any] = {}

    # Sentiment: SemEval pool + airline train + emotion (+ feedback).
    # Validation: TweetEval val + airline val.
    sent_train = pd.concat(
        [splits[k] for k in ("semeval", "airline_train", "emotion", "feedback") if k in splits],
        ignore_index=True,
    )
    sent_train = sent_train[sent_train["sentiment"] >= 0]
    sent_val = pd.concat([splits["tweeteval_val"], splits["airline_val"]], ignore_index=True)
    x, y = feats(sent_train), sent_train["sentiment"].to_numpy()
    est = _fit(x, y, balanced_weights(y), **fit_kw)
    xv, yv = feats(sent_val), sent_val["sentiment"].to_numpy()
    sentiment = _head("sentiment", SENTIMENT_LABELS, est, xv, yv)
    tv = splits["tweeteval_val"]
    pred = sentiment.predict_proba(feats(tv)).argmax(1)
    info["tweeteval_val_macro_recall"] = ev.macro_recall(tv["sentiment"], pred, 3)
    info["sentiment_train_rows"] = len(sent_train)

    # Complaint: brand complaints vs brand non-complaints, reviews, and general chatter
    # (hard negatives).
    comp_train = complaint_rows(splits, "train")
    comp_val = complaint_rows(splits, "val")
    complaint, threshold, thr_info = fit_complaint(comp_train, comp_val, tv, feats, opts)
    info.update(thr_info)
    info["complaint_train_rows"] = len(comp_train)

    # Severity (levels 1..4) on CESAMARD complaints; urgency 0 comes from the complaint head.
    sev_train = splits["cesamard_train"]
    sev_train = sev_train[sev_train["severity"] >= 1]
    x, y = feats(sev_train), sev_train["severity"].to_numpy() - 1
    est = _fit(x, y, balanced_weights(y), hidden=0, seed=opts.seed, max_iter=opts.max_iter)
    sev_val = splits["cesamard_val"]
    sev_val = sev_val[sev_val["severity"] >= 1]
    severity = _head(
        "severity", URGENCY_LEVELS[1:], est, feats(sev_val), sev_val["severity"].to_numpy() - 1
    )
    info["severity_train_rows"] = len(sev_train)
    return {"sentiment": sentiment, "complaint": complaint, "severity": severity}, threshold, info


def signal_prototypes(model: TriageModel, chatter_emb: np.ndarray) -> SignalPrototypes:
    """Embed the default signal examples; threshold so <= 1 % of chatter fires."""
    names = tuple(DEFAULT_SIGNAL_EXAMPLES)
    examples = tuple(e for n in names for e in DEFAULT_SIGNAL_EXAMPLES[n])
    owners = tuple(n for n in names for _ in DEFAULT_SIGNAL_EXAMPLES[n])
    vectors = model.embed(list(examples))
    top = (chatter_emb @ vectors.T).max(axis=1)
    threshold = max(0.55, float(np.quantile(top, 1.0 - MAX_SIGNAL_CHATTER_RATE)))
    return SignalPrototypes(names, examples, owners, vectors, round(threshold, 3))


def train_model(
    data_dir: Path,
    *,
    opts: TrainOptions | None = None,
    encoder: str | None = None,
    feedback: Sequence[tuple[str, str]] = (),
    cache_dir: Path | None = None,
) -> TriageModel:
    """Train every head and return the model (figures in ``model.config.training``)."""
    opts = opts or TrainOptions()
    started = time.perf_counter()
    frames = load_corpora(data_dir)
    enc = Encoder(encoder)
    n_layers = last_layer(enc)
    enc.layers = tuple(range(n_layers + 1))
    store = FeatureStore.build(frames, enc, cache_dir=cache_dir)
    splits = split_corpora(frames, seed=opts.seed)
    for key in list(splits):
        if key.split("_")[0] in opts.drop_corpora:
            splits[key] = splits[key].iloc[0:0]
    if feedback:
        fb = feedback_frame(list(feedback))
        fb["row"], fb["corpus"] = np.arange(len(fb)), "feedback"
        store.pooled["feedback"] = enc.encode(fb["text"].tolist())
        splits["feedback"] = fb
    positions = list(opts.feature_layers)
    heads, threshold, info = train_heads(splits, store, opts, positions=positions)
    enc_info = enc.info()
    config = TriageConfig(
        name=f"firstreply-triage-minilm/{time.strftime('%Y%m%d')}",
        encoder={
            "name": enc_info.name,
            "path": None if enc_info.package else enc.path,
            "package": enc_info.package,
            "version": enc_info.version,
            "revision": enc_info.revision,
            "max_length": enc_info.max_length,
            "n_layers": n_layers,
        },
        feature_layers=tuple(opts.feature_layers),
        complaint_threshold=threshold,
        heads={name: h.config() for name, h in heads.items()},
        signal_examples={k: list(v) for k, v in DEFAULT_SIGNAL_EXAMPLES.items()},
        training={
            "seed": opts.seed,
            "hidden": opts.hidden,
            "dropped_corpora": ", ".join(opts.drop_corpora) or "none",
            "feedback_rows": len(feedback),
            "max_chatter_fpr": opts.max_chatter_fpr,
            **info,
        },
    )
    placeholder_topics = TopicModel(["other"], np.ones((1, 1), np.float32))
    empty = SignalPrototypes((), (), (), np.zeros((0, 1), np.float32))
    model = TriageModel(config, heads, placeholder_topics, empty, encoder=Encoder(encoder))
    model.encoder._model, model.encoder._tokenizer = enc._model, enc._tokenizer
    model.encoder._device = enc._device
    chatter = store.pooled["tweeteval_val"][:, n_layers]
    model.prototypes = signal_prototypes(model, l2_normalize(chatter))
    model.config.signal_threshold = model.prototypes.threshold
    model.topics = TopicModel.from_examples(DEFAULT_TOPIC_EXAMPLES, model)
    model.config.training["train_seconds"] = round(time.perf_counter() - started, 1)
    logger.info("trained in %.1fs: %s", time.perf_counter() - started, info)
    return model
