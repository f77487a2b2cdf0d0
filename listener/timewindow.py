"""Time windows (business hours, quiet hours) and local days, DST-safe. Pure, stdlib only.

``Window.parse`` is the one grammar for every time window in the settings; the settings
hold parsed ``Window`` values, never the raw strings. ``parse_since`` is the one grammar
for a command's "from when" (``--since 30d``, ``--since 2026-11-01``).

A "day" is local midnight to local midnight, so it lasts 23 or 25 hours on DST change
days. Every instant is compared and subtracted in UTC: subtracting two datetimes that
share a ``ZoneInfo`` is wall-clock arithmetic in Python and would be an hour off across
a change.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "GRAMMAR",
    "SINCE_GRAMMAR",
    "BusinessClock",
    "Window",
    "day_bounds",
    "days_between",
    "local_day",
    "parse_since",
    "period_bounds",
    "zone",
]

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(range(7))
GRAMMAR = "'HH:MM-HH:MM' or 'Mon-Fri HH:MM-HH:MM' (e.g. '09:00-18:00')"
_DAYS = r"[a-z]{3}(?:\s*-\s*[a-z]{3})?"
_SPEC = re.compile(
    rf"^\s*(?:(?P<days>{_DAYS}(?:\s*,\s*{_DAYS})*)\s+)?"
    r"(?P<h0>\d{1,2}):(?P<m0>\d{2})\s*-\s*(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*$",
    re.IGNORECASE,
)

SINCE_GRAMMAR = (
    "a duration back from now ('90m', '12h', '30d', '2w'), a local date ('2026-11-01') "
    "or a date and time ('2026-11-01T09:00', '2026-11-01T09:00+01:00')"
)
_AGO = re.compile(r"^\s*(?P<n>\d+)\s*(?P<unit>[mhdw])\s*$", re.IGNORECASE)
_UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
         "w": timedelta(weeks=1)}


def zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _at(day: date, t: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of local ``day`` at ``t`` (a time skipped by DST resolves forward)."""
    return datetime.combine(day, t, tzinfo=tz).astimezone(UTC)


def day_bounds(day: date, tz: ZoneInfo | str) -> tuple[datetime, datetime]:
    """``[start, end)`` of a local day, in UTC."""
    z = zone(tz)
    return _at(day, time(0), z), _at(day + timedelta(days=1), time(0), z)


def period_bounds(last_day: date, days: int, tz: ZoneInfo | str) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC of the ``days`` local days ending with ``last_day``."""
    if days < 1:
        raise ValueError("a period has at least one day")
    first = last_day - timedelta(days=days - 1)
    return day_bounds(first, tz)[0], day_bounds(last_day, tz)[1]


def local_day(instant: datetime, tz: ZoneInfo | str) -> date:
    return instant.astimezone(zone(tz)).date()


def parse_since(spec: str, now: datetime, tz: ZoneInfo | str) -> datetime:
    """The UTC instant ``spec`` names (see ``SINCE_GRAMMAR``); ``ValueError`` otherwise.

    A duration counts back from ``now`` in elapsed time (``30d`` is 30 x 24 hours, whatever
    DST did meanwhile); a bare date is its local midnight in ``tz``, as the digest's days
    are; a date and time without an offset is local time in ``tz`` too.
    """
    text = spec.strip()
    if m := _AGO.match(text):
        n = int(m["n"])
        if n < 1:
            raise ValueError(f"{spec!r}: a duration of at least 1, e.g. '30d'")
        return (now - n * _UNIT[m["unit"].lower()]).astimezone(UTC)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return day_bounds(day, tz)[0]
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{spec!r}: expected {SINCE_GRAMMAR}") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=zone(tz))
    return instant.astimezone(UTC)


def days_between(first: date, last: date) -> Iterator[date]:
    """Every date from ``first`` to ``last`` inclusive."""
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Window:
    """A daily local-time window on some weekdays: business hours, quiet hours.

    One grammar everywhere (settings, policy, digest): ``HH:MM-HH:MM``, optionally
    preceded by weekdays, ``Mon-Fri 09:00-18:00``, ``Sat,Sun 10:00-16:00``. ``end <= start``
    means the window runs past midnight (``22:00-07:00``: a window opened on a listed
    day closes the next morning); ``00:00-00:00`` is the whole day; ``24:00`` may end one.
    """

    start: time
    end: time
    #: Monday is 0, as in ``date.weekday()``: the days a window *opens* on.
    weekdays: frozenset[int] = field(default=ALL_DAYS)

    @classmethod
    def parse(cls, spec: str | None) -> Window | None:
        """The window ``spec`` describes; empty (or None) means "no window" (None)."""
        if spec is None or not spec.strip():
            return None
        m = _SPEC.match(spec)
        if m is None:
            raise ValueError(f"{spec!r}: expected {GRAMMAR}")
        start = _clock_time(m["h0"], m["m0"], spec, end=False)
        end = _clock_time(m["h1"], m["m1"], spec, end=True)
        weekdays = ALL_DAYS
        if m["days"]:
            weekdays = frozenset(d for part in m["days"].split(",") for d in _days(part, spec))
        return cls(start, end, weekdays)

    def describe(self) -> str:
        """The window in the grammar ``parse`` reads (``Mon-Fri 09:00-18:00``)."""
        days = ""
        if self.weekdays != ALL_DAYS:
            ordered = sorted(self.weekdays)
            days = (
                f"{_DAY_NAMES[ordered[0]].title()}-{_DAY_NAMES[ordered[-1]].title()} "
                if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1))
                else ",".join(_DAY_NAMES[d].title() for d in ordered) + " "
            )
        return f"{days}{self.start:%H:%M}-{self.end:%H:%M}"

    def __str__(self) -> str:
        return self.describe()

    def contains(self, instant: datetime, tz: ZoneInfo | str) -> bool:
        """Whether the window is open at ``instant`` (any timezone), in local time ``tz``."""
        local = instant.astimezone(zone(tz))
        t, day = local.time().replace(tzinfo=None), local.weekday()
        if self.start < self.end:
            return day in self.weekdays and self.start <= t < self.end
        # Past midnight: open from ``start`` on a listed day until ``end`` the next day.
        return (day in self.weekdays and t >= self.start) or (
            (day - 1) % 7 in self.weekdays and t < self.end
        )

    def windows(
        self, first: date, last: date, tz: ZoneInfo | str
    ) -> list[tuple[datetime, datetime]]:
        """The UTC ``[open, close)`` windows of the local days ``first``..``last``, in order."""
        z = zone(tz)
        overnight = self.end <= self.start
        out = []
        for day in days_between(first, last):
            if day.weekday() in self.weekdays:
                close_day = day + timedelta(days=1) if overnight else day
                out.append((_at(day, self.start, z), _at(close_day, self.end, z)))
        return out

    def clock(self, start: datetime, end: datetime, tz: ZoneInfo | str) -> BusinessClock:
        """A fast ``elapsed`` for many instants in ``[start, end]`` (see ``BusinessClock``)."""
        z = zone(tz)
        return BusinessClock(self, z, local_day(start, z), local_day(end, z))

    def elapsed(self, start: datetime, end: datetime, tz: ZoneInfo | str) -> timedelta:
        """Time inside the window between two instants: the SLA clock stops outside it."""
        if end <= start:
            return timedelta(0)
        z = zone(tz)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        # An overnight window that began the evening before can cover ``start``.
        for w0, w1 in self.windows(local_day(start, z) - timedelta(days=1), local_day(end, z), z):
            lo, hi = max(w0, start), min(w1, end)
            if hi > lo:
                total += hi - lo
        return total


class BusinessClock:
    """Business time by prefix sums over precomputed windows: O(log n) per question.

    A 90-day digest asks for the business time of up to a million alerts, most spanning
    many days; walking the days each time made it quadratic. Instants outside the
    precomputed range fall back to ``Window.elapsed``.
    """

    def __init__(self, hours: Window, tz: ZoneInfo, first: date, last: date) -> None:
        self._hours, self._tz = hours, tz
        # From the day before: an overnight window opened then may run into ``first``.
        windows = hours.windows(first - timedelta(days=1), last, tz)
        self._covers = (day_bounds(first, tz)[0].timestamp(), day_bounds(last, tz)[1].timestamp())
        self._opens = [w[0].timestamp() for w in windows]
        self._closes = [w[1].timestamp() for w in windows]
        self._before = [0.0]  # business seconds before each window opens
        for o, c in zip(self._opens, self._closes, strict=True):
            self._before.append(self._before[-1] + (c - o))

    def table(self) -> tuple[tuple[float, float], list[float], list[float], list[float]]:
        """What it answers from: the instants covered, each window's open and close, and
        the business seconds before each opens (for answering many at once)."""
        return self._covers, self._opens, self._closes, self._before

    def _upto(self, t: float) -> float:
        i = bisect.bisect_right(self._opens, t) - 1
        if i < 0:
            return 0.0
        return self._before[i] + min(t, self._closes[i]) - self._opens[i]

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        a, b = start.timestamp(), end.timestamp()
        if b <= a:
            return timedelta(0)
        if a < self._covers[0] or b > self._covers[1]:
            return self._hours.elapsed(start, end, self._tz)
        return timedelta(seconds=self._upto(b) - self._upto(a))


def _clock_time(hh: str, mm: str, spec: str, *, end: bool) -> time:
    h, m = int(hh), int(mm)
    if end and (h, m) == (24, 0):
        return time(0)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"{spec!r}: {hh}:{mm} is not a time of day (00:00-23:59)")
    return time(h, m)


def _days(part: str, spec: str) -> frozenset[int]:
    first, _, last = (p.strip() for p in part.partition("-"))
    d0 = _weekday(first, spec)
    d1 = _weekday(last, spec) if last else d0
    return frozenset((d0 + i) % 7 for i in range((d1 - d0) % 7 + 1))


def _weekday(name: str, spec: str) -> int:
    try:
        return _DAY_NAMES.index(name.lower())
    except ValueError:
        raise ValueError(f"{spec!r}: unknown day {name!r} (Mon, Tue, ... Sun)") from None
