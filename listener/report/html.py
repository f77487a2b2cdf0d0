"""A self-contained HTML digest: charts inlined as base64, prints on A4/Letter.

Mention text is untrusted, so Jinja2 autoescaping is on for everything and links are
only rendered for http(s) URLs.
"""

from __future__ import annotations

import base64
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from listener.digest import Change, Digest
from listener.report import fmt

if TYPE_CHECKING:
    import jinja2

__all__ = ["render_html"]

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _env() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # mention text and author names are untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        duration=fmt.duration,
        pct=fmt.pct,
        number=fmt.number,
        safe_url=fmt.safe_url,
        short=fmt.short,
        trend_word=fmt.trend_word,
    )
    return env


def _data_uri(png: bytes | None) -> str | None:
    return None if png is None else "data:image/png;base64," + base64.b64encode(png).decode()


def render_html(
    digest: Digest,
    *,
    generated_at: datetime,
    charts: bool = True,
    trend_png: bytes | None = None,
    themes_png: bytes | None = None,
) -> str:
    """The report as one HTML document. Charts are drawn unless given or ``charts=False``."""
    if charts and trend_png is None:
        from listener.report.chart import trend_png as draw_trend

        trend_png = draw_trend(digest.trend, period_days=digest.n_days)
    if charts and themes_png is None and digest.themes:
        from listener.report.chart import themes_png as draw_themes

        themes_png = draw_themes(digest.themes)
    tz = digest.tz

    def when(dt: datetime, pattern: str = "%d %b %H:%M") -> str:
        return fmt.local_time(dt, tz, pattern)

    def change(c: Change, against: float | None, what: str) -> dict[str, str]:
        return {"text": fmt.change_text(c, against, what), "dir": fmt.direction(c, against)}

    return (
        _env()
        .get_template("digest.html.j2")
        .render(
            d=digest,
            title=_title(digest),
            generated=when(generated_at, "%d %b %Y %H:%M %Z"),
            when=when,
            age=lambda dt: fmt.duration((digest.as_of or digest.period_end) - dt),
            change=change,
            trend_src=_data_uri(trend_png),
            themes_src=_data_uri(themes_png),
        )
    )


def _title(d: Digest) -> str:
    brand = d.brand or "All brands"
    kind = "Daily" if d.n_days == 1 else f"{d.n_days}-day"
    return f"{brand} · {kind} complaint digest"
