"""Behaviour of the shipped triage model."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from classifiers.base import SENTIMENT_LABELS, SIGNAL_NAMES, Classifier, Scores
from classifiers.model import TriageModel
from classifiers.signals import PhraseMatcher

TEXTS = [
    "@united my flight was cancelled and nobody answers the phone",
    "I hate Mondays",
    "Thanks @delta, the crew was lovely today!",
    "You charged me twice for the same order and I want a refund",
    "The charger caught fire overnight, there was smoke everywhere",
    "Watching the game tonight with friends",
]


def test_implements_the_classifier_protocol(model: TriageModel) -> None:
    assert isinstance(model, Classifier)
    assert model.name


def test_one_score_per_text_in_input_order(model: TriageModel) -> None:
    scores = model.predict(TEXTS)
    assert len(scores) == len(TEXTS)
    assert all(isinstance(s, Scores) for s in scores)
    reversed_scores = model.predict(TEXTS[::-1])
    for a, b in zip(scores, reversed_scores[::-1], strict=True):
        assert a.complaint_probability == pytest.approx(b.complaint_probability, abs=2e-3)


def test_probabilities_are_distributions(model: TriageModel) -> None:
    for s in model.predict(TEXTS):
        assert set(s.sentiment_scores) == set(SENTIMENT_LABELS)
        assert math.isclose(sum(s.sentiment_scores.values()), 1.0, abs_tol=1e-3)
        assert math.isclose(sum(s.topic_scores.values()), 1.0, abs_tol=1e-3)
        assert 0.0 <= s.complaint_probability <= 1.0
        assert s.is_complaint == (s.complaint_probability >= model.threshold)
        assert 0 <= s.urgency <= 4
        assert (s.urgency == 0) == (not s.is_complaint)
        assert s.sentiment == max(s.sentiment_scores, key=lambda k: s.sentiment_scores[k])


def test_embedding_is_unit_length(model: TriageModel) -> None:
    s = model.predict(["my parcel never arrived"])[0]
    assert len(s.embedding) == 384
    assert np.linalg.norm(s.embedding) == pytest.approx(1.0, abs=1e-3)


def test_batch_and_single_agree(model: TriageModel) -> None:
    batch = model.predict(TEXTS)
    for text, b in zip(TEXTS, batch, strict=True):
        single = model.predict([text])[0]
        assert single.sentiment == b.sentiment
        assert single.complaint_probability == pytest.approx(b.complaint_probability, abs=2e-2)


def test_complaint_vs_ordinary_chatter(model: TriageModel) -> None:
    complaint, chatter = model.predict(
        ["@airline my flight was cancelled and nobody answers the phone", "I hate Mondays"]
    )
    assert complaint.is_complaint
    assert complaint.sentiment == "negative"
    assert not chatter.is_complaint
    assert chatter.sentiment == "negative"


def test_signals_carry_evidence(model: TriageModel) -> None:
    scores = model.predict(TEXTS)
    # No built-in phrase list (the decisions' lexicon is the one vocabulary): what the
    # model reports by default comes from its prototypes.
    assert all(s.source == "model" for sc in scores for s in sc.signals)
    assert all(s.name in SIGNAL_NAMES for sc in scores for s in sc.signals)
    shipped = model.phrases
    model.phrases = PhraseMatcher({"money": ["charged me twice"], "safety": ["caught fire"]})
    try:
        scores = model.predict(TEXTS)
    finally:
        model.phrases = shipped
    money = {s.name: s for s in scores[3].signals}
    assert money["money"].source == "phrase"
    assert money["money"].evidence.lower() in TEXTS[3].lower()
    assert "safety" in {s.name for s in scores[4].signals}
    assert '"charged me twice"' in scores[3].explanation or "money" in scores[3].explanation


def test_to_dict_round_trip(model: TriageModel) -> None:
    s = model.predict(TEXTS[:1])[0]
    again = Scores.from_dict(s.to_dict(with_embedding=True))
    assert again == s
    assert tuple(again.embedding) == tuple(s.embedding)  # a compact array, back as a tuple


def test_save_load_round_trip(model: TriageModel, tmp_path: Path) -> None:
    model.save_pretrained(tmp_path / "m")
    loaded = TriageModel.from_pretrained(tmp_path / "m", device="cpu")
    loaded.encoder._model, loaded.encoder._tokenizer = (
        model.encoder._model,
        model.encoder._tokenizer,
    )
    a, b = model.predict(TEXTS[:3]), loaded.predict(TEXTS[:3])
    for x, y in zip(a, b, strict=True):
        assert x.to_dict() == y.to_dict()
    assert loaded.threshold == model.threshold


def test_prepared_in_another_thread_scores_as_predict(model: TriageModel) -> None:
    import threading

    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(model.prepare(TEXTS)))
    worker.start()
    worker.join(timeout=60)
    [prepared] = box
    got = model.predict_prepared(prepared)  # type: ignore[arg-type]
    want = model.predict(TEXTS)
    assert [s.to_dict() for s in got] == [s.to_dict() for s in want]
    assert [tuple(s.embedding) for s in got] == [tuple(s.embedding) for s in want]


def test_embedding_is_a_compact_float32_array(model: TriageModel) -> None:
    from array import array

    [s] = model.predict(TEXTS[:1])
    assert isinstance(s.embedding, array) and s.embedding.typecode == "f"
    assert s.embedding.itemsize * len(s.embedding) == 4 * 384


def test_the_encoder_runs_in_the_inference_dtype_without_an_fp32_copy(
    model: TriageModel,
) -> None:
    import torch

    from classifiers.encoder import _pick_dtype

    model.encoder._load()
    dtypes = {p.dtype for p in model.encoder._model.parameters()}
    assert dtypes == {_pick_dtype("auto", "cpu")}
    assert all(isinstance(p, torch.nn.Parameter) for p in model.encoder._model.parameters())


def test_tokenised_batches_keep_only_the_tensors(model: TriageModel) -> None:
    """A backfill holds buffers of tokenised texts ahead of the encoder: each batch keeps
    the encoder's tensors, not the tokenizer's per-text ``Encoding`` objects (~5 KB a
    text, read by nothing)."""
    import torch

    batches = model.encoder.tokenize(TEXTS, batch_size=4)
    assert [len(b.index) for b in batches] == [4, 2]
    for b in batches:
        assert type(b.inputs) is dict
        assert {"input_ids", "attention_mask"} <= set(b.inputs)
        assert all(isinstance(v, torch.Tensor) for v in b.inputs.values())


def test_the_encoder_caps_onednn_shape_caches_unless_set(model: TriageModel) -> None:
    """Each input shape cached cost ~2 MB; a backfill sees hundreds (docs/batch.md)."""
    from classifiers.encoder import SHAPE_CACHE

    model.predict(TEXTS[:2])
    for name in ("LRU_CACHE_CAPACITY", "ONEDNN_PRIMITIVE_CACHE_CAPACITY"):
        assert os.environ[name].isdigit()
        if name not in _PRESET:
            assert int(os.environ[name]) == SHAPE_CACHE


#: What the environment set before the model loaded (a user's own choice wins).
_PRESET = {n for n in ("LRU_CACHE_CAPACITY", "ONEDNN_PRIMITIVE_CACHE_CAPACITY")
           if n in os.environ}
