from __future__ import annotations

import pytest

from listener.config import XPrices
from listener.drafts import MAX_REPLY_CHARS, suggest_reply
from listener.x.pricing import contains_url, reply_cost_warning
from tests.slack.conftest import make_mention, make_scores


def test_draft_is_personal_on_topic_and_link_free() -> None:
    draft = suggest_reply(
        make_mention(1, name="Jane Doe 🚀"), make_scores(topic="delivery"), brand="Acme"
    )
    assert draft.startswith("Hi Jane! Sorry your order hasn't turned up")
    assert draft.endswith("– Acme team")
    assert not contains_url(draft)
    assert len(draft) <= MAX_REPLY_CHARS


@pytest.mark.parametrize(
    ("tone", "opening"),
    [
        ("formal", "Hello Jane,"),
        ("casual", "Hey Jane,"),
        ("Friendly", "Hi Jane!"),
        ("odd", "Hi Jane!"),
    ],
)
def test_tone(tone: str, opening: str) -> None:
    assert suggest_reply(make_mention(1), make_scores(), tone=tone).startswith(opening)


def test_nameless_author_gets_the_handle_and_unknown_topic_a_generic_line() -> None:
    draft = suggest_reply(make_mention(1, name="🙂"), make_scores(topic="weird"))
    assert draft.startswith("Hi @jane1! Sorry to hear about this.")


def test_very_long_brand_still_fits() -> None:
    assert len(suggest_reply(make_mention(1), make_scores(), brand="B" * 400)) <= MAX_REPLY_CHARS


@pytest.mark.parametrize(
    "text",
    ["see https://acme.com/help", "go to www.acme.com", "visit acme.com/refunds", "ACME.IO rocks"],
)
def test_urls_are_priced(text: str) -> None:
    warning = reply_cost_warning(text, XPrices.model_validate({"post_create_with_url": 0.25}))
    assert warning is not None
    assert "$0.25" in warning
    assert "$0.01" in warning


@pytest.mark.parametrize("text", ["Sorry! Please DM us.", "we're on it... thanks", "v2.0 is out"])
def test_plain_replies_have_no_warning(text: str) -> None:
    assert reply_cost_warning(text) is None
