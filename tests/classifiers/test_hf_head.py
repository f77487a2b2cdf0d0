"""Any HF sequence-classification model can stand in for the sentiment head."""

from __future__ import annotations

import math

import pytest

from classifiers.encoder import default_encoder_dir
from classifiers.hf_head import HFSequenceHead
from classifiers.model import TriageModel


def test_hf_sentiment_model_with_label_map(model: TriageModel) -> None:
    # The MiniLM directory with a freshly initialised 2-label head: only shapes matter here.
    try:
        model.with_sentiment_model(
            str(default_encoder_dir()), {"LABEL_0": "negative", "LABEL_1": "positive"}
        )
        scores = model.predict(["great flight", "lost my bag", "ok"])
        for s in scores:
            assert s.sentiment_scores["neutral"] == 0.0
            assert math.isclose(sum(s.sentiment_scores.values()), 1.0, abs_tol=1e-3)
            assert s.sentiment in {"negative", "positive"}
    finally:
        model.sentiment_model = None


def test_unmappable_labels_are_an_error() -> None:
    head = HFSequenceHead(str(default_encoder_dir()), {"LABEL_0": "angry"}, device="cpu")
    with pytest.raises(ValueError, match="maps to"):
        head.predict_proba(["x"])
