"""Seeded splits of the shared corpora and their (cached) encoder features.

Splits (fractions of each corpus, seeded):

* airline: 80 % train / 10 % val / 10 % test
* CESAMARD: 70 % / 15 % / 15 %
* SemEval-2017 4A pool (minus every TweetEval val/test text) and TweetEval
  emotion train: train only (sentiment; hard negatives for the complaint head)
* TweetEval sentiment val: validation only (sentiment; ordinary chatter for the
  complaint threshold). TweetEval sentiment test is never loaded here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from classifiers import data as corpora
from classifiers.cache import encode_cached
from classifiers.encoder import Encoder

logger = logging.getLogger(__name__)

AIRLINE_SPLIT = (0.1, 0.1)
CESAMARD_SPLIT = (0.15, 0.15)


def load_corpora(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Training-side corpora (no TweetEval test rows), each with a ``row`` index."""
    val = corpora.tweeteval_sentiment(data_dir, "val")
    test_texts = corpora.tweeteval_sentiment(data_dir, "test")["text"]
    exclude = pd.concat([val["text"], test_texts])
    frames = {
        "airline": corpora.airline(data_dir),
        "cesamard": corpora.cesamard(data_dir),
        "semeval": corpora.semeval(data_dir, exclude=exclude),
        "emotion": corpora.tweeteval_emotion(data_dir),
        "tweeteval_val": val,
    }
    for df in frames.values():
        df["row"] = np.arange(len(df))
    return frames


def build_splits(data_dir: Path, *, seed: int) -> dict[str, pd.DataFrame]:
    """Named splits; each frame keeps ``row`` (its index in the corpus) and ``corpus``."""
    frames = load_corpora(data_dir)
    return split_corpora(frames, seed=seed)


def split_corpora(frames: dict[str, pd.DataFrame], *, seed: int) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    for name, fractions in (("airline", AIRLINE_SPLIT), ("cesamard", CESAMARD_SPLIT)):
        train, val, test = corpora.split_frame(frames[name], fractions, seed=seed)
        out[f"{name}_train"], out[f"{name}_val"], out[f"{name}_test"] = train, val, test
    out["semeval"] = frames["semeval"]
    out["emotion"] = frames["emotion"]
    out["tweeteval_val"] = frames["tweeteval_val"]
    for key, df in out.items():
        df["corpus"] = key.rsplit("_", 1)[0] if key.startswith(("airline", "cesamard")) else key
    return out


@dataclass(slots=True)
class FeatureStore:
    """Pooled encoder layers for every corpus row, computed once and cached on disk."""

    pooled: dict[str, np.ndarray]  # corpus -> (n_rows, n_layers, hidden)

    @classmethod
    def build(
        cls, frames: dict[str, pd.DataFrame], encoder: Encoder, *, cache_dir: Path | None = None
    ) -> FeatureStore:
        pooled = {
            name: encode_cached(encoder, df["text"].tolist(), cache_dir=cache_dir)
            for name, df in frames.items()
        }
        return cls(pooled)

    def rows(self, df: pd.DataFrame) -> np.ndarray:
        """Pooled layers for the rows of a split frame (needs ``corpus`` and ``row``)."""
        first = next(iter(self.pooled.values()))
        out = np.empty((len(df), *first.shape[1:]), dtype=np.float32)
        corpus = df["corpus"].to_numpy()
        rows = df["row"].to_numpy()
        for name in np.unique(corpus):
            sel = corpus == name
            out[sel] = self.pooled[str(name)][rows[sel]]
        return out
