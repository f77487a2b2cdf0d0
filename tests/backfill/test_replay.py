"""Replay: stored history through the current rules, counted per channel and per day."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from rich.console import Console

from listener.backfill.replay import render_report, replay, replay_history
from listener.config import BrandSettings, RuleSettings, Settings
from listener.domain import Author, Mention, Priority, Route, Verdict
from listener.ports import TriagedMention
from listener.store import MemoryStore
from tests.backfill.doubles import KeywordClassifier, keyword_scores

DAY1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
START, END = DAY1 - timedelta(days=1), DAY2 + timedelta(days=1)


def settings(**rules: object) -> Settings:
    brand = BrandSettings(
        name="Acme", handles=["acme"], channel="#acme", queue_channel="#acme-queue",
        topic_channels={"money": "#acme-billing-escalations"},
        rules=RuleSettings(**rules),  # type: ignore[arg-type]
    )
    return Settings(brands=[brand])


def item(i: int, text: str, at: datetime, *, conv: str | None = None, author: str = "",
         stored: Route | None = None, scored: bool = True) -> TriagedMention:
    m = Mention(
        source="x", id=str(i), text=text, author=Author(id=author or f"u{i}",
                                                        username=author or f"user{i}"),
        created_at=at, brand="Acme", conversation_id=conv or str(i),
    )
    verdict = None
    if stored is not None:
        verdict = Verdict(m.key, stored is Route.ALERT, Priority.NORMAL, stored,
                          "#acme", ("then",), at)
    return TriagedMention(m, keyword_scores(text) if scored else None, verdict)


HISTORY = [
    item(1, "@acme worst service ever", DAY1, conv="c1", stored=Route.ALERT),
    item(2, "@acme still broken, this is terrible", DAY1 + timedelta(minutes=5), conv="c1",
         author="user1", stored=Route.ALERT),
    item(3, "@acme thanks, all good", DAY1 + timedelta(minutes=9), stored=Route.IGNORE),
    item(4, "@acme my order never arrived", DAY1 + timedelta(minutes=30)),
    item(5, "@acme you charged me twice, terrible", DAY2),
    item(6, "@acme never mind", DAY2 + timedelta(minutes=1), scored=False),
]


BILLING = "#acme-billing-escalations"


def test_counts_per_day_and_channel() -> None:
    report = replay_history(HISTORY, settings(), start=START, end=END)
    rows = {(r.day, r.channel): r for r in report.rows}
    assert set(rows) == {(date(2026, 3, 2), "#acme"), (date(2026, 3, 2), "#acme-queue"),
                         (date(2026, 3, 3), BILLING)}
    queue = rows[(date(2026, 3, 2), "#acme-queue")]
    assert (queue.alerts, queue.urgent, queue.threads) == (2, 0, 1)
    assert rows[(date(2026, 3, 2), "#acme")].stored_alerts == 2
    assert (rows[(date(2026, 3, 3), BILLING)].alerts, rows[(date(2026, 3, 3), BILLING)].urgent) \
        == (1, 1)
    assert report.alerts == 3
    assert report.by_channel() == {"#acme": 0, "#acme-queue": 2, BILLING: 1}
    assert report.by_day() == {date(2026, 3, 2): 2, date(2026, 3, 3): 1}
    assert (report.scanned, report.ignored, report.unscored) == (6, 1, 1)
    assert (report.slack_items, report.urgent, report.urgent_share) == (4, 1, 0.25)
    # Mention 1 was an alert in #acme and is a queued card now (another channel);
    # mention 2 was an alert then and is a thread reply now (another route).
    assert report.changed == 2
    assert report.reasons


def test_rules_that_ignore_more_alert_less() -> None:
    report = replay_history(HISTORY, settings(ignore_phrases=["@acme"]), start=START, end=END)
    assert report.alerts == 0
    assert report.changed == 2


def test_replay_reads_the_store_and_can_reclassify() -> None:
    store = MemoryStore()
    store.add_mentions([t.mention for t in HISTORY])
    for t in HISTORY:
        if t.scores is not None and t.verdict is not None:
            store.record_triage(t.mention.key, t.scores, t.verdict, ())
    report = replay(store, settings(), START, END)
    assert report.scanned == 6
    assert report.unscored == 3  # stored without a verdict, so without scores
    clf = KeywordClassifier()
    again = replay(store, settings(), START, END, classifier=clf)
    assert (again.unscored, again.reclassified, again.alerts) == (0, 6, 3)
    assert clf.texts_seen == 6


@pytest.mark.parametrize("width", [80, 120])
def test_rendering_shows_the_table_and_reasons_without_cutting_a_channel(width: int) -> None:
    report = replay_history(HISTORY, settings(), start=START, end=END)
    console = Console(record=True, width=width)
    console.print(render_report(report))
    out = console.export_text()
    assert BILLING in out and "#acme-queue" in out
    assert "2026-03-03" in out
    assert "…" not in out
    assert "3 cards" in out
    assert "cards urgent thread held spikes then" in " ".join(out.split())
    assert "4 Slack items of which 1 urgent (25%)" in " ".join(out.split())
    assert "2 routed differently than when stored" in " ".join(out.split())


def test_history_rows_flatten_scores_verdicts_and_response_times() -> None:
    from listener.backfill.history import history_rows

    m = HISTORY[0].mention
    replied = TriagedMention(
        Mention(m.source, "99", m.text, m.author, m.created_at, brand="Acme",
                raw={"brand_replied_at": "Mon Mar 02 10:30:00 +0000 2026"}),
        HISTORY[0].scores, HISTORY[0].verdict,
    )
    rows = list(history_rows([*HISTORY, replied], timezone="Europe/Paris"))
    assert rows[0]["complaint"] is True
    assert rows[0]["route"] == "alert"
    assert rows[0]["hour"] == 11  # 10:00 UTC in Paris
    assert rows[5]["topic"] is None
    assert rows[5]["route"] is None
    assert rows[-1]["response_minutes"] == 30.0
    assert rows[0]["response_minutes"] is None


def test_a_channel_too_long_for_the_terminal_folds_and_loses_nothing() -> None:
    long = "#acme-billing-and-refunds-escalations-for-the-night-shift"
    report = replay_history(HISTORY, settings(), start=START, end=END)
    report = dataclasses.replace(report, rows=tuple(
        dataclasses.replace(r, channel=long) if r.channel == BILLING else r for r in report.rows))
    console = Console(record=True, width=80)
    console.print(render_report(report))
    out = console.export_text()
    assert "…" not in out
    assert all(len(line) <= 80 for line in out.splitlines())
    folded = "".join(line.split("2026-03-03")[-1].split()[0] if "2026-03-03" in line else ""
                     for line in out.splitlines())
    assert folded.startswith(long[:20])
