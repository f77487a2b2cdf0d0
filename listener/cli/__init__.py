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
from rich.text import Text

from listener.cli import (
    backfill_cmds,
    config_cmds,
    db_cmds,
    demo_cmds,
    digest_cmds,
    feedback_cmds,
    learn_cmds,
    model_cmds,
    outbox_cmds,
    run_cmds,
    train_cmds,
    triage_cmds,
)
from listener.cli.logs import LogFormat, configure_logging
from listener.errors import ConfigError, FirstReplyError

app = typer.Typer(
    name="firstreply",
    help=(
        "Hear brand complaints on X and Bluesky, triage them with an offline model, and route "
        "the ones that need a human to Slack.\n\n"
        "Start with `firstreply demo` (no credentials needed)."
        "\n\nExit codes: 0 success, 1 failure, 2 bad usage or configuration, 130 interrupted."
    ),
    no_args_is_help=True,
    # Plain click help: typer's rich panels print a "<bool>" type beside every flag.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

#: Exit codes: 0 success, 1 a runtime failure, 2 bad usage or configuration, 130 Ctrl-C.
EXIT_FAILURE, EXIT_CONFIG, EXIT_INTERRUPTED = 1, 2, 130


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("firstreply")
    except PackageNotFoundError:  # a source checkout that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"firstreply {_version()}")
        raise typer.Exit()


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
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            envvar="FIRSTREPLY_LOG_FORMAT",
            help="Logs on stderr as human-readable text or one JSON object per line.",
            show_envvar=True,
            case_sensitive=False,
        ),
    ] = LogFormat.TEXT,
    _version_flag: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    # Merged, not replaced: tests hand in their collaborators as ``obj["components"]``.
    ctx.ensure_object(dict).update(config=config, verbose=verbose)
    configure_logging("DEBUG" if verbose else None, log_format=log_format)


for _module in (
    config_cmds,
    demo_cmds,
    run_cmds,
    model_cmds,
    triage_cmds,
    train_cmds,
    learn_cmds,
    feedback_cmds,
    backfill_cmds,
    digest_cmds,
    db_cmds,
    outbox_cmds,
):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps every outcome to a documented exit code.

    Click runs without standalone mode so firstreply's own errors reach the handlers
    below; click's usage errors are then re-raised too, and are shown as click would.
    """
    err = Console(stderr=True, highlight=False)
    try:
        # Without standalone mode click *returns* a typer.Exit's code instead of exiting.
        code = app(args=argv, prog_name="firstreply", standalone_mode=False)
    except ConfigError as exc:
        err.print(Text("error: ", style="red") + Text(str(exc)))
        sys.exit(EXIT_CONFIG)
    except FirstReplyError as exc:
        err.print(Text("error: ", style="red") + Text(str(exc)))
        sys.exit(EXIT_FAILURE)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        usage = _usage_error(exc)
        if usage is None:
            raise
        sys.exit(usage)
    if isinstance(code, int) and code != 0:
        sys.exit(code)


def _usage_error(exc: BaseException) -> int | None:
    """Show a click error the way click's standalone mode would; its exit code, or None.

    typer >= 0.2x vendors its own click, so the classes are matched by shape, not by
    import: ``ClickException`` (usage errors: exit 2) has ``show`` and ``exit_code``;
    ``Abort`` is what click makes of Ctrl-C or EOF at a prompt.
    """
    if type(exc).__name__ == "Abort":
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, KeyboardInterrupt):
            return EXIT_INTERRUPTED
        Console(stderr=True).print("aborted")
        return EXIT_FAILURE
    show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
    if callable(show) and isinstance(code, int):
        show()
        return code
    return None
