"""Reading stored mentions back whole: the mention, its scores, verdict and alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, and_, literal, select

from listener.domain import Alert, MentionKey
from listener.ports import TriagedMention
from listener.store.codec import row_to_alert, row_to_mention, row_to_scores, row_to_verdict
from listener.store.tables import alerts, mentions, scores, verdicts

__all__ = ["_triaged_select", "triaged_from"]


def _triaged_select(embeddings: bool) -> Select[Any]:
    """Mentions with their scores and verdicts, one row each (alerts are read apart)."""
    m = mentions.c
    cols = [
        *mentions.c,
        scores.c.packed.label("s_packed"),
        (scores.c.embedding if embeddings else literal(None)).label("s_embedding"),
        *(c.label(f"v_{c.name}") for c in verdicts.c),
    ]
    return select(*cols).select_from(
        mentions.outerjoin(
            scores, and_(scores.c.source == m.source, scores.c.mention_id == m.id)
        ).outerjoin(verdicts, and_(verdicts.c.source == m.source, verdicts.c.mention_id == m.id))
    )


def triaged_from(conn: Connection, q: Select[Any]) -> list[TriagedMention]:
    """The rows of ``q`` (a ``_triaged_select``) with their alerts, as stored mentions."""
    rows = [r._mapping for r in conn.execute(q)]
    by_source: dict[str, list[str]] = {}
    for r in rows:
        by_source.setdefault(r["source"], []).append(r["id"])
    by_key: dict[MentionKey, list[Alert]] = {}
    for source, ids in by_source.items():
        aq = (
            select(alerts)
            .where(alerts.c.source == source, alerts.c.mention_id.in_(ids))
            .order_by(alerts.c.id)
        )
        for a in conn.execute(aq):
            alert = row_to_alert(a._mapping)
            by_key.setdefault(alert.mention, []).append(alert)
    out = []
    for r in rows:
        mention = row_to_mention(r)
        s = None
        if r["s_packed"] is not None:
            s = row_to_scores(r["s_packed"], r["s_embedding"])
        v = None
        if r["v_source"] is not None:
            v = row_to_verdict({c.name: r[f"v_{c.name}"] for c in verdicts.c})
        out.append(TriagedMention(mention, s, v, tuple(by_key.get(mention.key, ()))))
    return out
