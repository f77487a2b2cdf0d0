"""The digest as a terminal summary (rich), the default of ``firstreply digest``.

Mention text goes through ``rich.markup.escape``-free ``Text`` objects, so a post with
``[bold]`` in it prints literally.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from listener.digest import Change, Digest
from listener.report import fmt

__all__ = ["render_terminal"]


def _delta(c: Change) -> Text:
    out = Text()
    for against, what in ((c.previous, "previous"), (c.baseline, "7-day avg")):
        style = {"up": "red", "down": "green", "flat": "dim", "gone": "bold yellow"}[
            fmt.direction(c, against)
        ]
        out.append(fmt.change_text(c, against, what), style=style)
        out.append("  ")
    return out


def render_terminal(d: Digest) -> RenderableType:
    r = d.response
    head = Text(f"{d.brand or 'All brands'} · complaint digest · {d.period_label}", style="bold")
    head.append(f"  ({d.tz})", style="dim")
    kpis = Table(box=None, show_header=False, pad_edge=False)
    kpis.add_row("Mentions", Text(fmt.number(d.volume.value), style="bold"), _delta(d.volume))
    kpis.add_row(
        "Complaint share",
        Text(fmt.pct(d.complaint_share.value), style="bold"),
        _delta(d.complaint_share),
    )
    kpis.add_row(
        "Negative share",
        Text(fmt.pct(d.negative_share.value), style="bold"),
        _delta(d.negative_share),
    )
    kpis.add_row(
        f"Within {r.sla_minutes} min SLA",
        Text(fmt.pct(r.share_within_sla, 0), style="bold"),
        Text(
            f"{r.within_sla} of {r.measured} judged, {r.breach_count} breaches"
            + (f", {r.business_hours}" if r.business_hours else ""),
            style="dim",
        ),
    )
    parts: list[RenderableType] = [head, kpis]
    for s in d.spikes:
        what = (
            f"{fmt.number(s.value)} mentions vs {fmt.number(s.baseline)}/day"
            if s.kind == "volume"
            else f"complaint share {fmt.pct(s.value)} vs {fmt.pct(s.baseline)}"
        )
        parts.append(Text(f"⚠ spike {s.day:%a %d %b}: {what}", style="bold red"))
    if d.themes:
        themes = Table(
            "theme",
            "complaints",
            "trend",
            "example",
            title="Top complaint themes",
            title_justify="left",
        )
        for t in d.themes:
            ex = t.examples[0] if t.examples else None
            themes.add_row(
                Text(t.label),
                str(t.count),
                f"{t.trend.arrow} {fmt.trend_word(t.trend)}",
                Text(f"{fmt.short(ex.text, 70)} — {ex.author}" if ex else ""),
            )
        parts.append(themes)
    resp = Table("step", "median", "p90", "n", title="Response performance", title_justify="left")
    for name, dur in (
        ("to alert", r.to_alert),
        ("to claim", r.to_claim),
        ("to first reply", r.to_reply),
    ):
        med, p90 = fmt.durations(dur)
        resp.add_row(name, med, p90, str(dur.count))
    parts.append(resp)
    if d.open_incidents:
        parts.append(
            Text(
                "Open incidents: "
                + ", ".join(
                    f"{i.id} ({i.topic}, {i.count} posts, "
                    f"since {fmt.local_time(i.first_seen, d.tz)})"
                    for i in d.open_incidents[:5]
                ),
                style="yellow",
            )
        )
    parts.append(
        Text(
            f"Urgent, awaiting reply: {d.unresolved_urgent_count} · resolved in period: "
            f"{d.resolved_count} · notable authors: {len(d.notable_authors)}"
        )
    )
    m = d.model_health
    parts.append(
        Text(
            f"Model health: {m.not_complaint} of {m.alerts} alerts marked not a "
            f"complaint ({fmt.pct(m.precision_proxy, 0)} precision proxy), "
            f"{m.feedback} feedback labels",
            style="dim",
        )
    )
    parts.extend(Text(n, style="dim italic") for n in d.notes)
    return Group(*parts)
