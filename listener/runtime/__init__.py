"""The one composition root and the runtime it builds.

``build_runtime(settings, secrets, ...)`` (``build``) assembles a ``Runtime``
(``runtime``): ``cycle()`` for ``run --once``, the demo, the reliability worker and the
benchmarks; ``jobs()`` and ``run()`` for the scheduler. ``runtime_problems`` (``checks``)
names the settings that cannot work together, for ``run`` and ``check-config``.
"""

from __future__ import annotations

from listener.runtime.build import build_classifier, build_runtime, model_spec, open_store_for
from listener.runtime.checks import runtime_problems
from listener.runtime.runtime import (
    EXIT_DEGRADED,
    EXIT_FAILED,
    EXIT_OK,
    CycleReport,
    Runtime,
    Service,
)

__all__ = [
    "EXIT_DEGRADED",
    "EXIT_FAILED",
    "EXIT_OK",
    "CycleReport",
    "Runtime",
    "Service",
    "build_classifier",
    "build_runtime",
    "model_spec",
    "open_store_for",
    "runtime_problems",
]
