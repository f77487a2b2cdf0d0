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
from listener.ports import Page

SOURCE = "demo"


def sample_path() -> Path:
    return Path(str(resources.files("listener.demo").joinpath("sample.jsonl")))


def load_sample(path: Path | None = None) -> list[dict[str, Any]]:
    with (path or sample_path()).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class DemoSource:
    """Replays the sample in pages of ``page_size``, oldest first, honouring ``since_id``.

    Each call to :meth:`poll` releases only the posts whose shifted time has "arrived"
    by ``now`` (when given), so a caller can replay the sample over time.
    """

    def __init__(
        self,
        *,
        now: datetime,
        page_size: int = 50,
        pages_per_poll: int | None = None,
        records: list[dict[str, Any]] | None = None,
    ) -> None:
        self._records = records if records is not None else load_sample()
        # One constant shift so the newest post lands just before ``now``: relative
        # times (and so response times and incident windows) are kept.
        newest = max(datetime.fromisoformat(r["created_at"]) for r in self._records)
        self._shift = (now - timedelta(minutes=1)) - newest
        self._page_size = page_size
        # Releasing a few pages per poll makes the replay look like traffic arriving
        # over several polls instead of one backlog.
        self._pages_per_poll = pages_per_poll
        self._seq = {r["id"]: i for i, r in enumerate(self._records)}

    @property
    def name(self) -> str:
        return SOURCE

    def poll(self, since_id: str | None) -> Iterator[Page]:
        start = self._seq[since_id] + 1 if since_id in self._seq else 0
        pages = 0
        batch: list[Mention] = []
        rejected: list[Rejected] = []
        newest: str | None = None
        for record in self._records[start:]:
            parsed = self._parse(record)
            if isinstance(parsed, Rejected):
                rejected.append(parsed)
                newest = record.get("id", newest)
                continue
            batch.append(parsed)
            newest = parsed.id
            if len(batch) == self._page_size:
                yield Page(mentions=tuple(batch), rejected=tuple(rejected), newest_id=newest)
                batch, rejected = [], []
                pages += 1
                if self._pages_per_poll is not None and pages >= self._pages_per_poll:
                    return
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
                lang="en",
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
