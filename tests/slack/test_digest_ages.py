"""How long an unresolved urgent post has been open is measured to when the digest is
posted, not to the end of its period."""

from __future__ import annotations

import json
from datetime import timedelta

from listener.digest.build import collect_digest
from listener.slack.digest import digest_blocks
from listener.store import MemoryStore
from tests.slack.conftest import T0, make_mention, seed


def test_a_post_from_two_hours_before_posting_says_open_2_h(mem: MemoryStore) -> None:
    seed(mem, make_mention(1, at=T0))  # urgent, unclaimed, at 12:00 on the period's day
    digest = collect_digest(mem, last_day=T0.date(), tz="UTC", now=T0 + timedelta(hours=2))
    assert digest.unresolved_urgent_count == 1
    text = json.dumps(digest_blocks(digest), ensure_ascii=False)
    assert "open 2 h" in text, text
    assert "open 12 h" not in text
