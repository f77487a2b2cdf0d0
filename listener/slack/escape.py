"""Make untrusted text safe to show in Slack ``mrkdwn``.

Slack turns ``<!channel>``, ``<!here>``, ``<@U…>``, ``<#C…>`` and ``<http://…|label>``
into pings, mentions and disguised links, and (with ``link_names``) a bare ``@channel``
into a ping too. Slack's own rule is that ``&``, ``<`` and ``>`` are the only characters
to entity-encode; once they are, no control sequence can be formed. The bare words get
an invisible WORD JOINER after the ``@``, so ``@channel`` reads the same but no longer
matches Slack's mention pattern.

Bidirectional controls are removed (``strip_invisible``): ``invoice \u202egnp.exe``
would display as "invoice exe.png", a spoofed file name, in a post or a display name.
So are the other invisible formatting characters that hide or split words (zero-width
space, BOM, invisible operators); the joiners that emoji and scripts need (ZWJ, ZWNJ)
and our own WORD JOINER stay.

Block Kit limits are counted in UTF-16 code units (Slack is JavaScript underneath), so
truncation counts those and never cuts inside an astral character or an entity.
"""

from __future__ import annotations

import re
from urllib.parse import quote

__all__ = [
    "SECTION_TEXT_LIMIT",
    "WORD_JOINER",
    "escape_mrkdwn",
    "escape_url",
    "strip_invisible",
    "truncate",
    "unescape_mrkdwn",
    "utf16_len",
]

#: Block Kit: a section's text, and the top-level ``text`` preview users see first.
SECTION_TEXT_LIMIT = 3000
WORD_JOINER = "\u2060"
ELLIPSIS = "…"

_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
#: A cut can end a harmless longer word as a ping: "@everyone0" -> "@everyone…".
_CUT_BROADCAST = re.compile(r"@(?:channel|here|everyone)$", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
#: Bidi embeddings/overrides (U+202A-E), isolates (U+2066-9), marks (LRM, RLM, ALM),
#: and the invisible characters that split or hide words without joining anything.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
                        "\u200b\ufeff\u2061-\u2064\u180e]")


def strip_invisible(text: str) -> str:
    """``text`` without bidi controls and word-hiding invisible characters."""
    return _INVISIBLE.sub("", text)


def utf16_len(text: str) -> int:
    """Length as Slack counts it: astral characters (emoji) are two code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def escape_mrkdwn(text: str, limit: int | None = None) -> str:
    """Escape ``text`` for mrkdwn; if ``limit`` is given, fit it in that many code units."""
    out = strip_invisible(text)
    for raw, entity in _ESCAPES:
        out = out.replace(raw, entity)
    out = _BROADCAST.sub("@" + WORD_JOINER, out)
    return truncate(out, limit) if limit is not None else out


def unescape_mrkdwn(text: str) -> str:
    """What a reader sees: entities decoded, the word joiners we inserted removed."""
    out = text.replace("@" + WORD_JOINER, "@")
    return _ENTITY.sub(lambda m: {"&amp;": "&", "&lt;": "<", "&gt;": ">"}[m.group(0)], out)


def truncate(text: str, limit: int) -> str:
    """Cut escaped ``text`` to at most ``limit`` UTF-16 code units, ending with ``…``.

    Cuts only between code points, never inside ``&amp;``-style entities, never
    between an ``@`` and the word joiner that defuses it, and never so that a longer
    word ends as a broadcast (``@everyone0`` cut to ``@everyone…``).
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if utf16_len(text) <= limit:
        return text
    budget = limit - utf16_len(ELLIPSIS)
    used = 0
    cut = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > budget:
            break
        cut = i + 1
    head = text[:cut]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:] and _ENTITY.match(text, amp):
        head = head[:amp]
    if head.endswith("@") and text[len(head) : len(head) + 1] == WORD_JOINER:
        head = head[:-1]
    if (ping := _CUT_BROADCAST.search(head)) is not None:
        head = head[: ping.start()]
    return head + ELLIPSIS


def escape_url(url: str) -> str | None:
    """A URL safe inside ``<url|label>``, or None if it is not plain http(s).

    ``|`` and ``>`` would end the link early and let a post relabel it, so anything
    outside the URL-safe set is percent-encoded (``@`` too, so no ``@here`` survives
    anywhere); ``&`` becomes ``&amp;`` as Slack asks.
    """
    if not url.lower().startswith(("https://", "http://")):
        return None
    # A lone surrogate (possible in a JSON payload) has no UTF-8 form: percent-encode its
    # code units rather than fail the whole card.
    safe = quote(url, safe=":/?#[]!$&'()*+,;=%~", errors="surrogatepass")
    return safe.replace("&", "&amp;")
