"""The urgency model: is a post a complaint or a request to the brand, and is it urgent?

Urgency is what is at stake for the author, not the tone of the post (issue 13):

1. **Is it for the brand?** The post addresses the brand (an @mention, a reply) or names
   it. A post that names no brand has nobody to route it to.
2. **Is it a complaint or a request for help?** Evidence for: the model's complaint
   probability against its own threshold (or the brand's), problem words (a failure, a
   wait, a repeat, a reproach), a situation cue, a question about the author's own case.
   Evidence against: praise, a resolution ("works again", "refund landed"), news, promos
   and spam, negativity aimed at something else ("…but at least @brand…"). A situation
   counts for less in a report: a post that neither addresses the brand nor has its
   author in it ("X recalls 8,000 power banks over overheating risk"). Every
   complaint and request reaches Slack; the rest does not.
3. **Is it urgent?** A complaint or request is urgent when one of these is at stake, in
   this order: **safety** (fire, smoke, sparks, injury, allergen, gas, a child shut in
   a car, a wrong medicine), **stranded** (stuck on a road or at an airport, locked out,
   no heating, no money to pay now, medication not delivered), **money** (charged twice,
   a payment never made, a refund or funds withheld, billed after cancelling),
   **outage** (down, no signal or internet, cannot log in, payments failing), **legal**
   (lawyer, regulator, a named law), **press** (a journalist, a review, a stream), or
   **reach** (the author has at least ``vip_followers`` followers, or is on the VIP
   list; such an author's post needs less evidence to count as a complaint). A model
   signal (a post close to a situation's example sentences) pages only
   with the model's own complaint call and severity at ``page_urgency`` or more, never in
   a post the model reads as positive. Last, ``judged``: the model's judgement head
   (``classifiers/judgement.py``, fitted on posts people labelled) pages a complaint or
   request nothing else made urgent when its P(urgent) is at least ``_URGENT_AT`` and the
   evidence is sure of the stance, never in a positive post. Safety is CRITICAL, the
   others HIGH.
4. **Otherwise** the item goes to the brand's queue channel without a ping: NORMAL when
   the complaint is clear (severity at ``min_urgency`` or more, or several problem
   words), LOW otherwise. Severity is one input to the stance; it never pages.

Everything is read from the scores the model gives and the brand's rules: the model's
own threshold moves the complaint evidence, so a better model moves the decisions with
it without new constants here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from classifiers.base import Scores, Signal
from listener.decisions.reading import Cue, Reading, names_brand, read
from listener.decisions.rules import BrandRules, handle_key
from listener.domain import Mention, Priority

__all__ = ["PAGING_SITUATIONS", "Assessment", "Stance", "assess", "human_count"]

#: Situations a model signal may stand in for (the model has no "stranded" examples).
PAGING_SITUATIONS = frozenset({"safety", "outage", "money", "legal"})

# Weights of the complaint evidence, in log-odds. The model term is centred on the
# model's own threshold, so it means "how far past its own line the model is".
_W_MODEL = 2.0
_W_PROBLEM = 0.6
_W_PRAISE = 1.0
_W_SITUATION = 1.8
#: ...in a report: a post that neither addresses the brand nor has its author in it
#: ("X recalls 8,000 power banks over overheating risk") tells of a situation, but not one
#: the author is in, so the situation is weaker evidence of a complaint.
_W_SITUATION_REPORT = 0.6
_W_DISCOUNTED = 0.8
_W_ADDRESSED = 0.4
_W_SEVERITY = 0.25
_W_TONE = 0.5
_MAX_PROBLEMS = 4
_MAX_PRAISE = 3
_BIAS = -0.9
#: With no problem word and no situation, only a model this far past its line, in a
#: post with no praise, reads as a complaint.
_MODEL_ALONE_MARGIN = 0.3
#: ...or past it in a post whose sentiment is this negative and not positive.
_NEGATIVE = 0.6
_NOT_POSITIVE = 0.1
#: The confidence at which the evidence reads as a complaint.
_COMPLAINT_AT = 0.5
#: ...for an author whose reach alone makes a complaint urgent: a missed complaint in
#: front of that many people costs far more than one more card in the queue.
_COMPLAINT_AT_REACH = 0.3
#: The judgement head's P(urgent) at which a complaint with nothing else at stake pages.
#: Chosen on written posts it was not fitted on and on real support tweets, for few
#: extra pages (see the README's urgency model).
_URGENT_AT = 0.75
#: ...and only in a post the evidence reads as a complaint or request this surely: the
#: head was fitted on complaints and requests, so it knows nothing of the rest.
_JUDGED_SURE = 0.7


class Stance(StrEnum):
    COMPLAINT = "complaint"
    REQUEST = "request"
    RESOLVED = "resolved"
    PRAISE = "praise"
    NEWS = "news or promo"
    ELSEWHERE = "negativity aimed elsewhere"
    UNCLEAR = "not a complaint"
    NO_BRAND = "no brand"


@dataclass(frozen=True, slots=True)
class Assessment:
    """The urgency model's answer about one post, with its evidence."""

    stance: Stance
    #: Probability that the post is a complaint or request for help (0-1).
    confidence: float
    #: Why the stance, strongest first.
    evidence: tuple[str, ...]
    #: What argued against acting (shown only when nothing is sent).
    against: tuple[str, ...]
    #: Situations at stake, in the order of :data:`SITUATIONS`.
    situations: tuple[Cue, ...]
    #: The author's reach, when it alone makes a complaint urgent.
    reach: str | None
    #: A model signal that pages (see the module docstring), if any.
    model_signal: Signal | None
    priority: Priority

    @property
    def reaches_slack(self) -> bool:
        return self.stance in (Stance.COMPLAINT, Stance.REQUEST)

    @property
    def urgent(self) -> bool:
        return self.priority >= Priority.HIGH

    @property
    def reason(self) -> str:
        """What made it urgent (a situation, ``reach``), or ``none``."""
        if not self.urgent:
            return "none"
        if self.situations:
            return self.situations[0].situation
        if self.model_signal is not None:
            return self.model_signal.name
        return "reach" if self.reach is not None else "judged"


def human_count(n: int) -> str:
    """120000 -> '120k', 1500000 -> '1.5M'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if n >= 1_000:
        return f"{n / 1_000:.1f}".rstrip("0").rstrip(".") + "k"
    return str(n)


def _addressed(mention: Mention, rules: BrandRules) -> bool:
    if mention.addresses_brand or mention.in_reply_to_id:
        return True
    text = mention.text.casefold()
    return any(f"@{h}" in text for h in rules.own_handles)


def _about_brand(mention: Mention, rules: BrandRules, addressed: bool) -> bool:
    if addressed:
        return True
    names = [n for n in (rules.brand, mention.brand, *rules.own_handles) if n]
    return bool(names) and names_brand(mention.text, names)


def _threshold(scores: Scores, rules: BrandRules) -> float:
    """The complaint probability the model (or the brand) draws its line at."""
    if rules.complaint_threshold is not None:
        return rules.complaint_threshold
    # The model's own call tells which side of its line the post is; 0.5 is the line
    # when the call and the probability agree on nothing better.
    p = scores.complaint_probability
    if scores.is_complaint and p < 0.5:
        return p
    if not scores.is_complaint and p >= 0.5:
        return min(1.0, p + 1e-6)
    return 0.5


def _reach(mention: Mention, rules: BrandRules) -> str | None:
    author = mention.author
    if handle_key(author.username) in rules.vip_handles:
        return f"{author.handle} is on the VIP list"
    if rules.vip_followers and author.followers >= rules.vip_followers:
        return f"reach: {human_count(author.followers)} followers"
    return None


def _confidence(
    scores: Scores, rules: BrandRules, reading: Reading, addressed: bool
) -> tuple[float, list[str]]:
    p, t = scores.complaint_probability, _threshold(scores, rules)
    problems, praise = reading.distinct_problems, reading.distinct_praise
    tone = scores.sentiment_scores.get("negative", 0.0) - scores.sentiment_scores.get(
        "positive", 0.0
    )
    z = (
        _BIAS
        + _W_MODEL * (p - t)
        + _W_PROBLEM * min(problems, _MAX_PROBLEMS)
        - _W_PRAISE * min(praise, _MAX_PRAISE)
        + (_W_SITUATION if addressed or reading.personal else _W_SITUATION_REPORT)
        * bool(reading.situations)
        - _W_DISCOUNTED * bool(reading.discounted and not reading.situations)
        + _W_ADDRESSED * addressed
        + _W_SEVERITY * max(0, scores.urgency - 1)
        + _W_TONE * tone
    )
    evidence = []
    if problems:
        words = ", ".join(f"'{w}'" for w in list(dict.fromkeys(reading.problems))[:3])
        evidence.append(f"problem words {words}")
    evidence.append(f"model {p:.2f} {'≥' if p >= t else '<'} {t:.2f}")
    return 1.0 / (1.0 + math.exp(-z)), evidence


def _judged_urgent(scores: Scores, confidence: float) -> float | None:
    """The judgement head's P(urgent) when it may page: never for a positive post."""
    urgent = scores.judgement.get("urgent")
    if urgent is None or urgent < _URGENT_AT or scores.sentiment == "positive":
        return None
    return urgent if confidence >= _JUDGED_SURE else None


def _model_signal(scores: Scores, rules: BrandRules) -> Signal | None:
    if scores.sentiment == "positive" or not scores.is_complaint:
        return None
    if scores.urgency < rules.page_urgency:
        return None
    return next(
        (s for s in scores.signals if s.source == "model" and s.name in PAGING_SITUATIONS), None
    )


def assess(
    mention: Mention, scores: Scores, rules: BrandRules, reading: Reading | None = None
) -> Assessment:
    """The urgency model's answer about ``mention`` (see the module docstring)."""
    names = [n for n in (rules.brand, mention.brand, *rules.own_handles) if n]
    reading = reading or read(mention.text, names)
    addressed = _addressed(mention, rules)
    against = [f"{c.situation} '{c.evidence}' {c.discounted}" for c in reading.discounted]

    def no(stance: Stance, why: str, confidence: float = 0.0) -> Assessment:
        return Assessment(stance, confidence, (why,), tuple(against), (), None, None,
                          Priority.NONE)

    if not (mention.brand or rules.brand):
        return no(Stance.NO_BRAND, "no brand to route it to")
    if not _about_brand(mention, rules, addressed):
        return no(Stance.NO_BRAND, f"neither addresses nor names {mention.brand or rules.brand}")
    confidence, evidence = _confidence(scores, rules, reading, addressed)
    if reading.news is not None:
        return no(Stance.NEWS, f"news, promo or spam: '{reading.news}'", confidence)
    if reading.resolved is not None:
        return no(Stance.RESOLVED, f"resolved: '{reading.resolved}'", confidence)
    praise = reading.distinct_praise
    asks = reading.request is not None and addressed
    if reading.other_target is not None and not reading.situations and not asks:
        return no(Stance.ELSEWHERE, f"aimed elsewhere: '{reading.other_target}'", confidence)
    # "@brand do you have a fix? there's a glitch, can't join…": a general question to the
    # brand beside problems of the author's own is a request; one word is the question's.
    own_problems = addressed and reading.distinct_problems >= 2
    if (reading.asks_others is not None and not reading.situations and reading.request is None
            and not own_problems):
        return no(Stance.UNCLEAR, f"a question anyone could answer: '{reading.asks_others}'",
                  confidence)
    if reading.positive_turn is not None and not reading.situations:
        return no(Stance.PRAISE, f"good news: '{reading.positive_turn}'", confidence)
    reach = _reach(mention, rules)
    margin = scores.complaint_probability - _threshold(scores, rules)
    model_alone = not reading.problems and not reading.situations
    if model_alone and reading.discounted and reading.request is None:
        return no(Stance.UNCLEAR, "alarm words taken back: " + "; ".join(against), confidence)
    # The model alone: far past its line, or past it in a post it also reads as negative.
    tone = scores.sentiment_scores
    negative = tone.get("negative", 0.0) >= _NEGATIVE and tone.get("positive", 1.0) < _NOT_POSITIVE
    unsure = margin < _MODEL_ALONE_MARGIN and not (margin >= 0 and negative)
    if model_alone and (praise or (unsure and reach is None)) and reading.request is None:
        why = f"praise: '{reading.praise[0]}'" if praise else "no problem words, model unsure"
        return no(Stance.PRAISE if praise else Stance.UNCLEAR, why, confidence)
    if asks and (confidence >= 0.2 or not praise):
        stance = Stance.REQUEST
        evidence.insert(0, f"asks for help: '{reading.request}'")
        confidence = max(confidence, 0.5)
    elif confidence >= (_COMPLAINT_AT if reach is None else _COMPLAINT_AT_REACH):
        stance = Stance.COMPLAINT
    else:
        why = f"praise: '{reading.praise[0]}'" if praise else "no complaint or request read"
        return no(Stance.PRAISE if praise else Stance.UNCLEAR, why, confidence)

    situations = reading.situations
    signal = None if situations else _model_signal(scores, rules)
    judged = None if situations or signal or reach else _judged_urgent(scores, confidence)
    if situations and situations[0].situation == "safety":
        priority = Priority.CRITICAL
    elif situations or signal is not None or reach is not None or judged is not None:
        priority = Priority.HIGH
    elif stance is Stance.COMPLAINT and (
        scores.urgency >= rules.min_urgency
        or reading.distinct_problems >= 3
    ):
        priority = Priority.NORMAL
    else:
        priority = Priority.LOW
    stakes = [f"{c.situation}: '{c.evidence}'" for c in situations[:1]]
    if signal is not None:
        stakes.append(f"{signal.name} (model): {signal.evidence}")
    if reach is not None:
        stakes.append(reach)
    if judged is not None:
        stakes.append(f"judged urgent {judged:.2f}: like the posts people judged urgent")
    evidence = [*stakes, f"{stance.value} {confidence:.0%}: " + "; ".join(evidence)]
    return Assessment(stance, confidence, tuple(evidence), tuple(against), situations, reach,
                      signal, priority)


