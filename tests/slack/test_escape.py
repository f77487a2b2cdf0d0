from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from listener.slack import blocks
from listener.slack.escape import (
    WORD_JOINER,
    escape_mrkdwn,
    escape_url,
    strip_invisible,
    truncate,
    unescape_mrkdwn,
    utf16_len,
)

# How Slack finds a broadcast in message text when it parses names (``link_names``):
# "@channel" at a word start. Our output must never contain it.
SLACK_BROADCAST = re.compile(r"(?<![\w])@(channel|here|everyone)\b", re.IGNORECASE)

# Text that leans on the dangerous characters and words so hypothesis tries them often.
risky = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<",
                ">",
                "&",
                "!",
                "@",
                "#",
                "|",
                "^",
                ";",
                "@channel",
                "@here",
                "@everyone",
                "<!",
                "<@U1>",
                "&amp;",
                "&lt;",
                "\u2060",
                "😀",
                "\n",
                " ",
            ]
        ),
        st.characters(),
    ),
    max_size=80,
).map("".join)
texts = st.one_of(risky, st.text(max_size=300))


@given(texts)
def test_no_control_sequence_survives(text: str) -> None:
    out = escape_mrkdwn(text)
    assert "<" not in out
    assert ">" not in out
    for seq in ("<!", "<@", "<#"):
        assert seq not in out
    assert not SLACK_BROADCAST.search(out)


@given(texts)
def test_visible_text_round_trips(text: str) -> None:
    assert unescape_mrkdwn(escape_mrkdwn(text)).replace(WORD_JOINER, "") == strip_invisible(
        text
    ).replace(WORD_JOINER, "")


@given(texts)
def test_round_trip_is_exact_without_word_joiners_in_the_input(text: str) -> None:
    assume(WORD_JOINER not in text)
    assert unescape_mrkdwn(escape_mrkdwn(text)) == strip_invisible(text)


@given(texts, st.integers(min_value=1, max_value=120))
def test_truncation_fits_and_never_splits(text: str, limit: int) -> None:
    full = escape_mrkdwn(text)
    out = escape_mrkdwn(text, limit=limit)
    assert utf16_len(out) <= limit
    out.encode("utf-16-le")  # raises on a lone surrogate
    if out != full:
        head = out.removesuffix("…")
        assert full.startswith(head)
        assert not re.search(r"&[a-z]*$", head), "cut inside an entity"
        assert not head.endswith("@") or full[len(head)] != WORD_JOINER
    assert "<" not in out
    assert not SLACK_BROADCAST.search(out)


def test_truncation_never_turns_a_longer_word_into_a_ping() -> None:
    # Found by hypothesis: "@everyone0" was left alone, then cut to "@everyone…".
    text = "&!!!@here&amp;😀0\U000111f5@everyone0<"
    out = escape_mrkdwn(text, limit=38)
    assert not SLACK_BROADCAST.search(out), out


def test_examples() -> None:
    assert escape_mrkdwn("<!channel> hi") == "&lt;!channel&gt; hi"
    assert escape_mrkdwn("<@U123> & <#C1|general>") == "&lt;@U123&gt; &amp; &lt;#C1|general&gt;"
    assert escape_mrkdwn("<https://evil.example|your bank>") == (
        "&lt;https://evil.example|your bank&gt;"
    )
    assert escape_mrkdwn("@here and @Everyone") == f"@{WORD_JOINER}here and @{WORD_JOINER}Everyone"
    assert escape_mrkdwn("mail me@herefordshire.uk") == "mail me@herefordshire.uk"


def test_astral_characters_count_twice_and_are_not_cut() -> None:
    assert utf16_len("😀") == 2
    assert truncate("😀😀😀", 4) == "😀…"
    assert truncate("a&amp;b", 4) == "a…"


def test_truncate_rejects_a_silly_limit() -> None:
    with pytest.raises(ValueError, match="positive"):
        truncate("abc", 0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.com/a/status/1", "https://x.com/a/status/1"),
        ("https://x.com/a?b=1&c=2", "https://x.com/a?b=1&amp;c=2"),
        ("https://x.com/a|label>", "https://x.com/a%7Clabel%3E"),
        ("javascript:alert(1)", None),
        ("slack://channel?id=C1", None),
        ("https://x.com/\ud800", "https://x.com/%ED%A0%80"),
    ],
)
def test_escape_url(url: str, expected: str | None) -> None:
    assert escape_url(url) == expected


BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x61C]]


@given(st.lists(st.sampled_from([*BIDI, "a", "b", " ", ".", "\u200d", WORD_JOINER])))
def test_no_bidi_control_survives_escaping(chars: list[str]) -> None:
    out = escape_mrkdwn("".join(chars))
    assert not any(c in out for c in BIDI)
    assert out.count("\u200d") == chars.count("\u200d")  # ZWJ (emoji sequences) kept


def test_a_right_to_left_override_cannot_disguise_a_file_name_in_an_alert() -> None:
    from tests.slack.test_blocks import item

    it = item()
    spoof = "invoice \u202egnp.exe"
    mention = replace(it.mention, text=spoof,
                      author=replace(it.mention.author, name="Support\u2067 Team\u2069"))
    message = blocks.alert_message(replace(it, mention=mention), it.alerts[0], sla_minutes=60)
    wire = json.dumps({**message.post_kwargs()}, ensure_ascii=False)
    assert "invoice gnp.exe" in wire
    assert "*Support Team*" in wire
    assert not any(c in wire for c in BIDI)
