"""The ``Store`` contract, held over memory, SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import dataclasses
import math
import threading
from collections import Counter
from datetime import date, timedelta, timezone

import pytest

from listener.domain import (
    AlertKind,
    AlertStatus,
    DeliveryState,
    Feedback,
    Rejected,
    Route,
    SlackRef,
)
from listener.errors import StoreError
from listener.ports import Store, TriageRecord
from tests.store import factories as f
from tests.store.factories import T0

# -- mentions ---------------------------------------------------------------------------


def test_adding_the_same_batch_twice_stores_it_once(store: Store) -> None:
    batch = [f.mention(i) for i in range(3)]
    assert store.add_mentions([*batch, batch[0]]) == 3
    assert store.add_mentions(batch) == 0
    assert store.add_mentions([*batch, f.mention(3)]) == 1
    assert store.counts().mentions == 4
    assert store.add_mentions([]) == 0


def test_same_id_from_another_source_is_another_mention(store: Store) -> None:
    assert store.add_mentions([f.mention(1), f.mention(1, source="demo")]) == 2


def test_mention_round_trips_with_aware_datetimes(store: Store) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    m = f.mention(7, at=T0.astimezone(ist), conversation_id="7")
    store.add_mentions([m])
    got = store.get_mention(m.key)
    assert got == m
    assert got is not None
    assert got.created_at == T0
    assert got.created_at.utcoffset() is not None
    assert store.get_mention(("x", "nope")) is None


def test_long_text_and_odd_unicode_survive(store: Store) -> None:
    odd = "émoji 😀👩‍👩‍👧 RTL: שלום مرحبا \u200f zero\u200bwidth e\u0301 𝔘𝔫𝔦"
    long_text = (odd * 1000)[:25_000]
    m = f.mention(1, text=long_text)
    store.add_mentions([m])
    got = store.get_mention(m.key)
    assert got is not None
    assert got.text == long_text
    assert len(got.text) == 25_000


def test_nul_is_stripped_and_lone_surrogates_replaced(store: Store) -> None:
    m = f.mention(1, text="bad\x00byte and half an emoji \ud83d!", raw={"t": "a\x00b"})
    store.add_mentions([m])
    got = store.get_mention(m.key)
    assert got is not None
    assert got.text == "badbyte and half an emoji \ufffd!"
    assert got.raw == {"t": "ab"}


def test_raw_json_round_trips(store: Store) -> None:
    raw = {
        "data": {"id": "1", "public_metrics": {"like_count": 3}, "possibly_sensitive": False},
        "includes": {"users": [{"id": "u1", "name": "Zoë 🚀", "verified_type": None}]},
        "score": 0.25,
        "edit_history_tweet_ids": ["1", "2"],
    }
    store.add_mentions([f.mention(1, raw=raw)])
    got = store.get_mention(("x", "1"))
    assert got is not None
    assert got.raw == raw


def test_rejected_inputs_are_kept(store: Store) -> None:
    store.add_rejected([Rejected("x", "missing author", '{"id": "9"}\x00', T0)])
    store.add_rejected([])
    assert store.counts().rejected == 1
    assert store.list_rejected() == [Rejected("x", "missing author", '{"id": "9"}', T0)]


def test_the_same_reject_read_again_is_kept_once(store: Store) -> None:
    first = [Rejected("file", f"line {i}: no text", f"row {i} [x]", T0) for i in range(3)]
    store.add_rejected(first)
    # A resumed backfill reads lines 1-2 again, later, and line 3 for the first time.
    later = T0 + timedelta(hours=1)
    store.add_rejected([*(Rejected(r.source, r.reason, r.raw, later) for r in first[1:]),
                        Rejected("file", "line 3: no text", "row 3 [x]", later)])
    kept = store.list_rejected()
    assert [r.reason for r in kept] == [f"line {i}: no text" for i in range(4)]
    assert [r.received_at for r in kept] == [T0, T0, T0, later]
    assert store.list_rejected(limit=2) == kept[:2]
    assert store.counts().rejected == 4


# -- triage -----------------------------------------------------------------------------


def test_pending_triage_is_oldest_first_and_excludes_triaged(store: Store) -> None:
    store.add_mentions([f.mention(i) for i in (3, 1, 2, 4)])
    assert store.record_triage(("x", "1"), f.scores(), f.verdict(("x", "1")), [])
    pending = store.pending_triage(limit=2)
    assert [m.id for m in pending] == ["2", "3"]
    assert [m.id for m in store.pending_triage(limit=10)] == ["2", "3", "4"]
    assert store.counts().pending_triage == 3


def test_record_triage_is_idempotent(store: Store) -> None:
    key = ("x", "1")
    store.add_mentions([f.mention(1)])
    assert store.record_triage(key, f.scores(), f.verdict(key), [f.alert(key)]) is True
    again = [f.alert(key), f.alert(key, channel="#other")]
    assert store.record_triage(key, f.scores(), f.verdict(key, route=Route.DIGEST), again) is False
    assert store.counts().alerts == {"pending": 1}
    [item] = store.history(T0, T0 + timedelta(days=1))
    assert item.verdict == f.verdict(key)
    assert item.scores == f.scores()
    assert item.scores is not None
    # Stored compactly (float16, or int8 and a scale): within half a step of 0.8 / 127.
    assert all(math.isclose(a, b, abs_tol=0.8 / 254 + 1e-9) for a, b in zip(
        item.scores.embedding, (0.6, 0.8), strict=True))
    assert [a.channel for a in item.alerts] == ["#cx"]


def test_record_triage_of_an_unknown_mention_fails(store: Store) -> None:
    key = ("x", "404")
    with pytest.raises(StoreError):
        store.record_triage(key, f.scores(), f.verdict(key), [f.alert(key)])
    assert store.counts().alerts == {}


def test_record_triage_writes_nothing_when_any_part_fails(store: Store) -> None:
    key = ("x", "1")
    store.add_mentions([f.mention(1), f.mention(2)])
    stray = f.alert(("x", "2"))  # an alert about another mention is refused
    with pytest.raises(StoreError):
        store.record_triage(key, f.scores(), f.verdict(key), [f.alert(key), stray])
    assert [m.id for m in store.pending_triage(10)] == ["1", "2"]
    assert store.counts().alerts == {}
    assert store.record_triage(key, f.scores(), f.verdict(key), [f.alert(key)]) is True


def test_racing_record_triage_enqueues_once(store: Store) -> None:
    key = ("x", "1")
    store.add_mentions([f.mention(1)])
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def worker() -> None:
        barrier.wait(timeout=10)
        results.append(store.record_triage(key, f.scores(), f.verdict(key), [f.alert(key)]))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [False, False, False, True]
    assert store.counts().alerts == {"pending": 1}


def _record(i: int, *, route: Route = Route.ALERT, n_alerts: int = 1) -> TriageRecord:
    key = ("x", str(i))
    return TriageRecord(key, f.scores(), f.verdict(key, route=route),
                        tuple(f.alert(key, channel=f"#c{j}") for j in range(n_alerts)))


def test_record_triage_many_writes_the_whole_batch(store: Store) -> None:
    store.add_mentions([f.mention(i) for i in range(1, 5)])
    batch = [_record(1), _record(2, route=Route.DIGEST, n_alerts=0), _record(3, n_alerts=2)]
    assert store.record_triage_many(batch) == [True, True, True]
    assert [m.id for m in store.pending_triage(10)] == ["4"]
    items = {i.mention.key: i for i in store.history(T0, T0 + timedelta(days=1))}
    for record in batch:
        item = items[record.key]
        assert item.verdict == record.verdict
        assert item.scores == record.scores
        assert [a.channel for a in item.alerts] == [a.channel for a in record.alerts]
    assert store.counts().alerts == {"pending": 3}
    # Outbox ids follow the batch's order: that is the order they are dispatched in.
    due = store.due_alerts(T0 + timedelta(days=1), 10)
    assert [(a.mention, a.channel) for a in due] == [
        (("x", "1"), "#c0"), (("x", "3"), "#c0"), (("x", "3"), "#c1")]
    assert store.record_triage_many([]) == []


def test_record_triage_many_skips_what_is_already_decided(store: Store) -> None:
    store.add_mentions([f.mention(i) for i in range(1, 4)])
    assert store.record_triage_many([_record(2)]) == [True]
    again = [_record(1), _record(2, route=Route.DIGEST, n_alerts=3), _record(3)]
    assert store.record_triage_many(again) == [True, False, True]
    assert store.counts().alerts == {"pending": 3}
    items = {i.mention.key: i for i in store.history(T0, T0 + timedelta(days=1))}
    assert items[("x", "2")].verdict == f.verdict(("x", "2"))
    assert len(items[("x", "2")].alerts) == 1
    assert store.counts().pending_triage == 0


def test_record_triage_many_keeps_the_first_of_a_key_twice_in_one_batch(store: Store) -> None:
    store.add_mentions([f.mention(1), f.mention(2)])
    twice = [_record(1), _record(2), _record(1, route=Route.DIGEST, n_alerts=2)]
    assert store.record_triage_many(twice) == [True, True, False]
    assert store.counts().alerts == {"pending": 2}
    [first, _] = store.history(T0, T0 + timedelta(days=1))
    assert first.verdict == f.verdict(("x", "1"))
    assert [a.channel for a in first.alerts] == ["#c0"]


def test_record_triage_many_larger_than_a_statement(store: Store) -> None:
    # More items than one SQL statement carries (backfill writes 4,096 at a time), with
    # some decided before and one key twice across the statements' boundary.
    n = 2_300
    store.add_mentions([f.mention(i) for i in range(1, n + 1)])
    assert store.record_triage_many([_record(7), _record(2_001)]) == [True, True]
    batch = [_record(i, n_alerts=0) for i in range(1, n + 1)] + [_record(5, n_alerts=0)]
    results = store.record_triage_many(batch)
    assert results.count(True) == n - 2
    assert results[6] is False and results[2_000] is False and results[-1] is False
    assert store.counts().pending_triage == 0
    assert store.counts().alerts == {"pending": 2}
    assert store.record_triage_many(batch) == [False] * (n + 1)


def test_record_triage_many_is_all_or_nothing(store: Store) -> None:
    store.add_mentions([f.mention(1), f.mention(3)])
    # The second item's mention was never stored: the first must not stay written.
    with pytest.raises(StoreError):
        store.record_triage_many([_record(1), _record(2), _record(3)])
    assert [m.id for m in store.pending_triage(10)] == ["1", "3"]
    assert store.counts().alerts == {}
    assert not any(i.verdict or i.scores for i in store.history(T0, T0 + timedelta(days=1)))
    assert store.record_triage_many([_record(1), _record(3)]) == [True, True]


def test_racing_batches_record_each_mention_once(store: Store) -> None:
    store.add_mentions([f.mention(i) for i in range(1, 9)])
    # Overlapping batches, oldest first as ``pending_triage`` hands them out.
    batches = [[_record(i) for i in range(s, s + 5)] for s in (1, 2, 3, 4)]
    barrier = threading.Barrier(len(batches))
    results: dict[int, list[bool]] = {}

    def worker(n: int) -> None:
        barrier.wait(timeout=10)
        results[n] = store.record_triage_many(batches[n])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    won = Counter(
        r.key for n, b in enumerate(batches) for r, ok in zip(b, results[n], strict=True) if ok
    )
    assert won == {("x", str(i)): 1 for i in range(1, 9)}
    assert store.counts().alerts == {"pending": 8}


def test_scores_without_embedding(store: Store) -> None:
    key = ("x", "1")
    store.add_mentions([f.mention(1)])
    store.record_triage(key, f.scores(embedding=()), f.verdict(key), [])
    [item] = store.history(T0, T0 + timedelta(hours=1))
    assert item.scores is not None
    assert item.scores.embedding == ()


def test_history_without_embeddings_keeps_everything_else(store: Store) -> None:
    key = ("x", "1")
    store.add_mentions([f.mention(1)])
    scores = f.scores()
    assert scores.embedding  # the fixture has one
    store.record_triage(key, scores, f.verdict(key), [f.alert(key)])
    [full] = store.history(T0, T0 + timedelta(hours=1))
    [lean] = store.history(T0, T0 + timedelta(hours=1), embeddings=False)
    assert full.scores == scores
    assert lean.scores is not None
    assert lean.scores.embedding == ()
    assert dataclasses.replace(lean.scores, embedding=scores.embedding) == scores
    assert (lean.mention, lean.verdict, lean.alerts) == (full.mention, full.verdict, full.alerts)
    # The stored embedding is untouched.
    [again] = store.history(T0, T0 + timedelta(hours=1))
    assert again.scores == scores


# -- history ----------------------------------------------------------------------------


def test_history_filters_window_and_brand(store: Store) -> None:
    store.add_mentions(
        [
            f.mention(1, at=T0 - timedelta(seconds=1)),
            f.mention(2, at=T0),
            f.mention(3, at=T0 + timedelta(hours=1), brand="Other"),
            f.mention(4, at=T0 + timedelta(hours=2)),
            f.mention(5, at=T0 + timedelta(days=1)),  # end is exclusive
        ]
    )
    store.record_triage(("x", "2"), f.scores(), f.verdict(("x", "2")), [f.alert(("x", "2"))])
    end = T0 + timedelta(days=1)
    items = list(store.history(T0, end))
    assert [i.mention.id for i in items] == ["2", "3", "4"]
    assert [i.mention.id for i in store.history(T0, end, brand="Acme")] == ["2", "4"]
    first, _, last = items
    assert first.verdict is not None
    assert len(first.alerts) == 1
    assert last.scores is None
    assert last.verdict is None
    assert last.alerts == ()


def test_history_pages_through_ties_in_order(store: Store) -> None:
    # More than one page of mentions sharing timestamps: keyset paging must not skip any.
    batch = [f.mention(f"{i:05d}", at=T0 + timedelta(minutes=i % 3)) for i in range(1203)]
    store.add_mentions(batch)
    got = [(i.mention.created_at, i.mention.id) for i in store.history(T0, T0 + timedelta(1))]
    assert got == sorted((m.created_at, m.id) for m in batch)


# -- outbox -----------------------------------------------------------------------------


def _one_alert(store: Store, i: int = 1) -> int:
    key = ("x", str(i))
    store.add_mentions([f.mention(i)])
    store.record_triage(key, f.scores(), f.verdict(key, at=T0 + timedelta(seconds=i)),
                        [f.alert(key)])
    alert = store.alert_for(key)
    assert alert is not None
    assert alert.id is not None
    return alert.id


def test_due_alerts_are_claimed_oldest_first(store: Store) -> None:
    ids = [_one_alert(store, i) for i in (1, 2, 3)]
    first = store.due_alerts(T0 + timedelta(minutes=1), limit=2)
    assert [a.id for a in first] == ids[:2]
    assert all(a.state is DeliveryState.PENDING for a in first)
    # Claimed rows are invisible to a second dispatcher until the lease runs out.
    assert [a.id for a in store.due_alerts(T0 + timedelta(minutes=1), limit=5)] == ids[2:]
    assert store.due_alerts(T0 + timedelta(minutes=2), limit=5) == []
    again = store.due_alerts(T0 + timedelta(minutes=7), limit=5)
    assert [a.id for a in again] == ids


def test_failed_alert_is_retried_at_its_time_then_dead(store: Store) -> None:
    alert_id = _one_alert(store)
    now = T0 + timedelta(minutes=1)
    store.due_alerts(now, limit=1)
    retry_at = now + timedelta(minutes=10)
    store.mark_failed(alert_id, "ratelimited", now, retry_at)
    alert = store.get_alert(alert_id)
    assert alert is not None
    assert (alert.state, alert.attempts, alert.last_error) == (
        DeliveryState.RETRYING, 1, "ratelimited")
    assert alert.next_attempt_at == retry_at
    assert store.due_alerts(retry_at - timedelta(seconds=1), limit=5) == []
    assert [a.id for a in store.due_alerts(retry_at, limit=5)] == [alert_id]
    store.mark_failed(alert_id, "channel_not_found", retry_at, None)
    dead = store.get_alert(alert_id)
    assert dead is not None
    assert (dead.state, dead.attempts) == (DeliveryState.DEAD, 2)
    assert store.due_alerts(retry_at + timedelta(days=1), limit=5) == []
    assert [a.id for a in store.dead_alerts()] == [alert_id]
    assert store.counts().dead_letters == 1


def test_sent_alert_keeps_its_slack_ref(store: Store) -> None:
    from listener.domain import SlackRef

    alert_id = _one_alert(store)
    now = T0 + timedelta(minutes=1)
    store.due_alerts(now, limit=1)
    store.mark_sent(alert_id, SlackRef("C1", "1700000000.000100"), now)
    sent = store.get_alert(alert_id)
    assert sent is not None
    assert (sent.state, sent.attempts, sent.sent_at) == (DeliveryState.SENT, 1, now)
    assert sent.slack == SlackRef("C1", "1700000000.000100")
    assert store.due_alerts(now + timedelta(hours=1), limit=5) == []
    assert store.counts().alerts == {"sent": 1}
    with pytest.raises(StoreError):
        store.mark_sent(999_999, SlackRef("C1", "1.2"), now)


def test_defer_releases_a_claim_without_an_attempt(store: Store) -> None:
    alert_id = _one_alert(store)
    now = T0 + timedelta(minutes=1)
    store.due_alerts(now, limit=1)
    store.defer_alert(alert_id, now + timedelta(seconds=30))
    assert [a.id for a in store.due_alerts(now + timedelta(seconds=30), limit=1)] == [alert_id]
    alert = store.get_alert(alert_id)
    assert alert is not None
    assert alert.attempts == 0


def test_enqueue_adds_follow_up_alerts(store: Store) -> None:
    from listener.domain import Alert, SlackRef

    first = _one_alert(store)
    key = ("x", "1")
    parent = SlackRef("C1", "1.5")
    [esc] = store.enqueue(
        [Alert(key, "#esc", kind=AlertKind.ESCALATION, thread=parent)], T0 + timedelta(hours=1)
    )
    assert esc != first
    got = store.get_alert(esc)
    assert got is not None
    assert (got.kind, got.thread, got.created_at) == (
        AlertKind.ESCALATION, parent, T0 + timedelta(hours=1))
    assert store.alert_for(key) is not None
    assert store.alert_for(key).id == first  # type: ignore[union-attr]
    assert store.get_alert(123_456) is None
    with pytest.raises(StoreError):
        store.enqueue([Alert(("x", "404"), "#cx")], T0)


def test_status_changes_record_who(store: Store) -> None:
    alert_id = _one_alert(store)
    assert store.set_status(alert_id, AlertStatus.CLAIMED, "U1", T0)
    assert store.set_status(alert_id, AlertStatus.RESOLVED, None, T0)
    alert = store.get_alert(alert_id)
    assert alert is not None
    assert (alert.status, alert.claimed_by) == (AlertStatus.RESOLVED, "U1")


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([AlertStatus.CLAIMED, AlertStatus.REPLIED], AlertStatus.CLAIMED),
        ([AlertStatus.REPLIED], AlertStatus.SNOOZED),
        ([AlertStatus.RESOLVED], AlertStatus.CLAIMED),
        ([AlertStatus.RESOLVED], AlertStatus.OPEN),
        ([AlertStatus.NOT_COMPLAINT], AlertStatus.REPLIED),
        ([AlertStatus.CLAIMED], AlertStatus.CLAIMED),
    ],
)
def test_a_status_never_moves_backwards(
    store: Store, path: list[AlertStatus], refused: AlertStatus
) -> None:
    alert_id = _one_alert(store)
    for status in path:
        assert store.set_status(alert_id, status, "U1", T0)
    before = store.get_alert(alert_id)
    assert not store.set_status(alert_id, refused, "U2", T0 + timedelta(minutes=1))
    assert store.get_alert(alert_id) == before
    with pytest.raises(StoreError):
        store.set_status(123_456, AlertStatus.CLAIMED, "U1", T0)


def test_of_two_racing_claims_exactly_one_wins(store: Store) -> None:
    import threading

    alert_id = _one_alert(store)
    barrier = threading.Barrier(8)
    wins: list[str] = []

    def claim(user: str) -> None:
        barrier.wait()
        if store.set_status(alert_id, AlertStatus.CLAIMED, user, T0):
            wins.append(user)

    threads = [threading.Thread(target=claim, args=(f"U{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    alert = store.get_alert(alert_id)
    assert alert is not None
    assert len(wins) == 1
    assert alert.claimed_by == wins[0]


def test_response_steps_keep_their_first_times(store: Store) -> None:
    alert_id = _one_alert(store)
    t = [T0 + timedelta(minutes=m) for m in (5, 9, 12, 20, 30)]
    assert store.set_status(alert_id, AlertStatus.CLAIMED, "U1", t[0])
    assert not store.set_status(alert_id, AlertStatus.CLAIMED, "U2", t[1])  # taken: refused
    assert store.set_status(alert_id, AlertStatus.REPLIED, "U2", t[2])
    assert not store.set_status(alert_id, AlertStatus.REPLIED, "U2", t[3])  # a replay
    assert store.set_status(alert_id, AlertStatus.RESOLVED, None, t[4])
    alert = store.get_alert(alert_id)
    assert alert is not None
    assert (alert.claimed_at, alert.replied_at, alert.resolved_at) == (t[0], t[2], t[4])
    assert alert.claimed_by == "U2"


def test_an_interrupted_send_is_counted_when_the_row_is_claimed_again(store: Store) -> None:
    alert_id = _one_alert(store)
    assert [a.id for a in store.due_alerts(T0, 10)] == [alert_id]
    assert not store.begin_attempt(alert_id, T0)
    # The dispatcher dies here, mid-send. After the lease the row is due again:
    (again,) = store.due_alerts(T0 + timedelta(hours=1), 10)
    assert again.attempt_started_at == T0
    assert store.begin_attempt(alert_id, T0 + timedelta(hours=1))
    store.mark_sent(alert_id, SlackRef("C1", "1.2"), T0 + timedelta(hours=1))
    sent = store.get_alert(alert_id)
    assert sent is not None
    assert (sent.interrupted, sent.attempt_started_at, sent.attempts) == (1, None, 1)


def test_dead_rows_are_listed_and_revived(store: Store) -> None:
    first, second = _one_alert(store), _one_alert(store, 2)
    store.mark_failed(first, "channel_not_found", T0, None)
    store.mark_failed(second, "ratelimited", T0, T0 + timedelta(minutes=1))
    assert [a.id for a in store.outbox_rows(DeliveryState.DEAD, 10)] == [first]
    assert [a.id for a in store.outbox_rows(None, 10)] == [second, first]
    assert store.revive([second], T0) == []  # retrying, not dead: left alone
    assert store.revive(None, T0) == [first]
    revived = store.get_alert(first)
    assert revived is not None
    assert (revived.state, revived.attempts, revived.last_error) == (
        DeliveryState.PENDING, 0, "channel_not_found")
    assert [a.id for a in store.due_alerts(T0, 10)] == [first]


def test_a_reply_without_a_claim_counts_as_claimed(store: Store) -> None:
    alert_id = _one_alert(store)
    store.set_status(alert_id, AlertStatus.REPLIED, "U1", T0)
    alert = store.get_alert(alert_id)
    assert alert is not None
    assert alert.claimed_at == T0 and alert.replied_at == T0


def test_alerts_for_a_channel_are_counted_since(store: Store) -> None:
    from listener.domain import Alert, SlackRef

    ids = [_one_alert(store, i) for i in (1, 2, 3)]  # created at T0 + 1s, 2s, 3s
    store.mark_sent(ids[0], SlackRef("C1", "1.0"), T0 + timedelta(hours=1))  # sent or queued
    store.enqueue([Alert(("x", "1"), "#cx", kind=AlertKind.ESCALATION)], T0)  # not a new alert
    assert store.alerts_in_channel_since("#cx", T0 + timedelta(seconds=2)) == 2
    assert store.alerts_in_channel_since("#cx", T0) == 3
    assert store.alerts_in_channel_since("#other", T0) == 0


def test_alert_for_conversation_finds_the_brands_first_alert(store: Store) -> None:
    store.add_mentions([f.mention(1, conversation_id="c1"), f.mention(2, conversation_id="c1"),
                        f.mention(3, conversation_id="c1", brand="Other")])
    for i, kind in ((1, AlertKind.ALERT), (2, AlertKind.THREAD_REPLY), (3, AlertKind.ALERT)):
        key = ("x", str(i))
        store.record_triage(key, f.scores(), f.verdict(key), [f.alert(key, kind=kind)])
    found = store.alert_for_conversation("Acme", "c1")
    assert found is not None
    assert found.mention == ("x", "1")
    other = store.alert_for_conversation("Other", "c1")
    assert other is not None and other.mention == ("x", "3")
    assert store.alert_for_conversation("Acme", "c2") is None
    assert store.alert_for_conversation("Nobody", "c1") is None


# -- cursors, feedback, digests ---------------------------------------------------------


def test_cursors(store: Store) -> None:
    assert store.get_cursor("mentions:Acme") is None
    store.set_cursor("mentions:Acme", "100", T0)
    store.set_cursor("mentions:Acme", "200", T0 + timedelta(minutes=1))
    store.set_cursor("search:q1", "150", T0)
    assert store.get_cursor("mentions:Acme") == "200"
    assert store.get_cursor("search:q1") == "150"


def test_checkpoints_have_their_own_records(store: Store) -> None:
    long = '{"token": "' + "t" * 300 + '", "skip": 3, "done": false}'  # > since_id's 64
    assert store.get_checkpoint("backfill:archive:abc") is None
    store.set_checkpoint("backfill:archive:abc", long, T0)
    store.set_checkpoint("backfill:/data/f.csv", "1,2,3", T0)
    store.set_checkpoint("backfill:/data/f.csv", "9,9,0", T0 + timedelta(minutes=1))
    assert store.get_checkpoint("backfill:archive:abc") == long
    assert store.get_checkpoint("backfill:/data/f.csv") == "9,9,0"
    assert store.get_cursor("backfill:/data/f.csv") is None  # not a source's cursor
    store.clear_checkpoint("backfill:/data/f.csv")
    assert store.get_checkpoint("backfill:/data/f.csv") is None
    store.clear_checkpoint("never-there")


def test_the_reply_ledger_keeps_the_first_reply(store: Store) -> None:
    key = "a" * 64
    assert store.reply_for(key) is None
    assert store.record_reply(key, "https://x.com/acme/status/1", T0) is True
    assert store.record_reply(key, "https://x.com/acme/status/2", T0) is False
    assert store.reply_for(key) == "https://x.com/acme/status/1"
    assert store.get_cursor(key) is None


def test_feedback_lists_since(store: Store) -> None:
    fb = [
        Feedback(("x", "1"), "not_complaint", "U1", T0, note="sarcasm 🙃"),
        Feedback(("x", "2"), "urgency:4", "U2", T0 + timedelta(hours=1)),
    ]
    for item in fb:
        store.add_feedback(item)
    assert store.list_feedback() == fb
    assert store.list_feedback(since=T0 + timedelta(minutes=1)) == fb[1:]
    assert store.counts().feedback == 2


def test_digest_is_marked_sent_once_per_brand_and_day(store: Store) -> None:
    day = date(2026, 3, 1)
    assert store.digest_sent("Acme", day) is False
    assert store.mark_digest_sent("Acme", day, '{"channel": "C1", "ts": "1.0"}', T0) is True
    assert store.mark_digest_sent("Acme", day, "{}", T0) is False
    assert store.digest_sent("Acme", day) is True
    assert store.digest_sent("Acme", day + timedelta(days=1)) is False
    assert store.digest_sent("Other", day) is False
