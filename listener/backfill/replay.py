"""Replay: run stored history through the *current* rules, before going live.

``replay(store, settings, start, end)`` re-decides every stored mention in the window,
oldest first, with its stored scores (re-classifying only when a classifier is given),
through the same ``DecisionEngine`` the live pipeline drives, each post at its own time;
a parent alert's status is the one stored (a human's "resolved" counts). The result says
what would have reached Slack, per channel and per day (cards, how many urgent, threads,
cards a budget held back for the digest, spikes), and how that differs from the verdicts
stored at the time (another route *or* another channel), so a brand can tune thresholds
and budgets before turning alerts on. Nothing is written.
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
from listener.decisions.explain import reaches_slack
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
    #: New cards (an urgent one pings; the others wait in a queue channel).
    alerts: int = 0
    #: Cards and thread replies that are urgent.
    urgent: int = 0
    threads: int = 0
    #: Cards a budget held back: they wait in the digest.
    digest: int = 0
    #: Stored verdicts that were ALERTs in this channel on this day (what did happen).
    stored_alerts: int = 0
    #: Volume or complaint-share spikes the brand's channel would have been told about.
    spikes: int = 0
    #: Complaints and requests a person sees: cards and thread replies (not the context
    #: follow-ups threaded under them).
    items: int = 0


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
    #: Mentions whose route or channel now differs from the stored verdict's.
    changed: int = 0
    reasons: tuple[tuple[str, int], ...] = field(default=())

    @property
    def alerts(self) -> int:
        return sum(r.alerts for r in self.rows)

    @property
    def stored_alerts(self) -> int:
        return sum(r.stored_alerts for r in self.rows)

    @property
    def urgent(self) -> int:
        return sum(r.urgent for r in self.rows)

    @property
    def slack_items(self) -> int:
        """Complaints and requests a person sees in Slack: cards and thread replies."""
        return sum(r.items for r in self.rows)

    @property
    def urgent_share(self) -> float:
        """Share of the Slack items that are urgent (cards and replies that ping or join
        an urgent thread)."""
        return self.urgent / self.slack_items if self.slack_items else 0.0

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
        return f"{self.alerts / days:.1f} cards/day on average"


@dataclass(slots=True)
class _Cell:
    alerts: int = 0
    urgent: int = 0
    threads: int = 0
    digest: int = 0
    stored_alerts: int = 0
    spikes: int = 0
    items: int = 0


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
        if old is not None and _routed_differently(old, verdict):
            changed += 1
        if verdict.channel is None or verdict.route is Route.IGNORE:
            ignored += 1
            continue
        _count(cells.setdefault((day, verdict.channel), _Cell()), verdict)
        if verdict.route is Route.ALERT:
            reasons.update(_NUMBER.sub("#", r) for r in verdict.reasons)
    rows = tuple(
        ReplayRow(day, channel, c.alerts, c.urgent, c.threads, c.digest, c.stored_alerts,
                  c.spikes, c.items)
        for (day, channel), c in sorted(cells.items())
    )
    return ReplayReport(
        start=start, end=end, rows=rows, scanned=scanned, ignored=ignored,
        unscored=unscored, reclassified=reclassified, changed=changed,
        reasons=tuple(reasons.most_common(_TOP_REASONS)),
    )


def _routed_differently(old: Verdict, new: Verdict) -> bool:
    """Another route, or the same one to another channel (an ignored post has none)."""
    if old.route is not new.route:
        return True
    return old.route is not Route.IGNORE and old.channel != new.channel


def _count(cell: _Cell, verdict: Verdict) -> None:
    if verdict.route is Route.ALERT:
        cell.alerts += 1
    elif verdict.route is Route.THREAD:
        cell.threads += 1
    elif verdict.route is Route.DIGEST:
        cell.digest += 1
    if reaches_slack(verdict):
        cell.items += 1
        cell.urgent += verdict.priority >= Priority.HIGH


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
    """The report as rich renderables: a per-day, per-channel table and a summary.

    Columns: new cards, how many of the Slack items are urgent, thread replies, cards
    held back by a budget (for the digest), spikes, and the stored alerts ("then"). No
    column is ever shortened with "…": the day and the counts never wrap, a channel too
    long for the terminal folds onto a second line.
    """
    table = Table(title="What the current rules would have sent", title_justify="left",
                  box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold underline")
    widest = max((len(r.channel) for r in report.rows), default=7)
    table.add_column("day", no_wrap=True, min_width=10)
    # A channel longer than the terminal allows folds onto a second line: never "…".
    table.add_column("channel", overflow="fold", min_width=min(max(7, widest), 30))
    for name in ("cards", "urgent", "thread", "held", "spikes", "then"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    for r in report.rows:
        table.add_row(r.day.isoformat(), r.channel, str(r.alerts), str(r.urgent),
                      str(r.threads), str(r.digest), str(r.spikes), str(r.stored_alerts))
    table.add_section()
    table.add_row("total", "", str(report.alerts), str(report.urgent),
                  str(sum(r.threads for r in report.rows)),
                  str(sum(r.digest for r in report.rows)), str(report.spikes),
                  str(report.stored_alerts))
    summary = Text()
    summary.append(
        f"{report.scanned} mentions from {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}: "
        f"{report.alerts} cards ({report.per_day_note()}), {report.slack_items} Slack items "
        f"of which {report.urgent} urgent ({report.urgent_share:.0%}), "
        f"{report.ignored} ignored, {report.changed} routed differently than when stored "
        "(route or channel)."
    )
    if report.unscored:
        summary.append(f"\n{report.unscored} had no stored scores and were skipped "
                       "(use --reclassify).")
    if report.reasons:
        summary.append("\nMost common reasons behind the cards:")
        for reason, n in report.reasons:
            summary.append(f"\n  {n:>6}  {reason}")
    return Group(table, summary)
