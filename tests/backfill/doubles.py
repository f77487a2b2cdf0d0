"""A deterministic stand-in for the triage model: keywords decide, nothing is random."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from classifiers.base import Scores, Signal

COMPLAINT_WORDS = ("worst", "broken", "never", "not working", "refund", "terrible", "incorrect")


def keyword_scores(text: str, *, model: str = "keyword-test") -> Scores:
    low = text.lower()
    complaint = any(w in low for w in COMPLAINT_WORDS)
    signals = (Signal("outage", "down"),) if " down" in low else ()
    topic = "delivery" if ("order" in low or "deliver" in low) else "customer service"
    return Scores(
        sentiment="negative" if complaint else "neutral",
        sentiment_scores={"negative": 0.9 if complaint else 0.1, "neutral": 0.1, "positive": 0.0},
        complaint_probability=0.95 if complaint else 0.05,
        is_complaint=complaint,
        urgency=3 if complaint else 0,
        signals=signals,
        topic=topic,
        topic_scores={topic: 1.0},
        explanation="keywords",
        model=model,
    )


class KeywordClassifier:
    """Implements ``classifiers.base.Classifier``; records the batch sizes it was given."""

    def __init__(self, *, fail_after: int | None = None) -> None:
        self.batches: list[list[str]] = []
        self.fail_after = fail_after
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "keyword-test"

    @property
    def texts_seen(self) -> int:
        return sum(len(b) for b in self.batches)

    def predict(self, texts: Sequence[str]) -> list[Scores]:
        with self._lock:
            if self.fail_after is not None and self.texts_seen >= self.fail_after:
                raise KeyboardInterrupt("simulated interrupt")
            self.batches.append(list(texts))
        return [keyword_scores(t) for t in texts]


class KeywordFactory:
    """Builds a ``KeywordClassifier`` in a worker process (picklable, unlike a lambda).

    ``crash_on``: the classifier fails on a text holding it, ``hard`` by killing its
    process outright (a worker that dies, not one that raises)."""

    def __init__(self, *, crash_on: str | None = None, hard: bool = False) -> None:
        self.crash_on = crash_on
        self.hard = hard

    def __call__(self) -> KeywordClassifier:
        if self.crash_on is None:
            return KeywordClassifier()
        return _Crashing(self.crash_on, hard=self.hard)


class _Crashing(KeywordClassifier):
    def __init__(self, marker: str, *, hard: bool) -> None:
        super().__init__()
        self.marker = marker
        self.hard = hard

    def predict(self, texts: Sequence[str]) -> list[Scores]:
        if any(self.marker in t for t in texts):
            if self.hard:
                import os

                os._exit(3)
            raise RuntimeError(f"simulated model failure on {self.marker!r}")
        return super().predict(texts)
