"""An internal error answers the same masked message over the WebSocket as over HTTP.

Before, a query over graphql-transport-ws that failed inside the server sent the raw
exception text to the client: PostgreSQL's own message (``relation "members" does not
exist``), which can quote values and names of the database.
"""

from __future__ import annotations

import json
import logging
import re

import asyncpg
import pytest

from domain.shared.permissions import Role
from tests.e2e.conftest import Server
from tests.e2e.ws import connect

QUERY = "{ members(first: 1) { edges { node { id name } } } }"
GENERIC = re.compile(r"internal error \(correlation id [0-9a-f-]{36}\)")


async def test_an_internal_error_over_the_websocket_is_the_generic_message(server: Server, dsn: str) -> None:
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ALTER TABLE members RENAME TO members_gone")  # a real PostgreSQL failure
    finally:
        await conn.close()

    body = (await server.gql(admin, QUERY)).json()
    (http_error,) = body["errors"]
    assert GENERIC.fullmatch(http_error["message"]), http_error

    async with connect(server, admin) as client:
        await client.subscribe(QUERY)
        msg = await client.message()
    assert msg["type"] == "next", msg
    (ws_error,) = msg["payload"]["errors"]
    assert GENERIC.fullmatch(ws_error["message"]), ws_error
    assert "does not exist" not in str(msg) and 'relation "' not in str(msg)
    assert ws_error["path"] == http_error["path"] == ["members"]


async def test_an_unknown_operation_name_over_the_websocket_is_logged_as_the_clients_mistake(
    server: Server, caplog: pytest.LogCaptureFixture,
) -> None:
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    caplog.set_level(logging.DEBUG, logger="api.schema")
    async with connect(server, admin) as client:
        await client.ws.send(json.dumps({"id": "named", "type": "subscribe", "payload": {
            "query": "query Mine { me { subject } }", "operationName": "NotInTheDocument"}}))
        msg = await client.message()
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "BAD_INPUT", msg
    logged = [r for r in caplog.records if r.name == "api.schema"]
    assert not [r for r in logged if r.levelno >= logging.ERROR], [r.getMessage() for r in logged]
    assert any("client error" in r.getMessage() for r in logged), [r.getMessage() for r in logged]
