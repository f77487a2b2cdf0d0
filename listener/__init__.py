"""firstreply's listener: ingest, decide, route, store, schedule, digest and the CLI."""

from __future__ import annotations

__version__ = "0.1.0"
