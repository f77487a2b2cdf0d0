"""Test doubles shared by the reliability tests, the crash worker and the load benchmark.

``KeywordClassifier`` implements ``classifiers.base.Classifier`` deterministically: a post
is a complaint when it contains one of ``COMPLAINT_WORDS``. Each text gets a pseudo-random
unit embedding derived from its hash, so unrelated posts never join one incident (their
cosine is near 0) and every complaint becomes an alert of its own. With
``cluster=True`` the hash ignores digits and ``zq…`` test tokens, so posts from one
template share an embedding and group into one incident, as real complaints do.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence

from classifiers.base import Scores

__all__ = ["COMPLAINT_WORDS", "KeywordClassifier", "is_complaint_text"]

COMPLAINT_WORDS = ("broken", "refund", "never arrived", "scam", "furious")
_DIM = 32
_VARYING = re.compile(r"zq\w+|\d+")


def is_complaint_text(text: str) -> bool:
    low = text.lower()
    return any(word in low for word in COMPLAINT_WORDS)


def _embedding(text: str) -> tuple[float, ...]:
    seed = int.from_bytes(
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big"
    )
    rng = random.Random(seed)
    v = [rng.gauss(0.0, 1.0) for _ in range(_DIM)]
    norm = math.sqrt(sum(x * x for x in v)) or 1.0
    return tuple(x / norm for x in v)


class KeywordClassifier:
    """Keyword complaint detector; ``calls`` counts ``predict`` batches."""

    def __init__(self, *, cluster: bool = False) -> None:
        self.calls = 0
        self.cluster = cluster

    @property
    def name(self) -> str:
        return "keyword-double@1"

    def predict(self, texts: Sequence[str]) -> list[Scores]:
        self.calls += 1
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> Scores:
        complaint = is_complaint_text(text)
        p = 0.95 if complaint else 0.05
        sentiment = "negative" if complaint else "neutral"
        return Scores(
            sentiment=sentiment,
            sentiment_scores={"negative": p, "neutral": 1 - p, "positive": 0.0},
            complaint_probability=p,
            is_complaint=complaint,
            urgency=3 if complaint else 0,
            signals=(),
            topic="product defect" if complaint else "other",
            topic_scores={"product defect": p, "other": 1 - p},
            explanation="keyword match" if complaint else "no complaint keyword",
            model=self.name,
            embedding=_embedding(_VARYING.sub("", text) if self.cluster else text),
        )
