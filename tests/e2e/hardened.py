"""A real server as ``grassroots serve`` runs it (``api.server.uvicorn_config``: head size,
read timeouts, keep-alive, WebSocket message size), with the server settings a test
chooses; and a raw HTTP connection for clients that misbehave on purpose."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn

from api.app import create_app
from api.config import IntegritySettings, ServerSettings, Settings
from api.server import uvicorn_config
from tests.e2e.conftest import SECRET, Server

GUARD = 20.0
"""A hang guard, never a timing assertion: far longer than any limit a test sets."""


@asynccontextmanager
async def serve(dsn: str, data_dir: Path, *, production: bool = False,
                **server: Any) -> AsyncIterator[Server]:
    """A server on a free loopback port with ``ServerSettings(**server)``; ``production``
    with its own throwaway checkpoint key."""
    settings = Settings(database_url=dsn, data_dir=data_dir, jwt_secret=SECRET,
                        environment="production" if production else "development",
                        server=ServerSettings(**server),
                        integrity=IntegritySettings(signing_key=os.urandom(32).hex()))
    app = create_app(settings, dsn)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn_config(app, settings, log_level="warning", lifespan="on"))
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    while not srv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(timeout=GUARD) as client:
            yield Server(f"http://127.0.0.1:{port}", client)
    finally:
        srv.should_exit = True
        await task
        sock.close()


def port_of(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


async def raw(server: Server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A plain TCP connection to the server (loopback)."""
    return await asyncio.open_connection("127.0.0.1", port_of(server))


async def read_all(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (bounded by GUARD)."""
    chunks = []
    try:
        async with asyncio.timeout(GUARD):
            while chunk := await reader.read(65536):
                chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


async def log_length(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()
