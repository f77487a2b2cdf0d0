"""Local days and the business-hours SLA clock, across DST changes."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from listener.digest import BusinessHours, day_bounds, period_bounds
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
    assert BusinessHours.parse("") is None
    assert BusinessHours.parse(None) is None
    bh = BusinessHours.parse("09:00-18:00")
    assert bh == BusinessHours(time(9), time(18))
    weekdays = BusinessHours.parse("Mon-Fri 08:30-17:00")
    assert weekdays is not None
    assert weekdays.weekdays == frozenset(range(5))
    assert weekdays.describe() == "Mon-Fri 08:30-17:00"
    wrap = BusinessHours.parse("fri-mon 22:00-06:00")
    assert wrap is not None
    assert wrap.weekdays == frozenset({4, 5, 6, 0})


@pytest.mark.parametrize("bad", ["9-5", "Mon-Fry 09:00-17:00", "25:00-26:00", "nine to five"])
def test_bad_business_hours_are_refused_with_the_spec(bad: str) -> None:
    with pytest.raises(ValueError, match="business hours"):
        BusinessHours.parse(bad)


def test_the_sla_clock_stops_outside_business_hours() -> None:
    bh = BusinessHours.parse("09:00-17:00")
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
    bh = BusinessHours.parse("Mon-Fri 09:00-18:00")
    assert bh is not None
    assert bh.elapsed(start, end, LA) == timedelta(hours=2)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 3, 8), timedelta(hours=10)), (date(2026, 11, 1), timedelta(hours=12))],
)
def test_a_window_spanning_the_dst_change_counts_real_time(day: date, expected: timedelta) -> None:
    """00:30 -> 11:30 local inside a 00:00-12:00 window loses or gains the changed hour."""
    bh = BusinessHours.parse("00:00-12:00")
    assert bh is not None
    start = local(day.year, day.month, day.day, 0, 30)
    end = local(day.year, day.month, day.day, 11, 30)
    assert bh.elapsed(start, end, LA) == expected == end - start


def test_an_overnight_window_and_the_whole_day() -> None:
    night = BusinessHours.parse("22:00-06:00")
    assert night is not None
    # 21:00 -> 07:00 next day: the 8 hours of the night window.
    assert night.elapsed(local(2026, 6, 2, 21), local(2026, 6, 3, 7), LA) == timedelta(hours=8)
    # 01:00 -> 05:00: the window that began the evening before covers it.
    assert night.elapsed(local(2026, 6, 3, 1), local(2026, 6, 3, 5), LA) == timedelta(hours=4)
    always = BusinessHours.parse("00:00-00:00")
    assert always is not None
    start, end = day_bounds(date(2026, 11, 1), LA)
    assert always.elapsed(start, end, LA) == timedelta(hours=25)


def test_the_fast_business_clock_agrees_with_the_walk() -> None:
    """``BusinessClock`` (prefix sums) gives the same answers as walking the days."""
    import random

    bh = BusinessHours.parse("Mon-Fri 09:00-18:00")
    night = BusinessHours.parse("22:00-06:00")
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
