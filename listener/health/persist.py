"""The health file: ``HealthState.dump()`` as JSON, for restarts and ``firstreply status``.

Written atomically after every change: a temporary file of its own (several poll jobs
write at once, and a shared ``.tmp`` name let one job rename the other's file away:
``could not save health state … No such file or directory``), then ``os.replace``,
all under one lock. Cursors are not here: they live in the store.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["HealthFile"]

log = logging.getLogger(__name__)


class HealthFile:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def load(self) -> dict[str, Any] | None:
        """What was saved, or None (no file yet, or one that cannot be read: logged)."""
        if not self.path.exists():
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable health state %s: %s", self.path, exc)
            return None
        return data if isinstance(data, dict) else None

    def save(self, data: Mapping[str, Any]) -> None:
        """Replace the file with ``data``; a failure is logged, never raised."""
        text = json.dumps(data)
        with self._lock:
            tmp: str | None = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(
                    dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
                )
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, self.path)
                tmp = None
            except OSError as exc:
                log.warning("could not save health state to %s: %s", self.path, exc)
            finally:
                if tmp is not None:
                    Path(tmp).unlink(missing_ok=True)
