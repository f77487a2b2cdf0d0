"""How figures read in every rendering (HTML, Markdown, terminal, Slack)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from listener.digest import Change, Durations, Trend

__all__ = [
    "change_text",
    "direction",
    "duration",
    "durations",
    "local_time",
    "number",
    "pct",
    "safe_url",
    "short",
    "trend_word",
]


def duration(td: timedelta | None) -> str:
    """``42 s``, ``7 min``, ``1 h 20 min``, ``2 d 4 h``; an em dash when unknown."""
    if td is None:
        return "—"
    secs = round(td.total_seconds())
    if secs < 60:
        return f"{secs} s"
    mins = secs // 60
    if mins < 60:
        return f"{mins} min"
    hours, mins = divmod(mins, 60)
    if hours < 24:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def durations(d: Durations) -> tuple[str, str]:
    return duration(d.median), duration(d.p90)


def pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x * 100:.{digits}f}%"


def number(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if float(x).is_integer() or abs(x) >= 100 else f"{x:,.1f}"


#: Below this many, a relative change reads as noise ("+13450 %" from 2 to 271): the
#: counts themselves say more.
SMALL_BASE = 20
#: Beyond ten times (or a tenth), a percentage stops being readable.
LARGE_RATIO = 10.0


def change_text(c: Change, against: float | None, what: str) -> str:
    """``+12% vs previous day``, ``+3.1 pts vs 7-day avg``, or ``no <what> yet``.

    Counts with a small base or a huge ratio read as absolute numbers (``271, was 2``);
    a count that fell to zero says so (``none, was 34``): usually a silent source, not
    good news.
    """
    delta = c.vs(against)
    if against is None:
        return f"no {what} yet"
    if c.kind == "share":
        assert delta is not None
        return f"{delta * 100:+.1f} pts vs {what}"
    if c.value == 0 and against > 0:
        return f"none, {what} {number(against)}"
    if delta is None:  # a count against zero
        return f"new vs {what}" if c.value else f"flat vs {what}"
    if against < SMALL_BASE or not 1 / LARGE_RATIO <= c.value / against <= LARGE_RATIO:
        return f"{c.value - against:+,.0f} vs {what} ({number(against)})"
    return f"{delta * 100:+.0f}% vs {what}"


def direction(c: Change, against: float | None) -> str:
    """``up``, ``down``, ``flat``, or ``gone`` (a count fell to zero): CSS classes, styles."""
    delta = c.vs(against)
    if c.kind == "count" and c.value == 0 and against:
        return "gone"
    if delta is None:
        return "up" if against == 0 and c.value else "flat"
    threshold = 0.01 if c.kind == "share" else 0.05
    return "up" if delta > threshold else "down" if delta < -threshold else "flat"


def trend_word(t: Trend) -> str:
    return {
        Trend.UP: "rising",
        Trend.DOWN: "falling",
        Trend.FLAT: "steady",
        Trend.NEW: "new",
        Trend.UNKNOWN: "",
    }[t]


def local_time(dt: datetime, tz: str, fmt: str = "%d %b %H:%M") -> str:
    return dt.astimezone(ZoneInfo(tz)).strftime(fmt)


def safe_url(url: str) -> str | None:
    """Only plain web links are rendered as links: a stored ``javascript:`` is not."""
    return url if url.lower().startswith(("https://", "http://")) else None


def short(text: str, n: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1].rstrip() + "…"
