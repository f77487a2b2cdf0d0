"""SIGKILL the real cycle at seeded random points; nothing is lost, nothing stored twice.

The worker (``worker.py``) runs poll -> classify -> decide -> outbox -> Slack in a
subprocess against the fakes here (which survive the kill), on a SQLite file or
PostgreSQL. After every kill it is restarted; after the last, it runs to completion.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.crash import (
    CrashReport,
    actionable_tokens,
    crash_scenario,
    stored_mentions,
)
from tests.reliability.worker import DUPLICATING_HOOKS


def _assert_sound(db_url: str, report: CrashReport) -> None:
    assert report.cursor_violations == []
    total, found = stored_mentions(db_url, report)
    assert total == len(report.seeded), "a mention was lost or stored twice"
    assert all(found.get(t) == 1 for t in report.seeded), found
    complaints = {t for t, c in report.seeded.items() if c}
    alerted = actionable_tokens(db_url, report)
    assert alerted == complaints  # the keyword double makes every complaint actionable
    missing = [t for t in alerted if report.posts_per_token[t] < 1]
    assert missing == [], f"actionable but never posted: {missing}"
    # The at-least-once bound (docs/reliability.md): a duplicate needs a crash between
    # Slack accepting the post and mark_sent committing; one alert is in flight at a time.
    assert report.duplicates <= report.duplicating_kills
    assert max(report.posts_per_token.values(), default=1) <= 1 + report.duplicating_kills
    chatter = [t for t, c in report.seeded.items() if not c and report.posts_per_token[t]]
    assert chatter == []


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crash.db'}"


def test_five_kills_on_sqlite_lose_nothing(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    report, x, slack = crash_scenario(db, seed=1, kills=5)
    try:
        _assert_sound(db, report)
    finally:
        x.stop()
        slack.stop()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10, 16))
def test_many_kills_on_sqlite(tmp_path: Path, seed: int) -> None:
    db = _sqlite(tmp_path)
    report, x, slack = crash_scenario(db, seed=seed, kills=9)
    try:
        _assert_sound(db, report)
    finally:
        x.stop()
        slack.stop()


@pytest.mark.slow
def test_every_kill_in_the_send_window_duplicates_one_alert_at_most(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    report, x, slack = crash_scenario(db, seed=7, kills=8, hooks=tuple(DUPLICATING_HOOKS))
    try:
        _assert_sound(db, report)
        assert report.duplicating_kills == report.kills == 8
        assert 1 <= report.duplicates <= 8
    finally:
        x.stop()
        slack.stop()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("seed", range(20, 23))
def test_many_kills_on_postgres(postgres_url: str, seed: int) -> None:
    report, x, slack = crash_scenario(postgres_url, seed=seed, kills=6)
    try:
        _assert_sound(postgres_url, report)
    finally:
        x.stop()
        slack.stop()
