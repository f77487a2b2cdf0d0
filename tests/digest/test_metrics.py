"""build_digest on hand-checked fixtures: volumes, shares, response times, SLA."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from listener.digest import Change, Digest, build_digest, period_bounds
from listener.domain import AlertStatus
from listener.ports import TriagedMention
from listener.timewindow import Window
from tests.digest.factories import LA, feedback, local, mins, tm


def digest_for(day: date, items: Sequence[TriagedMention], days: int = 1, **kw: Any) -> Digest:
    start, end = period_bounds(day, days, LA)
    return build_digest(
        [t for t in items if t.mention.created_at >= start],
        kw.pop("feedback", []),
        period_start=start,
        period_end=end,
        tz=LA,
        previous=[t for t in items if t.mention.created_at < start],
        sla_minutes=kw.pop("sla_minutes", 60),
        **kw,
    )


def test_an_empty_new_install_gives_a_sensible_digest() -> None:
    d = digest_for(date(2026, 3, 8), [])
    assert d.is_empty
    assert d.volume == Change(0, None, None)
    assert d.complaint_share.value == 0.0
    assert d.complaint_share.previous is None
    assert d.response.share_within_sla is None
    assert d.response.to_reply.median is None
    assert d.model_health.precision_proxy is None
    assert [p.volume for p in d.days] == [0]
    assert d.themes == d.spikes == d.open_incidents == ()
    assert any("No data before" in n for n in d.notes)
    assert any("No mentions" in n for n in d.notes)


def baseline_week() -> list[TriagedMention]:
    """1-7 Mar: 4 mentions a day (2 complaints), 6 on the 7th (3 complaints)."""
    items = []
    for day in range(1, 8):
        n = 6 if day == 7 else 4
        for i in range(n):
            items.append(tm(local(2026, 3, day, 10 + i), complaint=i % 2 == 0, sentiment="neutral"))
    return items


def test_volume_and_shares_on_the_spring_dst_day_vs_previous_day_and_week() -> None:
    items = baseline_week()
    # The last minute of the 7th belongs to the 7th: 7 mentions then, 4 complaints.
    items.append(tm(local(2026, 3, 7, 23, 59)))
    day = [
        tm(local(2026, 3, 8, 0, 0)),  # first instant of the 23-hour day
        *(tm(local(2026, 3, 8, h)) for h in (3, 4, 5, 6)),  # 03:00 exists only as PDT
        tm(local(2026, 3, 8, 23, 59)),
        tm(local(2026, 3, 8, 12), complaint=False, sentiment="negative"),
        *(tm(local(2026, 3, 8, 13), complaint=False, sentiment="positive") for _ in range(3)),
        tm(local(2026, 3, 8, 14), scored=False),
    ]
    after = tm(local(2026, 3, 9, 0, 0))
    d = digest_for(date(2026, 3, 8), [*items, *day, after])
    assert d.period_end - d.period_start == timedelta(hours=23)
    assert d.volume.value == 11
    assert d.volume.previous == 7
    assert d.volume.baseline == pytest.approx(31 / 7)
    assert d.volume.vs(d.volume.previous) == pytest.approx(4 / 7)
    # Shares are over the 10 scored mentions.
    assert d.unscored == 1
    assert d.complaint_share.value == pytest.approx(0.6)
    assert d.complaint_share.previous == pytest.approx(4 / 7)
    assert d.complaint_share.baseline == pytest.approx(16 / 31)
    assert d.complaint_share.vs(0.5) == pytest.approx(0.1)
    assert d.negative_share.value == pytest.approx(0.7)
    assert d.complaints.value == 6
    assert any("not scored" in n for n in d.notes)


def test_the_25_hour_autumn_day_keeps_both_1_30s() -> None:
    first = tm(local(2026, 11, 1, 1, 30, fold=0))
    second = tm(local(2026, 11, 1, 1, 30, fold=1))
    assert second.mention.created_at - first.mention.created_at == timedelta(hours=1)
    d = digest_for(date(2026, 11, 1), [first, second, tm(local(2026, 10, 31, 23))])
    assert d.period_end - d.period_start == timedelta(hours=25)
    assert d.volume.value == 2
    assert [p.volume for p in d.days] == [2]


def response_day() -> list[TriagedMention]:
    def at(h: int, mi: int = 0) -> Any:
        return local(2026, 6, 2, h, mi)

    return [
        tm(at(10), sent_after=mins(1), claimed_after=mins(5), replied_after=mins(30)),
        tm(at(11), sent_after=mins(2), claimed_after=mins(10), replied_after=mins(50)),
        tm(at(12), sent_after=mins(3), claimed_after=mins(20), replied_after=mins(90)),
        tm(at(13), sent_after=mins(4), claimed_after=mins(40), username="waiting"),
        tm(at(23, 30), sent_after=mins(10)),  # 30 minutes old at midnight: not judged yet
        tm(at(14), status=AlertStatus.NOT_COMPLAINT),  # the team ruled it out
    ]


def test_response_times_median_p90_and_sla_share() -> None:
    r = digest_for(date(2026, 6, 2), response_day()).response
    assert (r.to_alert.count, r.to_alert.median, r.to_alert.p90) == (5, mins(3), mins(7.6))
    assert (r.to_claim.count, r.to_claim.median, r.to_claim.p90) == (4, mins(15), mins(34))
    assert (r.to_reply.count, r.to_reply.median, r.to_reply.p90) == (3, mins(50), mins(82))
    assert (r.within_sla, r.measured, r.pending) == (2, 4, 1)
    assert r.share_within_sla == 0.5
    assert [(b.post.author, b.elapsed, b.replied) for b in r.breaches] == [
        ("@waiting", timedelta(hours=11), False),
        (r.breaches[1].post.author, mins(90), True),
    ]
    assert r.business_hours is None


def test_business_hours_stop_the_sla_clock() -> None:
    items = [
        *response_day(),
        tm(local(2026, 6, 2, 8), replied_after=mins(90)),  # 30 minutes in business hours
    ]
    r = digest_for(date(2026, 6, 2), items, business_hours=Window.parse("09:00-17:00")).response
    assert r.business_hours == "09:00-17:00"
    assert r.to_reply.median == mins(40)  # 30, 30, 50, 90 on the SLA clock
    assert (r.within_sla, r.measured, r.pending) == (3, 5, 1)
    waiting = next(b for b in r.breaches if b.post.author == "@waiting")
    assert waiting.elapsed == timedelta(hours=4)  # 13:00 -> 17:00, then the clock stops


def test_reply_time_across_the_dst_change_is_real_time() -> None:
    # Sat 7 Mar 23:30 PST -> Sun 8 Mar 03:30 PDT is 3 real hours, 4 on the wall clock.
    item = tm(local(2026, 3, 7, 23, 30), replied_after=timedelta(hours=3))
    assert item.alerts[0].replied_at == local(2026, 3, 8, 3, 30)
    r = digest_for(date(2026, 3, 7), [item], sla_minutes=200).response
    assert r.to_reply.median == timedelta(hours=3)
    assert r.share_within_sla == 1.0


def test_unanswered_alerts_accrue_sla_time_until_now() -> None:
    item = tm(local(2026, 6, 2, 23, 0))
    day = date(2026, 6, 2)
    assert digest_for(day, [item]).response.breaches == ()  # exactly 60 minutes: not over
    later = local(2026, 6, 3, 1)
    r = digest_for(day, [item], now=later).response
    assert [b.elapsed for b in r.breaches] == [timedelta(hours=2)]


def test_model_health_counts_not_a_complaint_marks_and_feedback_in_the_period() -> None:
    items = response_day()
    fb = [
        feedback(local(2026, 6, 2, 15)),
        feedback(local(2026, 6, 2, 16), "urgency:3"),
        feedback(local(2026, 6, 1, 16)),  # the day before
    ]
    d = digest_for(date(2026, 6, 2), items, feedback=fb)
    mh = d.model_health
    assert (mh.alerts, mh.not_complaint, mh.feedback) == (6, 1, 2)
    assert mh.precision_proxy == pytest.approx(5 / 6)
    assert mh.feedback_by_label == (("not_complaint", 1), ("urgency:3", 1))
    assert mh.models == ("test-model",)
    # The ruled-out alert is no longer a complaint in the shares either.
    assert d.complaints.value == 5


def test_a_multi_day_period_compares_with_the_same_length_before() -> None:
    items = [tm(local(2026, 6, d, 12)) for d in range(1, 11)]  # one a day, 1-10 June
    d = digest_for(date(2026, 6, 10), items, days=3)
    assert (d.first_day, d.last_day, d.n_days) == (date(2026, 6, 8), date(2026, 6, 10), 3)
    assert d.volume == Change(3, 3, 3.0)
    assert len(d.days) == 3
    assert "3 days" in d.period_label
