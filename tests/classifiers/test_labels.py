"""The label vocabulary: what each Slack label says to the triage heads."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.labels import LabelError, head_label, needs_person, read_feedback, severity


@pytest.mark.parametrize(
    ("label", "person", "head"),
    [
        ("not_complaint", False, "not_complaint"),
        ("complaint", True, "complaint"),
        ("urgency:0", False, "not_complaint"),
        ("urgency:1", True, "complaint"),
        ("urgency:4", True, "complaint"),
        ("negative", None, "negative"),
    ],
)
def test_each_label_says_whether_a_person_is_needed(
    label: str, person: bool | None, head: str
) -> None:
    assert needs_person(label) is person
    assert head_label(label) == head


@pytest.mark.parametrize("label", ["urgency:5", "urgency:", "urgency:-1", "urgent", ""])
def test_labels_off_the_vocabulary_are_refused(label: str) -> None:
    with pytest.raises(ValueError, match=r"urgency levels|unknown label"):
        needs_person(label)


def test_severity_is_only_read_from_urgency_labels() -> None:
    assert severity("urgency:3") == 3
    assert severity("not_complaint") is None


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
