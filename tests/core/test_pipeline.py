"""Triage over the memory store with a keyword test-double classifier."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from classifiers.base import Scores
from listener.config import Settings
from listener.decisions import Rulebook
from listener.decisions.spikes import SpikeRules
from listener.domain import Alert, AlertKind, MentionKey, Route, SlackRef, Verdict
from listener.pipeline import Triage
from listener.ports import TriageRecord
from listener.store import MemoryStore
from tests.core.doubles import T0, FixedClock, KeywordClassifier, mention, scores, unit

LATE = scores(p=0.92, urgency=3, topic="delivery", embedding=unit(0))
LATE_TOO = scores(p=0.88, urgency=3, topic="delivery", embedding=unit(0, wobble=0.2))
LOGIN = scores(p=0.9, urgency=3, topic="account/login", embedding=unit(4))
MEH = scores(p=0.8, urgency=1, topic="product defect", embedding=unit(6))
FIRE = scores(p=0.7, urgency=4, topic="safety", signals=[("safety", "smoke")],
              embedding=unit(2))


def classifier() -> KeywordClassifier:
    return KeywordClassifier(rules=[
        ("parcel", LATE), ("delivery", LATE_TOO), ("login", LOGIN), ("meh", MEH),
        ("smoke", FIRE),
    ])


def settings(**rules: Any) -> Settings:
    budget = rules.pop("budget", 30)
    brand = {
        "name": "Acme", "handles": ["AcmeHelp"], "channel": "#cx-acme",
        "topic_channels": {"safety": "#cx-urgent"},
        "rules": {"complaint_threshold": 0.6, "cooldown_minutes": 30, **rules},
    }
    return Settings(  # type: ignore[call-arg]
        brands=[brand, {"name": "Other", "channel": "#cx-other"}],  # type: ignore[list-item]
        slack={"channel_budget_per_hour": budget,  # type: ignore[arg-type]
               "queue_budget_per_hour": budget},
    )


SPIKES = SpikeRules(baseline_buckets=24, min_history_buckets=4, min_count=8, min_ratio=3.0,
                    p_value=1e-3)


def triage(store: MemoryStore, clock: FixedClock, clf: KeywordClassifier | None = None,
           **rules: Any) -> Triage:
    return Triage(store=store, classifier=clf or classifier(),
                  rules=Rulebook.from_settings(settings(**rules)), clock=clock, spike_rules=SPIKES)


def alerts_of(store: MemoryStore) -> list[Alert]:
    items = store.history(T0 - timedelta(days=1), T0 + timedelta(days=2))
    return [a for item in items for a in item.alerts]


def verdicts(store: MemoryStore) -> dict[MentionKey, Verdict]:
    items = store.history(T0 - timedelta(days=1), T0 + timedelta(days=2))
    return {i.mention.key: i.verdict for i in items if i.verdict is not None}


def test_routes_and_outbox_rows() -> None:
    store, clock = MemoryStore(), FixedClock()
    store.add_mentions([
        mention("my parcel is late", author="a"),
        mention("meh, the lid is loose again", author="b", at=T0 + timedelta(seconds=1)),
        mention("love it", author="c", at=T0 + timedelta(seconds=2)),
        mention("smoke came out of it", author="d", at=T0 + timedelta(seconds=3)),
    ])
    result = triage(store, clock).run_once()
    assert result.processed == 4
    assert result.skipped == 0
    assert result.routes == {Route.ALERT: 3, Route.IGNORE: 1}
    assert result.actionable == 3
    assert result.alerts == 3
    # Complaints that are not urgent are queued (no ping); the urgent one pings.
    assert sorted((a.channel, a.kind) for a in alerts_of(store)) == [
        ("#cx-queue", AlertKind.ALERT), ("#cx-queue", AlertKind.ALERT),
        ("#cx-urgent", AlertKind.ALERT)]
    assert store.pending_triage(10) == []
    assert triage(store, clock).run_once().processed == 0


def test_a_30_post_incident_is_one_alert_and_29_thread_replies() -> None:
    store, clock = MemoryStore(), FixedClock(T0 + timedelta(hours=2))
    posts = [mention(f"parcel {i} never came" if i % 2 else f"delivery {i} missing",
                     author=f"user{i}", at=T0 + timedelta(minutes=3 * i)) for i in range(30)]
    posts.append(mention("my login is broken", author="z", at=T0 + timedelta(minutes=10)))
    store.add_mentions(posts)
    result = triage(store, clock).triage_until_empty(limit=7)
    assert result.processed == 31
    assert result.routes == {Route.ALERT: 2, Route.THREAD: 29}
    alerts = alerts_of(store)
    first = posts[0].key
    assert [a.mention for a in alerts if a.kind is AlertKind.ALERT] == [first, posts[30].key]
    replies = [a for a in alerts if a.kind is AlertKind.THREAD_REPLY]
    assert len(replies) == 29
    assert {a.channel for a in replies} == {"#cx-queue"}
    v = verdicts(store)
    assert {v[p.key].incident_id for p in posts[:30]} == {"x-" + posts[0].id}
    assert {v[p.key].thread_of for p in posts[1:30]} == {first}
    assert "joins incident 'delivery' since 10:00 (30 posts) → thread" in v[posts[29].key].reasons
    assert v[posts[30].key].incident_id != v[first].incident_id


def test_a_post_after_the_window_opens_a_new_incident() -> None:
    store, clock = MemoryStore(), FixedClock(T0 + timedelta(hours=5))
    store.add_mentions([mention("parcel late", author="a"),
                        mention("parcel late", author="b", at=T0 + timedelta(minutes=121))])
    result = triage(store, clock).run_once()
    assert result.routes == {Route.ALERT: 2}


def test_thread_reply_carries_the_parents_slack_ref_when_sent() -> None:
    store, clock = MemoryStore(), FixedClock()
    store.add_mentions([mention("parcel late", author="a")])
    t = triage(store, clock)
    t.run_once()
    (parent,) = alerts_of(store)
    assert parent.id is not None
    store.mark_sent(parent.id, SlackRef("C1", "111.222"), T0)
    store.add_mentions([mention("parcel late too", author="b", at=T0 + timedelta(minutes=1))])
    t.run_once()
    reply = next(a for a in alerts_of(store) if a.kind is AlertKind.THREAD_REPLY)
    assert reply.thread == SlackRef("C1", "111.222")
    assert reply.channel == parent.channel


def test_one_alert_per_conversation() -> None:
    store, clock = MemoryStore(), FixedClock()
    store.add_mentions([
        mention("my login is broken", author="a", conversation_id="c1"),
        mention("parcel late as well", author="b", conversation_id="c1",
                at=T0 + timedelta(minutes=1)),
        mention("any update?", author="a", conversation_id="c1", at=T0 + timedelta(minutes=2)),
    ])
    triage(store, clock).run_once()
    v = list(verdicts(store).values())
    assert [x.route for x in v] == [Route.ALERT, Route.THREAD, Route.THREAD]
    assert v[1].thread_of == v[0].mention
    assert v[2].thread_of == v[0].mention
    assert not v[2].actionable  # a follow-up, not a complaint: context in the thread
    assert [a.kind for a in alerts_of(store)] == [AlertKind.ALERT, *[AlertKind.THREAD_REPLY] * 2]


def test_author_cooldown_threads_then_expires() -> None:
    store, clock = MemoryStore(), FixedClock()
    t = triage(store, clock, incident_window_minutes=1)
    store.add_mentions([mention("my login is broken", author="a")])
    t.run_once()
    clock.advance(minutes=10)
    store.add_mentions([mention("login still broken", author="a", at=clock.now())])
    t.run_once()
    clock.advance(minutes=25)  # 35 minutes after the alert: the 30-minute cooldown is over
    store.add_mentions([mention("smoke from the charger", author="a", at=clock.now())])
    t.run_once()
    v = list(verdicts(store).values())
    assert [x.route for x in v] == [Route.ALERT, Route.THREAD, Route.ALERT]
    assert "cooldown: @a alerted 10 min ago → thread" in v[1].reasons
    assert v[1].thread_of == v[0].mention


def test_channel_budget_sends_the_rest_to_the_digest_but_urgent_still_alerts() -> None:
    store, clock = MemoryStore(), FixedClock()
    clf = KeywordClassifier(rules=[
        (f"problem{i}", scores(p=0.9, urgency=3, topic="other", embedding=unit(i)))
        for i in range(6)
    ] + [("smoke", scores(p=0.9, urgency=4, topic="other", embedding=unit(7)))])
    store.add_mentions(
        [mention(f"problem{i} broken again", author=f"u{i}", at=T0 + timedelta(minutes=i))
         for i in range(5)]
        + [mention("smoke", author="s", at=T0 + timedelta(minutes=6))]
    )
    result = triage(store, clock, clf, budget=3).run_once()
    assert result.routes == {Route.ALERT: 4, Route.DIGEST: 2}
    v = list(verdicts(store).values())
    assert "held back: #cx-queue over budget (3/3 this hour) → digest" in v[3].reasons
    assert v[5].route is Route.ALERT
    # A restarted pipeline remembers the hour's alerts; an hour later the budget is free.
    clock.advance(minutes=30)
    store.add_mentions([mention("problem5 broken", author="u8", at=clock.now())])
    assert triage(store, clock, clf, budget=3).run_once().routes == {Route.DIGEST: 1}
    clock.advance(minutes=31)
    store.add_mentions([mention("problem5 broken again", author="u9", at=clock.now())])
    assert triage(store, clock, clf, budget=3).run_once().routes == {Route.ALERT: 1}


class CrashingStore(MemoryStore):
    """Fails the first ``record_triage_many``, before or after its transaction commits."""

    def __init__(self, when: str) -> None:
        super().__init__()
        self.calls = 0
        self.when = when

    def record_triage_many(self, items: Sequence[TriageRecord]) -> list[bool]:
        self.calls += 1
        if self.calls == 1 and self.when == "before":
            raise ConnectionError("database went away")
        written = super().record_triage_many(items)
        if self.calls == 1:
            raise ConnectionError("connection lost after the commit")
        return written


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_around_recording_is_safe_to_rerun(when: str) -> None:
    store, clock = CrashingStore(when), FixedClock()
    posts = [mention("parcel late", author=f"u{i}", at=T0 + timedelta(minutes=i))
             for i in range(3)]
    store.add_mentions(posts)
    clf = classifier()
    t = triage(store, clock, clf)
    with pytest.raises(ConnectionError):
        t.run_once()
    # The batch is one transaction: all of it is pending again, or none of it.
    assert len(store.pending_triage(10)) == (3 if when == "before" else 0)
    result = t.run_once()
    assert result.processed == (3 if when == "before" else 0)
    assert clf.calls == (2 if when == "before" else 1)
    kinds = [a.kind for a in alerts_of(store)]
    assert kinds.count(AlertKind.ALERT) == 1
    assert kinds.count(AlertKind.THREAD_REPLY) == 2
    # A fresh process over the same store agrees and has nothing left to do.
    assert triage(store, clock).run_once().processed == 0


def test_a_second_worker_that_lost_the_race_writes_nothing() -> None:
    store, clock = MemoryStore(), FixedClock()
    store.add_mentions([mention("parcel late", author="a")])

    slow = triage(store, clock)
    pending = store.pending_triage(10)
    triage(store, clock).run_once()  # the other worker wins
    # The slow worker had read the same pending list: its record is refused.
    assert store.record_triage(pending[0].key, LATE, verdicts(store)[pending[0].key], []) is False
    assert slow.run_once().processed == 0
    assert len(alerts_of(store)) == 1


def test_a_restarted_pipeline_keeps_threading_into_the_open_incident() -> None:
    store, clock = MemoryStore(), FixedClock()
    store.add_mentions([mention("parcel late", author="a")])
    triage(store, clock).run_once()
    clock.advance(minutes=20)
    store.add_mentions([mention("parcel late", author="b", at=clock.now())])
    triage(store, clock).run_once()  # a new process: memory rebuilt from the store
    v = list(verdicts(store).values())
    assert v[1].route is Route.THREAD
    assert v[1].incident_id == v[0].incident_id


def test_a_spike_enqueues_one_spike_alert_to_the_brand_channel() -> None:
    store, clock = MemoryStore(), FixedClock(T0 + timedelta(hours=3))
    quiet = [mention(f"login trouble {i}", author=f"q{i}", at=T0 + timedelta(minutes=15 * i))
             for i in range(8)]
    burst = [mention(f"login down {i}", author=f"b{i}",
                     at=T0 + timedelta(hours=2, seconds=10 * i)) for i in range(20)]
    store.add_mentions(quiet + burst)
    result = triage(store, clock).triage_until_empty()
    assert result.spikes == 1
    (spike,) = [a for a in alerts_of(store) if a.kind is AlertKind.SPIKE]
    assert spike.channel == "#cx-acme"
    v = verdicts(store)[spike.mention]
    assert any(r.startswith("spike: ") and "'account/login'" in r for r in v.reasons)
    # Posts after it in the window carry the spike in their reasons too.
    assert any(r.startswith("spike: ") for r in verdicts(store)[burst[-1].key].reasons)


def test_a_brand_is_found_by_name_or_handle_and_an_unknown_one_gets_the_defaults() -> None:
    # Live used to give an unknown brand the first brand's rules and channel, while
    # backfill and replay gave it the defaults: one rule now (``Rulebook``).
    store, clock = MemoryStore(), FixedClock()
    store.add_mentions([mention("smoke from the charger", brand="Mystery", author="a"),
                        mention("smoke from the charger", brand="Other", author="b"),
                        mention("smoke from the charger", brand="@acmehelp", author="c"),
                        mention("smoke from the charger", brand="", author="d")])
    triage(store, clock).run_once()
    # A post with no brand at all has nobody to go to.
    assert sorted(a.channel for a in alerts_of(store)) == [
        "#cx-alerts", "#cx-other", "#cx-urgent"]


def test_a_classifier_that_loses_texts_is_refused() -> None:
    class Broken(KeywordClassifier):
        def predict(self, texts: Sequence[str]) -> list[Scores]:
            return super().predict(texts)[:-1]

    store, clock = MemoryStore(), FixedClock()
    store.add_mentions([mention("a"), mention("b")])
    with pytest.raises(ValueError, match="1 scores for 2 texts"):
        triage(store, clock, Broken()).run_once()
    assert len(store.pending_triage(10)) == 2


def test_cooldown_is_per_brand() -> None:
    store, clock = MemoryStore(), FixedClock()
    store.add_mentions([mention("my login is broken", author="a", brand="Acme"),
                        mention("parcel late", author="a", brand="Other",
                                at=T0 + timedelta(minutes=1))])
    triage(store, clock).run_once()
    assert [v.route for v in verdicts(store).values()] == [Route.ALERT, Route.ALERT]
