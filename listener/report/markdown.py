"""The digest as Markdown (``firstreply digest --format md``): for wikis, email, PRs.

Mention text is untrusted: Markdown and HTML control characters are backslash-escaped,
so a post cannot inject links, images or raw HTML into the rendered page.
"""

from __future__ import annotations

import re
from datetime import datetime

from listener.digest import Change, Digest, Post
from listener.report import fmt

__all__ = ["escape_md", "render_markdown"]

_SPECIAL = re.compile(r"([\\`*_{}\[\]()|<>~&])")
#: These only mean something at the start of a line (lists, headings, numbered lists).
_LEADING = re.compile(r"^(?:([#+\-])|(\d+)\.)")


def escape_md(text: str) -> str:
    flat = _SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _LEADING.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\.", flat)


def _md_url(url: str | None) -> str | None:
    """Parentheses and spaces would end a Markdown link target early."""
    if url is None:
        return None
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _post(p: Post, tz: str) -> str:
    who = escape_md(p.author)
    url = _md_url(fmt.safe_url(p.url))
    link = f"[{who}]({url})" if url else who
    when = fmt.local_time(p.created_at, tz)
    return f"> {escape_md(fmt.short(p.text, 240))}  \n> — {link}, {p.followers:,} followers, {when}"


def _kpi(name: str, value: str, c: Change) -> str:
    prev = fmt.change_text(c, c.previous, "previous")
    base = fmt.change_text(c, c.baseline, "7-day avg")
    return f"| {name} | **{value}** | {prev} | {base} |"


def render_markdown(d: Digest, *, generated_at: datetime) -> str:
    tz = d.tz
    r, m = d.response, d.model_health
    brand = escape_md(d.brand or "All brands")
    out = [
        f"# {brand} · complaint digest — {d.period_label}",
        "",
        f"_Times in {tz}; generated {fmt.local_time(generated_at, tz, '%d %b %Y %H:%M %Z')}._",
        "",
        "| | | vs previous | vs 7-day average |",
        "|---|---|---|---|",
        _kpi("Mentions", fmt.number(d.volume.value), d.volume),
        _kpi("Complaint share", fmt.pct(d.complaint_share.value), d.complaint_share),
        _kpi("Negative share", fmt.pct(d.negative_share.value), d.negative_share),
        f"| Answered within {r.sla_minutes} min | **{fmt.pct(r.share_within_sla, 0)}** | "
        f"{r.within_sla} of {r.measured} judged | {r.breach_count} breaches |",
        "",
    ]
    if d.spikes or d.open_incidents:
        out += ["## Needs attention", ""]
        for s in d.spikes:
            what = (
                f"{fmt.number(s.value)} mentions vs a 7-day average of {fmt.number(s.baseline)}"
                if s.kind == "volume"
                else f"complaint share {fmt.pct(s.value)} vs {fmt.pct(s.baseline)}"
            )
            out.append(f"- **Spike {s.day:%a %d %b}**: {what}")
        for i in d.open_incidents[:5]:
            out.append(
                f"- **Open incident {escape_md(i.id)}** ({escape_md(i.topic)}): {i.count} posts "
                f"since {fmt.local_time(i.first_seen, tz)}, {i.open_alerts} awaiting a reply"
            )
        out.append("")
    out += ["## Top complaint themes", ""]
    if not d.themes:
        out += ["_No complaints in this period._", ""]
    for t in d.themes:
        was = f", was {t.previous}" if t.previous is not None else ""
        out += [
            f"### {escape_md(t.label)} — {t.count} {t.trend.arrow} {fmt.trend_word(t.trend)}{was}",
            "",
        ]
        for p in t.examples:
            out += [_post(p, tz), ""]
    out += [
        "## Response performance",
        "",
        "| Step | Median | 90th percentile | Items |",
        "|---|---:|---:|---:|",
    ]
    for name, dur in (
        ("Post → Slack alert", r.to_alert),
        ("Post → claimed", r.to_claim),
        ("Post → first public reply", r.to_reply),
    ):
        med, p90 = fmt.durations(dur)
        out.append(f"| {name} | {med} | {p90} | {dur.count} |")
    hours = f", in business hours ({r.business_hours})" if r.business_hours else ""
    out += ["", f"SLA: first public reply within {r.sla_minutes} minutes{hours}.", ""]
    if r.breaches:
        out += [f"**SLA breaches ({r.breach_count})**", ""]
        for b in r.breaches[:10]:
            state = "replied late" if b.replied else "no reply yet"
            out += [f"- waited {fmt.duration(b.elapsed)}, {state}:", "", _post(b.post, tz), ""]
    out += [f"## Urgent items awaiting a reply ({d.unresolved_urgent_count}), oldest first", ""]
    if not d.unresolved_urgent:
        out += ["_Nothing urgent is waiting._", ""]
    for p in d.unresolved_urgent[:15]:
        owner = escape_md(p.claimed_by or "unclaimed")
        out += [
            f"- open {fmt.duration((d.as_of or d.period_end) - p.created_at)}, {owner}:",
            "",
            _post(p, tz),
            "",
        ]
    out += [f"## Resolved in the period ({d.resolved_count})", ""]
    for p in d.resolved[:8]:
        out += [_post(p, tz), ""]
    if d.notable_authors:
        out += ["## Notable authors who complained", ""]
        for a in d.notable_authors:
            out.append(
                f"- {escape_md(a.handle)}: {a.followers:,} followers, {a.complaints} complaint(s)"
            )
        out.append("")
    precision = f" (precision proxy {fmt.pct(m.precision_proxy, 0)})" if m.alerts else ""
    labels = ", ".join(f"{escape_md(k)} × {n}" for k, n in m.feedback_by_label)
    out += [
        "## Model health",
        "",
        f"{m.alerts} alerts sent; {m.not_complaint} marked “not a complaint”{precision}. "
        f"{m.feedback} feedback labels collected{': ' + labels if labels else ''}.",
        "",
    ]
    out += [f"_{escape_md(n)}_" for n in d.notes]
    return "\n".join(out).rstrip() + "\n"
