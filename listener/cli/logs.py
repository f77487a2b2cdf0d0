"""Logging for the CLI: rich output on stderr, with every known secret scrubbed."""

from __future__ import annotations

import logging
import os

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


def configure_logging(level: str | None = None) -> None:
    resolved = level or os.environ.get("FIRSTREPLY_LOG_LEVEL", "INFO")
    handler = RichHandler(show_path=False, rich_tracebacks=False, markup=False)
    handler.addFilter(SecretScrubber(Secrets.from_env().secret_values()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(resolved)
    for noisy in ("urllib3", "httpx", "filelock", "matplotlib", "alembic", "apscheduler.executors"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
