"""decide(): every rule, with the reasons it gives."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from classifiers.base import Scores
from listener.config import BrandSettings, RuleSettings, Settings
from listener.decisions import (
    BrandRules,
    DecisionContext,
    Incident,
    Parent,
    SpikeEvent,
    decide,
    human_count,
)
from listener.domain import Mention, Priority, Route
from tests.core.doubles import T0, mention, scores


def parent(key: str = "1", *, ago: timedelta = timedelta(minutes=5)) -> Parent:
    return Parent(("x", key), "#cx-acme", "delivery", Priority.NORMAL, T0 - ago)


def make_rules(
    *, tz: str = "UTC", budget: int = 30, brand: dict[str, Any] | None = None, **rules: Any
) -> BrandRules:
    settings = Settings(timezone=tz, slack={"channel_budget_per_hour": budget})  # type: ignore[call-arg, arg-type]
    b = BrandSettings(
        name="Acme",
        handles=["AcmeHelp"],
        channel="#cx-acme",
        topic_channels={"safety": "#cx-urgent", "billing/refund": "#cx-billing"},
        rules=RuleSettings(**{"complaint_threshold": 0.62, **rules}),
        **(brand or {}),
    )
    return BrandRules.from_settings(b, settings)


RULES = make_rules(
    vip_handles=["@BigCustomer"],
    vip_followers=50_000,
    escalate_phrases=["lawsuit", "recall*"],
    ignore_phrases=["giveaway"],
)
INCIDENT = Incident(
    id="x-100", brand="Acme", topic="delivery", first_seen=T0 - timedelta(minutes=30),
    last_seen=T0 - timedelta(minutes=1), count=12, members=(), centroid=(),
    representative_text="late", alert_of=("x", "100"),
)
SPIKE = SpikeEvent("Acme", "delivery", "volume", T0, timedelta(minutes=15), 20, 15, 1.5, 1e-9)


@dataclass
class Case:
    name: str
    route: Route
    priority: Priority
    reasons: list[str]
    m: Mention = field(default_factory=mention)
    s: Scores = field(default_factory=scores)
    ctx: DecisionContext = field(default_factory=DecisionContext)
    rules: BrandRules = RULES
    channel: str | None = "#cx-acme"
    actionable: bool = True
    thread_of: tuple[str, str] | None = None
    incident_id: str | None = None


CASES = [
    Case("complaint over threshold alerts", Route.ALERT, Priority.NORMAL,
         ["complaint 0.90 ≥ 0.62", "urgency 3 (accusation)"]),
    Case("below threshold is ignored", Route.IGNORE, Priority.NONE,
         ["not a complaint 0.30 < 0.62"], s=scores(p=0.3), channel=None, actionable=False),
    Case("no threshold: the model decides", Route.ALERT, Priority.NORMAL,
         ["complaint 0.40 (≥ model threshold)"], s=scores(p=0.4, is_complaint=True),
         rules=make_rules(complaint_threshold=None)),
    Case("low urgency from a small account: digest", Route.DIGEST, Priority.LOW,
         ["urgency 1 (no explicit reproach) < min 2", "retweet-size author, low urgency → digest"],
         s=scores(urgency=1)),
    Case("low urgency from a bigger account: digest", Route.DIGEST, Priority.LOW,
         ["low urgency → digest"], s=scores(urgency=1), m=mention(followers=5_000)),
    Case("page urgency is HIGH", Route.ALERT, Priority.HIGH, ["urgency 4 (blame) ≥ page 4"],
         s=scores(urgency=4)),
    Case("safety signal is CRITICAL even without a complaint", Route.ALERT, Priority.CRITICAL,
         ["not a complaint 0.10 < 0.62", "safety signal: 'smoke'"],
         s=scores(p=0.1, urgency=1, topic="safety", signals=[("safety", "smoke")]),
         channel="#cx-urgent"),
    Case("legal signal is at least HIGH", Route.ALERT, Priority.HIGH, ["legal signal: 'attorney'"],
         s=scores(urgency=2, signals=[("legal", "attorney")])),
    Case("outage signal is at least HIGH", Route.ALERT, Priority.HIGH, ["outage signal: 'down'"],
         s=scores(urgency=1, signals=[("outage", "down")])),
    Case("money signal lifts one step", Route.ALERT, Priority.HIGH, ["money signal: 'refund'"],
         s=scores(urgency=2, topic="billing/refund", signals=[("money", "refund")]),
         channel="#cx-billing"),
    Case("escalate phrase acts on a non-complaint", Route.ALERT, Priority.HIGH,
         ["escalate phrase: 'recall*'"], m=mention("is there a recall on this?"),
         s=scores(p=0.2, urgency=0)),
    Case("ignore phrase never alerts", Route.IGNORE, Priority.NONE, ["ignore phrase: 'giveaway'"],
         m=mention("GIVEAWAY! broken product lol"), s=scores(urgency=4), channel=None,
         actionable=False),
    Case("other languages are ignored", Route.IGNORE, Priority.NONE,
         ["language 'fr' not in en"], m=mention(lang="fr"), channel=None, actionable=False),
    Case("unknown language is kept", Route.ALERT, Priority.NORMAL, ["urgency 3 (accusation)"],
         m=mention(lang="und")),
    Case("the brand's own post is ignored", Route.IGNORE, Priority.NONE,
         ["the brand's own post (@acmehelp)"], m=mention(author="acmehelp"), channel=None,
         actionable=False),
    Case("VIP by followers", Route.ALERT, Priority.HIGH, ["VIP: 120k followers"],
         m=mention(followers=120_000)),
    Case("VIP by handle list lifts low urgency", Route.ALERT, Priority.NORMAL,
         ["VIP: @bigcustomer is on the VIP list"], m=mention(author="bigcustomer"),
         s=scores(urgency=1)),
    Case("VIP by verified business", Route.ALERT, Priority.HIGH,
         ["VIP: verified business account"], m=mention(verified_type="business")),
    Case("same conversation threads", Route.THREAD, Priority.NORMAL,
         ["same conversation as an earlier alert → thread"],
         ctx=DecisionContext(conversation_alert=parent("1")), thread_of=("x", "1")),
    Case("a non-complaint follow-up joins its conversation's thread", Route.THREAD, Priority.LOW,
         ["follow-up in an alerted conversation → thread"], s=scores(p=0.1),
         ctx=DecisionContext(conversation_alert=parent("1")), thread_of=("x", "1"),
         actionable=False),
    Case("joins an incident's thread", Route.THREAD, Priority.NORMAL,
         ["joins incident 'delivery' since 09:30 (13 posts)"],
         ctx=DecisionContext(incident=INCIDENT), thread_of=("x", "100"), incident_id="x-100"),
    Case("an incident without an alert yet: this one alerts", Route.ALERT, Priority.NORMAL,
         ["joins incident 'delivery' since 09:30 (13 posts)"],
         ctx=DecisionContext(incident=dataclasses.replace(INCIDENT, alert_of=None)),
         incident_id="x-100"),
    Case("cooldown threads a repeat author", Route.THREAD, Priority.NORMAL,
         ["cooldown: @alice alerted 12 min ago → thread"],
         ctx=DecisionContext(author_last_alert=parent("7", ago=timedelta(minutes=12))),
         thread_of=("x", "7")),
    Case("cooldown over: alerts again", Route.ALERT, Priority.NORMAL, ["urgency 3 (accusation)"],
         ctx=DecisionContext(author_last_alert=parent("7", ago=timedelta(minutes=31)))),
    Case("critical ignores the cooldown", Route.ALERT, Priority.CRITICAL,
         ["safety signal: 'fire'"], s=scores(signals=[("safety", "fire")]),
         ctx=DecisionContext(author_last_alert=parent("7", ago=timedelta(minutes=1)))),
    Case("over the channel budget: digest", Route.DIGEST, Priority.NORMAL,
         ["#cx-acme over budget (30/30 this hour) → digest"],
         ctx=DecisionContext(channel_alerts_last_hour=30)),
    Case("over budget but urgent: alerts", Route.ALERT, Priority.HIGH,
         ["#cx-acme over budget (31/30 this hour), but urgent: alerts"], s=scores(urgency=4),
         ctx=DecisionContext(channel_alerts_last_hour=31)),
    Case("a spike is named", Route.ALERT, Priority.NORMAL,
         ["spike: 20 'delivery' posts in 15 min (usually 1.5)"], ctx=DecisionContext(spike=SPIKE)),
    Case("quiet hours: digest only", Route.DIGEST, Priority.NORMAL,
         ["quiet hours (22:00-07:00 UTC): digest only"],
         rules=make_rules(quiet_hours="22:00-07:00"), m=mention(at=T0.replace(hour=23)),
         ),
    Case("quiet hours but urgent: pings", Route.ALERT, Priority.HIGH,
         ["quiet hours (22:00-07:00 UTC), but urgent: pings"], s=scores(urgency=4),
         rules=make_rules(quiet_hours="22:00-07:00")),
    Case("outside business hours: digest only", Route.DIGEST, Priority.NORMAL,
         ["outside business hours (09:00-18:00 UTC): digest only"],
         rules=make_rules(business_hours="09:00-18:00")),
]
# The decision time, per case: quiet-hour cases decide at 23:00 and 06:59, others at T0.
NOW = {
    "quiet hours: digest only": T0.replace(hour=23),
    "quiet hours but urgent: pings": T0.replace(hour=6, minute=59),
    "outside business hours: digest only": T0.replace(hour=18),
}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decide(case: Case) -> None:
    v = decide(case.m, case.s, case.rules, case.ctx, now=NOW.get(case.name, T0))
    assert (v.route, v.priority, v.actionable) == (case.route, case.priority, case.actionable)
    for reason in case.reasons:
        assert reason in v.reasons, f"{reason!r} not in {v.reasons}"
    assert v.channel == case.channel
    assert v.thread_of == case.thread_of
    assert v.incident_id == case.incident_id
    assert v.mention == case.m.key
    assert v.reasons, "every verdict says why"


def test_business_hours_open_means_normal_alerting() -> None:
    rules = make_rules(business_hours="09:00-18:00", quiet_hours="22:00-07:00")
    v = decide(mention(), scores(), rules, now=T0.replace(hour=17, minute=59))
    assert v.route is Route.ALERT


@pytest.mark.parametrize(
    ("now", "route"),
    [
        # Europe/Paris leaves CET (UTC+1) for CEST (UTC+2) at 01:00 UTC on 29 March 2026.
        (datetime(2026, 3, 28, 5, 30, tzinfo=UTC), Route.DIGEST),  # 06:30 CET: quiet
        (datetime(2026, 3, 29, 5, 30, tzinfo=UTC), Route.ALERT),  # 07:30 CEST: awake
        (datetime(2026, 3, 28, 20, 30, tzinfo=UTC), Route.ALERT),  # 21:30 CET
        (datetime(2026, 3, 29, 20, 30, tzinfo=UTC), Route.DIGEST),  # 22:30 CEST: quiet
        # Back to CET at 01:00 UTC on 25 October 2026.
        (datetime(2026, 10, 25, 5, 30, tzinfo=UTC), Route.DIGEST),  # 06:30 CET: quiet
        (datetime(2026, 10, 24, 5, 30, tzinfo=UTC), Route.ALERT),  # 07:30 CEST: awake
    ],
)
def test_quiet_hours_follow_the_local_clock_across_dst(now: datetime, route: Route) -> None:
    rules = make_rules(tz="Europe/Paris", quiet_hours="22:00-07:00")
    v = decide(mention(at=now), scores(), rules, now=now)
    assert v.route is route
    if route is Route.DIGEST:
        assert "quiet hours (22:00-07:00 Europe/Paris): digest only" in v.reasons


def test_unknown_brand_gets_defaults_and_the_default_channel() -> None:
    settings = Settings(slack={"default_channel": "#general-cx"})  # type: ignore[call-arg, arg-type]
    rules = BrandRules.from_settings(None, settings)
    assert rules.channel == "#general-cx"
    assert rules.complaint_threshold is None
    assert rules.languages == {"en"}
    v = decide(mention(brand="Nobody"), scores(), rules, now=T0)
    assert v.route is Route.ALERT
    assert v.channel == "#general-cx"


def test_rules_come_from_settings() -> None:
    r = make_rules(min_urgency=3, page_urgency=3, cooldown_minutes=5, budget=7)
    assert (r.min_urgency, r.page_urgency, r.channel_budget_per_hour) == (3, 3, 7)
    assert r.author_cooldown == timedelta(minutes=5)
    assert r.channel_for("safety") == "#cx-urgent"
    assert r.channel_for("other") == "#cx-acme"
    assert r.own_handles == {"acmehelp"}


@pytest.mark.parametrize(("n", "text"), [(999, "999"), (120_000, "120k"), (1_500_000, "1.5M"),
                                          (2_000_000, "2M"), (50_500, "50.5k")])
def test_human_count(n: int, text: str) -> None:
    assert human_count(n) == text


SIGNAL_NAMES = ("safety", "outage", "money", "legal", "churn", "press", "other")


@hyp_settings(max_examples=150, deadline=None)
@given(
    p=st.floats(0, 1),
    urgency=st.integers(0, 4),
    signals=st.lists(st.sampled_from(SIGNAL_NAMES), max_size=3),
    followers=st.integers(0, 10**7),
    hour=st.integers(0, 23),
    budget_used=st.integers(0, 40),
    conversation=st.booleans(),
    cooldown_minutes_ago=st.none() | st.integers(0, 60),
    lang=st.sampled_from(["en", "fr", None]),
)
def test_every_verdict_is_consistent_and_explained(
    p: float, urgency: int, signals: list[str], followers: int, hour: int, budget_used: int,
    conversation: bool, cooldown_minutes_ago: int | None, lang: str | None,
) -> None:
    rules = make_rules(quiet_hours="22:00-07:00", escalate_phrases=["lawsuit"])
    now = T0.replace(hour=hour)
    ctx = DecisionContext(
        conversation_alert=parent("parent") if conversation else None,
        channel_alerts_last_hour=budget_used,
        author_last_alert=None if cooldown_minutes_ago is None else dataclasses.replace(
            parent("prev"), decided_at=now - timedelta(minutes=cooldown_minutes_ago)),
    )
    s = scores(p=p, urgency=urgency, signals=[(n, n) for n in signals])
    v = decide(mention(followers=followers, lang=lang, at=now), s, rules, ctx, now=now)
    assert v.reasons
    assert all(isinstance(r, str) and r for r in v.reasons)
    if v.route is Route.IGNORE:
        assert not v.actionable
        assert v.channel is None
    else:
        assert v.channel is not None
    assert (v.route is Route.THREAD) == (v.thread_of is not None)
    if v.route is Route.ALERT and rules.is_quiet(now):
        assert v.priority >= Priority.HIGH or urgency >= rules.page_urgency
    if "safety" in signals and lang != "fr":
        assert v.priority is Priority.CRITICAL
        assert v.route in (Route.ALERT, Route.THREAD)



def test_a_phrase_signal_on_a_happy_non_complaint_is_discounted() -> None:
    """ "Fire TV Stick" matches the safety phrase list; it must not page anyone."""
    happy = dataclasses.replace(
        scores(p=0.02, urgency=0, signals=[("safety", "Fire")]), sentiment="positive"
    )
    verdict = decide(mention("Watch it on Fire TV Stick, 500 yen off!"), happy, RULES, now=T0)
    assert not verdict.actionable
    assert verdict.priority < Priority.CRITICAL
    assert any("discounted" in r for r in verdict.reasons)


def test_the_same_phrase_in_an_angry_post_still_escalates() -> None:
    angry = dataclasses.replace(
        scores(p=0.4, urgency=1, signals=[("safety", "smoke")]), sentiment="negative"
    )
    verdict = decide(mention("smoke coming out of the charger"), angry, RULES, now=T0)
    assert verdict.actionable
    assert verdict.priority == Priority.CRITICAL


def test_money_taken_acts_on_its_own_in_a_negative_post() -> None:
    waiting = dataclasses.replace(
        scores(p=0.16, urgency=0, signals=[("money", "refund")], is_complaint=False),
        sentiment="negative",
    )
    verdict = decide(mention("day 9 waiting on my refund 🙂"), waiting, RULES, now=T0)
    assert verdict.actionable
    assert any("acts on its own" in r for r in verdict.reasons)


def test_a_neutral_refund_question_is_not_an_alert() -> None:
    question = scores(p=0.1, urgency=0, signals=[("money", "refund")], is_complaint=False)
    assert question.sentiment == "neutral"
    verdict = decide(mention("how do I get a refund?"), question, RULES, now=T0)
    assert not verdict.actionable
