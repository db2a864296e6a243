"""Bad input over HTTP and WebSocket is the client's mistake: 400 or a typed GraphQL error,
nothing recorded, nothing logged above DEBUG, never an internal error or a traceback."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
import websockets

from domain.shared.permissions import Role
from tests.e2e.test_transfer_walkthrough import build_tree
from tests.e2e.ws import GUARD, connect

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The log of the test (the server runs in its process); the test ends checking that
    nothing was logged above DEBUG by the request handling and no traceback at all."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    loud = [r for r in caplog.records if r.exc_info or (
        r.levelno >= logging.WARNING and r.name.startswith(("api", "strawberry", "uvicorn.error")))]
    assert not loud, [(r.name, r.levelname, r.getMessage()) for r in loud]


async def events(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()


async def post(server: Any, token: str, body: str) -> Any:
    return await server.client.post(f"{server.url}/graphql", content=body.encode("utf-8", "surrogatepass"),
                                    headers={"authorization": f"Bearer {token}", "accept": GRAPHQL_RESPONSE,
                                             "content-type": "application/json"})


# -- tampered cursors -------------------------------------------------------------------

# Every page, with forged cursors of many kinds: tests/integration/core/test_tampered_cursors.py.

def _b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


CURSORS = [_b64("[1,2]"), _b64('["x"]'), _b64("[1e400]"), _b64('[{"a": 1}]'), "not base64!"]


@pytest.mark.usefixtures("errors_logged")
async def test_a_tampered_cursor_is_a_typed_client_error(server: Any) -> None:
    token = server.token(Role.DISTRICT_ADMIN)
    for cursor in CURSORS:
        for page in ("members", "transfers"):
            response = await server.gql(token, f'{{ {page}(after: "{cursor}") {{ edges {{ cursor }} }} }}')
            assert response.status_code == 200, response.text
            [error] = response.json()["errors"]
            assert (error["message"], error["extensions"]) == ("after: not a cursor of this list",
                                                               {"code": "BAD_CURSOR"}), error


# -- strings PostgreSQL and UTF-8 cannot take ---------------------------------------------

REGISTER = """mutation($input: RegisterMemberInput!) { registerMember(input: $input) { __typename } }"""


@pytest.mark.usefixtures("errors_logged")
async def test_nul_or_a_lone_surrogate_in_a_variable_is_a_400_and_records_nothing(server: Any, dsn: str) -> None:
    admin = server.token(Role.DISTRICT_ADMIN)
    _, _, east, _ = await build_tree(server, admin)
    before = await events(dsn)
    for bad in ("王\x00秀英", "王\ud800秀英"):
        variables = {"input": {"name": bad, "gender": "FEMALE", "birthDate": "1979-04-12", "ethnicity": "汉族",
                               "idNumber": "32050819790412006X", "phone": "13912345678", "standing": "FULL",
                               "joinedOn": "2003-07-01", "homeOrganizationId": east}}
        response = await post(server, admin, json.dumps({"query": REGISTER, "variables": variables}))
        assert response.status_code == 400, response.text
        assert "strings must not contain NUL or unpaired surrogates" in response.json()["errors"][0]["message"]
    assert await events(dsn) == before


@pytest.mark.usefixtures("errors_logged")
async def test_nul_in_a_string_literal_is_a_typed_validation_error_and_records_nothing(
        server: Any, dsn: str) -> None:
    admin = server.token(Role.DISTRICT_ADMIN)
    before = await events(dsn)
    query = ('mutation { establishOrganization(input: {kind: DISTRICT_COMMITTEE, name: "区委\\u0000",'
             ' establishedOn: "2020-01-01"}) { __typename } }')
    response = await server.gql(admin, query)
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_INPUT" and "NUL" in error["message"], error
    assert await events(dsn) == before


# -- malformed requests (bodies nested too deep: tests/e2e/test_http_limits.py) -----------

BALANCE_ON = "query($d: Date!) { funds(first: 1) { edges { node { balanceOn(date: $d) } } } }"


@pytest.mark.usefixtures("errors_logged")
async def test_an_unknown_fragment_and_bad_variables_are_validation_errors(server: Any) -> None:
    token = server.token(Role.DISTRICT_ADMIN)
    response = await server.gql(token, "{ ...Nope }")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Unknown fragment 'Nope'."
    response = await server.gql(token, BALANCE_ON, {"d": 5})
    assert response.status_code == 400
    assert "Variable '$d' has invalid value" in response.json()["errors"][0]["message"]


# -- WebSocket ---------------------------------------------------------------------------

NAMES = 'query($n: String) { organizations(filter: {nameContains: $n}) { edges { cursor } } }'


MALFORMED = [
    ("[1]", "a message must be a JSON object"),
    ('{"type": 5}', "a message needs a string type"),
    ('{"type": "subscribe", "id": "1", "payload": 5}', "the payload of subscribe must be an object"),
    ('{"type": "subscribe", "id": [], "payload": {"query": "{ me { name } }"}}',
     "Invalid message received: subscribe needs an id"),
    # A non-string query, non-object variables, a syntax error: an error for the operation
    # (tests/e2e/test_graphql_ws_reference_client.py), not a close.
    ('{"type": "subscribe", "id": "1", "payload": {"query": "{ me { name } }", "x": '
     + "[" * 20_000 + "]" * 20_000 + "}}", "WebSocket message must be valid JSON"),  # nested too deep
    ('{"type": "ping", "payload": 5}', "the payload of ping must be an object"),
]


@pytest.mark.usefixtures("errors_logged")
async def test_malformed_websocket_messages_close_with_4400(server: Any) -> None:
    for message, reason in MALFORMED:
        async with connect(server, server.token(Role.DISTRICT_ADMIN)) as ws:
            await ws.ws.send(message)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.ws.recv(), GUARD)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400, message
        assert closed.value.rcvd.reason.startswith(reason), (message, closed.value.rcvd.reason)


async def reply(ws: Any, op: str) -> dict[str, Any]:
    """The first ``next`` or ``error`` message for ``op`` (earlier operations' ``complete`` skipped)."""
    while True:
        message = await ws.message()
        if message.get("id") == op and message["type"] in ("next", "error"):
            return message  # type: ignore[no-any-return]


@pytest.mark.usefixtures("errors_logged")
async def test_bad_strings_and_bad_variables_over_websocket_are_typed_errors(server: Any) -> None:
    async with connect(server, server.token(Role.DISTRICT_ADMIN)) as ws:
        for bad in ("a\x00", "a\ud800"):
            message = await reply(ws, await ws.subscribe(NAMES, {"n": bad}))
            assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == "BAD_INPUT", message
        literal = '{ organizations(filter: {nameContains: "a\\u0000"}) { edges { cursor } } }'
        message = await reply(ws, await ws.subscribe(literal))
        assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == "BAD_INPUT", message
        message = await reply(ws, await ws.subscribe(BALANCE_ON, {"d": 5}))
        assert "Variable '$d' has invalid value" in message["payload"]["errors"][0]["message"], message
        # The connection is still good.
        message = await reply(ws, await ws.subscribe("{ me { name } }"))
        assert message["payload"]["data"] == {"me": {"name": "Tester"}}, message
