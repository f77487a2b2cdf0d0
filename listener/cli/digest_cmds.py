"""``firstreply digest``: the leadership digest as a terminal summary, HTML, Markdown, or Slack."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from listener.cli.context import settings_from
from listener.config import BrandSettings, Secrets, Settings
from listener.digest import Digest


class Format(StrEnum):
    HTML = "html"
    MD = "md"
    TEXT = "text"


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)


def digest(
    ctx: typer.Context,
    day: Annotated[
        str | None,
        typer.Option(
            "--date", help="Last local day of the digest, YYYY-MM-DD (default: yesterday)."
        ),
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Days in the period.")] = 1,
    brand: Annotated[
        str | None, typer.Option("--brand", help="Brand name (default: the only brand, or all).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report here (.html, .md or .txt)."),
    ] = None,
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="html, md or text (default: from -o's suffix, else text)."),
    ] = None,
    post: Annotated[
        bool, typer.Option("--post", help="Also post it to the digest channel in Slack.")
    ] = False,
) -> None:
    """Summarise mentions, complaints and response times for a day or a period."""
    console, err = Console(), Console(stderr=True)
    settings = settings_from(ctx)
    now = datetime.now(UTC)
    last_day = (
        _parse_day(day)
        if day
        else now.astimezone(ZoneInfo(settings.timezone)).date() - timedelta(days=1)
    )
    chosen = _brand(settings, brand)
    token = Secrets.from_env().slack_bot_token
    if post and token is None:
        err.print("[red]error:[/] --post needs SLACK_BOT_TOKEN in the environment")
        raise typer.Exit(1)
    kind = fmt or _format_for(output)
    result = _build(settings, chosen, last_day, days, now)
    if output is not None or kind is not Format.TEXT:
        text = _render(result, kind, now)
        if output is None:
            console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            output.write_text(text, encoding="utf-8")
            err.print(f"[green]✓[/] wrote {output} ({kind.value}, {result.period_label})")
    else:
        from listener.report.text import render_terminal

        console.print(render_terminal(result))
    if post:
        assert token is not None
        _post(settings, token.get_secret_value(), result)
        err.print(f"[green]✓[/] posted to {settings.digest.channel}")


def _parse_day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise typer.BadParameter(
            f"{raw!r} is not a date like 2026-03-08", param_hint="--date"
        ) from None


def _brand(settings: Settings, name: str | None) -> BrandSettings | None:
    if name is not None:
        found = settings.brand(name)
        if found is None:
            known = ", ".join(b.name for b in settings.brands) or "none configured"
            raise typer.BadParameter(
                f"unknown brand {name!r} (known: {known})", param_hint="--brand"
            )
        return found
    return settings.brands[0] if len(settings.brands) == 1 else None


_SUFFIXES = {".html": Format.HTML, ".htm": Format.HTML, ".md": Format.MD,
             ".markdown": Format.MD, ".txt": Format.TEXT}


def _format_for(output: Path | None) -> Format:
    if output is None:
        return Format.TEXT
    kind = _SUFFIXES.get(output.suffix.lower())
    if kind is None:
        # Writing HTML into "digest.pdf" makes a file no PDF reader opens.
        raise typer.BadParameter(
            f"cannot tell the format of {output.name!r}: use .html, .md or .txt, or --format "
            "(for a PDF, open the HTML report in a browser and print it: it is laid out for "
            "A4 and Letter)",
            param_hint="--output",
        )
    return kind


def _build(
    settings: Settings, brand: BrandSettings | None, last_day: date, days: int, now: datetime
) -> Digest:
    from listener.digest_job import brand_digest
    from listener.runtime import open_store_for

    # Reads only: a missing database is an error, never a new empty file.
    store = open_store_for(settings, create=False, map_file=True)
    try:
        return brand_digest(store, settings, brand, last_day=last_day, days=days, now=now)
    finally:
        store.close()


def _render(d: Digest, kind: Format, now: datetime) -> str:
    if kind is Format.HTML:
        from listener.report.html import render_html

        return render_html(d, generated_at=now)
    if kind is Format.MD:
        from listener.report.markdown import render_markdown

        return render_markdown(d, generated_at=now)
    from listener.report.text import render_terminal

    plain = Console(width=110, no_color=True, record=True, file=io.StringIO())
    plain.print(render_terminal(d))
    return plain.export_text()


def _post(settings: Settings, token: str, d: Digest) -> None:
    from listener.slack.digest import SlackDigestPoster
    from listener.slack.notifier import build_web_client

    poster = SlackDigestPoster(
        client=build_web_client(settings.slack, token), channel=settings.digest.channel
    )
    poster.post(d)
