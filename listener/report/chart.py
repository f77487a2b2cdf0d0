"""The digest's charts as PNG bytes: 30-day volume and complaint share, top themes.

matplotlib is imported lazily (it costs ~0.3 s) and used through ``Figure`` with the Agg
canvas, never ``pyplot``: no global state, safe from the scheduler's threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from listener.digest import DayPoint, Digest, Theme

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["digest_png", "themes_png", "trend_png"]

INK, MUTED, VOLUME, PERIOD, COMPLAINT = "#1f2933", "#7b8794", "#c5d3e2", "#4a6fa5", "#d64545"


def _figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    fig.patch.set_facecolor("white")
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # No "Software" metadata: the same digest renders to the same bytes.
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color(MUTED)
    ax.spines["bottom"].set_color(MUTED)
    ax.tick_params(colors=INK, labelsize=8)


def _draw_trend(ax: Axes, points: Sequence[DayPoint], period_days: int, title: bool) -> None:
    _style(ax)
    if title:
        ax.set_title("Mentions per day and complaint share", loc="left", fontsize=10, color=INK)
    if not points or not any(p.volume for p in points):
        ax.text(
            0.5,
            0.5,
            "No mentions yet",
            ha="center",
            va="center",
            color=MUTED,
            transform=ax.transAxes,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return
    xs = list(range(len(points)))
    colours = [PERIOD if i >= len(points) - period_days else VOLUME for i in xs]
    ax.bar(xs, [p.volume for p in points], color=colours, width=0.8, label="mentions")
    ax.set_ylabel("mentions", fontsize=8, color=INK)
    step = max(1, len(points) // 8)
    ticks = xs[::-1][::step][::-1]
    ax.set_xticks(ticks, [f"{points[i].day:%d %b}" for i in ticks])
    share = ax.twinx()
    share.spines["top"].set_visible(False)
    share.tick_params(colors=COMPLAINT, labelsize=8)
    values = [
        p.complaint_share * 100 if p.complaint_share is not None else float("nan") for p in points
    ]
    share.plot(
        xs,
        values,
        color=COMPLAINT,
        marker="o",
        markersize=3,
        linewidth=1.6,
        label="complaint share",
    )
    share.set_ylim(0, max(10.0, max((v for v in values if v == v), default=0) * 1.2))
    share.set_ylabel("complaint share (%)", fontsize=8, color=COMPLAINT)


def _draw_themes(ax: Axes, themes: Sequence[Theme], title: bool) -> None:
    _style(ax)
    if title:
        ax.set_title("Top complaint themes", loc="left", fontsize=10, color=INK)
    if not themes:
        ax.text(
            0.5,
            0.5,
            "No complaints in this period",
            ha="center",
            va="center",
            color=MUTED,
            transform=ax.transAxes,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return
    ordered = list(reversed(themes))
    ys = list(range(len(ordered)))
    colours = [COMPLAINT if t.kind == "incident" else PERIOD for t in ordered]
    ax.barh(ys, [t.count for t in ordered], color=colours, height=0.6)
    ax.set_yticks(ys, [_short(t.label, 28) for t in ordered])
    top = max(t.count for t in ordered)
    ax.set_xlim(0, top * 1.25 + 1)
    for y, t in zip(ys, ordered, strict=True):
        ax.text(
            t.count + top * 0.02,
            y,
            f"{t.count} {t.trend.arrow}",
            va="center",
            fontsize=8,
            color=INK,
        )


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def trend_png(points: Sequence[DayPoint], *, period_days: int = 1) -> bytes:
    """Daily volume (bars; the period's days darker) and complaint share (line)."""
    fig = _figure(8, 3)
    _draw_trend(fig.add_subplot(), points, period_days, False)
    return _png(fig)


def themes_png(themes: Sequence[Theme]) -> bytes:
    fig = _figure(8, 0.5 + 0.45 * max(len(themes), 2))
    _draw_themes(fig.add_subplot(), themes, False)
    return _png(fig)


def digest_png(digest: Digest) -> bytes:
    """Both charts in one image, for Slack (one upload, one preview)."""
    fig = _figure(8, 5.6)
    top, bottom = fig.subplots(2, 1, height_ratios=[3, 2])
    _draw_trend(top, digest.trend, digest.n_days, True)
    _draw_themes(bottom, digest.themes, True)
    return _png(fig)
