"""The classifier's public contract: what a model says about one text.

Stdlib only, so that the listener's pure core can depend on these values
without importing torch or transformers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")

#: Jin & Aletras (2021) complaint severity, 0 = not a complaint.
URGENCY_LEVELS: tuple[str, ...] = (
    "no complaint",
    "no explicit reproach",
    "disapproval",
    "accusation",
    "blame",
)

#: Business signals that escalate a post whatever its tone.
SIGNAL_NAMES: tuple[str, ...] = ("safety", "outage", "money", "legal", "churn", "press")

DEFAULT_TOPICS: tuple[str, ...] = (
    "delivery",
    "billing/refund",
    "product defect",
    "account/login",
    "customer service",
    "outage",
    "safety",
    "pricing",
    "other",
)


@dataclass(frozen=True, slots=True)
class Signal:
    """A business signal that fired, with the evidence that carried it."""

    name: str
    evidence: str
    source: str = "phrase"  # "phrase" (configured list) or "model"


@dataclass(frozen=True, slots=True)
class Scores:
    """Everything the triage model says about one text."""

    sentiment: str
    sentiment_scores: Mapping[str, float]
    complaint_probability: float
    is_complaint: bool
    urgency: int
    signals: tuple[Signal, ...]
    topic: str
    topic_scores: Mapping[str, float]
    explanation: str
    model: str
    #: Sentence embedding (L2-normalised) used for incident grouping; may be empty.
    #: The model gives a compact float32 ``array``; stored ones come back as tuples.
    embedding: Sequence[float] = field(default=(), repr=False, compare=False)
    #: Severity level (1-4) probabilities *if* this is a complaint; may be empty.
    severity_scores: Mapping[str, float] = field(default_factory=dict, compare=False)
    #: The judgement head's probabilities (``person``, ``urgent``); empty without one.
    judgement: Mapping[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self, *, with_embedding: bool = False) -> dict[str, object]:
        """The JSON shape of `firstreply classify` (without the id)."""
        urgency: dict[str, object] = {
            "level": self.urgency,
            "signals": [
                {"name": s.name, "evidence": s.evidence, "source": s.source}
                for s in self.signals
            ],
        }
        if self.severity_scores:
            urgency["severity_scores"] = dict(self.severity_scores)
        out: dict[str, object] = {
            "sentiment": {"label": self.sentiment, "scores": dict(self.sentiment_scores)},
            "complaint": {
                "probability": self.complaint_probability,
                "is_complaint": self.is_complaint,
            },
            "urgency": urgency,
            "topic": {"label": self.topic, "scores": dict(self.topic_scores)},
            "explanation": self.explanation,
            "model": self.model,
        }
        if self.judgement:
            out["judgement"] = dict(self.judgement)
        if with_embedding:
            out["embedding"] = list(self.embedding)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Scores:
        """Inverse of :meth:`to_dict`; raises ``KeyError``/``TypeError`` on bad shapes."""
        sent = _mapping(data["sentiment"])
        comp = _mapping(data["complaint"])
        urg = _mapping(data["urgency"])
        top = _mapping(data["topic"])
        signals = tuple(
            Signal(str(s["name"]), str(s["evidence"]), str(s.get("source", "phrase")))
            for s in (_mapping(x) for x in _sequence(urg.get("signals", [])))
        )
        emb = data.get("embedding", [])
        sev = _mapping(urg.get("severity_scores", {}))
        judged = _mapping(data.get("judgement", {}))
        return cls(
            sentiment=str(sent["label"]),
            sentiment_scores={str(k): float(v) for k, v in _mapping(sent["scores"]).items()},  # type: ignore[arg-type]
            complaint_probability=float(comp["probability"]),  # type: ignore[arg-type]
            is_complaint=bool(comp["is_complaint"]),
            urgency=int(urg["level"]),  # type: ignore[call-overload]
            signals=signals,
            topic=str(top["label"]),
            topic_scores={str(k): float(v) for k, v in _mapping(top["scores"]).items()},  # type: ignore[arg-type]
            explanation=str(data.get("explanation", "")),
            model=str(data.get("model", "")),
            severity_scores={str(k): float(v) for k, v in sev.items()},  # type: ignore[arg-type]
            embedding=tuple(float(x) for x in _sequence(emb)),  # type: ignore[arg-type]
            judgement={str(k): float(v) for k, v in judged.items()},  # type: ignore[arg-type]
        )


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _sequence(value: object) -> Sequence[object]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


@runtime_checkable
class Classifier(Protocol):
    """Scores texts. Batch-first: one encoder pass serves every head."""

    @property
    def name(self) -> str:
        """Model id and version, recorded with every score."""
        ...

    def predict(self, texts: Sequence[str]) -> list[Scores]:
        """Score ``texts``; the result has one entry per text, in input order."""
        ...
