"""The judgement head: fitting, saving, refusing another model's, and what it may page."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifiers.base import Scores
from classifiers.judgement import JudgementHead, Labelled, fingerprint, fit_judgement
from classifiers.judgement_fit import LabelError, read_labels
from classifiers.model import DEFAULT_DIR, TriageModel
from listener.config import Settings
from listener.decisions import DecisionEngine
from listener.domain import Priority
from tests.core.doubles import T0, mention, scores

DIM = 8


def _rows(n: int = 40) -> list[Labelled]:
    """Urgent rows point one way in the embedding, the others the opposite way."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        urgent = i % 2 == 0
        v = rng.normal(0, 0.3, DIM)
        v[0] += 1.0 if urgent else -1.0
        out.append(Labelled(tuple(v / np.linalg.norm(v)), urgent))
    return out


def test_a_fitted_head_separates_what_it_was_taught_and_round_trips(tmp_path: Path) -> None:
    head = fit_judgement(_rows(), model="m", fingerprint="f")
    probe = np.eye(DIM)[[0]], -np.eye(DIM)[[0]]
    assert head.predict(probe[0])["urgent"][0] > 0.8
    assert head.predict(probe[1])["urgent"][0] < 0.2
    head.save(tmp_path)
    again = JudgementHead.load(tmp_path)
    assert again is not None and again.fingerprint == "f"
    assert again.predict_one(tuple(np.eye(DIM)[0])) == head.predict_one(tuple(np.eye(DIM)[0]))
    assert again.meta["counts"]["urgent"] == {"yes": 20, "no": 20}


def test_too_few_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="need 10 of each"):
        fit_judgement(_rows(12), model="m", fingerprint="f")


def test_an_embedding_of_another_width_gives_no_answer() -> None:
    head = fit_judgement(_rows(), model="m", fingerprint="f")
    assert head.predict_one((0.1,) * (DIM + 1)) == {}


def test_the_shipped_model_carries_its_head_and_scores_with_it(model: TriageModel) -> None:
    assert model.judgement is not None
    assert model.judgement.fingerprint == fingerprint(DEFAULT_DIR)
    (s,) = model.predict(["@acme the top rail of the bunk bed came off, my son sleeps up there"])
    assert set(s.judgement) == {"urgent"}
    assert Scores.from_dict(s.to_dict()).judgement == s.judgement


def test_a_head_fitted_for_another_model_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_DIR, folder)
    data = json.loads((folder / "judgement.json").read_text())
    data["fingerprint"] = "someothermodel00"
    (folder / "judgement.json").write_text(json.dumps(data))
    assert TriageModel.from_pretrained(folder, device="cpu").judgement is None


def test_label_files_keep_complaints_and_requests_and_name_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(
        '{"text": "charged twice", "urgent": true}\n'
        '{"text": "love it", "urgent": false, "reach_slack": false}\n'
        '{"text": "slow app", "urgent": false}\n'
    )
    read = read_labels(path)
    assert [(r.text, r.urgent) for r in read.rows] == [("charged twice", True), ("slow app", False)]
    assert (read.not_person, read.no_urgency) == (1, 0)
    path.write_text('{"text": "x", "urgent": "yes"}\n')
    with pytest.raises(LabelError, match=r"labels\.jsonl:1: needs 'urgent'"):
        read_labels(path)


def test_a_complaint_label_without_urgency_is_skipped_but_a_bare_row_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(
        '{"text": "charged twice", "urgent": true}\n'
        '{"text": "slow app", "reach_slack": true}\n'
        '{"text": "love it", "reach_slack": false}\n'
    )
    read = read_labels(path)
    assert [r.text for r in read.rows] == ["charged twice"]
    assert (read.not_person, read.no_urgency) == (1, 1)
    path.write_text('{"text": "slow app"}\n')
    with pytest.raises(LabelError, match=r"labels\.jsonl:1: needs 'urgent'"):
        read_labels(path)


def _decide(text: str, s: Scores) -> tuple[Priority, tuple[str, ...]]:
    engine = DecisionEngine.from_settings(Settings())
    v = engine.decide(mention(text), s, now=T0).verdict
    return v.priority, v.reasons


# A complaint the vocabulary finds nothing at stake in, so only the head can page it.
PLAIN = "@Acme the sofa came in the wrong colour and nobody replies, please call me back"


def test_the_head_pages_a_complaint_nothing_else_made_urgent() -> None:
    base = scores(p=0.9, urgency=2)
    quiet, _ = _decide(PLAIN, base)
    assert quiet < Priority.HIGH
    loud, why = _decide(PLAIN, dataclasses.replace(base, judgement={"urgent": 0.9}))
    assert loud == Priority.HIGH
    assert any("judged urgent 0.90" in r for r in why)
    low, _ = _decide(PLAIN, dataclasses.replace(base, judgement={"urgent": 0.5}))
    assert low == quiet


def test_the_head_never_pages_a_positive_post_or_a_non_complaint() -> None:
    positive = dataclasses.replace(
        scores(p=0.9, urgency=2), sentiment="positive", judgement={"urgent": 0.99})
    assert _decide(PLAIN, positive)[0] < Priority.HIGH
    praise = dataclasses.replace(scores(p=0.05, urgency=0), judgement={"urgent": 0.99})
    assert _decide("@Acme thanks, the app works again!", praise)[0] == Priority.NONE
