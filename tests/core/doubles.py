"""Builders and a keyword test double for the pure core's tests.

``KeywordClassifier`` is a TEST double only: it returns fixed ``Scores`` by keyword so
that the decisions under test don't depend on a model. The product uses the real model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from classifiers.base import Scores, Signal
from listener.domain import Author, Mention

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC
DIM = 8


def unit(axis: int, wobble: float = 0.0) -> tuple[float, ...]:
    """A unit vector near ``axis``; ``wobble`` tilts it toward the next axis."""
    v = [0.0] * DIM
    v[axis % DIM] = 1.0
    v[(axis + 1) % DIM] = wobble
    n = math.sqrt(sum(x * x for x in v))
    return tuple(x / n for x in v)


def scores(
    *,
    p: float = 0.9,
    urgency: int = 3,
    topic: str = "delivery",
    signals: Sequence[tuple[str, str]] = (),
    embedding: tuple[float, ...] = (),
    is_complaint: bool | None = None,
) -> Scores:
    return Scores(
        sentiment="negative" if p >= 0.5 else "neutral",
        sentiment_scores={"negative": p, "neutral": 1 - p, "positive": 0.0},
        complaint_probability=p,
        is_complaint=p >= 0.5 if is_complaint is None else is_complaint,
        urgency=urgency,
        signals=tuple(Signal(n, e) for n, e in signals),
        topic=topic,
        topic_scores={topic: 1.0},
        explanation="test",
        model="keyword-double",
        embedding=embedding,
    )


_seq = iter(range(1, 10**9))


def mention(
    text: str = "my parcel never arrived",
    *,
    id: str | None = None,
    at: datetime = T0,
    author: str = "alice",
    author_id: str | None = None,
    followers: int = 10,
    verified_type: str = "none",
    brand: str = "Acme",
    conversation_id: str | None = None,
    lang: str | None = "en",
) -> Mention:
    mid = id or str(next(_seq))
    return Mention(
        source="x",
        id=mid,
        text=text,
        author=Author(
            id=author_id or f"u-{author}", username=author, followers=followers,
            verified_type=verified_type,
        ),
        created_at=at,
        brand=brand,
        conversation_id=conversation_id,
        lang=lang,
        addresses_brand=True,
    )


@dataclass
class KeywordClassifier:
    """Fixed scores by keyword; the first rule whose keyword is in the text wins."""

    rules: list[tuple[str, Scores]] = field(default_factory=list)
    default: Scores = field(default_factory=lambda: scores(p=0.05, urgency=0, topic="other"))
    calls: int = 0

    @property
    def name(self) -> str:
        return "keyword-double"

    def predict(self, texts: Sequence[str]) -> list[Scores]:
        self.calls += 1
        out = []
        for text in texts:
            low = text.lower()
            out.append(next((s for k, s in self.rules if k in low), self.default))
        return out


class FixedClock:
    def __init__(self, now: datetime = T0) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **kw: float) -> None:
        self._now += timedelta(**kw)

    def set(self, now: datetime) -> None:
        self._now = now
