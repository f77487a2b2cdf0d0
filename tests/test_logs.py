from __future__ import annotations

import io
import logging

from listener.cli.logs import SecretScrubber

SECRET = "planted-in-a-traceback-123456"


def test_secrets_are_scrubbed_from_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretScrubber([SECRET]))
    log = logging.getLogger("test.scrub")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise RuntimeError(f"auth failed for token {SECRET}")
        except RuntimeError:
            log.exception("posting with %s failed", SECRET)
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert SECRET not in out
    assert "posting with *** failed" in out
    assert "RuntimeError: auth failed for token ***" in out  # the traceback is kept
