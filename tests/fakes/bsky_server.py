"""A local Bluesky PDS + AppView that speaks XRPC as bsky.social does, for tests.

Point the real ``atproto.Client`` at it (``Client(base_url=server.base_url)``, which
appends ``/xrpc``), or ``settings.bluesky.service_url``::

    with FakeBlueskyServer(handle="acme.bsky.social") as pds:
        ann = pds.network.add_account("ann.bsky.social", followers=120)
        pds.network.post(ann, "@acme.bsky.social my order is late")
        pds.fail_next(429, path="app.bsky.feed.searchPosts", reset_in=30)
        pds.fail_next(502, times=2)
        pds.expire_tokens()          # the next authenticated call gets 400 ExpiredToken

Methods (lexicon shapes; errors as ``{"error": Name, "message": ...}``):

- ``com.atproto.server.createSession`` / ``refreshSession`` (real-format JWTs with
  ``exp``: the SDK refreshes on its own 15 minutes before it), ``getSession``
- ``com.atproto.identity.resolveHandle``
- ``app.bsky.actor.getProfile`` / ``getProfiles`` (at most 25 actors)
- ``app.bsky.notification.listNotifications`` (newest first, ``cursor``, ``limit``)
- ``app.bsky.feed.searchPosts`` (``q`` words, all must match; ``sort=latest``, ``since``
  / ``until`` on the post's sortAt, ``cursor`` offsets, ``limit`` 1-100)
- ``com.atproto.repo.createRecord`` (``app.bsky.feed.post`` only: 300 graphemes, strong
  reply refs that exist, ``repo`` must be the session's DID)

Every response carries ``ratelimit-limit/-remaining/-reset/-policy``; past ``rate_limit``
calls in the window the answer is 429 ``RateLimitExceeded``.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex

from tests.fakes.bsky_network import POST, Account, FakeNetwork, Post, iso

__all__ = ["FakeBlueskyServer", "XrpcFault"]

_SECRET = b"fake-pds-secret"


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        self.status, self.error, self.message = status, error, message
        super().__init__(message)


@dataclass
class XrpcFault:
    status: int
    path: str | None = None
    times: int = 1
    reset_in: float | None = 60.0
    error: str = ""
    drop: bool = False

    def matches(self, nsid: str) -> bool:
        return self.path is None or nsid.startswith(self.path)


@dataclass
class Call:
    method: str
    nsid: str
    params: dict[str, list[str]]
    body: Any
    auth: str


@dataclass
class _Session:
    did: str
    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(payload: dict[str, Any]) -> str:
    head = _b64(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
    body = _b64(json.dumps(payload).encode())
    sig = _b64(hmac.new(_SECRET, f"{head}.{body}".encode(), "sha256").digest())
    return f"{head}.{body}.{sig}"


def _sort_at(post: Post) -> datetime:
    created = datetime.fromisoformat(post.record["createdAt"].replace("Z", "+00:00"))
    return min(created, post.indexed_at)


def _when(value: str) -> datetime:
    if len(value) == 10:
        value += "T00:00:00Z"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class FakeBlueskyServer:
    def __init__(
        self,
        *,
        handle: str = "acme.bsky.social",
        password: str = "abcd-efgh-ijkl-mnop",
        network: FakeNetwork | None = None,
        rate_limit: int = 3000,
        access_ttl: float = 2 * 3600,
    ) -> None:
        self.network = network or FakeNetwork()
        self.account = self.network.add_account(handle, display_name="Acme", followers=90_000)
        self.password = password
        self.rate_limit = rate_limit
        self.access_ttl = access_ttl
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.faults: list[XrpcFault] = []
        self.created: list[dict[str, Any]] = []  # createRecord bodies, in order
        self.sessions: dict[str, _Session] = {}
        self.logins = 0
        self.refreshes = 0
        self._window = (rate_limit, int(time.time()) + 300)
        self._serial = 0
        self._httpd: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> FakeBlueskyServer:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeBlueskyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # ------------------------------------------------------------ knobs
    def fail_next(self, status: int, *, path: str | None = None, times: int = 1,
                  reset_in: float | None = 60.0, error: str = "", drop: bool = False) -> None:
        with self.lock:
            self.faults.append(XrpcFault(status, path, times, reset_in, error, drop))

    def expire_tokens(self) -> None:
        """Revoke every access token (as a PDS does past ``exp``): 400 ExpiredToken next."""
        with self.lock:
            for session in self.sessions.values():
                session.access.clear()

    def calls_to(self, nsid: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.nsid == nsid]

    # ------------------------------------------------------------ plumbing
    def handle(self, method: str, nsid: str, params: dict[str, list[str]], body: Any,
               auth: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self.lock:
            self.calls.append(Call(method, nsid, params, body, auth))
            remaining, reset = self._window
            if time.time() >= reset:
                remaining, reset = self.rate_limit, int(time.time()) + 300
            headers = {"ratelimit-limit": str(self.rate_limit),
                       "ratelimit-policy": f"{self.rate_limit};w=300"}
            fault = next((f for f in self.faults if f.matches(nsid)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                if fault.drop:
                    return -1, {}, {}
                if fault.status == 429:
                    headers["ratelimit-remaining"] = "0"
                    if fault.reset_in is not None:
                        headers["ratelimit-reset"] = str(int(time.time() + fault.reset_in))
                    return 429, {"error": "RateLimitExceeded",
                                 "message": "Rate Limit Exceeded"}, headers
                return fault.status, {"error": fault.error or "InternalServerError",
                                      "message": "Internal Server Error"}, headers
            if remaining <= 0:
                headers.update({"ratelimit-remaining": "0", "ratelimit-reset": str(reset)})
                return 429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, \
                    headers
            self._window = (remaining - 1, reset)
            headers.update({"ratelimit-remaining": str(remaining - 1),
                            "ratelimit-reset": str(reset)})
            try:
                return 200, self._route(method, nsid, params, body, auth), headers
            except XrpcError as exc:
                return exc.status, {"error": exc.error, "message": exc.message}, headers

    def _route(self, method: str, nsid: str, q: dict[str, list[str]], body: Any, auth: str
               ) -> dict[str, Any]:
        one = {k: v[-1] for k, v in q.items()}
        if nsid == "com.atproto.server.createSession" and method == "POST":
            return self._create_session(body or {})
        if nsid == "com.atproto.server.refreshSession" and method == "POST":
            return self._refresh(auth)
        if nsid == "com.atproto.identity.resolveHandle":
            account = self.network.by_handle(one.get("handle", ""))
            if account is None:
                raise XrpcError(400, "InvalidRequest", "Unable to resolve handle")
            return {"did": account.did}
        did = self._authed(auth)
        if nsid == "com.atproto.server.getSession":
            me = self.network.accounts[did]
            return {"did": did, "handle": me.handle, "active": True}
        if nsid == "app.bsky.actor.getProfile":
            return self._profile(one.get("actor", "")).detailed()
        if nsid == "app.bsky.actor.getProfiles":
            actors = q.get("actors", [])
            if len(actors) > 25:
                raise XrpcError(400, "InvalidRequest",
                                "Error: actors must not have more than 25 elements")
            found = [a for a in (self.network.actor(x) for x in actors) if a is not None]
            return {"profiles": [a.detailed() for a in found]}
        if nsid == "app.bsky.notification.listNotifications":
            return self._notifications(did, one)
        if nsid == "app.bsky.feed.searchPosts":
            return self._search(one)
        if nsid == "com.atproto.repo.createRecord" and method == "POST":
            return self._create_record(did, body or {})
        raise XrpcError(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")

    # ------------------------------------------------------------ methods
    def _issue(self, did: str) -> dict[str, Any]:
        self._serial += 1
        now = int(time.time())
        access = _jwt({"scope": "com.atproto.appPass", "sub": did, "iat": now,
                       "exp": int(now + self.access_ttl), "aud": "did:web:fake.pds",
                       "jti": f"a{self._serial}"})
        refresh = _jwt({"scope": "com.atproto.refresh", "sub": did, "iat": now,
                        "exp": now + 90 * 86400, "jti": f"r{self._serial}"})
        session = self.sessions.setdefault(did, _Session(did))
        session.access.add(access)
        session.refresh = {refresh}
        me = self.network.accounts[did]
        return {"accessJwt": access, "refreshJwt": refresh, "handle": me.handle, "did": did,
                "active": True}

    def _create_session(self, body: dict[str, Any]) -> dict[str, Any]:
        ident = str(body.get("identifier", ""))
        account = self.network.actor(ident)
        if account is not self.account or body.get("password") != self.password:
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        self.logins += 1
        return self._issue(account.did)

    def _refresh(self, auth: str) -> dict[str, Any]:
        token = auth.removeprefix("Bearer ")
        for session in self.sessions.values():
            if token in session.refresh:
                self.refreshes += 1
                return self._issue(session.did)
        raise XrpcError(400, "ExpiredToken", "Token has been revoked")

    def _authed(self, auth: str) -> str:
        if not auth.startswith("Bearer "):
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        token = auth.removeprefix("Bearer ")
        for session in self.sessions.values():
            if token in session.access:
                return session.did
        raise XrpcError(400, "ExpiredToken", "Token has expired")

    def _profile(self, actor: str) -> Account:
        account = self.network.actor(actor)
        if account is None:
            raise XrpcError(400, "InvalidRequest", "Profile not found")
        return account

    def _notifications(self, did: str, q: dict[str, str]) -> dict[str, Any]:
        limit = int(q.get("limit", 50))
        if not 1 <= limit <= 100:
            raise XrpcError(400, "InvalidRequest", "limit must be between 1 and 100")
        mine = [n for d, n in self.network.notifications if d == did]
        mine.sort(key=lambda n: n["indexedAt"], reverse=True)
        start = int(q.get("cursor") or 0)
        page = mine[start:start + limit]
        out: dict[str, Any] = {"notifications": page, "seenAt": iso(self.network.now)}
        if start + limit < len(mine):
            out["cursor"] = str(start + limit)
        return out

    def _search(self, q: dict[str, str]) -> dict[str, Any]:
        text = q.get("q", "").strip()
        if not text:
            raise XrpcError(400, "InvalidRequest", 'Error: Params must have the property "q"')
        limit = int(q.get("limit", 25))
        if not 1 <= limit <= 100:
            raise XrpcError(400, "InvalidRequest", "limit must be between 1 and 100")
        words = [w.lower() for w in text.split()]
        hits = [p for p in self.network.posts
                if all(w in p.record.get("text", "").lower() for w in words)]
        if "since" in q:
            since = _when(q["since"])
            hits = [p for p in hits if _sort_at(p) >= since]
        if "until" in q:
            until = _when(q["until"])
            hits = [p for p in hits if _sort_at(p) < until]
        hits.sort(key=_sort_at, reverse=True)  # "latest"; "top" ranks alike here
        start = int(q.get("cursor") or 0)
        page = hits[start:start + limit]
        out: dict[str, Any] = {"posts": [p.view() for p in page], "hitsTotal": len(hits)}
        if start + limit < len(hits):
            out["cursor"] = str(start + limit)
        return out

    def _create_record(self, did: str, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("repo") not in (did, self.network.accounts[did].handle):
            raise XrpcError(401, "InvalidToken", "Cannot write to another repo")
        if body.get("collection") != POST:
            raise XrpcError(400, "InvalidRequest", "only app.bsky.feed.post in this fake")
        record = body.get("record") or {}
        text = record.get("text")
        if record.get("$type") != POST or not isinstance(text, str) or "createdAt" not in record:
            raise XrpcError(400, "InvalidRequest", "Invalid app.bsky.feed.post record")
        if len(regex.findall(r"\X", text)) > 300 or len(text.encode()) > 3000:
            raise XrpcError(400, "InvalidRequest", "Invalid app.bsky.feed.post record: "
                            "Record/text must not be longer than 300 graphemes")
        reply = record.get("reply")
        if reply is not None:
            for part in ("root", "parent"):
                ref = reply.get(part) or {}
                target = self.network.by_uri.get(ref.get("uri", ""))
                if target is None or ref.get("cid") != target.cid:
                    raise XrpcError(400, "InvalidRequest",
                                    f"Invalid app.bsky.feed.post record: reply/{part} "
                                    "must be a strong ref to an existing post")
            if self.network.by_uri[reply["parent"]["uri"]].reply_disabled:
                raise XrpcError(400, "InvalidRequest", "Reply is not allowed by the threadgate")
        self.created.append(body)
        post = self.network.add_record(self.network.accounts[did], record)
        return {"uri": post.uri, "cid": post.cid,
                "commit": {"cid": post.cid, "rev": post.rkey}, "validationStatus": "valid"}


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeBlueskyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        if not parts.path.startswith("/xrpc/"):
            self._send(404, {"error": "NotFound", "message": "Not Found"}, {})
            return
        nsid = parts.path.removeprefix("/xrpc/")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send(400, {"error": "InvalidRequest", "message": "bad JSON"}, {})
            return
        status, payload, headers = self.server_fake.handle(
            method, nsid, parse_qs(parts.query), body, self.headers.get("Authorization", ""))
        if status < 0:
            self.close_connection = True
            self.connection.close()
            return
        self._send(status, payload, headers)

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")
