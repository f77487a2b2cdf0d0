"""Time windows (one grammar for business and quiet hours), local days and the SLA clock,
across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from listener.timewindow import Window, day_bounds, parse_since, period_bounds
from tests.digest.factories import LA, local


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25), (date(2026, 6, 1), 24)],
)
def test_a_local_day_lasts_23_or_25_hours_on_dst_days(day: date, hours: int) -> None:
    start, end = day_bounds(day, LA)
    assert end - start == timedelta(hours=hours)
    assert start == local(day.year, day.month, day.day)


def test_a_period_is_the_n_local_days_ending_with_the_date() -> None:
    start, end = period_bounds(date(2026, 3, 9), 3, "America/Los_Angeles")
    assert start == local(2026, 3, 7)
    assert end == local(2026, 3, 10)
    assert end - start == timedelta(hours=71)


def test_parse_business_hours_forms() -> None:
    assert Window.parse("") is None
    assert Window.parse(None) is None
    bh = Window.parse("09:00-18:00")
    assert bh == Window(time(9), time(18))
    weekdays = Window.parse("Mon-Fri 08:30-17:00")
    assert weekdays is not None
    assert weekdays.weekdays == frozenset(range(5))
    assert weekdays.describe() == "Mon-Fri 08:30-17:00"
    wrap = Window.parse("fri-mon 22:00-06:00")
    assert wrap is not None
    assert wrap.weekdays == frozenset({4, 5, 6, 0})


@pytest.mark.parametrize(
    "bad",
    ["9-5", "Mon-Fry 09:00-17:00", "25:00-26:00", "09:60-10:00", "nine to five", "late",
     "25:00-01:00x", "24:00-09:00"],
)
def test_bad_windows_are_refused_with_the_grammar(bad: str) -> None:
    with pytest.raises(ValueError, match=bad.replace("(", r"\(")):
        Window.parse(bad)


def test_more_forms_of_the_one_grammar() -> None:
    assert Window.parse("Sat,Sun 10:00-16:00") == Window(time(10), time(16), frozenset({5, 6}))
    assert Window.parse("Mon-Wed,Fri 09:00-17:00") == Window(
        time(9), time(17), frozenset({0, 1, 2, 4}))
    until_midnight = Window.parse("18:00-24:00")
    assert until_midnight == Window(time(18), time(0))
    assert until_midnight.describe() == "18:00-00:00"
    for text in ("09:00-18:00", "Mon-Fri 08:30-17:00", "Sat,Sun 10:00-16:00", "Wed 22:00-06:00"):
        w = Window.parse(text)
        assert w is not None and Window.parse(w.describe()) == w


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """2026-03-02 is a Monday."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_contains_wraps_midnight_and_honours_weekdays() -> None:
    night = Window.parse("22:00-07:00")
    assert night is not None
    assert night.contains(at(2, 23), "UTC") and night.contains(at(3, 0), "UTC")
    assert not night.contains(at(3, 7), "UTC") and not night.contains(at(3, 21, 59), "UTC")
    weekdays = Window.parse("Mon-Fri 09:00-18:00")
    assert weekdays is not None
    assert weekdays.contains(at(6, 17, 59), "UTC")  # Friday
    assert not weekdays.contains(at(7, 10), "UTC")  # Saturday
    # A window opened on Friday night runs into Saturday morning, not Sunday's.
    friday_nights = Window.parse("Fri 22:00-06:00")
    assert friday_nights is not None
    assert friday_nights.contains(at(7, 5), "UTC")
    assert not friday_nights.contains(at(8, 5), "UTC")
    assert Window.parse("00:00-00:00").contains(at(4, 3), "UTC")  # type: ignore[union-attr]


def test_the_sla_clock_stops_outside_business_hours() -> None:
    bh = Window.parse("09:00-17:00")
    assert bh is not None
    # 08:00 -> 09:30: only 30 minutes were inside the window.
    assert bh.elapsed(local(2026, 6, 2, 8), local(2026, 6, 2, 9, 30), LA) == timedelta(minutes=30)
    # 16:30 -> next day 09:15: 30 + 15 minutes.
    assert bh.elapsed(local(2026, 6, 2, 16, 30), local(2026, 6, 3, 9, 15), LA) == timedelta(
        minutes=45
    )
    assert bh.elapsed(local(2026, 6, 2, 18), local(2026, 6, 2, 8), LA) == timedelta(0)


def test_weekend_over_the_spring_dst_change() -> None:
    """Fri 6 Mar 17:00 PST to Mon 9 Mar 10:00 PDT: 64 real hours, 2 business hours."""
    start, end = local(2026, 3, 6, 17), local(2026, 3, 9, 10)
    assert end - start == timedelta(hours=64)  # not the wall-clock 65
    bh = Window.parse("Mon-Fri 09:00-18:00")
    assert bh is not None
    assert bh.elapsed(start, end, LA) == timedelta(hours=2)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 3, 8), timedelta(hours=10)), (date(2026, 11, 1), timedelta(hours=12))],
)
def test_a_window_spanning_the_dst_change_counts_real_time(day: date, expected: timedelta) -> None:
    """00:30 -> 11:30 local inside a 00:00-12:00 window loses or gains the changed hour."""
    bh = Window.parse("00:00-12:00")
    assert bh is not None
    start = local(day.year, day.month, day.day, 0, 30)
    end = local(day.year, day.month, day.day, 11, 30)
    assert bh.elapsed(start, end, LA) == expected == end - start


def test_an_overnight_window_and_the_whole_day() -> None:
    night = Window.parse("22:00-06:00")
    assert night is not None
    # 21:00 -> 07:00 next day: the 8 hours of the night window.
    assert night.elapsed(local(2026, 6, 2, 21), local(2026, 6, 3, 7), LA) == timedelta(hours=8)
    # 01:00 -> 05:00: the window that began the evening before covers it.
    assert night.elapsed(local(2026, 6, 3, 1), local(2026, 6, 3, 5), LA) == timedelta(hours=4)
    always = Window.parse("00:00-00:00")
    assert always is not None
    start, end = day_bounds(date(2026, 11, 1), LA)
    assert always.elapsed(start, end, LA) == timedelta(hours=25)


def test_the_fast_business_clock_agrees_with_the_walk() -> None:
    """``BusinessClock`` (prefix sums) gives the same answers as walking the days."""
    import random

    bh = Window.parse("Mon-Fri 09:00-18:00")
    night = Window.parse("22:00-06:00")
    assert bh is not None
    assert night is not None
    rng = random.Random(3)
    lo, hi = local(2026, 2, 20), local(2026, 11, 10)
    for hours in (bh, night):
        fast = hours.clock(lo, hi, LA)
        for _ in range(300):
            a = lo + timedelta(minutes=rng.randrange(int((hi - lo).total_seconds() // 60)))
            b = a + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
            assert fast.elapsed(a, b) == hours.elapsed(a, b, LA), (a, b)


NOW = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("30d", NOW - timedelta(days=30)),
        (" 12H ", NOW - timedelta(hours=12)),
        ("90m", NOW - timedelta(minutes=90)),
        ("2w", NOW - timedelta(weeks=2)),
        # A date is its local midnight: 1 November in LA is still PDT (UTC-7).
        ("2026-11-01", datetime(2026, 11, 1, 7, tzinfo=UTC)),
        # After the change at 02:00, 09:00 local is PST (UTC-8).
        ("2026-11-01T09:00", datetime(2026, 11, 1, 17, tzinfo=UTC)),
        ("2026-11-01T09:00+01:00", datetime(2026, 11, 1, 8, tzinfo=UTC)),
    ],
)
def test_since_reads_a_duration_a_local_date_or_an_instant(spec: str, expected: datetime) -> None:
    assert parse_since(spec, NOW, LA) == expected


@pytest.mark.parametrize("spec", ["", "0d", "30", "d", "30 days", "last tuesday", "2026-13-01"])
def test_since_refuses_anything_else_saying_what_it_reads(spec: str) -> None:
    with pytest.raises(ValueError, match=r"'30d'|at least 1"):
        parse_since(spec, NOW, LA)
