"""How much evidence a complaint needs: a report about the brand (neither addressed to it nor
with its author in it) is weaker evidence than the same situation told by the person it
happens to; an author whose reach makes a complaint urgent needs less of it."""

from __future__ import annotations

import dataclasses

from listener.config import Settings
from listener.decisions import Rulebook
from listener.decisions.urgency import Assessment, Stance, assess
from listener.domain import Priority
from tests.core.doubles import mention, scores

RULES = Rulebook.from_settings(Settings()).rules_for("Acme")


def _report(text: str) -> Assessment:
    post = dataclasses.replace(mention(text), addresses_brand=False)
    return assess(post, scores(p=0.05, urgency=1), RULES)


def test_a_headline_with_an_alarm_word_is_not_a_complaint() -> None:
    verdict = _report("Acme recalls 8,000 power banks over overheating risk")
    assert verdict.stance is not Stance.COMPLAINT
    assert verdict.priority is Priority.NONE


def test_the_same_situation_told_by_its_author_still_pages() -> None:
    post = dataclasses.replace(
        mention("my Acme power bank is overheating on the desk"), addresses_brand=False
    )
    verdict = assess(post, scores(p=0.05, urgency=1), RULES)
    assert verdict.stance is Stance.COMPLAINT
    assert verdict.priority is Priority.CRITICAL


def test_addressed_to_the_brand_the_situation_counts_in_full() -> None:
    verdict = assess(mention("@acme power bank overheating on the desk"), scores(p=0.05), RULES)
    assert verdict.priority is Priority.CRITICAL


def test_a_far_reaching_author_needs_less_evidence_to_reach_a_person() -> None:
    text = "@acme the new battle pass is a lot of money for not a lot of stuff tbh"
    low = scores(p=0.3, urgency=1)
    assert assess(mention(text), low, RULES).priority is Priority.NONE
    verdict = assess(mention(text, followers=2_400_000), low, RULES)
    assert verdict.stance is Stance.COMPLAINT
    assert verdict.priority is Priority.HIGH
    assert verdict.reason == "reach"


def test_reach_does_not_make_praise_a_complaint() -> None:
    post = mention("@acme obsessed with the new winter drop, the coats are everything",
                   followers=2_400_000)
    assert assess(post, scores(p=0.3, urgency=1), RULES).priority is Priority.NONE


def test_a_general_question_beside_the_authors_own_problems_is_a_request() -> None:
    text = "@acme there's a glitch where I can't join my friends' games. do you have a fix?"
    verdict = assess(mention(text), scores(p=0.3, urgency=1), RULES)
    assert verdict.reaches_slack
    plain = assess(mention("@acme do you still sell the winter boots?"), scores(p=0.3), RULES)
    assert not plain.reaches_slack


def test_a_request_to_the_brand_is_not_aimed_elsewhere() -> None:
    text = "@acme can I sign in without the authenticator? I broke my old phone and it doesn't work"
    verdict = assess(mention(text), scores(p=0.3, urgency=1), RULES)
    assert verdict.stance is Stance.REQUEST
