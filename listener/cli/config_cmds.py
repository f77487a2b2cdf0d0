"""``firstreply check-config``: validate settings and say which secrets are present."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from listener.cli.context import config_from
from listener.config import Secrets, Settings, config_path, load_settings
from listener.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command("check-config")(check_config)


def check_config(
    ctx: typer.Context,
    online: Annotated[
        bool,
        typer.Option(
            "--online", help="Also ask Slack: is the bot token good, do the channels exist?"
        ),
    ] = False,
) -> None:
    """Validate the settings file and environment; name every bad key and why.

    Checks what `firstreply run` needs too (secrets, combinations of settings): exit 2
    when anything would stop it. ``--online`` then asks Slack (auth.test, then
    conversations.list) and exits 1 naming each channel setting the bot cannot post to.
    """
    from listener.runtime import runtime_problems

    console = Console()
    path = config_path(config_from(ctx))
    source = f"{path} and the environment" if path else "the environment"
    try:
        settings = load_settings(path)
        problems = runtime_problems(settings, Secrets.from_env())
    except ConfigError as exc:
        problems = exc.problems
    if problems:
        console.print(f"[red]✗ {len(problems)} problem(s) in {escape(source)}:[/]")
        for key, why in problems:
            console.print(f"  [bold]{escape(key)}[/]: {escape(why)}", highlight=False)
        raise typer.Exit(2) from None
    console.print(f"[green]✓[/] settings valid ({escape(str(path or 'defaults + environment'))})")
    table = Table("brand", "handles", "queries", "channel")
    for brand in settings.brands:
        table.add_row(
            escape(brand.name),
            escape(", ".join(brand.handles)) or "-",
            str(len(brand.queries)),
            escape(brand.channel or settings.slack.default_channel),
        )
    if settings.brands:
        console.print(table)
    else:
        console.print(
            "[yellow]![/] no brands configured: `firstreply run` will have nothing to poll"
        )
    console.print(f"database: {escape(_redact_url(settings.database.url))}")
    secrets = Secrets.from_env()
    for name in type(secrets).model_fields:
        present = getattr(secrets, name) is not None
        mark = "[green]set[/]" if present else "[dim]not set[/]"
        console.print(f"  {name.upper()}: {mark}")
    if online:
        _check_online(console, settings, secrets)


def _check_online(console: Console, settings: Settings, secrets: Secrets) -> None:
    if secrets.slack_bot_token is None:
        console.print("[yellow]![/] SLACK_BOT_TOKEN not set: Slack not checked")
        return
    from listener.slack.channels import channel_problems
    from listener.slack.notifier import build_web_client, check_slack

    client = build_web_client(settings, secrets)
    bot = check_slack(client)  # ConfigError (exit 2) / FirstReplyError (exit 1), one line
    console.print(f"[green]✓[/] Slack: the token is good, posting as {escape(bot)}")
    problems = channel_problems(client, settings)
    if problems:
        console.print(f"[red]✗ {len(problems)} channel setting(s) Slack would refuse:[/]")
        for key, why in problems:
            console.print(f"  [bold]{escape(key)}[/]: {escape(why)}", highlight=False)
        raise typer.Exit(1)
    console.print("[green]✓[/] Slack: every configured channel exists")


def _redact_url(url: str) -> str:
    """Hide a password in a database URL."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return url
