"""``firstreply db``: bring the database schema up to date, or say where it stands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from listener.cli.context import settings_from
from listener.errors import StoreError

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Database URL; default: database.url from the settings."),
]


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="Database schema: migrate (Alembic) and inspect.", no_args_is_help=True)
    db.command("upgrade")(upgrade)
    db.command("current")(current)
    app.add_typer(db, name="db")


def _url(ctx: typer.Context, url: str | None) -> str:
    # A ConfigError from the settings propagates: the root maps it to exit code 2.
    return url if url is not None else settings_from(ctx).database.url


def upgrade(
    ctx: typer.Context,
    url: UrlOption = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Migrate the database to the newest schema (safe to run again)."""
    from listener.store import migrate
    from listener.store.engine import display_url

    target = _url(ctx, url)
    if target.startswith("memory:"):
        Console().print("memory store: nothing to migrate")
        return
    try:
        before = migrate.current(target)
        after = migrate.upgrade(target, revision)
    except StoreError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    verb = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    Console().print(f"{display_url(target)}: {verb} revision {after}", highlight=False)


def current(
    ctx: typer.Context,
    url: UrlOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 unless the database is at the newest revision.")
    ] = False,
) -> None:
    """Show the database's schema revision and the newest one this version knows."""
    from listener.store import migrate
    from listener.store.engine import display_url

    target = _url(ctx, url)
    if target.startswith("memory:"):
        Console().print("memory store: no schema")
        return
    try:
        have = migrate.current(target)
    except StoreError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    want = migrate.head()
    state = "up to date" if have == want else "behind: run `firstreply db upgrade`"
    Console().print(
        f"{display_url(target)}: revision {have or 'none'} (newest {want}, {state})",
        highlight=False,
    )
    if check and have != want:
        raise typer.Exit(1)
