"""The wire side of ``FakeXServer``: X API v2 endpoints, payload shaping, query matching.

Kept apart from ``x_server`` (the fake's state and its test-facing API) so each stays
readable; tests import ``FakeXServer`` from ``tests.fakes.x_server`` only.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import queue
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

if TYPE_CHECKING:
    from tests.fakes.x_server import FakeXServer, _Handler

DEFAULT_FIELDS = ("id", "text", "edit_history_tweet_ids")
#: Put on a stream connection's queue to drop it.
_DISCONNECT = object()


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _mentioned(tweet: dict[str, Any]) -> set[str]:
    mentions = (tweet.get("entities") or {}).get("mentions") or []
    return {str(m.get("username", "")).lower() for m in mentions}


def _full_text(tweet: dict[str, Any]) -> str:
    note = tweet.get("note_tweet") or {}
    return str(note.get("text") or tweet.get("text", ""))


def _ref_types(tweet: dict[str, Any]) -> set[str]:
    return {r["type"] for r in tweet.get("referenced_tweets") or []}


_TOKEN_RE = re.compile(r'-?"[^"]*"|\S+')


def _matches(query: str, tweet: dict[str, Any], fake: FakeXServer) -> bool:
    """Evaluate the subset of X's query language described in the module docstring."""
    groups: list[list[str]] = [[]]
    for token in _TOKEN_RE.findall(query.replace("(", " ").replace(")", " ")):
        if token == "OR":
            groups.append([])
        else:
            groups[-1].append(token)
    return any(g and all(_term(t, tweet, fake) for t in g) for g in groups)


def _term(token: str, tweet: dict[str, Any], fake: FakeXServer) -> bool:
    negate = token.startswith("-") and len(token) > 1
    term = token[1:] if negate else token
    text = _full_text(tweet).lower()
    low = term.lower()
    if low.startswith('"') and low.endswith('"'):
        hit = low.strip('"') in text
    elif low.startswith("@"):
        hit = low[1:] in _mentioned(tweet)
    elif low.startswith("from:"):
        author = fake.users.get(tweet["author_id"], {})
        hit = str(author.get("username", "")).lower() == low[5:]
    elif low.startswith("is:"):
        kind = {"retweet": "retweeted", "reply": "replied_to", "quote": "quoted"}.get(low[3:])
        hit = kind in _ref_types(tweet)
    elif low.startswith("lang:"):
        hit = tweet.get("lang") == low[5:]
    else:
        hit = low in text
    return hit != negate


_TITLES = {
    400: "Invalid Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found Error",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def problem(status: int, detail: str | None = None) -> dict[str, Any]:
    """X's problem JSON for an error status."""
    title = _TITLES.get(status, "Error")
    return {"title": title, "detail": detail or title, "type": "about:blank", "status": status}


# ==================================================================== endpoints
def _split(value: str | None) -> set[str]:
    return {v for v in (value or "").split(",") if v}


def _auth(h: _Handler, *, user: bool = False) -> str | None:
    """Check the Authorization header; return the user id for user context, "" for app.

    ``None`` means a 401 was sent. App-only (bearer) is refused where ``user`` is needed.
    """
    fake = h.fake
    header = h.headers.get("Authorization", "")
    if header.startswith("OAuth "):
        m = re.search(r'oauth_token="([^"]*)"', header)
        user_id = fake.access_tokens.get(unquote(m.group(1))) if m else None
        if user_id is not None:
            return user_id
    elif header == f"Bearer {fake.bearer_token}" and not user:
        return ""
    if user and header.startswith("Bearer ") and header == f"Bearer {fake.bearer_token}":
        h.send_json(
            403,
            problem(
                403,
                "Authenticating with OAuth 2.0 Application-Only is forbidden for this "
                "endpoint.  Supported authentication types are [OAuth 1.0a User Context, "
                "OAuth 2.0 User Context].",
            ),
        )
        return None
    h.send_json(401, problem(401))
    return None


def _route(h: _Handler, method: str, path: str, query: dict[str, str], body: bytes) -> None:
    parts = [p for p in path.split("/") if p]
    if parts[:1] != ["2"]:
        h.send_json(404, problem(404, f"no route {path}"))
        return
    rest = parts[1:]
    endpoint = "/".join(p if not p.isdigit() else ":id" for p in rest)
    user_context = (method == "POST" and rest == ["tweets"]) or rest == ["users", "me"]
    if _auth(h, user=user_context) is None:
        return
    rate_headers, ok = h.fake._rate(f"{method} {endpoint}")
    if not ok:
        h.send_json(429, problem(429), rate_headers)
        return
    handler = {
        ("GET", "users/:id/mentions"): _mentions,
        ("GET", "tweets/search/recent"): _search,
        ("GET", "tweets/search/all"): _search,
        ("GET", "tweets/counts/all"): _counts,
        ("GET", "tweets/counts/recent"): _counts,
        ("POST", "tweets"): _create_tweet,
        ("GET", "tweets/search/stream/rules"): _get_rules,
        ("POST", "tweets/search/stream/rules"): _post_rules,
        ("GET", "tweets/search/stream"): _stream,
        ("GET", "users/me"): _me,
    }.get((method, endpoint))
    if handler is None and method == "GET" and rest[:3] == ["users", "by", "username"]:
        handler = _user_by_username
    if handler is None:
        h.send_json(404, problem(404, f"no route {method} {path}"))
        return
    handler(h, rest, query, body, rate_headers)


def _invalid(h: _Handler, param: str, value: str, message: str) -> None:
    h.send_json(
        400,
        {
            "errors": [{"parameters": {param: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def _project(obj: dict[str, Any], defaults: Iterable[str], fields: set[str]) -> dict[str, Any]:
    keep = set(defaults) | fields
    return {k: v for k, v in obj.items() if k in keep}


def _x_escape(text: str) -> str:
    """X sends post text with &, < and > as HTML entities (a typed "&amp;" as "&amp;amp;")."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tweet_out(tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """A stored tweet as X renders it: the requested fields, text entity-escaped."""
    out = _project(tweet, DEFAULT_FIELDS, fields)
    if isinstance(out.get("text"), str):
        out["text"] = _x_escape(out["text"])
    note = out.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        out["note_tweet"] = {**note, "text": _x_escape(note["text"])}
    return out


def _payload(fake: FakeXServer, tweets: list[dict[str, Any]], q: dict[str, str]) -> dict[str, Any]:
    """``data`` and ``includes`` for ``tweets``, honouring fields and expansions."""
    tweet_fields = _split(q.get("tweet.fields"))
    user_fields = _split(q.get("user.fields"))
    expansions = _split(q.get("expansions"))
    user_ids: list[str] = []
    ref_tweets: list[dict[str, Any]] = []
    with fake.lock:
        for t in tweets:
            if "author_id" in expansions:
                user_ids.append(t["author_id"])
            if "entities.mentions.username" in expansions:
                user_ids += [m["id"] for m in (t.get("entities") or {}).get("mentions", [])]
            if "in_reply_to_user_id" in expansions and "in_reply_to_user_id" in t:
                user_ids.append(t["in_reply_to_user_id"])
            if "referenced_tweets.id" in expansions:
                for ref in t.get("referenced_tweets") or []:
                    if ref["id"] in fake.tweets:
                        ref_tweets.append(fake.tweets[ref["id"]])
                        if "referenced_tweets.id.author_id" in expansions:
                            user_ids.append(fake.tweets[ref["id"]]["author_id"])
        users = [fake.users[u] for u in dict.fromkeys(user_ids) if u in fake.users]
    includes: dict[str, Any] = {}
    if users:
        includes["users"] = [_project(u, ("id", "name", "username"), user_fields) for u in users]
    if ref_tweets:
        unique = {t["id"]: t for t in ref_tweets}.values()
        includes["tweets"] = [_tweet_out(t, tweet_fields) for t in unique]
    out: dict[str, Any] = {"data": [_tweet_out(t, tweet_fields) for t in tweets]}
    if includes:
        out["includes"] = includes
    return out


def _token(tweet_id: str) -> str:
    return "7140dibdnow9c7" + _b36(int(tweet_id))


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def _timeline(
    h: _Handler,
    ids: list[int],
    q: dict[str, str],
    headers: dict[str, str],
    *,
    max_range: tuple[int, int],
    default_max: int,
    token_params: tuple[str, ...],
    match: Callable[[dict[str, Any]], bool] | None = None,
) -> None:
    """One page, newest first, of the posts in ``ids`` (ascending) that ``match``."""
    lo, hi = max_range
    raw_max = q.get("max_results", str(default_max))
    if not raw_max.isdigit() or not lo <= int(raw_max) <= hi:
        msg = f"The `max_results` query parameter value [{raw_max}] is not between {lo} and {hi}"
        _invalid(h, "max_results", raw_max, msg)
        return
    since = int(q["since_id"]) if q.get("since_id", "").isdigit() else None
    until = int(q["until_id"]) if q.get("until_id", "").isdigit() else None
    token = next((q[p] for p in token_params if q.get(p)), None)
    if token is not None:
        if not token.startswith("7140dibdnow9c7"):
            _invalid(h, token_params[0], token, "The pagination token is invalid")
            return
        bound = int(token[14:], 36)
        until = bound if until is None else min(until, bound)
    fake = h.fake
    page: list[dict[str, Any]] = []
    more = False
    with fake.lock:
        start = bisect.bisect_right(ids, since) if since is not None else 0
        stop = bisect.bisect_left(ids, until) if until is not None else len(ids)
        for i in range(stop - 1, start - 1, -1):
            tweet = fake.tweets[str(ids[i])]
            if match is not None and not match(tweet):
                continue
            if len(page) == int(raw_max):
                more = True
                break
            page.append(tweet)
    if not page:
        h.send_json(200, {"meta": {"result_count": 0}}, headers)
        return
    out = _payload(fake, page, q)
    meta: dict[str, Any] = {
        "newest_id": page[0]["id"],
        "oldest_id": page[-1]["id"],
        "result_count": len(page),
    }
    if more:
        meta["next_token"] = _token(page[-1]["id"])
    out["meta"] = meta
    h.send_json(200, out, headers)


Route = Any  # (handler, rest, query, body, headers) -> None; kept loose for a test fake


def _mentions(
    h: _Handler, rest: list[str], q: dict[str, str], body: bytes, hd: dict[str, str]
) -> None:
    user_id = rest[1]
    if user_id not in h.fake.users:
        h.send_json(
            200,
            {
                "errors": [
                    {
                        "value": user_id,
                        "detail": f"Could not find user with id: [{user_id}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "id",
                        "resource_id": user_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            },
        )
        return
    username = h.fake.users[user_id]["username"].lower()
    _timeline(
        h,
        h.fake._by_mention.get(username, []),
        q,
        hd,
        max_range=(5, 100),
        default_max=10,
        token_params=("pagination_token",),
    )


def _search(
    h: _Handler, rest: list[str], q: dict[str, str], body: bytes, hd: dict[str, str]
) -> None:
    if not q.get("query"):
        _invalid(h, "query", "", "The `query` query parameter can not be empty")
        return
    fake = h.fake
    query = q["query"]
    hi = 500 if rest[-1] == "all" else 100
    _timeline(
        h,
        fake._order,
        q,
        hd,
        max_range=(10, hi),
        default_max=10,
        token_params=("next_token", "pagination_token"),
        match=lambda t: _matches(query, t, fake),
    )


def _counts(
    h: _Handler, rest: list[str], q: dict[str, str], body: bytes, hd: dict[str, str]
) -> None:
    fake = h.fake
    if not q.get("query"):
        _invalid(h, "query", "", "The `query` query parameter can not be empty")
        return
    step = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
    granularity = q.get("granularity", "hour")
    if granularity not in step:
        _invalid(h, "granularity", granularity, "Invalid granularity")
        return
    with fake.lock:
        found = [t for t in fake.tweets.values() if _matches(q["query"], t, fake)]
    buckets: dict[datetime, int] = {}
    for t in found:
        at = datetime.strptime(t["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        if granularity == "day":
            start = at.replace(hour=0, minute=0, second=0, microsecond=0)
        elif granularity == "hour":
            start = at.replace(minute=0, second=0, microsecond=0)
        else:
            start = at.replace(second=0, microsecond=0)
        buckets[start] = buckets.get(start, 0) + 1
    data = [
        {"end": _iso(s + step[granularity])[:-5] + ".000Z", "start": _iso(s), "tweet_count": n}
        for s, n in sorted(buckets.items())
    ]
    h.send_json(200, {"data": data, "meta": {"total_tweet_count": len(found)}}, hd)


def _user_by_username(
    h: _Handler, rest: list[str], q: dict[str, str], body: bytes, hd: dict[str, str]
) -> None:
    username = rest[3] if len(rest) > 3 else ""
    user = h.fake.user_by_username(username)
    if user is None:
        h.send_json(
            200,
            {
                "errors": [
                    {
                        "value": username,
                        "detail": f"Could not find user with username: [{username}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "username",
                        "resource_id": username,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            },
            hd,
        )
        return
    fields = _split(q.get("user.fields"))
    h.send_json(200, {"data": _project(user, ("id", "name", "username"), fields)}, hd)


def _me(
    h: _Handler, rest: list[str], q: dict[str, str], body: bytes, hd: dict[str, str]
) -> None:
    """``GET /2/users/me``: the account the user-context credentials belong to."""
    header = h.headers.get("Authorization", "")
    m = re.search(r'oauth_token="([^"]*)"', header)
    user = h.fake.users[h.fake.access_tokens[unquote(m.group(1))]] if m else None
    if user is None:
        h.send_json(401, problem(401))
        return
    fields = _split(q.get("user.fields"))
    h.send_json(200, {"data": _project(user, ("id", "name", "username"), fields)}, hd)


def _addressed_to(fake: FakeXServer, target: dict[str, Any], user_id: str) -> bool:
    """X's 2026-02 rule: the target must @mention or quote the replying account."""
    username = fake.users[user_id]["username"].lower()
    if username in _mentioned(target):
        return True
    for ref in target.get("referenced_tweets") or []:
        quoted = fake.tweets.get(ref["id"])
        if ref["type"] == "quoted" and quoted is not None and quoted["author_id"] == user_id:
            return True
    return False


def _create_tweet(
    h: _Handler, rest: list[str], q: dict[str, str], body: bytes, hd: dict[str, str]
) -> None:
    fake = h.fake
    header = h.headers.get("Authorization", "")
    m = re.search(r'oauth_token="([^"]*)"', header)
    user_id = fake.access_tokens[unquote(m.group(1))] if m else ""
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        h.send_json(400, problem(400, "body is not JSON"))
        return
    text = req.get("text")
    if not isinstance(text, str) or not text:
        _invalid(h, "text", str(text), "text is required")
        return
    reply_to = (req.get("reply") or {}).get("in_reply_to_tweet_id")
    if reply_to is not None:
        with fake.lock:
            target = fake.tweets.get(str(reply_to))
            allowed = target is not None and _addressed_to(fake, target, user_id)
        if target is None:
            h.send_json(
                403,
                problem(
                    403, "You attempted to reply to a Tweet that is deleted or not visible to you."
                ),
                hd,
            )
            return
        if not allowed:
            h.send_json(
                403,
                problem(
                    403,
                    "Reply to this conversation is not allowed because you "
                    "have not been mentioned or otherwise engaged by the author "
                    "of the post you are replying to.",
                ),
                hd,
            )
            return
    tweet = fake.add_tweet(
        text, author=fake.users[user_id], reply_to=reply_to, quote_of=req.get("quote_tweet_id")
    )
    with fake.lock:
        fake.posted.append(tweet)
    h.send_json(
        201,
        {
            "data": {
                "id": tweet["id"],
                "text": tweet["text"],
                "edit_history_tweet_ids": [tweet["id"]],
            }
        },
        hd,
    )


def _sent() -> str:
    return _iso(datetime.now(UTC))


def _get_rules(
    h: _Handler, rest: list[str], q: dict[str, str], body: bytes, hd: dict[str, str]
) -> None:
    with h.fake.lock:
        rules = list(h.fake.rules.values())
    ids = _split(q.get("ids"))
    if ids:
        rules = [r for r in rules if r["id"] in ids]
    out: dict[str, Any] = {"meta": {"sent": _sent(), "result_count": len(rules)}}
    if rules:
        out["data"] = rules
    h.send_json(200, out, hd)


def _post_rules(
    h: _Handler, rest: list[str], q: dict[str, str], body: bytes, hd: dict[str, str]
) -> None:
    fake = h.fake
    req = json.loads(body or b"{}")
    dry_run = q.get("dry_run") == "true"
    summary: dict[str, int] = {}
    out: dict[str, Any] = {}
    with fake.lock:
        if "add" in req:
            created = []
            for rule in req["add"]:
                if any(r["value"] == rule["value"] for r in fake.rules.values()):
                    continue
                new = {
                    "id": str(1_600_000_000_000_000_000 + fake._next_rule),
                    "value": rule["value"],
                }
                if rule.get("tag"):
                    new["tag"] = rule["tag"]
                fake._next_rule += 1
                created.append(new)
                if not dry_run:
                    fake.rules[new["id"]] = new
            summary = {
                "created": len(created),
                "not_created": len(req["add"]) - len(created),
                "valid": len(req["add"]),
                "invalid": 0,
            }
            if created:
                out["data"] = created
        elif "delete" in req:
            ids = [str(i) for i in req["delete"].get("ids", [])]
            deleted = [i for i in ids if i in fake.rules]
            if not dry_run:
                for i in deleted:
                    del fake.rules[i]
            summary = {"deleted": len(deleted), "not_deleted": len(ids) - len(deleted)}
        else:
            _invalid(h, "add", "", "Rule request must contain add or delete")
            return
    out["meta"] = {"sent": _sent(), "summary": summary}
    h.send_json(200, out, hd)


def _stream(
    h: _Handler, rest: list[str], q: dict[str, str], body: bytes, hd: dict[str, str]
) -> None:
    fake = h.fake
    inbox: queue.Queue[object] = queue.Queue()
    h.send_response(200)
    h.send_header("Content-Type", "application/json; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    for k, v in hd.items():
        h.send_header(k, v)
    h.end_headers()
    with fake.lock:
        fake._streams.append(inbox)
        fake.stream_connects += 1
    try:
        while True:
            try:
                item = inbox.get(timeout=fake.keepalive_interval)
            except queue.Empty:
                h.send_chunk(b"\r\n")  # X's keep-alive: a bare CRLF
                continue
            if item is _DISCONNECT:
                break
            tweet, matching = cast("tuple[dict[str, Any], list[dict[str, str]]]", item)
            payload = _payload(fake, [tweet], q)
            payload["data"] = payload["data"][0]
            payload["matching_rules"] = matching
            h.send_chunk(json.dumps(payload).encode() + b"\r\n")
    except OSError:
        pass  # the client went away
    finally:
        with fake.lock:
            if inbox in fake._streams:
                fake._streams.remove(inbox)
        # End without the terminating chunk: the client sees a dropped connection.
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(2)
