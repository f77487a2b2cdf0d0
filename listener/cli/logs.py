"""Logging for the CLI: on stderr (stdout carries only results), every known secret scrubbed.

Two formats: rich text for people, or one JSON object per line for log shippers
(``--log-format json`` / ``FIRSTREPLY_LOG_FORMAT=json``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from enum import StrEnum

from rich.console import Console
from rich.logging import RichHandler

from listener.config import Secrets


class SecretScrubber(logging.Filter):
    """Replaces secret values wherever they appear in a record, args included."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Short values would scrub ordinary words; real tokens are long.
        self._secrets = [s for s in secrets if len(s) >= 8]

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg = self.scrub(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                # Format the traceback now, scrubbed: handlers would print it verbatim.
                record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            elif record.exc_text:
                record.exc_text = self.scrub(record.exc_text)
            if record.exc_info:
                record.exc_info = None
        return True


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, extras."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                out[key] = value
        return json.dumps(out, default=str, ensure_ascii=False)


def configure_logging(level: str | None = None, *, log_format: LogFormat = LogFormat.TEXT) -> None:
    resolved = level or os.environ.get("FIRSTREPLY_LOG_LEVEL", "INFO")
    handler: logging.Handler
    if log_format is LogFormat.JSON:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    else:
        handler = RichHandler(
            console=Console(stderr=True), show_path=False, rich_tracebacks=False, markup=False
        )
    # Filters run before the formatter: the JSON line is built from the scrubbed record.
    handler.addFilter(SecretScrubber(Secrets.from_env().secret_values()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(resolved)
    for noisy in ("urllib3", "httpx", "filelock", "matplotlib", "alembic", "apscheduler.executors"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
