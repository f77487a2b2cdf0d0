"""Few-shot topics: one prototype per category in encoder space.

A brand adds or renames categories with a handful of example posts::

    topics = TopicModel.from_examples({"late delivery": ["parcel never came", ...]}, encoder)

The prototype is the normalised mean of the examples' embeddings; a post's
scores are a softmax over cosine similarities. When no prototype is at least
``min_similarity`` close, the topic is ``other``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from classifiers.encoder import l2_normalize
from classifiers.heads import softmax
from classifiers.text import normalize

DEFAULT_TOPIC_EXAMPLES: Mapping[str, tuple[str, ...]] = {
    "delivery": (
        "my package never arrived",
        "the order is two weeks late and tracking hasn't updated",
        "courier left my parcel at the wrong address",
        "still waiting for my delivery",
        "my flight was delayed again and I missed my connection",
        "you lost my luggage",
        "the food order arrived cold and an hour late",
    ),
    "billing/refund": (
        "I was charged twice for the same order",
        "still no refund after I returned the item",
        "there is a charge on my bill I don't recognise",
        "please give me my money back",
        "you billed me after I cancelled",
        "where is my refund for the cancelled flight",
    ),
    "product defect": (
        "the product stopped working after two days",
        "the screen cracked on its own",
        "arrived broken and damaged",
        "poor quality, the stitching came apart",
        "the charger doesn't charge my phone",
        "the book pages were torn and missing",
    ),
    "account/login": (
        "I can't log in to my account",
        "my password reset email never comes",
        "my account was locked for no reason",
        "someone hacked my account",
        "the verification code is not working",
    ),
    "customer service": (
        "I have been on hold for two hours",
        "nobody answers the phone",
        "your agent was rude to me",
        "no one replies to my emails",
        "the staff were unhelpful and dismissive",
        "I keep getting transferred and nobody can help",
    ),
    "outage": (
        "your website is down",
        "the app keeps crashing",
        "no internet connection in my area all day",
        "the service is not working for anyone",
        "network outage again",
    ),
    "safety": (
        "the battery caught fire",
        "I had an allergic reaction",
        "the product gave me an electric shock",
        "there was glass in my food",
        "this is dangerous, someone could get hurt",
    ),
    "pricing": (
        "your prices are way too high",
        "why did the price go up again",
        "hidden fees everywhere",
        "too expensive for what you get",
        "the subscription price increase is a rip off",
    ),
    "other": (
        "what time do you open tomorrow",
        "thanks for the great service",
        "do you ship to Canada",
        "love the new design",
        "just watched the game with friends",
    ),
}


class TextEmbedder(Protocol):
    """Anything that turns texts into L2-normalised sentence vectors."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class TopicModel:
    """Nearest-prototype topic classifier over sentence embeddings."""

    def __init__(
        self,
        names: Sequence[str],
        prototypes: np.ndarray,
        examples: Mapping[str, Sequence[str]] | None = None,
        *,
        temperature: float = 0.05,
        min_similarity: float = 0.2,
        fallback: str = "other",
    ) -> None:
        if len(names) != len(prototypes):
            raise ValueError("one prototype per topic name is required")
        self.names = tuple(names)
        self.prototypes = l2_normalize(np.asarray(prototypes, dtype=np.float32))
        self.examples = {k: tuple(v) for k, v in (examples or {}).items()}
        self.temperature = temperature
        self.min_similarity = min_similarity
        self.fallback = fallback

    @classmethod
    def from_examples(
        cls,
        examples: Mapping[str, Sequence[str]],
        embedder: TextEmbedder | None = None,
        **kwargs: float | str,
    ) -> TopicModel:
        """Build prototypes from a few example posts per category."""
        if not examples or any(len(v) == 0 for v in examples.values()):
            raise ValueError("every topic needs at least one example")
        if embedder is None:
            from classifiers.model import EmbeddingOnly

            embedder = EmbeddingOnly()
        names = list(examples)
        flat = [normalize(t) for n in names for t in examples[n]]
        vectors = embedder.embed(flat)
        protos, start = [], 0
        for n in names:
            k = len(examples[n])
            protos.append(vectors[start : start + k].mean(axis=0))
            start += k
        return cls(names, np.stack(protos), examples, **kwargs)  # type: ignore[arg-type]

    def extended(self, examples: Mapping[str, Sequence[str]], embedder: TextEmbedder) -> TopicModel:
        """These topics plus (or with examples replaced by) ``examples``."""
        merged = {k: list(v) for k, v in self.examples.items()}
        for name, items in examples.items():
            merged[name] = list(items)
        return TopicModel.from_examples(
            merged,
            embedder,
            temperature=self.temperature,
            min_similarity=self.min_similarity,
            fallback=self.fallback,
        )

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Softmax over cosine similarities, shape ``(n, n_topics)``."""
        return softmax((embeddings @ self.prototypes.T) / self.temperature)

    def predict(self, embeddings: np.ndarray) -> list[tuple[str, dict[str, float]]]:
        """Best topic and all topic scores per row."""
        sims = embeddings @ self.prototypes.T
        probs = softmax(sims / self.temperature)
        out = []
        best = np.argmax(probs, axis=1)
        top = sims[np.arange(len(sims)), best]
        for b, t, rounded in zip(best, top, np.round(probs, 4).tolist(), strict=True):
            label = self.names[b] if t >= self.min_similarity else self.fallback
            out.append((label, dict(zip(self.names, rounded, strict=True))))
        return out

    def config(self) -> dict[str, object]:
        return {
            "names": list(self.names),
            "examples": {k: list(v) for k, v in self.examples.items()},
            "temperature": self.temperature,
            "min_similarity": self.min_similarity,
            "fallback": self.fallback,
        }
