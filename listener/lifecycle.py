"""An alert's life: which status may follow which, so no click, replay or race moves it back.

    open ──► claimed ──► replied ──► resolved
      │  ╲      │  ╲                   ▲
      │   ╲     ▼   ╲──────────────────┤
      │    ► snoozed ──► (claimed, replied, resolved, not_complaint)
      └──────────────────────────────► not_complaint

Forward only: ``replied``, ``resolved`` and ``not_complaint`` never go back to a state
that offers Claim or Reply again, and no status follows itself (a second Claim by
someone else is refused, not a hand-over). The stores apply a move as one
compare-and-set (``UPDATE ... WHERE status IN (sources_of(to))``), so two clicks racing
for the same alert cannot both win.
"""

from __future__ import annotations

from collections.abc import Mapping

from listener.domain import AlertStatus

__all__ = ["FINAL", "NEXT", "can_move", "sources_of"]

_S = AlertStatus

#: For each status, the statuses that may follow it.
NEXT: Mapping[AlertStatus, frozenset[AlertStatus]] = {
    _S.OPEN: frozenset({_S.CLAIMED, _S.REPLIED, _S.RESOLVED, _S.SNOOZED, _S.NOT_COMPLAINT}),
    _S.CLAIMED: frozenset({_S.REPLIED, _S.RESOLVED, _S.SNOOZED, _S.NOT_COMPLAINT}),
    _S.SNOOZED: frozenset({_S.CLAIMED, _S.REPLIED, _S.RESOLVED, _S.NOT_COMPLAINT}),
    _S.REPLIED: frozenset({_S.RESOLVED}),
    _S.RESOLVED: frozenset(),
    _S.NOT_COMPLAINT: frozenset(),
}

#: Statuses nothing follows: the alert is done with.
FINAL = frozenset(s for s, nxt in NEXT.items() if not nxt)


def can_move(current: AlertStatus, to: AlertStatus) -> bool:
    return to in NEXT[current]


def sources_of(to: AlertStatus) -> frozenset[AlertStatus]:
    """The statuses an alert may be in for a move to ``to`` (the compare-and-set's WHERE)."""
    return frozenset(s for s, nxt in NEXT.items() if to in nxt)
