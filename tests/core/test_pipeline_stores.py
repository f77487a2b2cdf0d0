"""The pipeline over every store (memory, SQLite, PostgreSQL): restarts rebuild from SQL."""

from __future__ import annotations

from datetime import timedelta

from listener.decisions import Rulebook
from listener.domain import AlertKind, Route
from listener.pipeline import Triage
from listener.ports import Store
from tests.core.doubles import T0, FixedClock, mention
from tests.core.test_pipeline import SPIKES, classifier, settings


def _triage(store: Store, clock: FixedClock) -> Triage:
    return Triage(store=store, classifier=classifier(), rules=Rulebook.from_settings(settings()),
                  clock=clock, spike_rules=SPIKES)


def test_an_incident_survives_a_restart_on_every_store(store: Store) -> None:
    clock = FixedClock(T0 + timedelta(hours=2))
    posts = [mention(f"parcel {i} lost", author=f"u{i}", at=T0 + timedelta(minutes=2 * i))
             for i in range(12)]
    store.add_mentions(posts[:6])
    _triage(store, clock).triage_until_empty(limit=4)
    store.add_mentions(posts[6:])
    _triage(store, clock).triage_until_empty(limit=4)  # a new process: rebuilt from history
    items = list(store.history(T0, T0 + timedelta(days=1)))
    routes = [i.verdict.route for i in items if i.verdict]
    assert routes == [Route.ALERT] + [Route.THREAD] * 11
    assert {i.verdict.incident_id for i in items if i.verdict} == {"x-" + posts[0].id}
    kinds = [a.kind for i in items for a in i.alerts]
    assert kinds == [AlertKind.ALERT] + [AlertKind.THREAD_REPLY] * 11


def test_spike_alerts_round_trip_through_every_store(store: Store) -> None:
    clock = FixedClock(T0 + timedelta(hours=3))
    quiet = [mention(f"login trouble {i}", author=f"q{i}", at=T0 + timedelta(minutes=15 * i))
             for i in range(8)]
    burst = [mention(f"login down {i}", author=f"b{i}",
                     at=T0 + timedelta(hours=2, seconds=10 * i)) for i in range(12)]
    store.add_mentions(quiet + burst)
    assert _triage(store, clock).triage_until_empty().spikes == 1
    items = list(store.history(T0, T0 + timedelta(days=1)))
    assert sum(a.kind is AlertKind.SPIKE for i in items for a in i.alerts) == 1
    # A restart replays the history and does not announce the same spike again.
    store.add_mentions([mention("login down again", author="z",
                                at=T0 + timedelta(hours=2, minutes=3))])
    assert _triage(store, clock).run_once().spikes == 0
