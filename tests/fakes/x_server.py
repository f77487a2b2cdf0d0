"""A local X API v2 server that speaks the real wire format, for tests and benchmarks.

Start it in a fixture and point ``settings.x.api_base_url`` (or tweepy's session, through
``listener.x.client``) at ``server.base_url``::

    with FakeXServer(brand_username="acme") as x:
        x.seed_tweets(250)                       # 250 posts that @mention @acme
        x.add_tweet("@acme my order is late", author="ann", note_text="...long...")
        x.fail_next(429, path="/2/users/", reset_in=None)   # one 429, no reset header
        x.fail_next(503, times=2)                # next two requests, any path
        x.delay_next(0.5, path="/2/tweets/search/recent")
        x.drop_next()                            # close the socket without answering
        x.corrupt_next(b'{"data": [')            # a 200 whose body is cut-off JSON
        ...
        x.requests_to("/2/users/")               # every request is recorded

Endpoints (paths and JSON shapes as in the X API v2 reference):

- ``GET /2/users/:id/mentions`` (``since_id``, ``until_id``, ``pagination_token``,
  ``max_results`` 5-100)
- ``GET /2/tweets/search/recent`` and ``/search/all`` (``query``, ``since_id``,
  ``until_id``, ``next_token`` or ``pagination_token``, ``max_results`` 10-100 / 10-500)
- ``GET /2/tweets/counts/all`` (``query``, ``granularity`` minute/hour/day)
- ``GET /2/users/by/username/:username`` and ``GET /2/users/me`` (user context: the
  account an access token belongs to)
- ``POST /2/tweets`` (user context, OAuth 1.0a): a reply is refused with 403 unless its
  target @mentions or quotes the replying account, as X does since 2026-02
- ``GET /2/tweets/search/stream`` (newline-delimited JSON, ``\\r\\n`` keep-alives) and
  ``GET``/``POST /2/tweets/search/stream/rules``

The endpoint handlers live in ``tests/fakes/x_wire.py``. Responses carry
``data``/``includes``/``meta`` and ``x-rate-limit-*`` headers; only the
fields asked for with ``tweet.fields``/``user.fields``/``expansions`` are returned. The
search query language is a small subset: words, ``"phrases"``, ``@user``, ``from:user``,
``is:retweet|reply|quote``, ``lang:xx``, ``-negation`` and top-level ``OR``.

Other knobs: ``bearer_token`` and ``access_tokens`` (access token -> user id) are what
auth accepts (else 401); ``rate_limit`` is each endpoint's 15-minute window (then 429);
``posted`` lists the tweets created through ``POST /2/tweets``; ``rules`` holds the stream
rules; ``add_tweet`` pushes matching posts to open streams (``stream=False`` to publish
"while the stream is away"); ``disconnect_streams()`` drops them and
``wait_for_stream_clients(n)`` waits for a (re)connect; ``keepalive_interval`` sets the
``\r\n`` cadence. Add posts with ``add_tweet``/``seed_tweets`` only: they keep the id
indexes the timelines page through.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.x_wire import _DISCONNECT, _iso, _matches, _mentioned, _route, problem

__all__ = ["FakeXServer", "Fault", "RecordedRequest"]

FIRST_ID = 1_900_000_000_000_000_000
_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Fault:
    """One programmed misbehaviour, used by the next ``times`` matching requests.

    ``status=None`` answers normally (after ``delay``); ``drop`` closes the connection
    without a response. ``reset_in`` adds ``x-rate-limit-reset`` (now + seconds) to a 429.
    """

    status: int | None = None
    path: str | None = None
    method: str | None = None
    times: int = 1
    delay: float = 0.0
    drop: bool = False
    reset_in: float | None = 60.0
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    #: Raw bytes sent as the body instead of JSON (malformed or truncated payloads).
    raw: bytes | None = None
    #: With ``raw``: announce this Content-Length and close early (a cut-off transfer).
    announce: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )


class FakeXServer:
    """Threaded HTTP server on 127.0.0.1 with an ephemeral port; see the module docstring."""

    def __init__(
        self,
        *,
        brand_username: str = "acme",
        brand_name: str = "Acme",
        brand_id: str = "1000",
        bearer_token: str = "test-bearer-token",
        access_token: str = "test-access-token",
        keepalive_interval: float = 20.0,
        rate_limit: int = 100_000,
        start_time: datetime | None = None,
    ) -> None:
        self.bearer_token = bearer_token
        self.keepalive_interval = keepalive_interval
        self.rate_limit = rate_limit
        self.lock = threading.RLock()
        self.users: dict[str, dict[str, Any]] = {}
        self.tweets: dict[str, dict[str, Any]] = {}
        #: Tweets created through ``POST /2/tweets``, in order.
        self.posted: list[dict[str, Any]] = []
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.rules: dict[str, dict[str, str]] = {}
        self._next_id = FIRST_ID
        self._order: list[int] = []  # every tweet id, ascending
        self._by_mention: dict[str, list[int]] = {}  # lower username -> ids, ascending
        self._next_user = 5000
        self._next_rule = 1
        self._clock = start_time or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self._windows: dict[str, tuple[int, int]] = {}  # endpoint -> (remaining, reset epoch)
        self._streams: list[queue.Queue[object]] = []
        self.stream_connects = 0
        self.brand = self.add_user(brand_username, name=brand_name, id=brand_id, followers=90_000)
        #: Access token -> user id, for user-context (OAuth 1.0a) requests.
        self.access_tokens: dict[str, str] = {access_token: brand_id}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> FakeXServer:
        server = self

        class Handler(_Handler):
            fake = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.disconnect_streams()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeXServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---------------------------------------------------------------- data
    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        id: str | None = None,
        followers: int = 10,
        verified_type: str = "none",
    ) -> dict[str, Any]:
        with self.lock:
            if id is None:
                self._next_user += 1
                id = str(self._next_user)
            user = {
                "id": id,
                "username": username,
                "name": name or username.title(),
                "verified_type": verified_type,
                "verified": verified_type != "none",
                "public_metrics": {
                    "followers_count": followers,
                    "following_count": 100,
                    "tweet_count": 1000,
                    "listed_count": 3,
                    "like_count": 50,
                },
            }
            self.users[id] = user
            return user

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        low = username.lower()
        return next((u for u in self.users.values() if u["username"].lower() == low), None)

    def add_tweet(
        self,
        text: str,
        *,
        author: str | dict[str, Any] = "someone",
        reply_to: str | None = None,
        quote_of: str | None = None,
        retweet_of: str | None = None,
        note_text: str | None = None,
        lang: str = "en",
        created_at: datetime | None = None,
        stream: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a post (ids grow with each call) and push it to matching stream clients.

        Mentions come from ``@handles`` in the (full) text; unknown handles become users.
        ``note_text`` makes it a long post: ``text`` is then cut to 280 characters as X
        does, and ``note_tweet.text`` carries the whole of ``note_text``.
        """
        with self.lock:
            user = author if isinstance(author, dict) else self._user_named(author)
            self._next_id += 1000
            tid = str(self._next_id)
            self._clock += timedelta(seconds=1)
            full = note_text if note_text is not None else text
            if retweet_of is not None:
                orig = self.tweets[retweet_of]
                orig_user = self.users[orig["author_id"]]
                full = f"RT @{orig_user['username']}: {orig['text']}"
            tweet: dict[str, Any] = {
                "id": tid,
                "text": full[:280] if note_text is not None else full,
                "edit_history_tweet_ids": [tid],
                "author_id": user["id"],
                "created_at": _iso(created_at or self._clock),
                "conversation_id": tid,
                "lang": lang,
                "public_metrics": {
                    "retweet_count": 0,
                    "reply_count": 0,
                    "like_count": 0,
                    "quote_count": 0,
                    "bookmark_count": 0,
                    "impression_count": 0,
                },
            }
            mentions = self._mention_entities(full)
            if mentions:
                tweet["entities"] = {"mentions": mentions}
            refs = []
            if reply_to is not None:
                parent = self.tweets[reply_to]
                tweet["conversation_id"] = parent["conversation_id"]
                tweet["in_reply_to_user_id"] = parent["author_id"]
                refs.append({"type": "replied_to", "id": reply_to})
            if quote_of is not None:
                refs.append({"type": "quoted", "id": quote_of})
            if retweet_of is not None:
                refs.append({"type": "retweeted", "id": retweet_of})
            if refs:
                tweet["referenced_tweets"] = refs
            if note_text is not None:
                tweet["note_tweet"] = {"text": note_text, "entities": {"mentions": mentions}}
            tweet.update(extra or {})
            self.tweets[tid] = tweet
            # Ids only grow, so appending keeps the indexes sorted for bisect.
            self._order.append(int(tid))
            for username in _mentioned(tweet):
                self._by_mention.setdefault(username, []).append(int(tid))
        if stream:
            self._push_to_streams(tweet)
        return tweet

    def seed_tweets(
        self,
        n: int,
        *,
        mention: str | None = None,
        authors: int = 50,
        text: str = "@{brand} my order #{i} has not arrived, help?",
        stream: bool = False,
    ) -> list[dict[str, Any]]:
        """Add ``n`` generated posts that @mention ``mention`` (default: the brand)."""
        handle = mention or self.brand["username"]
        pool = [self._user_named(f"customer{k}") for k in range(max(1, authors))]
        return [
            self.add_tweet(
                text.format(brand=handle, i=i), author=pool[i % len(pool)], stream=stream
            )
            for i in range(n)
        ]

    def mentions_of(self, user_id: str) -> list[dict[str, Any]]:
        """Posts the mentions timeline of ``user_id`` returns, newest first."""
        username = self.users[user_id]["username"].lower()
        with self.lock:
            return [self.tweets[str(i)] for i in reversed(self._by_mention.get(username, []))]

    # ---------------------------------------------------------------- faults
    def fail_next(
        self,
        status: int,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int = 1,
        reset_in: float | None = 60.0,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (X's error JSON)."""
        self._add_fault(
            Fault(status, path, method, times, reset_in=reset_in, headers=headers or {}, body=body)
        )

    def corrupt_next(
        self,
        raw: bytes,
        *,
        status: int = 200,
        path: str | None = None,
        times: int = 1,
        announce: int | None = None,
    ) -> None:
        """Answer with ``raw`` as the body: malformed JSON, or (``announce`` larger than
        ``len(raw)``) a transfer that closes before the announced length arrived."""
        self._add_fault(Fault(status, path, None, times, raw=raw, announce=announce))

    def delay_next(self, seconds: float, *, path: str | None = None, times: int = 1) -> None:
        self._add_fault(Fault(None, path, None, times, delay=seconds))

    def drop_next(self, *, path: str | None = None, times: int = 1) -> None:
        """Close the connection without answering (a connection error for the client)."""
        self._add_fault(Fault(None, path, None, times, drop=True))

    def _add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # ---------------------------------------------------------------- requests
    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        with self.lock:
            return [
                r
                for r in self.requests
                if r.path.startswith(path_prefix) and (method is None or r.method == method)
            ]

    # ---------------------------------------------------------------- stream
    def disconnect_streams(self) -> None:
        """Drop every open stream connection (as X does on a disconnect)."""
        with self.lock:
            streams, self._streams = self._streams, []
        for q in streams:
            q.put(_DISCONNECT)

    @property
    def stream_clients(self) -> int:
        with self.lock:
            return len(self._streams)

    def wait_for_stream_clients(self, n: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stream_clients >= n:
                return True
            time.sleep(0.005)
        return False

    def _push_to_streams(self, tweet: dict[str, Any]) -> None:
        with self.lock:
            matching = [
                {"id": r["id"], "tag": r.get("tag", "")}
                for r in self.rules.values()
                if _matches(r["value"], tweet, self)
            ]
            streams = list(self._streams)
        if matching:
            for q in streams:
                q.put((tweet, matching))

    # ---------------------------------------------------------------- internals
    def _user_named(self, username: str) -> dict[str, Any]:
        with self.lock:
            return self.user_by_username(username) or self.add_user(username)

    def _mention_entities(self, text: str) -> list[dict[str, Any]]:
        out = []
        for m in _MENTION_RE.finditer(text):
            user = self._user_named(m.group(1))
            out.append(
                {"start": m.start(), "end": m.end(), "username": user["username"], "id": user["id"]}
            )
        return out

    def _rate(self, endpoint: str) -> tuple[dict[str, str], bool]:
        """Count one request against ``endpoint``'s 15-minute window."""
        now = int(time.time())
        with self.lock:
            remaining, reset = self._windows.get(endpoint, (self.rate_limit, now + 900))
            if reset <= now:
                remaining, reset = self.rate_limit, now + 900
            ok = remaining > 0
            remaining = max(0, remaining - 1)
            self._windows[endpoint] = (remaining, reset)
        headers = {
            "x-rate-limit-limit": str(self.rate_limit),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset),
        }
        return headers, ok


class _Handler(BaseHTTPRequestHandler):
    fake: FakeXServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every response.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # ------------------------------------------------------------ plumbing
    def _dispatch(self, method: str) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with fake.lock:
            fake.requests.append(
                RecordedRequest(
                    method,
                    path,
                    query,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    time.time(),
                )
            )
        fault = fake._take_fault(method, path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self.close_connection = True
                self.connection.close()
                return
            if fault.raw is not None:
                self._raw_response(fault)
                return
            if fault.status is not None:
                self._fault_response(fault)
                return
        _route(self, method, path, query, body)

    def _raw_response(self, fault: Fault) -> None:
        raw = fault.raw or b""
        self.send_response(fault.status or 200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(fault.announce or len(raw)))
        self.end_headers()
        self.wfile.write(raw)
        if fault.announce is not None and fault.announce > len(raw):
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)

    def _fault_response(self, fault: Fault) -> None:
        headers = dict(fault.headers)
        if fault.status == 429:
            headers.setdefault("x-rate-limit-limit", str(self.fake.rate_limit))
            headers.setdefault("x-rate-limit-remaining", "0")
            if fault.reset_in is not None:
                headers.setdefault("x-rate-limit-reset", str(int(time.time() + fault.reset_in)))
        self.send_json(fault.status or 500, fault.body or problem(fault.status or 500), headers)

    def send_json(
        self, status: int, payload: object, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
