"""Helpers shared by the CLI modules: where the settings file is, how to load them, and
the collaborators the commands build (which tests replace with their own)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from listener.config import Settings, load_settings

if TYPE_CHECKING:
    from classifiers.base import Classifier


def _classifier(settings: Settings) -> Classifier:
    from listener.runtime import build_classifier

    return build_classifier(settings)


def _model_factory(settings: Settings) -> Callable[[], Classifier]:
    from listener.runtime import model_spec

    return model_spec(settings)


@dataclass(frozen=True)
class Components:
    """What commands build from settings beyond the runtime's defaults.

    The default builds the real things; a test passes its own through the context
    object (``CliRunner().invoke(app, args, obj={"components": Components(...)})``).
    """

    classifier: Callable[[Settings], Classifier] = field(default=_classifier)
    #: A picklable factory of the model, for Ray workers (``backfill --ray-actors``).
    model_factory: Callable[[Settings], Callable[[], Classifier]] = field(default=_model_factory)


def _root_obj(ctx: typer.Context) -> dict[str, object]:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, dict) else {}


def config_from(ctx: typer.Context) -> Path | None:
    config = _root_obj(ctx).get("config")
    return config if isinstance(config, Path) else None


def settings_from(ctx: typer.Context) -> Settings:
    return load_settings(config_from(ctx))


def components_from(ctx: typer.Context) -> Components:
    found = _root_obj(ctx).get("components")
    return found if isinstance(found, Components) else Components()
