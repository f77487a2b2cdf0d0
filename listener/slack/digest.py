"""The leadership digest in Slack: Block Kit message plus the chart, via files_upload_v2.

``digest_blocks`` is pure (tests read it without a server); ``post_digest`` sends it:
``chat.postMessage`` first, then the chart with ``files_upload_v2`` (Slack's three steps:
``files.getUploadURLExternal``, a POST of the bytes to the returned URL,
``files.completeUploadExternal``) into the channel ID the message landed in, since the
upload API wants an ID where ``chat.postMessage`` also takes a name. All mention text
goes through ``escape_mrkdwn``; links through ``escape_url``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from listener.digest import Change, Digest, Post
from listener.report import fmt
from listener.slack.escape import SECTION_TEXT_LIMIT, escape_mrkdwn, escape_url, truncate
from listener.slack.notifier import delivery_error

__all__ = [
    "DigestRef",
    "SlackDigestPoster",
    "digest_blocks",
    "digest_fallback_text",
    "post_digest",
]

log = logging.getLogger(__name__)

Block = dict[str, Any]
HEADER_LIMIT, FIELD_LIMIT, CONTEXT_LIMIT = 150, 2000, 3000


@dataclass(frozen=True, slots=True)
class DigestRef:
    """Where the digest went: recorded by the job so a restart never posts it twice."""

    channel: str
    ts: str
    file_id: str | None = None

    def to_json(self) -> str:
        return json.dumps({"channel": self.channel, "ts": self.ts, "file_id": self.file_id})


def _section(text: str) -> Block:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_LIMIT)},
    }


def _fields(*pairs: tuple[str, str]) -> Block:
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": truncate(f"*{k}*\n{v}", FIELD_LIMIT)} for k, v in pairs[:10]
        ],
    }


def _context(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(text, CONTEXT_LIMIT)}],
    }


def _kpi(c: Change, value: str) -> str:
    prev = fmt.change_text(c, c.previous, "previous")
    base = fmt.change_text(c, c.baseline, "7-day avg")
    return f"{value}\n_{prev} · {base}_"


def _author(p: Post) -> str:
    url = escape_url(p.url)
    who = escape_mrkdwn(p.author)
    return f"<{url}|{who}>" if url else who


def _quote(p: Post, tz: str, n: int = 160) -> str:
    text = escape_mrkdwn(fmt.short(p.text, n))
    when = fmt.local_time(p.created_at, tz)
    return f"> {text}\n> — {_author(p)} · {p.followers:,} followers · {when}"


def digest_fallback_text(d: Digest) -> str:
    """The notification and screen-reader text."""
    r = d.response
    return (
        f"{d.brand or 'All brands'} digest for {d.period_label}: {fmt.number(d.volume.value)} "
        f"mentions, {fmt.pct(d.complaint_share.value)} complaints, "
        f"{fmt.pct(r.share_within_sla, 0)} answered within {r.sla_minutes} min"
    )


def digest_blocks(d: Digest) -> list[Block]:
    r, m, tz = d.response, d.model_health, d.tz
    brand = d.brand or "All brands"
    kind = "Daily" if d.n_days == 1 else f"{d.n_days}-day"
    med, p90 = fmt.durations(r.to_reply)
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": truncate(f"{brand} · {kind} complaint digest", HEADER_LIMIT),
            },
        },
        _context(f"{d.period_label} · times in {escape_mrkdwn(tz)}"),
        _fields(
            ("Mentions", _kpi(d.volume, fmt.number(d.volume.value))),
            ("Complaint share", _kpi(d.complaint_share, fmt.pct(d.complaint_share.value))),
            ("Negative share", _kpi(d.negative_share, fmt.pct(d.negative_share.value))),
            (
                f"Answered within {r.sla_minutes} min",
                f"{fmt.pct(r.share_within_sla, 0)}\n_{r.within_sla} of {r.measured} judged · "
                f"{r.breach_count} breaches_",
            ),
            ("First public reply", f"median {med}\n_p90 {p90}_"),
            (
                "Claimed",
                f"median {fmt.duration(r.to_claim.median)}\n_p90 {fmt.duration(r.to_claim.p90)}_",
            ),
        ),
    ]
    attention = [
        f"• *Spike {s.day:%a %d %b}*: "
        + (
            f"{fmt.number(s.value)} mentions vs {fmt.number(s.baseline)}/day"
            if s.kind == "volume"
            else f"complaint share {fmt.pct(s.value)} vs {fmt.pct(s.baseline)}"
        )
        for s in d.spikes
    ]
    attention += [
        f"• *Open incident {escape_mrkdwn(i.id)}* ({escape_mrkdwn(i.topic)}): {i.count} posts "
        f"since {fmt.local_time(i.first_seen, tz)}, {i.open_alerts} awaiting a reply"
        for i in d.open_incidents[:5]
    ]
    if attention:
        blocks.append(_section(":rotating_light: *Needs attention*\n" + "\n".join(attention)))
    blocks.append({"type": "divider"})
    if d.themes:
        for t in d.themes[:5]:
            was = f" (was {t.previous})" if t.previous is not None else ""
            trend = f"{t.trend.arrow} {fmt.trend_word(t.trend)}{was}"
            head = f"*{escape_mrkdwn(t.label)}* — {t.count} {trend}"
            quotes = "\n".join(_quote(p, tz) for p in t.examples[:1])
            blocks.append(_section(f"{head}\n{quotes}" if quotes else head))
    else:
        blocks.append(_section("*Top complaint themes*\nNo complaints in this period."))
    blocks.append({"type": "divider"})
    sla = f"SLA {r.sla_minutes} min" + (
        f", business hours {r.business_hours}" if r.business_hours else ""
    )
    lines = [f"*Response* · {sla} · time to alert median {fmt.duration(r.to_alert.median)}"]
    for b in r.breaches[:3]:
        state = "replied late" if b.replied else "no reply yet"
        lines.append(
            f"• waited {fmt.duration(b.elapsed)} ({state}): {_author(b.post)} — "
            f"{escape_mrkdwn(fmt.short(b.post.text, 90))}"
        )
    if r.breach_count > 3:
        lines.append(f"_… and {r.breach_count - 3} more breaches_")
    blocks.append(_section("\n".join(lines)))
    if d.unresolved_urgent:
        urgent = [f"*Urgent, awaiting a reply ({d.unresolved_urgent_count}), oldest first*"]
        for p in d.unresolved_urgent[:5]:
            owner = escape_mrkdwn(p.claimed_by) if p.claimed_by else "unclaimed"
            urgent.append(
                f"• open {fmt.duration((d.as_of or d.period_end) - p.created_at)}, {owner}: "
                f"{_author(p)} — {escape_mrkdwn(fmt.short(p.text, 90))}"
            )
        blocks.append(_section("\n".join(urgent)))
    notable = ", ".join(f"{_author(a.post)} ({a.followers:,})" for a in d.notable_authors[:5])
    footer = [
        f"Resolved in period: {d.resolved_count}",
        f"Notable authors: {notable}" if notable else "No high-reach author complained",
        f"Model: {m.not_complaint} of {m.alerts} alerts marked not a complaint "
        f"({fmt.pct(m.precision_proxy, 0)} precision proxy), {m.feedback} feedback labels",
    ]
    blocks.append(_context(" · ".join(footer)))
    if d.notes:
        blocks.append(_context(" ".join(escape_mrkdwn(n) for n in d.notes)))
    return blocks


def post_digest(
    client: WebClient, channel: str, digest: Digest, png_bytes: bytes | None
) -> DigestRef:
    """Post the digest, then its chart. Raises ``DeliveryError`` if the message fails.

    A failed chart upload is logged, not raised: the digest is already in the channel,
    and raising would make the daily job post it again.
    """
    try:
        resp = client.chat_postMessage(
            channel=channel,
            text=digest_fallback_text(digest),
            blocks=digest_blocks(digest),
            unfurl_links=False,
            unfurl_media=False,
        )
    except (SlackClientError, OSError) as exc:
        raise delivery_error(exc) from exc
    channel_id, ts = str(resp["channel"]), str(resp["ts"])
    file_id = None
    if png_bytes:
        name = f"digest-{digest.last_day.isoformat()}.png"
        try:
            up = client.files_upload_v2(
                channel=channel_id,
                file=png_bytes,
                filename=name,
                title=f"{digest.brand or 'All brands'} · {digest.period_label}",
                alt_txt="Mentions per day and complaint share for 30 days; top complaint themes",
                request_file_info=False,
            )
            file_id = str(up["file"]["id"]) if up.get("file") else None
        except (SlackClientError, OSError, KeyError) as exc:
            log.warning("digest chart upload failed for %s: %s", channel_id, exc)
    return DigestRef(channel_id, ts, file_id)


class SlackDigestPoster:
    """The ``DigestPoster`` port on Slack: the Block Kit message, then its chart."""

    def __init__(self, *, client: WebClient, channel: str, chart: bool = True) -> None:
        self._client = client
        self._channel = channel
        self._chart = chart

    def post(self, digest: Digest) -> str:
        png = None
        if self._chart:
            from listener.report.chart import digest_png

            png = digest_png(digest)
        return post_digest(self._client, self._channel, digest, png).to_json()
