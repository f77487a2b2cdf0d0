"""What a post says, read from its words: the situation at stake and the author's stance.

Pure and deterministic (stdlib ``re``), so live triage, backfill, replay and ``triage``
read a post the same way whichever model version scored it. :func:`read` returns a
:class:`Reading`:

* **situations**: physical safety, someone stranded or locked out right now, money taken
  or withheld, a service unusable, a legal or regulatory threat, the press. Each cue is
  checked against its clause: a negation just before it ("not a fire", "no longer
  charging me twice"), a hypothetical ("scared it's a scam", "is it safe"), a praise
  idiom ("this update is fire 🔥", "killer deal"), or a resolution ("works again",
  "refund landed") discounts it, and the reason is kept.
* **stance**: problem cues (a failure, a wait, a repeat, a reproach), praise cues,
  resolution ("fixed", "back up", "went through"), a request about the author's own
  case ("how do I…", "can you check…", "DM'd you"), news, promos and spam, and praise
  of the brand set against something else ("I hate Mondays but at least @brand…").

The lexicons are deliberately general (kinds of words, not phrases of any one post):
they describe how people write complaints, not what one table says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from listener.config import URGENCY_REASONS
from listener.decisions import lexicon as lx
from listener.decisions.situations import SITUATION_CUES

__all__ = ["SITUATIONS", "Cue", "Reading", "names_brand", "read"]

#: The situations that make a complaint urgent, in the order that names the reason.
SITUATIONS: tuple[str, ...] = tuple(r for r in URGENCY_REASONS if r not in ("reach", "judged"))




@dataclass(frozen=True, slots=True)
class Cue:
    """One situation cue found in a post."""

    situation: str
    evidence: str
    #: Why it does not count ("negated", "resolved", "hypothetical", "praise idiom"), or "".
    discounted: str = ""

    @property
    def counts(self) -> bool:
        return not self.discounted


@dataclass(frozen=True, slots=True)
class Reading:
    """What the words of a post say, before any model score is weighed."""

    cues: tuple[Cue, ...]
    problems: tuple[str, ...]
    praise: tuple[str, ...]
    resolved: str | None
    request: str | None
    news: str | None
    #: The brand is the good part of a post whose negativity is about something else.
    other_target: str | None
    #: Praise words said the other way round; they then count as problems.
    sarcasm: str | None = None
    #: A question anyone could answer ("is it worth it?", "do you still do…?").
    asks_others: str | None = None
    #: The author says the alarming words are good news ("in a good way", "I'm fine").
    positive_turn: str | None = None
    #: The author is in the post (a first- or second-person word, see ``lexicon.PERSONAL``).
    personal: bool = True

    @property
    def situations(self) -> tuple[Cue, ...]:
        """Cues that count, strongest situation first, one per situation."""
        seen: dict[str, Cue] = {}
        for cue in self.cues:
            if cue.counts and cue.situation not in seen:
                seen[cue.situation] = cue
        return tuple(seen[s] for s in SITUATIONS if s in seen)

    @property
    def discounted(self) -> tuple[Cue, ...]:
        return tuple(c for c in self.cues if not c.counts)

    @property
    def distinct_problems(self) -> int:
        """How many different problem words (any case) the post has."""
        return len({w.casefold() for w in self.problems})

    @property
    def distinct_praise(self) -> int:
        """How many different praise words (any case) the post has."""
        return len({w.casefold() for w in self.praise})


def _clause_start(text: str, at: int) -> int:
    start = 0
    for m in lx.CLAUSE.finditer(text, 0, at):
        start = m.end()
    return start


def _find_all(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    return list(pattern.finditer(text))


def _stopped(text: str) -> Iterable[re.Match[str]]:
    """The "no longer"s that end a problem: one before a problem word or a ``STOPPED``
    ("no longer charging me twice"); "no longer there" is the problem itself."""
    for m in lx.NO_LONGER.finditer(text):
        rest = text[m.end() : m.end() + 40]
        stop = lx.CLAUSE.search(rest)
        rest = rest[: stop.start()] if stop else rest
        if lx.STOPPED.match(rest) or lx.PROBLEM.search(" ".join(rest.split()[:4])):
            yield m


def _resolution(text: str) -> re.Match[str] | None:
    """The last real resolution in ``text``."""
    found = None
    matches = sorted([*lx.RESOLVED.finditer(text), *_stopped(text)], key=lambda m: m.start())
    for m in matches:
        before = text[_clause_start(text, m.start()) : m.start()]
        if lx.NOT_YET.search(before) or text[m.end() : m.end() + 5].lstrip().startswith("?"):
            continue
        found = m
    return found


def _discount(text: str, m: re.Match[str], idioms: Iterable[re.Match[str]], resolved_end: int,
              contrast_after: bool, situation: str = "") -> str:
    for idiom in idioms:
        if idiom.start() <= m.start() < idiom.end() or m.start() <= idiom.start() < m.end():
            return "praise idiom"
    before = text[_clause_start(text, m.start()) : m.start()]
    if lx.NEGATORS.search(before):
        return "negated"
    threat = situation == "legal" and lx.THREAT_AFTER.match(text, m.end()) is not None
    if lx.HYPOTHETICAL.search(before) and not threat and not lx.PRESUPPOSED.search(before):
        return "hypothetical"
    if resolved_end >= 0 and (m.start() < resolved_end or not contrast_after):
        return "resolved"
    return ""


def _elsewhere(text: str, shown: str, names: Iterable[str], problems: tuple[str, ...]
               ) -> str | None:
    """The brand's clause is praise or "at least…" while the problems are elsewhere.

    ``text`` is the :func:`~listener.decisions.lexicon.lowered` post, ``shown`` the post
    as written, which the reason quotes.

    The brand's clause is cut where a marker turns to another target ("…so I have
    nobody to blame…", "…after my old bank froze…"). Praise of the brand *before* a
    contrast is a complaint that opens politely ("thanks for X, but now Y is broken").
    """
    names = [n for n in names if n]
    if not problems:
        return None
    clauses = [(a, b) for a, b in _clause_spans(text) if names_brand(text[a:b], names)]
    if len(clauses) != 1:
        return None
    a, b = clauses[0]
    marker = lx.OTHER_TARGET.search(text)
    at = next((m.end() for n in names if (m := _name_at(text, n, a, b))), a)
    # "…cancelled again so I switched to @brand and…": the brand's part starts at the turn.
    turn = lx.OTHER_TARGET.search(text, a, at)
    if turn is not None:
        a = turn.end()
    inside = lx.OTHER_TARGET.search(text, at, b)
    if inside is not None:
        b = inside.start()
    clause = text[a:b]
    if lx.PROBLEM.search(clause) or lx.PROBLEM_MARKS.search(clause) or lx.SARCASM.search(clause):
        return None
    praise = lx.PRAISE.search(clause)
    later = lx.PROBLEM.search(text, b) or lx.PROBLEM_MARKS.search(text, b)
    # "switched over to @brand. Damn is it buggy": the turn led to the brand's problems.
    if marker is not None and not (turn is not None and inside is None and later):
        return shown[marker.start() : marker.end()]
    if praise is not None and not later:
        return shown[a + praise.start() : a + praise.end()]
    # "the train wifi was useless, but my @brand 5G held up": the brand's clause follows
    # the contrast, with nothing wrong in it, and nothing wrong after it.
    turn = lx.CONTRAST.search(text, max(0, a - 12), a + 1)
    if turn is not None and turn.group(0) != "still" and not later and (
        lx.PROBLEM.search(text, 0, turn.start())
    ):
        return f"{shown[turn.start() : turn.end()]} …"
    return None


def _trailing_praise(text: str, problems: tuple[str, ...]) -> re.Match[str] | None:
    if not problems:
        return None
    return lx.CLOSING_PRAISE.search(text.rstrip())


def _clause_spans(text: str) -> list[tuple[int, int]]:
    starts = [0, *(m.end() for m in lx.CLAUSE.finditer(text))]
    ends = [m.start() for m in lx.CLAUSE.finditer(text)] + [len(text)]
    return list(zip(starts, ends, strict=True))


def _name_at(text: str, name: str, a: int, b: int) -> re.Match[str] | None:
    key = name.casefold().lstrip("@").split()
    if not key:
        return None
    return re.compile(re.escape(key[0])).search(text, a, b)


def read(text: str, names: Iterable[str] = ()) -> Reading:
    """Read ``text`` (a post as its author wrote it); ``names`` are the brand's names and
    handles, to tell the brand's clause from the rest."""
    clean = text.replace("\u2019", "'").replace("\u2018", "'")
    low = lx.lowered(clean)

    def said(m: re.Match[str]) -> str:
        """What the author wrote where ``m`` matched the lowered text."""
        return clean[m.start() : m.end()]

    resolution = _resolution(low)
    resolved_end = resolution.end() if resolution is not None else -1
    # "fixed. took a while but we got there": a contrast undoes a resolution only when a
    # problem follows it.
    turn = lx.CONTRAST.search(low, resolved_end) if resolved_end >= 0 else None
    contrast_after = turn is not None and bool(
        lx.PROBLEM.search(low, turn.end()) or lx.PROBLEM_MARKS.search(low, turn.end()))
    idioms = _find_all(lx.IDIOM, low)
    cues: list[Cue] = []
    negations: list[tuple[int, int]] = []
    for situation, pattern in SITUATION_CUES.items():
        for m in pattern.finditer(low):
            why = _discount(low, m, idioms, resolved_end, contrast_after, situation)
            cues.append(Cue(situation, said(m), why))
            if why in ("negated", "hypothetical"):
                negations.append((_clause_start(low, m.start()), m.end()))
    # "my lawyer will hear about this (I do not have a lawyer)": a cue its author takes
    # back elsewhere in the post does not count anywhere in it.
    negated = {(c.situation, c.evidence.casefold()) for c in cues if c.discounted == "negated"}
    cues = [
        Cue(c.situation, c.evidence, "contradicted")
        if c.counts and (c.situation, c.evidence.casefold()) in negated else c
        for c in cues
    ]
    start = resolved_end if resolution is not None and contrast_after else 0
    quiet = [*((i.start(), i.end()) for i in idioms), *negations]
    problems = tuple(
        said(m) for m in lx.PROBLEM.finditer(low, start)
        if not any(a <= m.start() < b for a, b in quiet)
    )
    problems += tuple(said(m) for m in lx.PROBLEM_MARKS.finditer(low, start))
    if resolution is not None and not contrast_after:
        problems = ()
    wishes = [(w.start(), w.end()) for w in lx.WISH.finditer(low)]
    praise = tuple(
        said(m) for m in lx.PRAISE.finditer(low)
        if not any(a <= m.start() < b for a, b in wishes)
        and (not lx.CONTRAST.search(low, m.end())  # "love the oil but it snapped"
             or not (lx.PROBLEM.search(low, m.end()) or lx.PROBLEM_MARKS.search(low, m.end())))
    )
    request = lx.REQUEST.search(low) or lx.OWN_QUESTION.search(low)
    if problems or request is not None or "?" in clean or any(c.counts for c in cues):
        # "… can you check? thank you": thanks that close a request (or open a threat:
        # "thank you for your letter, I'm taking it to the ombudsman") are politeness.
        praise = tuple(w for w in praise if not lx.POLITE.fullmatch(lx.lowered(w)))
    if problems:
        praise = tuple(w for w in praise if not lx.WEAK_PRAISE.fullmatch(lx.lowered(w)))
    sarcasm = lx.SARCASM.search(low) or _trailing_praise(low, problems)
    if sarcasm is not None and problems:
        problems, praise = problems + praise, ()
    news = lx.NEWS.search(low)
    names = tuple(names)
    other = _elsewhere(low, clean, names, problems) if names else None
    if other is None and not names and praise:
        found = lx.OTHER_TARGET.search(low)
        other = said(found) if found else None
    asks = lx.ASKS_OTHERS.search(low)
    return Reading(
        cues=tuple(cues),
        problems=problems,
        praise=praise,
        resolved=said(resolution) if resolution is not None and not contrast_after else None,
        request=said(request).lstrip(".!?\n ") if request else None,
        news=said(news) if news else None,
        other_target=other,
        sarcasm=said(sarcasm) if sarcasm is not None and problems else None,
        asks_others=said(asks) if asks else None,
        positive_turn=said(turn) if (turn := lx.POSITIVE_TURN.search(low)) else None,
        personal=lx.PERSONAL.search(low) is not None,
    )


_SPACE = re.compile(r"[\s_\-.]+")


def names_brand(text: str, names: Iterable[str]) -> bool:
    """Whether ``text`` names one of ``names`` (brand names or handles, any case/spacing)."""
    folded = _SPACE.sub("", text.casefold())
    words = set(re.findall(r"\w+", text.casefold()))
    for name in names:
        key = _SPACE.sub("", name.casefold().lstrip("@"))
        if len(key) >= 3 and key in folded:
            return True
        # "Rift Forge" for "Rift Forge Games", "Aurex" for "Aurex Motors".
        parts = name.casefold().split()
        for k in range(len(parts) - 1, 0, -1):
            head = "".join(parts[:k])
            if len(head) >= 5 and (head in words or (k > 1 and head in folded)):
                return True
        # "@tidewellnet" for "Tidewell Broadband": a handle that starts with the name.
        if parts and len(parts[0]) >= 5 and f"@{parts[0]}" in text.casefold():
            return True
    return False
