"""Business signals the model reports beside its scores.

Two sources, both returning :class:`~classifiers.base.Signal` with evidence:

* :class:`SignalPrototypes` - example sentences per signal in encoder space; a
  post whose embedding is close enough to an example fires with ``source="model"``.
  This is what the model itself knows about a situation.
* :class:`PhraseMatcher` - phrase lists that a model's config names (``phrases``),
  word-boundary and case-insensitive; ``*`` at the end of a word matches any suffix
  (``refund*`` matches "refunds", "refunded"). It has **no built-in vocabulary**: the
  one vocabulary of what is at stake in a post (safety, stranded, money, outage,
  legal, press) is the decision layer's, ``listener/decisions/situations.py``, which
  checks each cue for negation, resolution and praise before it counts. A second list
  here would only disagree with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from classifiers.base import SIGNAL_NAMES, Signal


def _compile(phrase: str) -> re.Pattern[str]:
    words = []
    for word in phrase.split():
        star = word.endswith("*")
        core = re.escape(word.rstrip("*"))
        words.append(core + (r"\w*" if star else ""))
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


_WORD = re.compile(r"\w+")


def _fold(text: str) -> str:
    # Fold as the regex engine's IGNORECASE does: it matches "İ", "ı", "ſ" and the Kelvin
    # sign as ASCII letters. casefold() covers "ſ" and "K" but keeps "ı", and turns "İ"
    # into "i" + U+0307, which would split the word: drop the combining dot.
    return text.casefold().replace("\u0307", "").replace("ı", "i")


@dataclass(frozen=True, slots=True)
class _Phrase:
    text: str
    pattern: re.Pattern[str]
    #: A word the post must contain for the phrase to match ("" = no word to key on).
    key: str
    #: ``key`` is a prefix (the phrase ends in ``word*``), not a whole word.
    prefix: bool


def _phrase(text: str) -> _Phrase:
    """Compile ``text`` and key it on its longest ``\\w+`` run.

    Every run of a phrase appears in a matching post as a whole word (the last run of a
    ``word*`` as a prefix of one), so a post without the key cannot match: "is down" is
    keyed on "down", not on the "is" that most posts contain.
    """
    runs: list[tuple[str, bool]] = []
    for word in _fold(text).split():
        found = list(_WORD.finditer(word))
        for n, run in enumerate(found):
            last = n == len(found) - 1 and run.end() == len(word) - 1
            runs.append((run.group(0), word.endswith("*") and last))
    if not runs:
        return _Phrase(text, _compile(text), "", False)
    key, prefix = max(runs, key=lambda r: (len(r[0]), not r[1]))
    return _Phrase(text, _compile(text), key, prefix)


class PhraseMatcher:
    """Phrase lists per signal; :meth:`match` returns one signal per name that fired."""

    def __init__(self, phrases: Mapping[str, Sequence[str]] | None = None) -> None:
        self.phrases: dict[str, tuple[str, ...]] = {
            name: tuple(items) for name, items in (phrases or {}).items()
        }
        self._compiled = {
            name: [_phrase(p) for p in items] for name, items in self.phrases.items()
        }
        every = [p for items in self._compiled.values() for p in items]
        self._words = frozenset(p.key for p in every if not p.prefix)
        self._prefixes = tuple(sorted({p.key for p in every if p.prefix}))

    @classmethod
    def with_overrides(
        cls,
        extra: Mapping[str, Sequence[str]] | None = None,
        *,
        replace: Mapping[str, Sequence[str]] | None = None,
    ) -> PhraseMatcher:
        """No lists by default (see the module docstring); ``replace`` sets a signal's
        list, ``extra`` adds phrases to it."""
        merged: dict[str, list[str]] = {}
        for name, items in (replace or {}).items():
            merged[name] = list(items)
        for name, items in (extra or {}).items():
            merged.setdefault(name, []).extend(items)
        return cls(merged)

    def match(self, text: str) -> list[Signal]:
        """Signals whose phrases occur in ``text``; evidence is the matched span."""
        # ~150 regex searches per post cost more than the encoder does on a GPU; a set
        # look-up of the post's words leaves only the phrases that can match.
        words = set(_WORD.findall(_fold(text)))
        keys = words & self._words
        if self._prefixes and (near := [w for w in words if w.startswith(self._prefixes)]):
            keys.update(p for p in self._prefixes if any(w.startswith(p) for w in near))
        keys.add("")
        out: list[Signal] = []
        for name, phrases in self._compiled.items():
            for phrase in phrases:
                if phrase.key not in keys:
                    continue
                found = phrase.pattern.search(text)
                if found:
                    out.append(Signal(name, found.group(0), "phrase"))
                    break
        return out


DEFAULT_SIGNAL_EXAMPLES: Mapping[str, tuple[str, ...]] = {
    "safety": (
        "my phone caught fire while charging",
        "the heater started smoking and burned my hand",
        "I had an allergic reaction after eating your product",
        "the car's brakes failed and I was nearly killed",
        "my child was injured by the toy",
    ),
    "outage": (
        "your website has been down all morning",
        "the app is not working and I can't log in",
        "no internet in my area for hours",
        "your service is completely down again",
    ),
    "money": (
        "you charged me twice for the same order",
        "still waiting for my refund after a month",
        "there is a fraudulent charge on my card from you",
        "you took my money and never delivered",
    ),
    "legal": (
        "I will be contacting my lawyer about this",
        "I am filing a complaint with the regulator",
        "see you in small claims court",
    ),
    "churn": (
        "I am cancelling my subscription and switching to your competitor",
        "never flying with you again",
        "I am done with this company, closing my account",
    ),
    "press": (
        "I am sending this story to the local news",
        "contacting journalists about how you treated me",
    ),
}


@dataclass(slots=True)
class SignalPrototypes:
    """Example embeddings per signal; fires when cosine similarity >= ``threshold``."""

    names: tuple[str, ...]
    examples: tuple[str, ...]
    owners: tuple[str, ...]
    vectors: np.ndarray  # (n_examples, dim), L2-normalised
    threshold: float = 0.6

    def match(self, embeddings: np.ndarray) -> list[list[Signal]]:
        """Per row: signals whose nearest example is above the threshold."""
        if len(self.examples) == 0:
            return [[] for _ in range(len(embeddings))]
        sims = embeddings @ self.vectors.T
        out: list[list[Signal]] = [[] for _ in range(len(sims))]
        # Few rows come near any example: only those need the per-row work.
        for i in np.flatnonzero((sims >= self.threshold).any(axis=1)):
            row = sims[i]
            fired: dict[str, Signal] = {}
            for j in np.argsort(-row):
                if row[j] < self.threshold:
                    break
                owner = self.owners[j]
                if owner not in fired:
                    evidence = f'close to "{self.examples[j]}" ({row[j]:.2f})'
                    fired[owner] = Signal(owner, evidence, "model")
            out[i] = [fired[n] for n in self.names if n in fired]
        return out


def order_signals(signals: Sequence[Signal]) -> tuple[Signal, ...]:
    """Deduplicate by name (phrase evidence wins) in :data:`SIGNAL_NAMES` order."""
    best: dict[str, Signal] = {}
    for sig in signals:
        if sig.name not in best or (best[sig.name].source == "model" and sig.source == "phrase"):
            best[sig.name] = sig
    rank = {n: i for i, n in enumerate(SIGNAL_NAMES)}
    return tuple(sorted(best.values(), key=lambda s: rank.get(s.name, len(rank))))
