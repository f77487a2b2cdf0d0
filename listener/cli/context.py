"""Helpers shared by the CLI modules: where the settings file is, how to load them."""

from __future__ import annotations

from pathlib import Path

import typer

from listener.config import Settings, load_settings


def config_from(ctx: typer.Context) -> Path | None:
    obj = ctx.find_root().obj
    return obj.get("config") if isinstance(obj, dict) else None


def settings_from(ctx: typer.Context) -> Settings:
    return load_settings(config_from(ctx))
