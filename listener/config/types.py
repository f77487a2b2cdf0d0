"""The value types settings are parsed into, once: time windows, times of day, handles,
language codes, timezones. Each refuses a bad value with a message naming what is wanted."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, PlainSerializer

from listener.timewindow import Window

__all__ = [
    "ClockTime",
    "TimeWindow",
    "check_bluesky_handles",
    "check_handles",
    "check_languages",
    "check_tz",
]


def check_tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {value!r}") from exc
    return value


def _window(value: object) -> Window | None:
    if value is None or isinstance(value, Window):
        return value
    if not isinstance(value, str):
        raise ValueError("a time window is a string such as '09:00-18:00'")
    return Window.parse(value)


#: A time window, parsed once from its text (``Window.parse``'s one grammar).
TimeWindow = Annotated[
    Window | None,
    BeforeValidator(_window),
    PlainSerializer(lambda w: w.describe() if w is not None else "", return_type=str),
]


def _clock_time(value: object) -> time:
    if isinstance(value, time):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{text!r} is not a local time of day like 08:30 (00:00-23:59)")
    return time(int(match[1]), int(match[2]))


#: A local time of day, ``HH:MM``.
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
]


_X_HANDLE = re.compile(r"\w{1,15}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")


def check_handles(values: list[str]) -> list[str]:
    """``@Acme`` and ``Acme`` are one handle: kept without the '@' (X's 1-15 word chars)."""
    out = []
    for value in values:
        handle = value.strip().removeprefix("@")
        if not _X_HANDLE.fullmatch(handle):
            raise ValueError(f"{value!r} is not an X handle (1-15 letters, digits or _)")
        out.append(handle)
    return out


#: A Bluesky handle is a domain name (``acme.bsky.social``, ``acme.com``); case-insensitive.
_BSKY_HANDLE = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?"
)


def check_bluesky_handles(values: list[str]) -> list[str]:
    """``@Acme.bsky.social`` and ``acme.bsky.social`` are one handle: kept lower-case,
    without the '@'."""
    out = []
    for value in values:
        handle = value.strip().removeprefix("@").lower()
        if not _BSKY_HANDLE.fullmatch(handle):
            raise ValueError(
                f"{value!r} is not a Bluesky handle (a domain name, e.g. acme.bsky.social)"
            )
        out.append(handle)
    return out


def check_languages(values: list[str]) -> list[str]:
    out = []
    for value in values:
        code = value.strip().lower()
        if not _LANGUAGE.fullmatch(code):
            raise ValueError(
                f"{value!r} is not a language code: use ISO 639-1 codes as X reports "
                "them ('en', 'fr', 'pt')"
            )
        out.append(code)
    return out
