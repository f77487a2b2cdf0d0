"""``firstreply feedback export`` through the installed script, and the export read back
by ``firstreply learn`` and ``train --feedback``'s reader as it is."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from classifiers.labels import read_feedback
from listener.domain import Alert, Feedback, Mention, Priority, Route
from listener.store import open_store
from tests.slack.conftest import ALICE, BOB, T0, make_mention, make_scores, make_verdict
from tests.test_console_script import firstreply

URGENT_TEXTS = [f"@acme I was charged {n} times for one order, £{n}0 gone" for n in range(2, 14)]
CALM_TEXTS = [f"@acme the app colour scheme changed again, version {n}, not a fan"
              for n in range(12)]


def _mention(i: int, text: str, brand: str = "Acme") -> Mention:
    return replace(make_mention(i, text=text, at=T0 + timedelta(minutes=i)), brand=brand)


class Seeder:
    """An SQLite store written as ``run`` writes it: mentions, verdicts and alerts, and
    the labels the Slack handlers store (``interactions.not_complaint``; ``labelling``:
    ``urgent``/``not_urgent``, and ``urgency:N`` from older cards' menu)."""

    def __init__(self, db: Path) -> None:
        self.store = open_store(f"sqlite:///{db}", create=True)
        self.n = 0

    def card(self, text: str, priority: Priority | None, brand: str = "Acme") -> Mention:
        """A post; with ``priority`` it was triaged and carded (None: never triaged)."""
        self.n += 1
        m = _mention(self.n, text, brand)
        self.store.add_mentions([m])
        if priority is not None:
            verdict = make_verdict(m.key, priority=priority, route=Route.ALERT)
            alert = Alert(mention=m.key, channel="#cx-alerts")
            assert self.store.record_triage(m.key, make_scores(), verdict, [alert])
        return m

    def label(self, m: Mention, label: str, user: str, minutes: int = 0) -> None:
        at = T0 + timedelta(days=1, minutes=minutes + self.n)
        self.store.add_feedback(Feedback(m.key, label, user, at))


#: Not token-shaped on purpose: secrets scanners must not flag a test value.
SECRET = "placeholder-bot-secret-never-exported"


def _env(db: Path) -> dict[str, str]:
    return {"FIRSTREPLY_DATABASE__URL": f"sqlite:///{db}", "HF_HUB_OFFLINE": "1",
            "SLACK_BOT_TOKEN": SECRET}


def _rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    db = tmp_path / "fr.db"
    s = Seeder(db)
    try:
        # Queued cards people said were wrong: they were urgent.
        for t in URGENT_TEXTS:
            s.label(s.card(t, Priority.NORMAL), "urgency:4", ALICE)
        # Paged cards people said were wrong: they were not urgent.
        for t in CALM_TEXTS:
            s.label(s.card(t, Priority.HIGH), "urgency:1", BOB)
        s.label(s.card("@acme love the new app", Priority.LOW), "not_complaint", BOB)
        # Two people: the later label wins.
        both = s.card("@acme my parcel is late", Priority.HIGH)
        s.label(both, "urgency:2", ALICE)
        s.label(both, "not_complaint", BOB, minutes=5)
        # One person changing their mind: level 0 is "no complaint".
        mind = s.card("@acme is this the new logo?", Priority.NORMAL)
        s.label(mind, "urgency:3", ALICE)
        s.label(mind, "urgency:0", ALICE, minutes=5)
        # No verdict stored: the card's urgency is unknown.
        s.label(s.card("@acme the lift in store 4 is stuck", None), "urgency:2", ALICE)
        s.label(s.card("@beta my card was declined twice", Priority.NORMAL, "Beta"),
                "urgency:3", BOB)
        # A label whose post is not stored.
        s.store.add_feedback(Feedback(("x", "404"), "not_complaint", BOB, T0 + timedelta(days=2)))
    finally:
        s.store.close()
    return db


def test_export_writes_one_row_per_labelled_post_with_urgent_from_the_card(
    tmp_path: Path, seeded: Path
) -> None:
    result = firstreply("feedback", "export", cwd=tmp_path, env=_env(seeded))
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    by_text = {r["text"]: r for r in rows}
    assert len(rows) == 12 + 12 + 5
    urgent = by_text[URGENT_TEXTS[0]]
    assert urgent == {
        "text": URGENT_TEXTS[0], "label": "urgency:4", "reach_slack": True, "urgent": True,
        "card_urgent": False, "mention": ["x", "1"], "brand": "Acme", "user": ALICE,
        "created_at": urgent["created_at"],
    }
    calm = by_text[CALM_TEXTS[0]]
    assert (calm["urgent"], calm["card_urgent"], calm["user"]) == (False, True, BOB)
    assert by_text["@acme love the new app"]["reach_slack"] is False
    assert "urgent" not in by_text["@acme love the new app"]
    both = by_text["@acme my parcel is late"]
    assert (both["label"], both["user"], both["reach_slack"]) == ("not_complaint", BOB, False)
    mind = by_text["@acme is this the new logo?"]
    assert (mind["label"], mind["reach_slack"]) == ("urgency:0", False)
    unknown = by_text["@acme the lift in store 4 is stuck"]
    assert unknown["reach_slack"] is True and "urgent" not in unknown
    assert [r["created_at"] for r in rows] == sorted(r["created_at"] for r in rows)
    assert SECRET not in result.stdout
    assert "exported 29 labelled posts from 32 labels" in result.stderr
    assert "13 urgent, 12 not urgent, 1 complaints of unknown urgency" in result.stderr
    assert "skipped 1 labelled posts whose post is not stored" in result.stderr
    assert "1 posts were labelled differently by different people" in result.stderr


def test_learn_and_trains_reader_take_the_export_as_it_is(tmp_path: Path, seeded: Path) -> None:
    out = tmp_path / "labels.jsonl"
    exported = firstreply("feedback", "export", "--brand", "acme", "-o", str(out),
                          cwd=tmp_path, env=_env(seeded))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == ""
    assert "skipped 1 labelled posts of other brands" in exported.stderr
    assert {r["brand"] for r in _rows(out.read_text())} == {"Acme"}

    learned = firstreply("learn", str(out), "-o", str(tmp_path / "model"), cwd=tmp_path,
                         env=_env(seeded))
    assert learned.returncode == 0, learned.stderr
    assert "fitted on 12 urgent and 12 not urgent posts" in learned.stdout
    assert "skipped 3 not needing a person (reach_slack false) and 1 without 'urgent'" in (
        learned.stderr)

    pairs, mapped = read_feedback(out)
    labels = dict(pairs)
    assert len(pairs) == 28 and mapped == 26
    assert labels[URGENT_TEXTS[0]] == labels[CALM_TEXTS[0]] == "complaint"
    assert labels["@acme is this the new logo?"] == "not_complaint"
    assert labels["@acme love the new app"] == "not_complaint"


def test_since_keeps_recent_labels_and_a_bad_one_exits_2(tmp_path: Path, seeded: Path) -> None:
    # The seeded labels are from November 2026: dates pin the window whenever this runs.
    late = firstreply("feedback", "export", "--since", "2026-11-24", cwd=tmp_path,
                      env=_env(seeded))
    assert late.returncode == 0, late.stderr
    assert late.stdout == ""  # the not-stored post's label is the only one that late
    assert "skipped 1 labelled posts whose post is not stored" in late.stderr
    day = firstreply("feedback", "export", "--since", "2026-11-23T12:20", cwd=tmp_path,
                     env=_env(seeded))
    assert day.returncode == 0, day.stderr
    assert 0 < len(_rows(day.stdout)) < 29
    assert firstreply("feedback", "export", "--since", "3650d", cwd=tmp_path,
                      env=_env(seeded)).stdout.count("\n") == 29

    bad = firstreply("feedback", "export", "--since", "last tuesday", cwd=tmp_path,
                     env=_env(seeded))
    assert bad.returncode == 2
    assert "--since" in bad.stderr and "'30d'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_an_empty_store_exports_nothing_and_exits_0(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    open_store(f"sqlite:///{db}", create=True).close()
    result = firstreply("feedback", "export", cwd=tmp_path, env=_env(db))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "exported 0 labelled posts from 0 labels" in result.stderr
    nowhere = tmp_path / "no" / "such" / "labels.jsonl"
    unwritable = firstreply("feedback", "export", "-o", str(nowhere), cwd=tmp_path, env=_env(db))
    assert unwritable.returncode == 1
    assert f"cannot write {nowhere}" in unwritable.stderr and "Traceback" not in unwritable.stderr


def test_a_missing_database_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "nowhere.db"
    result = firstreply("feedback", "export", cwd=tmp_path, env=_env(db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_an_unknown_configured_brand_exits_2(tmp_path: Path, seeded: Path) -> None:
    config = tmp_path / "firstreply.toml"
    config.write_text('[[brands]]\nname = "Acme"\nhandles = ["acme"]\n', encoding="utf-8")
    result = firstreply("--config", str(config), "feedback", "export", "--brand", "Acme Inc",
                        cwd=tmp_path, env=_env(seeded))
    assert result.returncode == 2
    assert "unknown brand 'Acme Inc' (known: Acme)" in result.stderr


def test_trains_feedback_reader_refuses_a_label_it_does_not_know(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hello", "label": "complaint"}\n'
                   '{"text": "hello", "label": "very_urgent"}\n', encoding="utf-8")
    result = firstreply("train", "--frozen", "--feedback", str(bad), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "bad.jsonl:2: unknown label 'very_urgent'" in result.stderr
    assert "Traceback" not in result.stderr


def test_should_ping_labels_are_urgent_as_they_stand_and_learn_takes_them(
    tmp_path: Path,
) -> None:
    """What the cards' *Should have pinged* / *Should not have pinged* store: ``urgent``
    and ``not_urgent`` need no flip, so the card's verdict only travels as a check."""
    db = tmp_path / "buttons.db"
    s = Seeder(db)
    try:
        for t in URGENT_TEXTS:  # queued cards someone said should have pinged
            s.label(s.card(t, Priority.NORMAL), "urgent", ALICE)
        for t in CALM_TEXTS:  # paged cards someone said should not have
            s.label(s.card(t, Priority.HIGH), "not_urgent", BOB)
        # No verdict stored: the label still says it outright.
        s.label(s.card("@acme the lift in store 4 is stuck", None), "urgent", BOB)
        # A team mixing old cards' menu and new buttons: the latest label wins.
        mixed = s.card("@acme my parcel is late", Priority.HIGH)
        s.label(mixed, "urgency:2", ALICE)
        s.label(mixed, "not_urgent", BOB, minutes=5)
    finally:
        s.store.close()
    out = tmp_path / "labels.jsonl"
    result = firstreply("feedback", "export", "-o", str(out), cwd=tmp_path, env=_env(db))
    assert result.returncode == 0, result.stderr
    by_text = {r["text"]: r for r in _rows(out.read_text())}
    assert len(by_text) == 12 + 12 + 2
    urgent = by_text[URGENT_TEXTS[0]]
    assert urgent == {
        "text": URGENT_TEXTS[0], "label": "urgent", "reach_slack": True, "urgent": True,
        "card_urgent": False, "mention": ["x", "1"], "brand": "Acme", "user": ALICE,
        "created_at": urgent["created_at"],
    }
    calm = by_text[CALM_TEXTS[0]]
    assert (calm["label"], calm["reach_slack"], calm["urgent"], calm["card_urgent"]) == (
        "not_urgent", True, False, True)
    lift = by_text["@acme the lift in store 4 is stuck"]
    assert (lift["urgent"], "card_urgent" in lift) == (True, False)
    mixed_row = by_text["@acme my parcel is late"]
    assert (mixed_row["label"], mixed_row["urgent"]) == ("not_urgent", False)
    assert "13 urgent, 13 not urgent, 0 complaints of unknown urgency" in result.stderr

    learned = firstreply("learn", str(out), "-o", str(tmp_path / "model"), cwd=tmp_path,
                         env=_env(db))
    assert learned.returncode == 0, learned.stderr
    assert "fitted on 13 urgent and 13 not urgent posts" in learned.stdout
    pairs, mapped = read_feedback(out)
    assert (len(pairs), mapped) == (26, 26)
    assert {label for _, label in pairs} == {"complaint"}
