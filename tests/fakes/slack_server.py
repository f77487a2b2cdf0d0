"""A local Slack Web API that speaks the real wire format, for slack_sdk's ``WebClient``.

    with FakeSlack() as slack:
        client = WebClient(token=slack.token, base_url=slack.base_url)

Shapes follow Slack's method docs and the SDK's own mock server
(python-slack-sdk ``tests/slack_sdk/web/mock_web_api_server.py``): HTTP 200 with
``{"ok": false, "error": ...}`` for API errors, HTTP 429 with ``Retry-After`` for rate
limits. Every request is recorded (method, merged args, headers, arrival time).

Also here: ``serve_wsgi`` (a WSGI app on 127.0.0.1 in a thread) and
``post_interaction`` (a Slack-signed interactivity POST), for the bolt app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

__all__ = [
    "Call",
    "FakeSlack",
    "post_interaction",
    "serve_wsgi",
    "sign",
]

_JSON_FIELDS = ("blocks", "view", "files", "attachments")


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival


@dataclass
class _Fault:
    method: str | None
    error: str
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[Any] = field(default_factory=list)
    thread_ts: str | None = None
    edits: int = 0


class FakeSlack:
    """The fake server plus its state. Use as a context manager, or ``start``/``stop``."""

    def __init__(
        self, *, token: str = "fake-bot-token", app_token: str = "fake-app-token"
    ) -> None:
        self.token = token
        #: The app-level token ``apps.connections.open`` wants (Socket Mode), and the
        #: WebSocket URL it answers with (``tests.fakes.slack_socket.FakeSocketMode.url``).
        self.app_token = app_token
        self.socket_url: str | None = None
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Posted] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.missing_channels: set[str] = set()
        self.archived_channels: set[str] = set()
        self.uploads: dict[str, bytes] = {}
        self._faults: list[_Fault] = []
        self._down_status: int | None = None
        self._lock = threading.RLock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._channel_ids: dict[str, str] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeSlack:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # ----------------------------------------------------------------- programming
    def fail(
        self,
        error: str,
        *,
        method: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls (of ``method``, or any) with ``error``.

        ``fail("ratelimited", status=429, retry_after=3)`` is Slack's rate limit;
        ``fail("internal_error", status=500)`` a server error.
        """
        with self._lock:
            self._faults.append(_Fault(method, error, status, retry_after, times))

    def go_down(self, status: int = 503) -> None:
        """Every call fails with ``status`` until ``come_back``."""
        self._down_status = status

    def come_back(self) -> None:
        self._down_status = None

    def add_channel(self, name: str) -> str:
        """A public channel that exists (``conversations.list`` shows it); its ID."""
        return self.channel_id(name)

    def channel_id(self, name: str) -> str:
        """Slack answers with IDs; names ("#cx-alerts") map to stable fake IDs."""
        if not name.startswith("#") and name[:1] in "CGD" and name[1:].isalnum():
            return name
        with self._lock:
            if name not in self._channel_ids:
                self._channel_ids[name] = f"C{next(self._ids):08d}"
            return self._channel_ids[name]

    # ----------------------------------------------------------------- inspection
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[Posted]:
        with self._lock:
            out = list(self.messages.values())
        if channel is not None:
            cid = self.channel_id(channel)
            out = [p for p in out if p.channel == cid]
        return out

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Poll ``predicate`` until true; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.005)

    # ----------------------------------------------------------------- the API
    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method in (None, method) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def handle(
        self, method: str, args: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """(status, extra headers, JSON body) for one API call."""
        with self._lock:
            self.calls.append(Call(method, args, headers, time.monotonic()))
        if self._down_status is not None:
            return self._down_status, {}, {"ok": False, "error": "service_unavailable"}
        fault = self._take_fault(method)
        if fault is not None:
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return fault.status, extra, {"ok": False, "error": fault.error}
        auth = headers.get("authorization", "")
        if method == "apps.connections.open":
            if auth == f"Bearer {self.token}":
                return 200, {}, {"ok": False, "error": "not_allowed_token_type"}
            if auth != f"Bearer {self.app_token}":
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            if self.socket_url is None:
                return 200, {}, {"ok": False, "error": "socket_mode_not_enabled"}
            return 200, {}, {"ok": True, "url": self.socket_url}
        if auth != f"Bearer {self.token}":
            return 200, {}, {"ok": False, "error": "invalid_auth" if auth else "not_authed"}
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        return 200, {}, handler(args)

    def _channel_check(self, name: str) -> dict[str, Any] | None:
        if not name or name in self.missing_channels:
            return {"ok": False, "error": "channel_not_found"}
        if name in self.archived_channels:
            return {"ok": False, "error": "is_archived"}
        return None

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://firstreply-test.slack.com/",
            "team": "firstreply test",
            "user": "firstreply",
            "team_id": "T0TEST001",
            "user_id": "U0BOT0001",
            "bot_id": "B0BOT0001",
            "is_enterprise_install": False,
        }

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        error = self._channel_check(channel)
        if error:
            return error
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        cid = self.channel_id(channel)
        ts = self._next_ts()
        posted = Posted(
            cid,
            ts,
            str(args.get("text", "")),
            list(args.get("blocks") or []),
            args.get("thread_ts"),
        )
        with self._lock:
            self.messages[(cid, ts)] = posted
        message = {
            "type": "message",
            "user": "U0BOT0001",
            "bot_id": "B0BOT0001",
            "ts": ts,
            "text": posted.text,
            "blocks": posted.blocks,
        }
        if posted.thread_ts:
            message["thread_ts"] = posted.thread_ts
        return {"ok": True, "channel": cid, "ts": ts, "message": message}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        error = self._channel_check(channel)
        if error:
            return error
        with self._lock:
            posted = self.messages.get((channel, ts))
            if posted is None:
                return {"ok": False, "error": "message_not_found"}
            posted.text = str(args.get("text", posted.text))
            posted.blocks = list(args.get("blocks") or posted.blocks)
            posted.edits += 1
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": posted.text,
            "message": {"text": posted.text, "blocks": posted.blocks},
        }

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        error = self._channel_check(str(args.get("channel", "")))
        if error:
            return error
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        view_id = f"V{next(self._ids):08d}"
        return {"ok": True, "view": {**view, "id": view_id, "hash": f"{view_id}.hash"}}

    def _api_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        error = self._channel_check(channel)
        if error and error["error"] == "channel_not_found":
            return error
        name = next((n for n, c in self._channel_ids.items() if c == channel), channel)
        return {
            "ok": True,
            "channel": {
                "id": self.channel_id(channel),
                "name": name.lstrip("#"),
                "is_channel": True,
                "is_member": True,
                "is_archived": channel in self.archived_channels,
            },
        }

    def _api_conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """Public channels the fake knows (``add_channel``, or posted to), paginated as
        Slack does: ``limit`` per page, an opaque ``response_metadata.next_cursor``,
        empty on the last page."""
        try:
            limit = int(args.get("limit") or 100)
            start = int(base64.b64decode(str(args.get("cursor") or "")).decode() or 0)
        except (ValueError, UnicodeDecodeError):
            return {"ok": False, "error": "invalid_cursor"}
        if not 1 <= limit <= 1000:
            return {"ok": False, "error": "invalid_limit"}
        with self._lock:
            known = sorted((cid, name) for name, cid in self._channel_ids.items()
                           if name not in self.missing_channels)
        archived = str(args.get("exclude_archived", "false")).lower() in ("true", "1")
        rows = [
            {
                "id": cid,
                "name": name.lstrip("#"),
                "is_channel": True,
                "is_group": False,
                "is_im": False,
                "is_private": False,
                "is_archived": name in self.archived_channels,
                "is_member": True,
                "name_normalized": name.lstrip("#"),
                "num_members": 3,
            }
            for cid, name in known
            if not (archived and name in self.archived_channels)
        ]
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        return {
            "ok": True,
            "upload_url": f"http://127.0.0.1:{self.port}/upload/v1/{file_id}",
            "file_id": file_id,
        }

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files") or []
        channel = args.get("channel_id") or args.get("channels")
        if channel:
            error = self._channel_check(str(channel))
            if error:
                return error
        out = []
        for f in files:
            if f.get("id") not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            out.append(
                {
                    "id": f["id"],
                    "title": f.get("title", ""),
                    "name": f.get("title", ""),
                    "size": len(self.uploads[f["id"]]),
                }
            )
        return {"ok": True, "files": out}


class _Handler(BaseHTTPRequestHandler):
    owner: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _reply(self, status: int, headers: dict[str, str], body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        parsed = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if parsed.path.startswith("/upload/v1/"):
            file_id = parsed.path.rsplit("/", 1)[1]
            self.owner.uploads[file_id] = raw
            self._reply(200, {}, f"OK - {len(raw)}".encode(), "text/plain")
            return
        if not parsed.path.startswith("/api/"):
            self._reply(404, {}, b"not found", "text/plain")
            return
        method = parsed.path[len("/api/") :]
        args: dict[str, Any] = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        ctype = self.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            args.update(json.loads(raw.decode("utf-8")))
        elif raw:
            args.update({k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()})
        for key in _JSON_FIELDS:
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, body = self.owner.handle(method, args, headers)
        self._reply(status, extra, json.dumps(body).encode(), "application/json; charset=utf-8")

    do_GET = _handle
    do_POST = _handle


# --------------------------------------------------------------------- bolt app side
class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_wsgi(app: Callable[..., Any]) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1 (ephemeral port) in a thread; yield its base URL."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def sign(secret: str, body: str, timestamp: int) -> str:
    """Slack's v0 request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def post_interaction(
    url: str,
    payload: dict[str, Any],
    *,
    secret: str,
    timestamp: int | None = None,
    signature: str | None = None,
) -> tuple[int, str]:
    """POST ``payload=`` (form-encoded) as Slack does; ``signature`` overrides for forgeries.

    Returns (HTTP status, body).
    """
    body = urlencode({"payload": json.dumps(payload)})
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature if signature is not None else sign(secret, body, ts),
    }
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
