"""The multi-task data of the fine-tuned model: seeded splits, loss weights, sampling shares.

Splits (seeded, fractions of each corpus):

* airline 80/10/10 and CESAMARD 70/15/15, as for the frozen model (same test rows);
* X-FINCORP and the weakly labelled twcs posts 70/15/15;
* SemEval-2017 pool (minus TweetEval val/test texts): 2,000 rows held out as chatter
  validation, the rest train; TweetEval emotion train: train;
* tweet-sentiment-extraction: ``kfold`` 0 chatter validation, 1 chatter test, 2-9 train;
* chatter validation/test rows whose text also occurs in any train split are dropped;
* TweetEval sentiment val: validation only. TweetEval sentiment **test** is never loaded.

Every train row carries three labels (-1 = unknown) and a loss weight per task; the
trainer draws each batch slot from a corpus by its share in :data:`SHARES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from classifiers import data as corpora
from classifiers.weak_labels import twcs_weak

#: Share of each batch drawn from each training corpus.
SHARES: dict[str, float] = {
    "semeval": 0.20,
    "tse": 0.12,
    "emotion": 0.05,
    "airline": 0.15,
    "cesamard": 0.13,
    "xfincorp": 0.25,
    "twcs": 0.10,
}
#: Weak labels count this much of a human label.
WEAK_WEIGHT: dict[str, float] = {"twcs": 0.3}
SEMEVAL_CHATTER_VAL = 2000
SPLITS: dict[str, tuple[float, float]] = {
    "airline": (0.1, 0.1),
    "cesamard": (0.15, 0.15),
    "xfincorp": (0.15, 0.15),
    "twcs": (0.15, 0.15),
}
#: Labelled corpora whose val split picks the threshold and temperatures.
LABELLED = ("airline", "cesamard", "xfincorp", "twcs")
CHATTER_VAL = ("tweeteval_val", "semeval_val", "tse_val")


@dataclass(frozen=True, slots=True)
class Holdout:
    """Rows kept out of training and validation: one corpus, or one group of it."""

    corpus: str
    group: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Holdout:
        """``corpus`` or ``corpus:group`` (e.g. ``xfincorp:payments``)."""
        corpus, _, group = spec.partition(":")
        return cls(corpus, group or None)

    @property
    def label(self) -> str:
        return self.corpus if self.group is None else f"{self.corpus}:{self.group}"

    def mask(self, df: pd.DataFrame) -> pd.Series:
        hit = df["source"] == self.corpus
        if self.group is not None:
            hit &= df["group"] == self.group
        return hit


def load_frames(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every training-side corpus (no TweetEval test rows)."""
    val = corpora.tweeteval_sentiment(data_dir, "val")
    test_texts = corpora.tweeteval_sentiment(data_dir, "test")["text"]
    return {
        "airline": corpora.airline(data_dir),
        "cesamard": corpora.cesamard(data_dir),
        "xfincorp": corpora.x_fincorp(data_dir),
        "twcs": twcs_weak(data_dir),
        "semeval": corpora.semeval(data_dir, exclude=pd.concat([val["text"], test_texts])),
        "emotion": corpora.tweeteval_emotion(data_dir),
        "tse": corpora.tweet_sentiment_extraction(data_dir),
        "tweeteval_val": val,
    }


def split_frames(frames: Mapping[str, pd.DataFrame], *, seed: int) -> dict[str, pd.DataFrame]:
    """``<corpus>_train``, ``<corpus>_val``, ``<corpus>_test`` frames (see module doc)."""
    out: dict[str, pd.DataFrame] = {}
    for name, fractions in SPLITS.items():
        parts = corpora.split_frame(frames[name], fractions, seed=seed)
        for part, df in zip(("train", "val", "test"), parts, strict=True):
            out[f"{name}_{part}"] = df
    rng = np.random.default_rng(seed)
    sem = frames["semeval"]
    held = np.zeros(len(sem), dtype=bool)
    held[rng.permutation(len(sem))[:SEMEVAL_CHATTER_VAL]] = True
    out["semeval_train"] = sem[~held].reset_index(drop=True)
    out["semeval_val"] = sem[held].reset_index(drop=True)
    out["emotion_train"] = frames["emotion"]
    tse = frames["tse"]
    out["tse_val"] = tse[tse["group"] == "fold0"].reset_index(drop=True)
    out["tse_test"] = tse[tse["group"] == "fold1"].reset_index(drop=True)
    out["tse_train"] = tse[~tse["group"].isin(["fold0", "fold1"])].reset_index(drop=True)
    out["tweeteval_val"] = frames["tweeteval_val"]
    # SemEval and TSE repeat some texts under other ids: a chatter row whose text is also
    # trained on would flatter the threshold's false-alarm check (train rows are untouched).
    trained = set().union(
        *(set(df["text"].map(corpora.alnum_key)) for k, df in out.items() if k.endswith("_train"))
    )
    for key in ("semeval_val", "tse_val", "tse_test"):
        df = out[key]
        out[key] = df[~df["text"].map(corpora.alnum_key).isin(trained)].reset_index(drop=True)
    return out


def balanced(labels: np.ndarray) -> np.ndarray:
    """Per-row weights giving each known class equal total mass (mean 1 over known rows)."""
    w = np.zeros(len(labels), dtype=np.float32)
    known = labels >= 0
    classes = np.unique(labels[known])
    for c in classes:
        sel = labels == c
        w[sel] = known.sum() / (len(classes) * sel.sum())
    return w


def training_table(
    splits: Mapping[str, pd.DataFrame], holdouts: Iterable[Holdout] = ()
) -> pd.DataFrame:
    """Train rows of every corpus with ``sentiment``, ``complaint``, ``severity`` (0-3 or -1)
    and per-task loss weights ``w_sentiment``, ``w_complaint``, ``w_severity``."""
    parts = []
    for name in SHARES:
        df = splits[f"{name}_train"].copy()
        for h in holdouts:
            df = df[~h.mask(df)]
        if df.empty:
            continue
        df["severity"] = np.where(df["severity"] >= 1, df["severity"] - 1, -1)
        weak = WEAK_WEIGHT.get(name, 1.0)
        for task in ("sentiment", "complaint", "severity"):
            df[f"w_{task}"] = balanced(df[task].to_numpy()) * weak
        parts.append(df.reset_index(drop=True))
    return pd.concat(parts, ignore_index=True)


def validation_sets(
    splits: Mapping[str, pd.DataFrame], holdouts: Iterable[Holdout] = ()
) -> dict[str, pd.DataFrame]:
    """``complaint`` (labelled val rows), ``sentiment``, ``severity`` and each chatter set."""
    holdouts = list(holdouts)

    def keep(df: pd.DataFrame) -> pd.DataFrame:
        for h in holdouts:
            df = df[~h.mask(df)]
        return df.reset_index(drop=True)

    labelled = keep(pd.concat([splits[f"{n}_val"] for n in LABELLED], ignore_index=True))
    sentiment = pd.concat([splits["tweeteval_val"], splits["airline_val"]], ignore_index=True)
    out = {
        "complaint": labelled[labelled["complaint"] >= 0].reset_index(drop=True),
        "sentiment": keep(sentiment),
        "severity": labelled[labelled["severity"] >= 1].reset_index(drop=True),
    }
    out.update({name: splits[name] for name in CHATTER_VAL})
    return out


def holdout_rows(frames: Mapping[str, pd.DataFrame], holdout: Holdout) -> pd.DataFrame:
    """Every labelled row of the held-out corpus or group (all of its splits)."""
    df = frames[holdout.corpus]
    df = df[holdout.mask(df) & (df["complaint"] >= 0)]
    return df.reset_index(drop=True)
