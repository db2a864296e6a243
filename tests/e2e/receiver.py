"""A real local HTTP receiver for webhook tests, and the app server with fast retries."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.app import create_app
from api.config import IntegrationSettings, Settings
from tests.e2e.conftest import SECRET, Server

FAST_RETRIES = IntegrationSettings(webhook_max_failures=4, webhook_backoff_initial=0.05,
                                   webhook_backoff_max=0.2, webhook_timeout=5)


def verified(secret: str, signature: str, body: bytes) -> bool:
    """The receiver's check, exactly as the README shows it."""
    ts, _, mac = signature.removeprefix("t=").partition(",v1=")
    expected = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return abs(time.time() - int(ts)) <= 300 and hmac.compare_digest(mac, expected)


@dataclass
class Hit:
    """One POST the receiver got, and what it answered."""

    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event_id(self) -> str:
        return self.headers["grassroots-event-id"]

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    """Records every POST; answers 500 for the next ``fail_next`` ones or while ``failing``."""

    url: str = ""
    hits: list[Hit] = field(default_factory=list)
    fail_next: int = 0
    failing: bool = False

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        status = 200
        if self.failing or self.fail_next > 0:
            self.fail_next = max(self.fail_next - 1, 0)
            status = 500
        self.hits.append(Hit({k.lower(): v for k, v in request.headers.items()}, body, status))
        return Response(status_code=status)

    @property
    def delivered(self) -> list[Hit]:
        return [h for h in self.hits if h.status == 200]

    def delivered_ids(self) -> list[str]:
        return [h.event_id for h in self.delivered]


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run an ASGI app under uvicorn on a free loopback port; yield its base URL."""
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    async with serve(Starlette(routes=[Route("/hook", r.handle, methods=["POST"])])) as base:
        r.url = f"{base}/hook"
        yield r


@contextlib.asynccontextmanager
async def app_server(dsn: str, data_dir: Path,
                     integrations: IntegrationSettings = FAST_RETRIES) -> AsyncIterator[Server]:
    settings = Settings(database_url=dsn, data_dir=data_dir, jwt_secret=SECRET,
                        integrations=integrations)
    async with serve(create_app(settings, dsn)) as base, httpx.AsyncClient(timeout=30) as client:
        yield Server(base, client)


async def eventually(check: Any, within: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; return it."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(interval)
