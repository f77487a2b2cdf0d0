"""A month of plausible mentions for one brand, seeded: what the rendering tests show."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from listener.digest import period_bounds
from listener.domain import AlertStatus, Feedback, Priority
from listener.ports import TriagedMention
from tests.digest.factories import LA, tm

TEXTS = {
    "delivery": [
        "Ordered on the 2nd, still no parcel and tracking hasn't moved in 5 days",
        "Driver marked my order delivered but it's not here. Again.",
        "Third delivery slot missed this month, I took a day off for this",
    ],
    "billing/refund": [
        "Charged twice for one order and support keeps closing my ticket",
        "Still waiting on a refund from three weeks ago <script>alert(1)</script>",
    ],
    "outage": [
        "App down for anyone else? Can't log in or check out @channel",
        "Checkout page just spins, lost my basket twice",
    ],
    "product defect": ["The kettle lid snapped off on day two & the handle is loose"],
    "customer service": ["45 minutes on hold and then the line dropped. Brilliant."],
}
PRAISE = ["Love the new app update!", "Quick delivery today, thanks team", "Great support chat"]


def sample_month(last_day: date = date(2026, 3, 9), seed: int = 7) -> list[TriagedMention]:
    rng = random.Random(seed)
    start, _ = period_bounds(last_day, 30, LA)
    items: list[TriagedMention] = []
    for d in range(30):
        day = (start + timedelta(days=d)).astimezone(LA).date()
        outage_day = day == last_day
        n = rng.randint(35, 55) + (60 if outage_day else 0)
        for _ in range(n):
            created = datetime(
                day.year, day.month, day.day, rng.randint(6, 22), rng.randint(0, 59), tzinfo=LA
            )
            items.append(_one(rng, created, outage_day, last_day))
    return items


def _one(rng: random.Random, created: datetime, outage_day: bool, last_day: date) -> TriagedMention:
    if rng.random() < 0.55 and not outage_day:
        return tm(
            created,
            complaint=False,
            sentiment=rng.choice(["positive", "neutral"]),
            topic="other",
            text=rng.choice(PRAISE),
            followers=rng.randint(10, 3000),
        )
    topic = (
        "outage"
        if outage_day and rng.random() < 0.6
        else rng.choice(list(TEXTS)[:2] * 3 + list(TEXTS))
    )
    recent = created.date() >= last_day - timedelta(days=1)
    answered = rng.random() < (0.5 if recent else 0.9)
    reply = timedelta(minutes=rng.choice([12, 25, 38, 52, 70, 95, 180]))
    status = None
    if answered and not recent and rng.random() < 0.6:
        status = AlertStatus.RESOLVED
    if rng.random() < 0.06:
        status = AlertStatus.NOT_COMPLAINT
    return tm(
        created,
        topic=topic,
        text=rng.choice(TEXTS[topic]),
        urgency=rng.choice([1, 2, 2, 3, 4] if topic == "outage" else [1, 2, 2, 3]),
        followers=rng.choice([40, 150, 800, 2_500, 12_000, 180_000])
        if rng.random() < 0.2
        else rng.randint(5, 900),
        verified="business" if rng.random() < 0.01 else "none",
        priority=Priority.HIGH if topic == "outage" or rng.random() < 0.1 else Priority.NORMAL,
        incident="INC-0309" if outage_day and topic == "outage" else None,
        sent_after=timedelta(seconds=rng.randint(20, 240)),
        claimed_after=reply / 3 if answered or rng.random() < 0.5 else None,
        replied_after=reply if answered else None,
        resolved_after=reply * 2 if status is AlertStatus.RESOLVED else None,
        status=status,
        claimed_by="U07CXLEAD" if answered else None,
    )


def sample_feedback(items: list[TriagedMention]) -> list[Feedback]:
    return [
        Feedback(
            t.mention.key, "not_complaint", "U07CXLEAD", t.alerts[0].sent_at or t.mention.created_at
        )
        for t in items
        if t.alerts and t.alerts[0].status is AlertStatus.NOT_COMPLAINT
    ]
