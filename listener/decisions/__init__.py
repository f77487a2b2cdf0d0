"""Deciding what to do about a scored mention, the same way live and over history.

- ``rules``: each brand's rules, built once (``Rulebook``), and the rule that finds a
  post's brand;
- ``reading``: what a post's words say (situations at stake, stance), pure regexes;
- ``urgency``: the urgency model: complaint or request to the brand? urgent, and why?
- ``policy``: pure ``decide(mention, scores, rules, ctx, now)`` -> ``Verdict`` with reasons;
- ``explain``: what a card or a report says about a verdict (decisive reasons only);
- ``incidents``, ``spikes``, ``memory``: what deciding remembers between posts;
- ``engine``: ``DecisionEngine.decide``, the one function from a post, its scores, the
  memory and a time to a verdict and its outbox rows. ``pipeline.Triage`` (live) and
  ``backfill``/``replay`` (history) are its drivers.

No I/O here: the live store is reached only through the ``AlertLookup`` port.
"""

from __future__ import annotations

from listener.decisions.engine import AlertLookup, Decision, DecisionEngine, NoLookup
from listener.decisions.incidents import Incident, IncidentTracker, incident_id_for
from listener.decisions.memory import BUDGET_WINDOW, DecisionMemory
from listener.decisions.policy import (
    DecisionContext,
    Parent,
    blocked_reason,
    decide,
    human_count,
    is_complaint,
)
from listener.decisions.rules import BrandRules, PhraseList, Rulebook, handle_key
from listener.decisions.spikes import SpikeDetector, SpikeEvent, SpikeRules

__all__ = [
    "BUDGET_WINDOW",
    "AlertLookup",
    "BrandRules",
    "Decision",
    "DecisionContext",
    "DecisionEngine",
    "DecisionMemory",
    "Incident",
    "IncidentTracker",
    "NoLookup",
    "Parent",
    "PhraseList",
    "Rulebook",
    "SpikeDetector",
    "SpikeEvent",
    "SpikeRules",
    "blocked_reason",
    "decide",
    "handle_key",
    "human_count",
    "incident_id_for",
    "is_complaint",
]
