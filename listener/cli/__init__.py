"""The ``firstreply`` command: the composition root.

Only this package builds real clients, reads the environment for secrets and configures
logging. Each module registers its commands with ``register(app)``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from listener.cli import (
    backfill_cmds,
    config_cmds,
    db_cmds,
    demo_cmds,
    digest_cmds,
    model_cmds,
    run_cmds,
)
from listener.cli.logs import configure_logging
from listener.errors import ConfigError, FirstReplyError

app = typer.Typer(
    name="firstreply",
    help=(
        "Hear brand complaints on X, triage them with an offline model, and route the ones "
        "that need a human to Slack.\n\nStart with `firstreply demo` (no credentials needed)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Exit codes: 0 success, 1 a runtime failure, 2 bad usage or configuration.
EXIT_FAILURE, EXIT_CONFIG = 1, 2


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar="FIRSTREPLY_CONFIG",
            help="Settings file (TOML). Default: ./firstreply.toml if present.",
            show_envvar=True,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    # Merged, not replaced: tests hand in their collaborators as ``obj["components"]``.
    ctx.ensure_object(dict).update(config=config, verbose=verbose)
    configure_logging("DEBUG" if verbose else None)


for _module in (
    config_cmds,
    demo_cmds,
    run_cmds,
    model_cmds,
    backfill_cmds,
    digest_cmds,
    db_cmds,
):
    _module.register(app)


def main() -> None:
    """Console-script entry point: maps firstreply errors to exit codes."""
    err = Console(stderr=True)
    try:
        # Without standalone mode click *returns* a typer.Exit's code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except ConfigError as exc:
        err.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(EXIT_CONFIG)
    except FirstReplyError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_FAILURE)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(EXIT_FAILURE)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here with standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
