"""A small graphql-transport-ws client and a server factory with custom settings, for tests."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets

from api.app import create_app
from api.config import FeedSettings, ServerSettings, Settings
from tests.e2e.conftest import SECRET, Server

GUARD = 20.0  # a hang guard, not a timing assertion
EVENTS = """subscription($after: Int, $filter: EventFilterInput) {
  events(after: $after, filter: $filter) {
    position eventId type streamId streamType version recordedAt actor actorRoles
    correlationId reason payload
  }
}"""


class Closed(Exception):
    """The subscription ended with an error (or the connection closed)."""

    def __init__(self, payload: Any) -> None:
        super().__init__(json.dumps(payload, ensure_ascii=False))
        self.payload = payload


class WsClient:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._next_id = 0

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next_id += 1
        op = str(self._next_id)
        await self.ws.send(json.dumps({"id": op, "type": "subscribe",
                                       "payload": {"query": query, "variables": variables or {}}}))
        return op

    async def message(self) -> dict[str, Any]:
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), GUARD))
            if msg["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            return msg  # type: ignore[no-any-return]

    async def data(self) -> dict[str, Any]:
        """The next ``next`` payload's data; raises ``Closed`` on errors or completion."""
        msg = await self.message()
        if msg["type"] == "next" and not msg["payload"].get("errors"):
            return msg["payload"]["data"]  # type: ignore[no-any-return]
        raise Closed(msg)

    async def events(self, count: int) -> list[dict[str, Any]]:
        return [(await self.data())["events"] for _ in range(count)]

    async def events_until(self, position: int) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while not got or got[-1]["position"] < position:
            got.append((await self.data())["events"])
        return got


@asynccontextmanager
async def connect(server: Server, token: str | None, *, header: bool = False,
                  **options: Any) -> AsyncIterator[WsClient]:
    """Connect and authenticate (in ``connection_init``, or with ``header`` in the handshake)."""
    url = server.url.replace("http://", "ws://") + "/graphql"
    headers = {"Authorization": f"Bearer {token}"} if header and token else None
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                  additional_headers=headers, **options) as ws:
        payload = {"Authorization": f"Bearer {token}"} if token and not header else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), GUARD))
        assert ack["type"] == "connection_ack", ack
        yield WsClient(ws)


@asynccontextmanager
async def serve(dsn: str, data_dir: Path, feed: FeedSettings | None = None,
                run_projections: bool = True,
                server: ServerSettings | None = None) -> AsyncIterator[Server]:
    """Another real server on the same database (as the ``server`` fixture, with options)."""
    settings = Settings(database_url=dsn, data_dir=data_dir, jwt_secret=SECRET)
    if feed is not None:
        settings = settings.model_copy(update={"feed": feed})
    if server is not None:
        settings = settings.model_copy(update={"server": server})
    app = create_app(settings, dsn, run_projections=run_projections)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    while not srv.started:
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            yield Server(f"http://127.0.0.1:{port}", client)
    finally:
        srv.should_exit = True
        await task
        sock.close()
