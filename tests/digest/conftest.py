"""Shared digests: a month of sample data, and an empty brand-new install."""

from __future__ import annotations

from datetime import date

import pytest

from listener.digest import Digest, build_digest, period_bounds
from listener.timewindow import Window
from tests.digest.factories import LA, local, tm
from tests.digest.sample import sample_feedback, sample_month

DAY = date(2026, 3, 9)
HOSTILE = "Bad <script>alert(1)</script> [click](http://evil) @channel <!here> & *bold*"


@pytest.fixture(scope="session")
def sample_digest() -> Digest:
    items = sample_month(DAY)
    items.append(
        tm(
            local(2026, 3, 9, 12),
            text=HOSTILE,
            username="evil",
            followers=500_000,
            url="javascript:alert(1)",
            urgency=4,
        )
    )
    start, end = period_bounds(DAY, 1, LA)
    return build_digest(
        [t for t in items if t.mention.created_at >= start],
        sample_feedback(items),
        period_start=start,
        period_end=end,
        tz=LA,
        previous=[t for t in items if t.mention.created_at < start],
        sla_minutes=60,
        business_hours=Window.parse("Mon-Fri 08:00-20:00"),
        brand="Acme",
    )


@pytest.fixture(scope="session")
def empty_digest() -> Digest:
    start, end = period_bounds(DAY, 1, LA)
    return build_digest([], period_start=start, period_end=end, tz=LA, brand="Acme")
