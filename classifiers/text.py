"""Text normalisation shared by training and inference.

The same function runs on every text before the encoder sees it, so that
handles, links and HTML entities look alike in every corpus and at run time.
"""

from __future__ import annotations

import html
import re

_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_UESC = re.compile(r"\\u([0-9a-fA-F]{4})")


def decode_u_escapes(text: str) -> str:
    """Decode literal ``\\uXXXX`` escapes (SemEval 2013/2015 files carry them)."""
    return _UESC.sub(lambda m: chr(int(m.group(1), 16)), text)


def normalize(text: str) -> str:
    """Decode ``\\uXXXX`` and HTML escapes, mask @handles and links, squeeze spaces."""
    text = html.unescape(decode_u_escapes(text))
    text = _HANDLE.sub("@user", text)
    text = _URL.sub("http", text)
    return _SPACE.sub(" ", text).strip()
