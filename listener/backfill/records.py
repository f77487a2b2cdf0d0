"""What the backfill readers yield: a parsed item, where it came from, where to resume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from listener.domain import Mention, Rejected

__all__ = ["Position", "Record", "rejected"]


@dataclass(frozen=True, slots=True)
class Position:
    """A place in an input file from which reading can restart.

    ``offset`` is a byte offset at the start of a line (or of a JSON array element),
    ``line`` the number of physical lines before it, and ``skip`` how many records to
    drop after seeking there (several records can come from one line or element).
    """

    offset: int = 0
    line: int = 0
    skip: int = 0

    def encode(self) -> str:
        return f"{self.offset}:{self.line}:{self.skip}"

    @classmethod
    def decode(cls, text: str) -> Position:
        """Inverse of :meth:`encode`; raises ``ValueError`` on anything else."""
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"not a backfill position: {text!r}")
        offset, line, skip = (int(p) for p in parts)
        if min(offset, line, skip) < 0:
            raise ValueError(f"not a backfill position: {text!r}")
        return cls(offset, line, skip)


@dataclass(frozen=True, slots=True)
class Record:
    """One parsed input.

    ``resume`` is where to restart once this record *and every record yielded before
    it* are stored: restarting there yields every later record again (and possibly a
    few earlier ones, which idempotent storage absorbs).
    """

    item: Mention | Rejected
    line: int
    resume: Position
    #: A twcs shard's record: (offset of the row being read, phase) when the one-process
    #: reader would emit it, so the decision pass can merge shards in that order.
    order: tuple[int, int] | None = None

    @property
    def text_length(self) -> int:
        return len(self.item.text) if isinstance(self.item, Mention) else 0


def rejected(source: str, line: int, reason: str, raw: str) -> Rejected:
    """A ``Rejected`` whose reason names the line, so the user can find the row."""
    return Rejected(
        source=source,
        reason=f"line {line}: {reason}",
        raw=raw[:10_000],
        received_at=datetime.now(UTC),
    )
