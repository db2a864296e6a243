"""A real server: the Starlette app under uvicorn on a free loopback port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.auth import mint
from api.config import Settings
from domain.shared.permissions import Role

SECRET = "test-secret-" + "x" * 40


@dataclass
class Server:
    url: str
    client: httpx.AsyncClient

    def token(self, *roles: Role, scope: Any = None, subject: str = "tester") -> str:
        return mint(SECRET, subject=subject, name=subject.title(), roles=list(roles), scope=scope)

    async def gql(self, token: str | None, query: str, variables: dict[str, Any] | None = None,
                  accept: str = "application/graphql-response+json") -> httpx.Response:
        headers = {"accept": accept}
        if token:
            headers["authorization"] = f"Bearer {token}"
        return await self.client.post(f"{self.url}/graphql", json={"query": query, "variables": variables},
                                      headers=headers)

    async def ok(self, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.gql(token, query, variables)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture
async def server(dsn: str, tmp_path: Path) -> AsyncIterator[Server]:
    settings = Settings(database_url=dsn, data_dir=tmp_path, jwt_secret=SECRET)
    app = create_app(settings, dsn)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    while not srv.started:
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(timeout=30) as client:
        yield Server(f"http://127.0.0.1:{port}", client)
    srv.should_exit = True
    await task
    sock.close()
