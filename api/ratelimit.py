"""Per-subject rate limits (``GRASSROOTS_RATE_LIMIT``), so that one leaked or runaway token
cannot starve everyone else.

The ``limits`` package counts, in this process's memory (``MemoryStorage``), with its
sliding-window counter: a fixed amount of memory per key whatever the rate, and no
burst of twice the limit at a window's edge. The key is the subject of a valid bearer
token; a request without one (missing, malformed, expired: it will get 401) counts
against its client address instead, so that anonymous floods are bounded too and a
forged token cannot spend someone else's allowance.

What counts: every HTTP request to the API (``/graphql``, ``/events``, ``/export``; the
probes ``/healthz``, ``/readyz`` and ``/metrics`` do not), every WebSocket connection
attempt, and every operation (``subscribe`` message) on an open WebSocket
(``api.wsgate``). Over the limit: HTTP ``429`` with ``Retry-After`` (seconds) and a
body saying so; a WebSocket handshake gets the same 429; an operation gets a
graphql-transport-ws ``error`` with code ``RATE_LIMITED`` and ``retryAfter``. Nothing
behind a refused request runs, so a refused mutation appends nothing.

Each server process counts on its own: with N processes behind a balancer a subject
may make up to N times the limit.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import InvalidToken, from_header

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes: a monitor polls them from one address, and they carry nothing to protect."""
RATE_LIMITED = "RATE_LIMITED"


class RateLimiter:
    """The configured limits (``"1200/minute"``, ``"20/second;1200/minute"``, ``"0"``: none)."""

    def __init__(self, spec: str) -> None:
        self.items: list[RateLimitItem] = [] if spec.strip() in ("", "0") else parse_many(spec)
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    @property
    def enabled(self) -> bool:
        return bool(self.items)

    async def hit(self, key: str) -> int | None:
        """Count one request for ``key``: ``None`` if it may go ahead, else the seconds
        (at least 1) after which it may try again."""
        for item in self.items:
            if not await self._limiter.hit(item, key):
                stats = await self._limiter.get_window_stats(item, key)
                return max(1, math.ceil(stats.reset_time - time.time()))
        return None


def subject_key(subject: str) -> str:
    return f"subject:{subject}"


def address_key(scope: Scope) -> str:
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


def request_key(scope: Scope, secret: str) -> str:
    """The subject of the request's valid bearer token, else its client address."""
    header = None
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            header = value.decode("latin-1")
            break
    if header:
        try:
            return subject_key(from_header(secret, header).subject)
        except InvalidToken:
            pass
    return address_key(scope)


def refusal(retry_after: int) -> tuple[str, dict[str, Any]]:
    """The message and the GraphQL error ``extensions`` of a refused request."""
    return (f"rate limit exceeded: try again in {retry_after} s",
            {"code": RATE_LIMITED, "retryAfter": retry_after})


class RateLimitMiddleware:
    """ASGI middleware: counts each API request and WebSocket handshake, refuses with 429."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, secret: str) -> None:
        self.app, self.limiter, self.secret = app, limiter, secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if (kind not in ("http", "websocket") or not self.limiter.enabled
                or scope.get("path") in UNLIMITED_PATHS):
            await self.app(scope, receive, send)
            return
        retry_after = await self.limiter.hit(request_key(scope, self.secret))
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        message, extensions = refusal(retry_after)
        body = {"errors": [{"message": message, "extensions": extensions}]} \
            if scope.get("path") == "/graphql" else {"error": message, "retryAfter": retry_after}
        start = {"status": 429, "headers": [
            (b"content-type", b"application/json"), (b"retry-after", str(retry_after).encode())]}
        payload = json.dumps(body).encode()
        if kind == "http":
            await send({"type": "http.response.start", **start})
            await send({"type": "http.response.body", "body": payload})
        elif "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", **start})
            await send({"type": "websocket.http.response.body", "body": payload})
        else:  # a server without the denial-response extension: a plain refusal (403)
            await send({"type": "websocket.close", "code": 1008})
