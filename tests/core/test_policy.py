"""decide(): every rule, with the reasons it gives (the urgency model reads the text)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from classifiers.base import Scores, Signal
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
from listener.decisions.policy import AGAINST, URGENT_PREFIX
from listener.domain import AlertStatus, Mention, Priority, Route
from tests.core.doubles import T0, mention, scores


def parent(key: str = "1", *, ago: timedelta = timedelta(minutes=5),
           channel: str = "#cx-acme-queue", priority: Priority = Priority.NORMAL,
           status: AlertStatus = AlertStatus.OPEN, topic: str = "delivery") -> Parent:
    return Parent(("x", key), channel, topic, priority, T0 - ago, status)


def make_rules(
    *, tz: str = "UTC", budget: int = 30, brand: dict[str, Any] | None = None, **rules: Any
) -> BrandRules:
    settings = Settings(timezone=tz, slack={"channel_budget_per_hour": budget,  # type: ignore[call-arg, arg-type]
                                            "queue_budget_per_hour": budget})
    b = BrandSettings(
        name="Acme",
        handles=["AcmeHelp"],
        channel="#cx-acme",
        queue_channel="#cx-acme-queue",
        topic_channels={"safety": "#cx-urgent", "outage": "#cx-outage",
                        "billing/refund": "#cx-billing"},
        rules=RuleSettings(**{"complaint_threshold": 0.62, **rules}),
        **(brand or {}),
    )
    return BrandRules.from_settings(b, settings)


RULES = make_rules(
    vip_handles=["@BigCustomer"],
    escalate_phrases=["lawsuit", "recall*"],
    ignore_phrases=["giveaway"],
)
INCIDENT = Incident(
    id="x-100", brand="Acme", topic="delivery", first_seen=T0 - timedelta(minutes=30),
    last_seen=T0 - timedelta(minutes=1), count=12, members=(), centroid=(),
    representative_text="late", alert_of=("x", "100"),
)
SPIKE = SpikeEvent("Acme", "delivery", "volume", T0, timedelta(minutes=15), 20, 15, 1.5, 1e-9)
QUEUE = "#cx-acme-queue"
MODEL_OUTAGE = Signal("outage", 'close to "the app is not working" (0.70)', "model")


def positive(s: Scores) -> Scores:
    return dataclasses.replace(s, sentiment="positive",
                               sentiment_scores={"negative": 0.0, "neutral": 0.1, "positive": 0.9})


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
    channel: str | None = QUEUE
    actionable: bool = True
    thread_of: tuple[str, str] | None = None
    incident_id: str | None = None


CASES = [
    Case("a complaint that is not urgent is a card in the queue, no ping", Route.ALERT,
         Priority.NORMAL, ["not urgent → #cx-acme-queue, no ping"]),
    Case("a mild complaint is a LOW card, still in front of a person", Route.ALERT, Priority.LOW,
         ["not urgent → #cx-acme-queue, no ping"], s=scores(urgency=1)),
    Case("below the model's line with no problem words: not a complaint", Route.IGNORE,
         Priority.NONE, ["no problem words, model unsure"], m=mention("ok then"),
         s=scores(p=0.3), channel=None, actionable=False),
    Case("words carry a complaint the model missed", Route.ALERT, Priority.NORMAL,
         ["not urgent → #cx-acme-queue, no ping"],
         m=mention("third time my order is missing items, still no reply from support"),
         s=scores(p=0.2, urgency=2)),
    Case("a request for help about the author's own case", Route.ALERT, Priority.LOW,
         ["not urgent → #cx-acme-queue, no ping"],
         m=mention("how do I change the address on my account?"), s=scores(p=0.1, urgency=0)),
    Case("resolution is not a complaint", Route.IGNORE, Priority.NONE,
         ["resolved: 'works again'"], m=mention("the app works again, thanks!"),
         s=scores(p=0.8, signals=[("outage", "not working")]), channel=None, actionable=False),
    Case("praise is not a complaint", Route.IGNORE, Priority.NONE,
         ["praise: 'love'"], m=mention("love the new update, so smooth"), s=scores(p=0.7),
         channel=None, actionable=False),
    Case("safety is CRITICAL and goes to its topic channel", Route.ALERT, Priority.CRITICAL,
         ["urgent · safety: 'sparking'"], m=mention("the charger is sparking"),
         s=scores(p=0.1, urgency=1, topic="product defect"), channel="#cx-urgent"),
    Case("an outage goes to the outage channel whatever the model's topic", Route.ALERT,
         Priority.HIGH, ["urgent · outage: 'app is down'"],
         m=mention("your app is down since 8am"), s=scores(urgency=1, topic="account/login"),
         channel="#cx-outage"),
    Case("a legal threat is HIGH, in the brand channel", Route.ALERT, Priority.HIGH,
         ["urgent · legal: 'lawyer'"], m=mention("my lawyer will be in touch about this"),
         s=scores(urgency=2), channel="#cx-acme"),
    Case("money taken is HIGH, routed by topic when money has no route", Route.ALERT,
         Priority.HIGH, ["urgent · money: 'charged me twice'"],
         m=mention("you charged me twice for one order"), s=scores(topic="billing/refund"),
         channel="#cx-billing"),
    Case("reach alone makes a complaint urgent", Route.ALERT, Priority.HIGH,
         ["urgent · reach: 120k followers"], m=mention(followers=120_000), channel="#cx-acme"),
    Case("a VIP on the list is urgent", Route.ALERT, Priority.HIGH,
         ["urgent · @bigcustomer is on the VIP list"], m=mention(author="bigcustomer"),
         channel="#cx-acme"),
    Case("a verified business alone is not urgent", Route.ALERT, Priority.NORMAL,
         ["not urgent → #cx-acme-queue, no ping"], m=mention(verified_type="business")),
    Case("an escalate phrase makes a complaint urgent", Route.ALERT, Priority.HIGH,
         ["urgent · escalate phrase: 'firmware 4.2'"],
         m=mention("firmware 4.2 broke my dashboard again"),
         rules=make_rules(escalate_phrases=["firmware 4.2"]),
         s=scores(p=0.5, urgency=1), channel="#cx-acme"),
    Case("an escalate phrase alone does not make praise a complaint", Route.IGNORE,
         Priority.NONE, [], m=mention("love how quick the recall was, thanks"),
         s=scores(p=0.2, urgency=0), channel=None, actionable=False),
    Case("ignore phrase never alerts", Route.IGNORE, Priority.NONE, ["ignore phrase: 'giveaway'"],
         m=mention("GIVEAWAY! broken product lol"), s=scores(urgency=4), channel=None,
         actionable=False),
    Case("other languages are ignored", Route.IGNORE, Priority.NONE,
         ["language 'fr' not in en"], m=mention(lang="fr"), channel=None, actionable=False),
    Case("unknown language is kept", Route.ALERT, Priority.NORMAL, [], m=mention(lang="und")),
    Case("the brand's own post is ignored", Route.IGNORE, Priority.NONE,
         ["the brand's own post (@acmehelp)"], m=mention(author="acmehelp"), channel=None,
         actionable=False),
    Case("a model signal pages a clear, severe complaint", Route.ALERT, Priority.HIGH,
         ["urgent · outage (model): close to \"the app is not working\" (0.70)"],
         m=mention("it never works for me"),
         s=dataclasses.replace(scores(urgency=4), signals=(MODEL_OUTAGE,)), channel="#cx-outage"),
    Case("a model signal alone never pages a positive post", Route.IGNORE, Priority.NONE, [],
         m=mention("thanks, all good now"),
         s=positive(dataclasses.replace(scores(urgency=4), signals=(MODEL_OUTAGE,))),
         channel=None, actionable=False),
    Case("same conversation threads", Route.THREAD, Priority.NORMAL,
         ["same conversation as an earlier alert → thread"],
         ctx=DecisionContext(conversation_alert=parent("1")), thread_of=("x", "1")),
    Case("a closed conversation takes no more posts: a new card", Route.ALERT, Priority.NORMAL,
         ["earlier alert in this conversation is closed (resolved) → new card"],
         ctx=DecisionContext(conversation_alert=parent("1", status=AlertStatus.RESOLVED))),
    Case("a non-complaint follow-up joins its conversation's thread", Route.THREAD, Priority.LOW,
         ["follow-up in an alerted conversation → thread"], m=mention("anyone?"),
         s=scores(p=0.1), ctx=DecisionContext(conversation_alert=parent("1")),
         thread_of=("x", "1"), actionable=False),
    Case("joins an incident's thread", Route.THREAD, Priority.NORMAL,
         ["joins incident 'delivery' since 09:30 (13 posts) → thread"],
         ctx=DecisionContext(incident=INCIDENT, incident_alert=parent("100")),
         thread_of=("x", "100"), incident_id="x-100"),
    Case("a more urgent post does not join a less urgent incident alert", Route.ALERT,
         Priority.HIGH, ["joins incident 'delivery' since 09:30 (13 posts); its alert is less "
                         "urgent (normal) → new card"],
         m=mention("parcel never came and you charged me twice"),
         ctx=DecisionContext(incident=INCIDENT, incident_alert=parent("100")),
         channel="#cx-acme", incident_id="x-100"),
    Case("an incident without an alert yet: this one alerts", Route.ALERT, Priority.NORMAL,
         ["joins incident 'delivery' since 09:30 (13 posts)"],
         ctx=DecisionContext(incident=dataclasses.replace(INCIDENT, alert_of=None)),
         incident_id="x-100"),
    Case("cooldown threads a repeat author", Route.THREAD, Priority.NORMAL,
         ["cooldown: @alice alerted 12 min ago → thread"],
         ctx=DecisionContext(author_last_alert=parent("7", ago=timedelta(minutes=12))),
         thread_of=("x", "7")),
    Case("cooldown never threads under a closed alert", Route.ALERT, Priority.NORMAL, [],
         ctx=DecisionContext(author_last_alert=parent(
             "7", ago=timedelta(minutes=12), status=AlertStatus.NOT_COMPLAINT))),
    Case("cooldown never threads under another topic", Route.ALERT, Priority.NORMAL, [],
         ctx=DecisionContext(author_last_alert=parent(
             "7", ago=timedelta(minutes=12), topic="billing/refund"))),
    Case("cooldown never threads a more urgent post under a less urgent one", Route.ALERT,
         Priority.HIGH, [], m=mention("my lawyer will hear about this"),
         ctx=DecisionContext(author_last_alert=parent("7", ago=timedelta(minutes=12))),
         channel="#cx-acme"),
    Case("cooldown over: a card again", Route.ALERT, Priority.NORMAL, [],
         ctx=DecisionContext(author_last_alert=parent("7", ago=timedelta(minutes=31)))),
    Case("critical ignores the cooldown", Route.ALERT, Priority.CRITICAL,
         ["urgent · safety: 'smoke'"], m=mention("smoke coming out of the oven"),
         ctx=DecisionContext(author_last_alert=parent(
             "7", ago=timedelta(minutes=1), priority=Priority.CRITICAL, channel="#cx-urgent")),
         channel="#cx-urgent"),
    Case("over the queue's budget: held back for the digest, and says so", Route.DIGEST,
         Priority.NORMAL, ["held back: #cx-acme-queue over budget (30/30 this hour) → digest"],
         ctx=DecisionContext(channel_alerts_last_hour=30)),
    Case("over budget but urgent: sent", Route.ALERT, Priority.HIGH,
         ["#cx-acme over budget (31/30 this hour), but urgent: sent"],
         m=mention("my lawyer will hear about this"),
         ctx=DecisionContext(channel_alerts_last_hour=31), channel="#cx-acme"),
    Case("a spike is named", Route.ALERT, Priority.NORMAL,
         ["spike: 20 'delivery' posts in 15 min (usually 1.5)"], ctx=DecisionContext(spike=SPIKE)),
    Case("quiet hours: a card that does not ping is still queued", Route.ALERT, Priority.NORMAL,
         ["not urgent → #cx-acme-queue, no ping"],
         rules=make_rules(quiet_hours="22:00-07:00"), m=mention(at=T0.replace(hour=23))),
    Case("quiet hours but urgent: pings", Route.ALERT, Priority.CRITICAL,
         ["→ #cx-urgent, pings (quiet hours (22:00-07:00 UTC), but urgent)"],
         m=mention("the charger is sparking"), rules=make_rules(quiet_hours="22:00-07:00"),
         channel="#cx-urgent"),
]
# The decision time, per case: quiet-hour cases decide at 23:00 and 06:59, others at T0.
NOW = {
    "quiet hours: a card that does not ping is still queued": T0.replace(hour=23),
    "quiet hours but urgent: pings": T0.replace(hour=6, minute=59),
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


@pytest.mark.parametrize(
    ("now", "quiet"),
    [
        # Europe/Paris leaves CET (UTC+1) for CEST (UTC+2) at 01:00 UTC on 29 March 2026.
        (datetime(2026, 3, 28, 5, 30, tzinfo=UTC), True),  # 06:30 CET: quiet
        (datetime(2026, 3, 29, 5, 30, tzinfo=UTC), False),  # 07:30 CEST: awake
        (datetime(2026, 3, 28, 20, 30, tzinfo=UTC), False),  # 21:30 CET
        (datetime(2026, 3, 29, 20, 30, tzinfo=UTC), True),  # 22:30 CEST: quiet
        # Back to CET at 01:00 UTC on 25 October 2026.
        (datetime(2026, 10, 25, 5, 30, tzinfo=UTC), True),  # 06:30 CET: quiet
        (datetime(2026, 10, 24, 5, 30, tzinfo=UTC), False),  # 07:30 CEST: awake
    ],
)
def test_quiet_hours_follow_the_local_clock_across_dst(now: datetime, quiet: bool) -> None:
    rules = make_rules(tz="Europe/Paris", quiet_hours="22:00-07:00")
    v = decide(mention("the charger is sparking", at=now), scores(), rules, now=now)
    assert v.priority is Priority.CRITICAL
    said = any("quiet hours (22:00-07:00 Europe/Paris), but urgent" in r for r in v.reasons)
    assert said is quiet


def test_unknown_brand_gets_defaults_and_the_default_channels() -> None:
    settings = Settings(slack={"default_channel": "#general-cx"})  # type: ignore[call-arg, arg-type]
    rules = BrandRules.from_settings(None, settings)
    assert rules.channel == "#general-cx"
    assert rules.queue_channel == "#cx-queue"
    assert rules.complaint_threshold is None
    assert rules.languages == {"en"}
    assert decide(mention(brand="Nobody"), scores(), rules, now=T0).channel == "#cx-queue"
    urgent = decide(mention("you charged me twice", brand="Nobody"), scores(), rules, now=T0)
    assert (urgent.route, urgent.channel) == (Route.ALERT, "#general-cx")


def test_a_post_that_names_no_brand_has_nobody_to_go_to() -> None:
    v = decide(mention("my phone battery dies at 40% every single time", brand=""),
               scores(), BrandRules.from_settings(None, Settings()), now=T0)
    assert v.route is Route.IGNORE
    assert v.reasons == ("no brand to route it to",)


def test_rules_come_from_settings() -> None:
    r = make_rules(min_urgency=3, page_urgency=3, cooldown_minutes=5, budget=7)
    assert (r.min_urgency, r.page_urgency, r.channel_budget_per_hour) == (3, 3, 7)
    assert r.author_cooldown == timedelta(minutes=5)
    assert r.channel_for("safety") == "#cx-urgent"
    assert r.channel_for("other") == "#cx-acme"
    assert r.channel_for("other", "outage") == "#cx-outage"
    assert (r.queue_channel, r.budget_of(QUEUE), r.budget_of("#cx-acme")) == (QUEUE, 7, 7)
    assert r.own_handles == {"acmehelp"}


@pytest.mark.parametrize(("n", "text"), [(999, "999"), (120_000, "120k"), (1_500_000, "1.5M"),
                                          (2_000_000, "2M"), (50_500, "50.5k")])
def test_human_count(n: int, text: str) -> None:
    assert human_count(n) == text


TEXTS = ("my parcel never arrived", "thanks, works again!", "the charger is sparking",
         "you charged me twice", "how do I reset my password?", "love it", "hello",
         "my lawyer will be in touch", "not a fire, just toast 😅")


@hyp_settings(max_examples=150, deadline=None)
@given(
    p=st.floats(0, 1),
    urgency=st.integers(0, 4),
    text=st.sampled_from(TEXTS),
    followers=st.integers(0, 10**7),
    hour=st.integers(0, 23),
    budget_used=st.integers(0, 40),
    conversation=st.booleans(),
    cooldown_minutes_ago=st.none() | st.integers(0, 60),
    lang=st.sampled_from(["en", "fr", None]),
)
def test_every_verdict_is_consistent_and_explained(
    p: float, urgency: int, text: str, followers: int, hour: int, budget_used: int,
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
    s = scores(p=p, urgency=urgency)
    v = decide(mention(text, followers=followers, lang=lang, at=now), s, rules, ctx, now=now)
    assert v.reasons
    assert all(isinstance(r, str) and r for r in v.reasons)
    if v.route is Route.IGNORE:
        assert not v.actionable
        assert v.channel is None
    else:
        assert v.channel is not None
        assert not any(r.startswith(AGAINST) for r in v.reasons)
    assert (v.route is Route.THREAD) == (v.thread_of is not None)
    if v.route is Route.ALERT:
        urgent = v.priority >= Priority.HIGH
        assert (v.channel == QUEUE) is not urgent
        assert v.reasons[0].startswith(URGENT_PREFIX) is urgent
    if "sparking" in text and lang != "fr":
        assert v.priority is Priority.CRITICAL
        assert v.route in (Route.ALERT, Route.THREAD)
    if text in ("thanks, works again!", "love it", "not a fire, just toast 😅"):
        assert v.priority < Priority.HIGH
