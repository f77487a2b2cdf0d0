"""The label vocabulary: what each Slack label says to the triage heads."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.labels import (
    NOT_URGENT,
    URGENT,
    LabelError,
    head_label,
    needs_person,
    read_feedback,
    severity,
    urgent_of,
)


@pytest.mark.parametrize(
    ("label", "person", "head"),
    [
        ("not_complaint", False, "not_complaint"),
        ("complaint", True, "complaint"),
        ("urgency:0", False, "not_complaint"),
        ("urgency:1", True, "complaint"),
        ("urgency:4", True, "complaint"),
        ("urgent", True, "complaint"),
        ("not_urgent", True, "complaint"),
        ("negative", None, "negative"),
    ],
)
def test_each_label_says_whether_a_person_is_needed(
    label: str, person: bool | None, head: str
) -> None:
    assert needs_person(label) is person
    assert head_label(label) == head


@pytest.mark.parametrize(
    "label", ["urgency:5", "urgency:", "urgency:-1", "Urgent", "very_urgent", "urgent:1", ""]
)
def test_labels_off_the_vocabulary_are_refused(label: str) -> None:
    with pytest.raises(ValueError, match=r"urgency levels|unknown label"):
        needs_person(label)


def test_severity_is_only_read_from_urgency_labels() -> None:
    assert severity("urgency:3") == 3
    assert severity("not_complaint") is None
    assert severity(URGENT) is None


def test_only_the_should_ping_labels_say_urgent_outright() -> None:
    assert (urgent_of(URGENT), urgent_of(NOT_URGENT)) == (True, False)
    assert (URGENT, NOT_URGENT) == ("urgent", "not_urgent")  # stored in databases: fixed
    for other in ("urgency:4", "urgency:0", "complaint", "not_complaint", "negative"):
        assert urgent_of(other) is None


def test_the_feedback_reader_maps_the_should_ping_labels_to_complaint(tmp_path: Path) -> None:
    path = tmp_path / "fb.jsonl"
    path.write_text('{"text": "a", "label": "urgent"}\n{"text": "b", "label": "not_urgent"}\n'
                    '{"text": "c", "label": "urgency:3"}\n{"text": "d", "label": "complaint"}\n',
                    encoding="utf-8")
    pairs, mapped = read_feedback(path)
    assert pairs == [("a", "complaint"), ("b", "complaint"), ("c", "complaint"),
                     ("d", "complaint")]
    assert mapped == 3


def test_the_feedback_reader_names_the_line_it_cannot_use(tmp_path: Path) -> None:
    path = tmp_path / "fb.jsonl"
    path.write_text('{"text": "a", "label": "urgency:2"}\n\n{"text": "b", "label": "positive"}\n'
                    '{"text": "c"}\n', encoding="utf-8")
    with pytest.raises(LabelError, match=r"fb\.jsonl:4: needs a string 'label'"):
        read_feedback(path)
    path.write_text('{"text": "a", "label": "urgency:2"}\n\n{"text": "b", "label": "positive"}\n',
                    encoding="utf-8")
    assert read_feedback(path) == ([("a", "complaint"), ("b", "positive")], 1)
    path.write_text('["a"]\n', encoding="utf-8")
    with pytest.raises(LabelError, match=r"fb\.jsonl:1: needs a string 'text'"):
        read_feedback(path)
