"""How changes read: percentages only where they mean something."""

from __future__ import annotations

import pytest

from listener.digest import Change
from listener.report import fmt


@pytest.mark.parametrize(
    ("value", "against", "text", "direction"),
    [
        (120, 100, "+20% vs previous", "up"),
        (80, 100, "-20% vs previous", "down"),
        (271, 2, "+269 vs previous (2)", "up"),  # was "+13450%"
        (5_000, 100, "+4,900 vs previous (100)", "up"),
        (3, 90, "-87 vs previous (90)", "down"),
        (0, 34, "none, previous 34", "gone"),  # was "-100%" in green
        (7, 0, "new vs previous", "up"),
        (0, 0, "flat vs previous", "flat"),
    ],
)
def test_count_changes(value: float, against: float, text: str, direction: str) -> None:
    c = Change(value, previous=against, baseline=None)
    assert fmt.change_text(c, c.previous, "previous") == text
    assert fmt.direction(c, c.previous) == direction


def test_share_changes_are_points_even_from_zero() -> None:
    c = Change(0.25, previous=0.0, baseline=None, kind="share")
    assert fmt.change_text(c, c.previous, "previous") == "+25.0 pts vs previous"
    assert fmt.direction(c, c.previous) == "up"
    gone = Change(0.0, previous=0.3, baseline=None, kind="share")
    assert fmt.direction(gone, gone.previous) == "down"  # a share of 0 is a real figure


def test_no_baseline_yet() -> None:
    c = Change(10, previous=None, baseline=None)
    assert fmt.change_text(c, c.baseline, "7-day avg") == "no 7-day avg yet"
