"""An internal error answers the same masked message over the WebSocket as over HTTP.

Before, a query over graphql-transport-ws that failed inside the server sent the raw
exception text to the client: PostgreSQL's own message (``relation "members" does not
exist``), which can quote values and names of the database.
"""

from __future__ import annotations

import re

import asyncpg

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
