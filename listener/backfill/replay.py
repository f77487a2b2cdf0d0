"""Replay: run stored history through the *current* rules, before going live.

``replay(store, settings, start, end)`` re-decides every stored mention in the window,
oldest first, with its stored scores (re-classifying only when a classifier is given),
through the same ``DecisionEngine`` the live pipeline drives, each post at its own time;
a parent alert's status is the one stored (a human's "resolved" counts). The result says
what would have pinged, per channel and per day, and how that differs from the verdicts
stored at the time, so a brand can tune thresholds and budgets before turning alerts on.
Nothing is written.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.table import Table
from rich.text import Text

from classifiers.base import Classifier
from listener.config import Settings
from listener.decisions import DecisionEngine, NoLookup, Rulebook
from listener.domain import Alert, AlertKind, MentionKey, Priority, Route, Scores, Verdict
from listener.ports import Store, TriagedMention

__all__ = ["ReplayReport", "ReplayRow", "render_report", "replay", "replay_history"]

_TOP_REASONS = 8
#: Reasons quote scores and counts; without them, alike reasons count together.
_NUMBER = re.compile(r"\d+(?:[.:]\d+)?")


@dataclass(frozen=True, slots=True)
class ReplayRow:
    """One day in one channel."""

    day: date
    channel: str
    alerts: int = 0
    urgent: int = 0
    threads: int = 0
    digest: int = 0
    #: Stored verdicts that were ALERTs in this channel on this day (what did happen).
    stored_alerts: int = 0
    #: Volume or complaint-share spikes the brand's channel would have been told about.
    spikes: int = 0


@dataclass(frozen=True, slots=True)
class ReplayReport:
    start: datetime
    end: datetime
    rows: tuple[ReplayRow, ...]
    scanned: int
    ignored: int
    #: Mentions without stored scores (skipped unless a classifier was given).
    unscored: int = 0
    reclassified: int = 0
    #: Mentions whose route now differs from the stored verdict's.
    changed: int = 0
    reasons: tuple[tuple[str, int], ...] = field(default=())

    @property
    def alerts(self) -> int:
        return sum(r.alerts for r in self.rows)

    @property
    def stored_alerts(self) -> int:
        return sum(r.stored_alerts for r in self.rows)

    @property
    def spikes(self) -> int:
        return sum(r.spikes for r in self.rows)

    def by_channel(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for r in self.rows:
            out[r.channel] += r.alerts
        return dict(out)

    def by_day(self) -> dict[date, int]:
        out: Counter[date] = Counter()
        for r in self.rows:
            out[r.day] += r.alerts
        return dict(out)

    def per_day_note(self) -> str:
        days = len({r.day for r in self.rows}) or 1
        return f"{self.alerts / days:.1f} alerts/day on average"


@dataclass(slots=True)
class _Cell:
    alerts: int = 0
    urgent: int = 0
    threads: int = 0
    digest: int = 0
    stored_alerts: int = 0
    spikes: int = 0


class _StoredAlerts(NoLookup):
    """History's lookup: the alerts stored with the posts replayed so far (their status)."""

    def __init__(self) -> None:
        self._alerts: dict[MentionKey, Alert] = {}

    def add(self, item: TriagedMention) -> None:
        primary = next((a for a in item.alerts if a.kind is AlertKind.ALERT), None)
        if primary is not None:
            self._alerts[item.mention.key] = primary

    def alert(self, key: MentionKey) -> Alert | None:
        return self._alerts.get(key)


def _scored(
    history: Iterable[TriagedMention], classifier: Classifier | None, batch: int
) -> Iterator[tuple[TriagedMention, Scores | None, bool]]:
    """(item, scores to use, re-classified?) in history order."""
    it = iter(history)
    while chunk := list(islice(it, batch)):
        fresh: list[Scores] = []
        if classifier is not None:
            fresh = classifier.predict([t.mention.text for t in chunk])
        for i, item in enumerate(chunk):
            if classifier is not None:
                yield item, fresh[i], True
            else:
                yield item, item.scores, False


def replay_history(
    history: Iterable[TriagedMention],
    settings: Settings,
    *,
    start: datetime,
    end: datetime,
    classifier: Classifier | None = None,
    batch_size: int = 256,
) -> ReplayReport:
    """The report for ``history`` (oldest first) under ``settings``' rules. Pure but for
    the optional ``classifier``."""
    tz = ZoneInfo(settings.timezone)
    stored = _StoredAlerts()
    engine = DecisionEngine(rules=Rulebook.from_settings(settings), lookup=stored)
    cells: dict[tuple[date, str], _Cell] = {}
    reasons: Counter[str] = Counter()
    scanned = ignored = unscored = reclassified = changed = 0
    for item, scores, fresh in _scored(history, classifier, batch_size):
        scanned += 1
        if scores is None:
            unscored += 1
            continue
        reclassified += fresh
        stored.add(item)
        decision = engine.decide(item.mention, scores, now=item.mention.created_at)
        verdict = decision.verdict
        day = item.mention.created_at.astimezone(tz).date()
        for row in decision.rows:
            if row.kind is AlertKind.SPIKE:
                cells.setdefault((day, row.channel), _Cell()).spikes += 1
        old = item.verdict
        if old is not None and old.route is Route.ALERT and old.channel:
            cells.setdefault((day, old.channel), _Cell()).stored_alerts += 1
        if old is not None and old.route is not verdict.route:
            changed += 1
        if verdict.channel is None or verdict.route is Route.IGNORE:
            ignored += 1
            continue
        _count(cells.setdefault((day, verdict.channel), _Cell()), verdict)
        if verdict.route is Route.ALERT:
            reasons.update(_NUMBER.sub("#", r) for r in verdict.reasons)
    rows = tuple(
        ReplayRow(day, channel, c.alerts, c.urgent, c.threads, c.digest, c.stored_alerts,
                  c.spikes)
        for (day, channel), c in sorted(cells.items())
    )
    return ReplayReport(
        start=start, end=end, rows=rows, scanned=scanned, ignored=ignored,
        unscored=unscored, reclassified=reclassified, changed=changed,
        reasons=tuple(reasons.most_common(_TOP_REASONS)),
    )


def _count(cell: _Cell, verdict: Verdict) -> None:
    if verdict.route is Route.ALERT:
        cell.alerts += 1
        cell.urgent += verdict.priority >= Priority.HIGH
    elif verdict.route is Route.THREAD:
        cell.threads += 1
    elif verdict.route is Route.DIGEST:
        cell.digest += 1


def replay(
    store: Store,
    settings: Settings,
    start: datetime,
    end: datetime,
    *,
    brand: str | None = None,
    classifier: Classifier | None = None,
) -> ReplayReport:
    """Replay the stored mentions created in ``[start, end)`` (of ``brand``, if given)."""
    history = store.history(start, end, brand=brand)
    return replay_history(history, settings, start=start, end=end, classifier=classifier)


def render_report(report: ReplayReport) -> Group:
    """The report as rich renderables: a per-day, per-channel table and a summary."""
    table = Table(title="What the current rules would have sent", title_justify="left")
    for name, justify in (("day", "left"), ("channel", "left"), ("alerts", "right"),
                          ("urgent", "right"), ("threaded", "right"), ("digest", "right"),
                          ("spikes", "right"), ("alerted then", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in report.rows:
        table.add_row(r.day.isoformat(), r.channel, str(r.alerts), str(r.urgent),
                      str(r.threads), str(r.digest), str(r.spikes), str(r.stored_alerts))
    table.add_section()
    table.add_row("total", "", str(report.alerts), str(sum(r.urgent for r in report.rows)),
                  str(sum(r.threads for r in report.rows)),
                  str(sum(r.digest for r in report.rows)), str(report.spikes),
                  str(report.stored_alerts))
    summary = Text()
    summary.append(
        f"{report.scanned} mentions from {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}: "
        f"{report.alerts} alerts ({report.per_day_note()}), {report.ignored} ignored, "
        f"{report.changed} routed differently than when stored."
    )
    if report.unscored:
        summary.append(f"\n{report.unscored} had no stored scores and were skipped "
                       "(use --reclassify).")
    if report.reasons:
        summary.append("\nMost common reasons behind the alerts:")
        for reason, n in report.reasons:
            summary.append(f"\n  {n:>6}  {reason}")
    return Group(table, summary)
