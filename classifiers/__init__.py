"""firstreply's triage models: sentiment, complaint, urgency and topic in one encoder pass."""

from __future__ import annotations

from classifiers.base import (
    DEFAULT_TOPICS,
    SENTIMENT_LABELS,
    SIGNAL_NAMES,
    URGENCY_LEVELS,
    Classifier,
    Scores,
    Signal,
)

__all__ = [
    "DEFAULT_TOPICS",
    "SENTIMENT_LABELS",
    "SIGNAL_NAMES",
    "URGENCY_LEVELS",
    "Classifier",
    "Scores",
    "Signal",
]
