"""firstreply's exceptions.

    FirstReplyError
     ├── ConfigError            bad settings; ``problems`` names every bad key
     ├── StoreError             the database failed or refused
 │    └── StoreMissing      no database there yet (and the command creates none)
     ├── SourceError            a mention source failed
     │    ├── RateLimited       ``reset_at`` says when to try again
     │    ├── AuthFailed        credentials wrong or revoked: stop, don't loop
     │    └── SourceUnavailable 5xx, timeouts: back off and retry
     └── DeliveryError          Slack refused or failed; ``retry_after`` when known
          └── PermanentDelivery channel_not_found, invalid_auth ...: no retry helps
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


class FirstReplyError(Exception):
    """Root of every error firstreply raises on purpose."""


class ConfigError(FirstReplyError):
    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {key}: {why}" for key, why in self.problems)
        super().__init__(f"invalid configuration:\n{lines}")


class StoreError(FirstReplyError):
    pass


class StoreMissing(StoreError):
    pass


class SourceError(FirstReplyError):
    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class RateLimited(SourceError):
    def __init__(self, source: str, reset_at: datetime | None) -> None:
        self.reset_at = reset_at
        when = reset_at.isoformat() if reset_at else "unknown"
        super().__init__(source, f"rate limited until {when}")


class AuthFailed(SourceError):
    pass


class SourceUnavailable(SourceError):
    pass


class DeliveryError(FirstReplyError):
    """``code``: a short, bounded name of the cause ("ratelimited", "channel_not_found",
    "unreachable"), for metrics; the message says the rest."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, code: str | None = None
    ) -> None:
        self.retry_after = retry_after
        self.code = code
        super().__init__(message)


class PermanentDelivery(DeliveryError):
    pass

