"""During a PostgreSQL outage the server says so: 503 with Retry-After, a typed ``Unavailable``.

The outage is real: a throwaway embedded PostgreSQL of this test alone (never the shared
one of the session) serves the app under uvicorn on loopback, and is then stopped. A
command interrupted mid-way (the connection lost after it was sent) is the second test:
the store of the handling raises what asyncpg raises then.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pgserver
import pytest
import uvicorn

from api.app import create_app
from api.auth import mint
from api.config import Settings
from api.graphql.core.common import execute
from api.graphql.core.context import Context, Loaders
from api.graphql.core.errors import UNAVAILABLE, is_outage
from api.schema import schema
from domain.shared.commands import Command
from domain.shared.permissions import Actor, Role
from eventstore.db import connect
from eventstore.migrate import migrate
from tests.e2e.conftest import SECRET

ORG = """mutation($i: EstablishOrganizationInput!) { establishOrganization(input: $i) {
  __typename ... on OrganizationPayload { organization { id } } ... on Error { code message } } }"""
ORGS = "{ organizations { edges { node { id name } } } }"


@pytest.fixture
async def outage_server() -> AsyncIterator[tuple[str, httpx.AsyncClient, Any, str]]:
    root = Path(tempfile.mkdtemp(prefix="grassroots-outage-"))  # as tests/conftest.py: outside pytest's tmp dirs
    tmp_path = root / "data"
    pg = pgserver.get_server(root / "pgdata", cleanup_mode="stop")
    dsn = pg.get_uri()
    conn = await connect(dsn)
    await migrate(conn)
    await conn.close()
    settings = Settings(database_url=dsn, data_dir=tmp_path, jwt_secret=SECRET)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, dsn), log_level="critical", lifespan="on"))
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    try:
        while not srv.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(timeout=30) as client:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}", client, pg, dsn
    finally:
        srv.should_exit = True
        await task
        sock.close()
        pg.cleanup()
        shutil.rmtree(root, ignore_errors=True)


async def test_an_outage_answers_503_with_retry_after_and_a_typed_unavailable(
    outage_server: tuple[str, httpx.AsyncClient, Any, str],
) -> None:
    url, client, pg, _ = outage_server
    auth = {"authorization": f"Bearer {mint(SECRET, subject='t', name='T', roles=[Role.DISTRICT_ADMIN], scope=None)}"}
    gql = {**auth, "accept": "application/graphql-response+json"}
    assert (await client.get(f"{url}/events", headers=auth)).status_code == 200
    assert (await client.post(f"{url}/graphql", json={"query": ORGS}, headers=gql)).status_code == 200

    pg.cleanup()  # the postmaster stops: every connection of the pool is lost, none can be made

    assert (await client.get(f"{url}/readyz")).status_code == 503
    events = await client.get(f"{url}/events", headers=auth)
    assert events.status_code == 503, events.text
    assert events.headers["retry-after"].isdigit()
    assert events.headers["x-correlation-id"] in events.json()["error"]

    for accept in ("application/graphql-response+json", "application/json"):
        query = await client.post(f"{url}/graphql", json={"query": ORGS}, headers={**gql, "accept": accept})
        assert query.status_code == 503, query.text
        assert query.headers["retry-after"].isdigit()
        [error] = query.json()["errors"]
        assert error["extensions"]["code"] == UNAVAILABLE, error
        assert query.headers["x-correlation-id"] in error["message"]
        assert "internal error" not in error["message"]

    key = str(uuid4())
    mutation = await client.post(f"{url}/graphql", headers=gql, json={
        "query": ORG, "variables": {"i": {"kind": "DISTRICT_COMMITTEE", "name": "区委", "idempotencyKey": key}}})
    assert mutation.status_code == 200, mutation.text
    body = mutation.json()
    result = body["data"]["establishOrganization"]
    assert result["__typename"] == "Unavailable", body
    assert result["code"] == UNAVAILABLE
    assert body["extensions"]["correlationId"] in result["message"]
    assert "outcome is unknown" in result["message"] and "same idempotency key is safe" in result["message"]


class _LostMidCommand:
    """The handling's store as asyncpg leaves it when the server goes away after the command was sent."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    async def run(self, _command: Any, _request: Any) -> Any:
        raise self.exc


@pytest.mark.parametrize("exc", [
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.CannotConnectNowError("the database system is shutting down"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    ConnectionResetError("Connection reset by peer"),
])
async def test_a_command_whose_connection_fails_answers_unavailable(exc: BaseException) -> None:
    correlation = uuid4()
    ctx = SimpleNamespace(commands=_LostMidCommand(exc), correlation_id=correlation, actor=None)
    presented: list[Any] = []

    async def present(outcome: Any) -> Any:
        presented.append(outcome)

    result = await execute(SimpleNamespace(context=ctx), SimpleNamespace(idempotency_key="k"),  # type: ignore[arg-type]
                           Command, present)
    assert type(result).__name__ == "Unavailable"
    assert result.code == UNAVAILABLE and str(correlation) in result.message
    assert presented == []


def test_statement_errors_and_bugs_are_not_outages() -> None:
    assert not is_outage(asyncpg.UniqueViolationError("duplicate key"))
    assert not is_outage(asyncpg.QueryCanceledError("canceling statement due to statement timeout"))
    assert not is_outage(RuntimeError("a bug"))
    assert not is_outage(None)
    wrapped = RuntimeError("store failed")
    wrapped.__cause__ = asyncpg.ConnectionDoesNotExistError("closed")
    assert is_outage(wrapped)


class _GoneSupervisor:
    """The projections of this process noticed the outage first: the position must come from the
    database, which is gone."""

    async def position(self) -> int:
        raise ConnectionRefusedError("connection refused")


async def test_a_mutation_answers_unavailable_even_when_the_position_cannot_be_read() -> None:
    ctx = Context(actor=Actor(subject="t", name="T", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None),
                  pool=None, commands=_LostMidCommand(ConnectionRefusedError("refused")),  # type: ignore[arg-type]
                  supervisor=_GoneSupervisor(), settings=Settings(),  # type: ignore[arg-type]
                  correlation_id=uuid4(), loaders=Loaders(None),  # type: ignore[arg-type]
                  clock=lambda: datetime.now(UTC))
    result = await schema.execute(ORG, variable_values={"i": {"kind": "DISTRICT_COMMITTEE", "name": "区委"}},
                                  context_value=ctx)
    assert result.errors is None, result.errors
    assert result.data is not None and result.data["establishOrganization"]["__typename"] == "Unavailable"
    assert "position" not in (result.extensions or {})  # not known: not stated
