"""Access control, per-key rate limits and the audit trail, as one ASGI middleware.

Every HTTP request and WebSocket except ``/healthz`` needs a valid API key, sent as
``X-API-Key``, ``Authorization: Bearer``, a ``key`` query parameter (WebSocket and
EventSource cannot set headers) or the console's ``screening_key`` cookie.  The
policy table below maps paths to the roles allowed there; ``admin`` is allowed
everywhere.  Refusals are JSON with a Chinese and an English message (401/403/429),
or a WebSocket close code (4401/4403/4429).  Mutating requests and WebSocket
connects are written to the append-only audit log.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

import anyio

from screening import auth
from screening.auth import Principal

PUBLIC = {("GET", "/healthz"), ("HEAD", "/healthz")}
COOKIE = "screening_key"
ANY_ROLE = frozenset(auth.ROLES)

# (methods, path regex, roles besides admin).  First match wins; unknown paths need any valid key.
POLICY: list[tuple[frozenset[str], re.Pattern, frozenset[str]]] = [
    (frozenset({"POST", "DELETE"}), re.compile(r"^/v1/session$"), ANY_ROLE),
    (frozenset({"GET"}), re.compile(r"^/v1/whoami$"), ANY_ROLE),
    (frozenset({"POST"}), re.compile(r"^/v1/lexicons/reload$"), frozenset()),
    (frozenset({"GET"}), re.compile(r"^/v1/lexicons$"), frozenset({"reviewer"})),
    (frozenset({"POST"}), re.compile(r"^/v1/scripts/"), frozenset({"reviewer"})),
    (frozenset({"POST"}), re.compile(r"^/v1/comments$"), frozenset({"moderator", "ingest"})),
    (frozenset({"*"}), re.compile(r"^/v1/(comments|reports)(/|$)"), frozenset({"moderator"})),
    (frozenset({"WS"}), re.compile(r"^/v1/live/sessions/[^/]+/audio$"), frozenset({"live", "ingest"})),
    (frozenset({"*"}), re.compile(r"^/v1/live(/|$)"), frozenset({"live"})),
    (frozenset({"*"}), re.compile(r"^/v1/(audit|keys)(/|$)"), frozenset()),
    (frozenset({"GET", "HEAD"}), re.compile(r"^/($|console|static/|docs|redoc|openapi\.json)"), ANY_ROLE),
]

ACTIONS = [
    (re.compile(r"^POST /v1/scripts/review$"), "script.review"),
    (re.compile(r"^POST /v1/comments$"), "comments.ingest"),
    (re.compile(r"^POST /v1/comments/[^/]+/actions$"), "comment.action"),
    (re.compile(r"^POST /v1/live/sessions$"), "live.start"),
    (re.compile(r"^POST /v1/live/sessions/[^/]+/stop$"), "live.stop"),
    (re.compile(r"^WS /v1/live/sessions/[^/]+/audio$"), "live.audio"),
    (re.compile(r"^WS /v1/live/sessions/[^/]+/events$"), "live.watch"),
    (re.compile(r"^POST /v1/lexicons/reload$"), "lexicons.reload"),
    (re.compile(r"^POST /v1/session$"), "console.login"),
    (re.compile(r"^DELETE /v1/session$"), "console.logout"),
]

LOGIN_PAGE = Path(__file__).parent / "static" / "login.html"
_FALLBACK_LOGIN = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>登录</title>
<body style="font-family:sans-serif;max-width:28rem;margin:4rem auto">
<h1>直播电商合规审核</h1><p>请输入访问密钥（由管理员用 <code>screening keys create</code> 生成）</p>
<form onsubmit="event.preventDefault();fetch('/v1/session',{method:'POST',headers:{'X-API-Key':k.value}})
.then(r=>{if(r.ok)location.reload();else m.textContent='密钥无效或已吊销'})">
<input id="k" type="password" style="width:100%" placeholder="sk_..." autofocus><button>登录</button></form>
<p id="m" style="color:#b00"></p></body></html>"""


def allowed_roles(kind: str, method: str, path: str) -> frozenset[str]:
    for methods, rx, roles in POLICY:
        if ("*" in methods or kind == "WS" and "WS" in methods or kind == "HTTP" and method in methods) and rx.match(path):
            return roles
    return ANY_ROLE


def action_name(kind: str, method: str, path: str) -> str | None:
    sig = f"{'WS' if kind == 'WS' else method} {path}"
    for rx, name in ACTIONS:
        if rx.match(sig):
            return name
    return f"{method.lower()} {path}" if kind == "HTTP" and method in ("POST", "PUT", "PATCH", "DELETE") else None


class TokenBuckets:
    """Per-key request budget: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int):
        self.rate = per_minute / 60.0
        self.cap = float(per_minute)
        self._b: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: int) -> float:
        """0 if allowed, else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._b.get(key_id, (self.cap, now))
            tokens = min(self.cap, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._b[key_id] = (tokens - 1, now)
                return 0.0
            self._b[key_id] = (tokens, now)
            return (1 - tokens) / self.rate


def _key_from(scope) -> str | None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    if headers.get("x-api-key"):
        return headers["x-api-key"].strip()
    authz = headers.get("authorization", "")
    if authz.lower().startswith("bearer "):
        return authz[7:].strip()
    qs = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if qs.get("key"):
        return qs["key"][0]
    if "cookie" in headers:
        c = SimpleCookie()
        try:
            c.load(headers["cookie"])
        except Exception:
            return None
        if COOKIE in c:
            return c[COOKIE].value
    return None


class AccessControl:
    def __init__(self, app, get_state):
        self.app = app
        self.get_state = get_state  # () -> app.state (db, settings), available after start-up
        self._buckets: TokenBuckets | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        kind = "WS" if scope["type"] == "websocket" else "HTTP"
        method = scope.get("method", "GET")
        path = scope["path"]
        if kind == "HTTP" and (method, path) in PUBLIC:
            return await self.app(scope, receive, send)
        state = self.get_state()
        if self._buckets is None:
            self._buckets = TokenBuckets(state.settings.rate_limit_per_minute)
        key = _key_from(scope)
        principal = await anyio.to_thread.run_sync(auth.authenticate, state.db, key) if key else None
        if principal is None:
            if kind == "HTTP" and method == "GET" and (path == "/" or path.startswith("/console")):
                page = LOGIN_PAGE.read_text(encoding="utf-8") if LOGIN_PAGE.exists() else _FALLBACK_LOGIN
                return await _send(send, 401, page.encode("utf-8"), "text/html; charset=utf-8")
            zh, en = ("密钥无效或已吊销", "invalid or revoked API key") if key else ("需要访问密钥", "API key required")
            return await self._refuse(scope, send, kind, 401, zh, en)
        roles = allowed_roles(kind, method, path)
        if principal.role != "admin" and principal.role not in roles:
            zh = f"角色「{auth.ROLE_LABELS_ZH[principal.role]}」无权访问此接口"
            return await self._refuse(scope, send, kind, 403, zh, f"role {principal.role!r} may not use this endpoint")
        wait = self._buckets.take(principal.key_id)
        if wait > 0:
            return await self._refuse(scope, send, kind, 429, f"请求过于频繁，请 {wait:.0f} 秒后重试",
                                      f"rate limit exceeded, retry in {wait:.0f}s", retry=wait)
        scope.setdefault("state", {})["principal"] = principal
        action = action_name(kind, method, path)
        status = {"code": None}

        async def send_wrapper(msg):
            if msg["type"] == "http.response.start":
                status["code"] = msg["status"]
                if path == "/v1/session" and msg["status"] < 300 and key:
                    cookie = (f"{COOKIE}={key}; HttpOnly; SameSite=Strict; Path=/" if method == "POST"
                              else f"{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
                    msg = dict(msg)
                    msg["headers"] = list(msg.get("headers", [])) + [(b"set-cookie", cookie.encode())]
            elif msg["type"] == "websocket.accept":
                status["code"] = 101
            await send(msg)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if action:
                await anyio.to_thread.run_sync(lambda: _audit(state.db, principal, action, path, status["code"]))

    async def _refuse(self, scope, send, kind, status, zh, en, retry: float | None = None):
        if kind == "WS":
            return await send({"type": "websocket.close", "code": 4000 + status, "reason": en})
        body = json.dumps({"detail": {"code": str(status), "message": zh, "message_en": en}}, ensure_ascii=False)
        extra = [(b"retry-after", str(max(1, int(retry + 0.999))).encode())] if retry else []
        await _send(send, status, body.encode("utf-8"), "application/json", extra)


def _audit(db, principal: Principal, action: str, path: str, status) -> None:
    try:
        auth.audit(db, principal.actor, principal.role, action, path, status=status)
    except Exception:  # the audit must never take a request down with it
        import logging

        logging.getLogger("screening.audit").exception("audit write failed")


async def _send(send, status: int, body: bytes, ctype: str, extra=()):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})
