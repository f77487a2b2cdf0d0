"""A ``MentionSource`` over the bundled sample, replayed as if arriving over time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from listener.config import BrandSettings, RuleSettings, Settings
from listener.domain import Author, Mention, Rejected
from listener.ports import Clock, Page, RateLimit

SOURCE = "demo"


def sample_path() -> Path:
    return Path(str(resources.files("listener.demo").joinpath("sample.jsonl")))


def load_sample(path: Path | None = None) -> list[dict[str, Any]]:
    with (path or sample_path()).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class ReplayClock:
    """A clock the demo moves forward as the sample's posts "arrive"."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance_to(self, when: datetime) -> None:
        self._now = max(self._now, when)


class DemoSource:
    """Replays the sample oldest first, honouring ``since_id``, as if arriving over time.

    A ``MentionSource`` of the "demo" network (``listener.networks``): free to read, no
    rate limit; its cursor is a sample id, later ones further down the sample.

    ``created_at`` is shifted by one constant so the newest post lands just before ``now``
    (relative times, and so incident windows and response times, are kept). A poll
    releases only the posts whose shifted time has come by ``clock.now()``.
    """

    def __init__(
        self,
        *,
        now: datetime,
        clock: Clock | None = None,
        page_size: int = 50,
        records: list[dict[str, Any]] | None = None,
    ) -> None:
        self._records = records if records is not None else load_sample()
        newest = max(datetime.fromisoformat(r["created_at"]) for r in self._records)
        self._shift = (now - timedelta(minutes=1)) - newest
        self._clock = clock
        self._page_size = page_size
        self._seq = {r["id"]: i for i, r in enumerate(self._records)}

    network = SOURCE
    kind = "owned"
    rate_limit: RateLimit | None = None

    @property
    def name(self) -> str:
        return SOURCE

    def read_cost(self, posts: int) -> float:
        return 0.0

    def cursor_advances(self, new: str, old: str | None) -> bool:
        if new not in self._seq:
            return False
        return old not in self._seq or self._seq[new] > self._seq[old or ""]

    def arrival(self, record: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(record["created_at"]) + self._shift

    def next_arrival(self, since_id: str | None) -> datetime | None:
        """When the first post after ``since_id`` arrives; None when the sample is done."""
        start = self._seq[since_id] + 1 if since_id in self._seq else 0
        for record in self._records[start:]:
            try:
                return self.arrival(record)
            except (KeyError, TypeError, ValueError):
                continue
        return None

    def poll(self, since_id: str | None) -> Iterator[Page]:
        start = self._seq[since_id] + 1 if since_id in self._seq else 0
        until = self._clock.now() if self._clock is not None else None
        batch: list[Mention] = []
        rejected: list[Rejected] = []
        newest: str | None = None
        for record in self._records[start:]:
            parsed = self._parse(record)
            if isinstance(parsed, Rejected):
                rejected.append(parsed)
                newest = record.get("id", newest)
                continue
            if until is not None and parsed.created_at > until:
                break
            batch.append(parsed)
            newest = parsed.id
            if len(batch) == self._page_size:
                yield Page(mentions=tuple(batch), rejected=tuple(rejected), newest_id=newest)
                batch, rejected = [], []
        if batch or rejected:
            yield Page(mentions=tuple(batch), rejected=tuple(rejected), newest_id=newest)

    def _parse(self, record: dict[str, Any]) -> Mention | Rejected:
        try:
            created = datetime.fromisoformat(record["created_at"]) + self._shift
            handle = record["brand_handle"]
            text = str(record["text"])
            return Mention(
                source=SOURCE,
                id=str(record["id"]),
                text=text,
                author=Author(
                    id=str(record["author_id"]), username=f"customer{record['author_id']}"
                ),
                created_at=created,
                brand=str(record["brand"]),
                conversation_id=record.get("conversation_id"),
                in_reply_to_id=record.get("in_reply_to_id"),
                lang=None,  # the corpus does not say; None never filters a post out
                url=f"https://x.com/i/web/status/{record['id']}",
                addresses_brand=f"@{handle}".lower() in text.lower(),
                found_by=f"demo:{handle}",
                raw={**record, "original_created_at": record["created_at"]},
            )
        except (KeyError, TypeError, ValueError) as exc:
            return Rejected(
                source=SOURCE,
                reason=f"malformed demo record: {exc!r}",
                raw=json.dumps(record, ensure_ascii=False, default=str),
                received_at=_utcnow(),
            )


def _utcnow() -> datetime:
    return datetime.now(UTC)


def demo_settings(base: Settings) -> Settings:
    """``base`` plus one brand per sample brand, each routed to its own demo channel."""
    records = load_sample()
    handles: dict[str, str] = {}
    for r in records:
        handles.setdefault(r["brand"], r["brand_handle"])
    existing = {b.name for b in base.brands}
    brands = list(base.brands) + [
        BrandSettings(
            name=name,
            handles=[handle],
            channel=f"#cx-{name.lower().replace('-', '')}",
            topic_channels={"safety": "#cx-urgent", "outage": "#cx-urgent"},
            rules=RuleSettings(),
        )
        for name, handle in sorted(handles.items())
        if name not in existing
    ]
    return base.model_copy(update={"brands": brands})
