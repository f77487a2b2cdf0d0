"""Phrase signals and few-shot topics."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers.base import Signal
from classifiers.model import TriageModel
from classifiers.signals import PhraseMatcher, order_signals
from classifiers.topics import TopicModel


def test_phrases_match_on_word_boundaries_case_insensitively() -> None:
    matcher = PhraseMatcher({"money": ["double charged", "refund*"], "legal": ["sue you"]})
    found = {s.name: s.evidence for s in matcher.match("I was DOUBLE  charged, I'll SUE you")}
    assert found == {"money": "DOUBLE  charged", "legal": "SUE you"}
    assert matcher.match("refunds pending")[0].evidence == "refunds"
    assert matcher.match("unrefundable and pursue youth") == []


_WORDS = st.sampled_from(
    ["fire", "refunds", "is", "down", "Sue", "you", "never", "again", "the", "news", "I",
     "double", "charged", "café", "🔥", "not", "working", "bbc!", "lawyer,", "xfire", "\n",
     "fİre", "fıre", "ſcams", "\u212aILLED", "REFUNDED", "ﬁre", "can't", "log", "in",
     "#fraud", "over-charged", "_sue"]
)


#: Lists for the matcher's own tests (there are no built-in ones).
LISTS = {
    "safety": ["fire", "caught fire", "burn*", "smoke"],
    "outage": ["is down", "not working", "can't log in", "error 500"],
    "money": ["double charged", "charged twice", "refund*", "overcharg*", "fraud*"],
    "legal": ["lawyer", "sue you", "ftc"],
    "press": ["bbc", "the press"],
}


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=12).map(" ".join))
def test_the_word_prefilter_never_changes_what_matches(text: str) -> None:
    # The first-word prefilter is only a shortcut: the answer is the per-phrase search's.
    matcher = PhraseMatcher.with_overrides({"money": ["#fail", "e-mail*"]}, replace=LISTS)
    naive = []
    for name, phrases in matcher._compiled.items():
        for phrase in phrases:
            found = phrase.pattern.search(text)
            if found:
                naive.append(Signal(name, found.group(0), "phrase"))
                break
    assert matcher.match(text) == naive


def test_a_phrase_without_a_word_still_matches() -> None:
    matcher = PhraseMatcher({"press": ["!!!"], "money": ["refund*"]})
    assert [s.evidence for s in matcher.match("where is it !!!")] == ["!!!"]
    assert matcher.match("nothing here") == []


def test_lists_can_be_extended_and_replaced() -> None:
    matcher = PhraseMatcher.with_overrides(
        {"churn": ["porting my number"]}, replace={"press": ["podcast"]}
    )
    names = {s.name for s in matcher.match("porting my number, telling my podcast")}
    assert names == {"churn", "press"}
    assert matcher.match("the local news") == []


def test_phrase_evidence_wins_over_model_evidence() -> None:
    merged = order_signals(
        [
            Signal("money", "close to x", "model"),
            Signal("money", "refund", "phrase"),
            Signal("safety", "fire", "phrase"),
        ]
    )
    assert [(s.name, s.source) for s in merged] == [("safety", "phrase"), ("money", "phrase")]


def test_few_shot_topics_from_examples(model: TriageModel) -> None:
    topics = TopicModel.from_examples(
        {
            "seat comfort": [
                "the seats are cramped",
                "no legroom at all",
                "my seat would not recline",
            ],
            "wifi": [
                "inflight wifi never works",
                "wifi was down the whole flight",
                "paid for wifi, no signal",
            ],
        },
        model,
    )
    emb = model.embed(["there is zero legroom in row 30", "the wifi on board is useless"])
    labels = [label for label, _ in topics.predict(emb)]
    assert labels == ["seat comfort", "wifi"]


def test_brand_can_add_a_topic_to_the_default_taxonomy(model: TriageModel) -> None:
    before = model.topics
    try:
        model.with_topics(
            {"loyalty points": ["my miles were never credited", "points missing from my account"]}
        )
        assert "loyalty points" in model.topics.names
        assert "delivery" in model.topics.names
        s = model.predict(["still no miles credited for last week's trip"])[0]
        assert s.topic == "loyalty points"
    finally:
        model.topics = before


def test_default_topics_are_sensible(model: TriageModel) -> None:
    scores = model.predict(["my package never arrived", "I can't log in to my account"])
    assert [s.topic for s in scores] == ["delivery", "account/login"]
    assert np.isclose(sum(scores[0].topic_scores.values()), 1.0, atol=1e-3)


def test_there_is_one_vocabulary_and_it_is_the_decisions() -> None:
    # What is at stake in a post is read by listener/decisions/lexicon.py, which checks
    # each cue for negation and resolution; the model keeps no second, unchecked list.
    assert PhraseMatcher().match("the charger caught fire and you charged me twice") == []
    matcher = PhraseMatcher(LISTS)
    assert {s.name for s in matcher.match("the app is down and I can't log in")} == {"outage"}
