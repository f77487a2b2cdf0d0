"""Hostile and odd posts through the whole cycle: fake X -> Poller -> store -> Triage ->
Dispatcher -> fake Slack. Nothing crashes, nothing is dropped silently (stored, or kept
as ``rejected`` with a reason), and no user text reaches Slack as a live ``<!…>``,
``<@…>`` or ``<#…>`` control sequence.

The corpus is ``nasty_posts.jsonl`` (one ``{"label", "text"}`` per line); hypothesis adds
random text with surrogates, controls and Slack syntax mixed in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.doubles import is_complaint_text
from tests.reliability.rig import Rig, build_rig, fakes

CORPUS = [json.loads(line) for line in (Path(__file__).parent / "nasty_posts.jsonl").open()]

#: Control sequences that would ping or link if user text reached Slack unescaped.
LIVE = re.compile(r"<(?:!(?:channel|here|everyone|subteam\^)|@[UW]|#C)")
PLANTED = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<@U0ALICE01|alice>",
    "<#C1|x>",
    "<!subteam^S0ONCALL1>",
    "<https://evil.example|click me>",
    "<!date^1392734382",
)


def slack_payloads(rig: Rig, since: int = 0) -> list[str]:
    calls = rig.slack.calls[since:]
    return [
        json.dumps(c.args, ensure_ascii=False)
        for c in calls
        if c.method in ("chat.postMessage", "chat.update")
    ]


def assert_no_live_controls(payloads: list[str]) -> None:
    for body in payloads:
        text = json.loads(body)
        flat = json.dumps(text, ensure_ascii=False)
        assert not LIVE.search(flat), LIVE.search(flat)
        for planted in PLANTED:
            assert planted not in flat, planted


@contextmanager
def _rig(tmp_path: Path, url: str | None) -> Iterator[Rig]:
    x, slack = fakes()
    r = build_rig(x, slack, url or f"sqlite:///{tmp_path / 'nasty.db'}")
    try:
        yield r
    finally:
        r.close()
        x.stop()
        slack.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def nasty_rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with _rig(tmp_path, url) as rig:
        yield rig


def test_the_nasty_corpus_is_stored_or_rejected_and_never_pings(nasty_rig: Rig) -> None:
    rig = nasty_rig
    ids = {}
    for i, post in enumerate(CORPUS):
        tweet = rig.x.add_tweet(post["text"], author=f"nasty{i}", stream=False)
        ids[tweet["id"]] = post
    rig.drain()
    counts = rig.store.counts()
    stored = {tid for tid in ids if rig.store.get_mention(("x", tid)) is not None}
    missing = [ids[t]["label"] for t in ids if t not in stored]
    # Whatever was not stored was kept as rejected (with its reason), and counted.
    assert counts.rejected >= len(missing), missing
    assert counts.mentions + counts.rejected >= len(CORPUS)
    assert all(o.ok for o in rig.outcomes), rig.outcomes
    assert counts.pending_triage == 0
    assert counts.alerts.get("dead", 0) == 0, rig.store.dead_alerts()
    # Every stored complaint was alerted.
    alerted = slack_payloads(rig)
    texts = [m.text for m in (rig.store.get_mention(("x", t)) for t in stored) if m]
    assert len(alerted) >= sum(1 for text in texts if is_complaint_text(text))
    assert_no_live_controls(alerted)


def test_a_stored_long_post_keeps_its_full_text(rig: Rig) -> None:
    text = "@acme broken " + "refund " * 3600  # ~25,000 characters
    tweet = rig.x.add_tweet(text[:280], note_text=text, author="longwinded", stream=False)
    rig.drain()
    stored = rig.store.get_mention(("x", tweet["id"]))
    assert stored is not None
    assert stored.text == text
    (post,) = slack_payloads(rig)
    assert len(post) < 40_000  # Slack's limits: the alert quotes a bounded excerpt


FRAGMENTS = [p["text"] for p in CORPUS] + ["<!channel>", "<@U1>", "<#C1>", "&", "<", ">", "\0"]
TEXT = st.lists(
    st.one_of(
        st.text(st.characters(blacklist_categories=()), max_size=40),
        st.sampled_from(FRAGMENTS),
    ),
    max_size=5,
).map(lambda parts: "@acme broken " + "".join(parts))


def test_random_text_never_crashes_drops_or_pings(tmp_path: Path) -> None:
    with _rig(tmp_path, None) as rig:

        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(text=TEXT)
        def check(text: str) -> None:
            before_calls = len(rig.slack.calls)
            before = rig.store.counts()
            tweet: dict[str, Any] = rig.x.add_tweet(text, author="fuzzer", stream=False)
            rig.cycle()
            after = rig.store.counts()
            kept = rig.store.get_mention(("x", tweet["id"])) is not None
            assert kept or after.rejected == before.rejected + 1
            assert all(o.ok for o in rig.outcomes), rig.outcomes
            assert after.pending_triage == 0
            assert_no_live_controls(slack_payloads(rig, before_calls))

        check()
