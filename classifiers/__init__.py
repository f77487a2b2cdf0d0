"""Triage classifiers: sentiment, complaint, urgency, signals and topics for brand mentions.

Importing this package is cheap: torch and transformers load on first inference.
"""

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
from classifiers.model import TriageModel, load, load_default
from classifiers.signals import PhraseMatcher
from classifiers.topics import TopicModel

__all__ = [
    "DEFAULT_TOPICS",
    "SENTIMENT_LABELS",
    "SIGNAL_NAMES",
    "URGENCY_LEVELS",
    "Classifier",
    "PhraseMatcher",
    "Scores",
    "Signal",
    "TopicModel",
    "TriageModel",
    "load",
    "load_default",
]
