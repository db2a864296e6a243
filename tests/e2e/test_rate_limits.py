"""Per-subject rate limits (issue 9, item 5): over HTTP a request past the limit gets 429
with ``Retry-After`` and runs nothing; over WebSocket the handshake and each operation
count too. One subject's excess does not touch another's allowance."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import InvalidStatus

from domain.shared.permissions import Role
from tests.e2e.hardened import GUARD, log_length, serve
from tests.e2e.ws import connect

ME = "{ me { subject } }"
ESTABLISH = """mutation { establishOrganization(input: {kind: DISTRICT_COMMITTEE, name: "姑苏区委"}) {
  __typename ... on OrganizationPayload { organization { id } } } }"""


def _retry_after(response) -> int:  # type: ignore[no-untyped-def]
    value = int(response.headers["retry-after"])
    assert 1 <= value <= 3600, value
    return value


async def test_the_request_past_the_limit_gets_429_with_retry_after_and_appends_nothing(
        dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, rate_limit="3/hour") as server:
        token = server.token(Role.DISTRICT_ADMIN, subject="integration-leaked")
        for _ in range(3):
            await server.ok(token, ME)
        before = await log_length(dsn)

        refused = await server.gql(token, ESTABLISH)
        assert refused.status_code == 429, refused.text
        retry = _retry_after(refused)
        error = refused.json()["errors"][0]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry}
        assert await log_length(dsn) == before  # the mutation never ran

        # /events and /export count against the same subject.
        events = await server.client.get(f"{server.url}/events",
                                         headers={"authorization": f"Bearer {token}"})
        assert events.status_code == 429 and events.json()["retryAfter"] >= 1
        _retry_after(events)

        # Another subject has its own allowance; the probes have none.
        other = server.token(Role.DISTRICT_ADMIN, subject="frontend-user")
        assert (await server.ok(other, ME))["me"]["subject"] == "frontend-user"
        for _ in range(5):
            assert (await server.client.get(f"{server.url}/healthz")).status_code == 200


async def test_requests_without_a_valid_token_count_against_the_client_address(
        dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, rate_limit="3/hour") as server:
        statuses = [(await server.gql(None, ME)).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        forged = await server.gql("not-a-token", ME)  # a token that does not verify: the address
        assert forged.status_code == 429
        _retry_after(forged)
        # A valid token is its subject's, not the address's.
        token = server.token(Role.DISTRICT_ADMIN, subject="someone")
        assert (await server.ok(token, ME))["me"]["subject"] == "someone"


async def test_the_limit_can_be_turned_off(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, rate_limit="0") as server:
        token = server.token(Role.DISTRICT_ADMIN)
        for _ in range(20):
            await server.ok(token, ME)


async def test_websocket_operations_count_against_the_subject(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, rate_limit="3/hour") as server:
        token = server.token(Role.DISTRICT_ADMIN, subject="ws-client")
        # The token travels in connection_init: the handshake counts against the address.
        async with connect(server, token) as client:
            for op in ("1", "2", "3"):
                await client.ws.send(json.dumps({"id": op, "type": "subscribe",
                                                 "payload": {"query": ME}}))
                assert (await client.message())["type"] == "next"
                assert (await client.message())["type"] == "complete"
            before = await log_length(dsn)
            await client.ws.send(json.dumps({"id": "4", "type": "subscribe",
                                             "payload": {"query": ESTABLISH}}))
            refused = await client.message()
            assert refused["type"] == "error" and refused["id"] == "4", refused
            extensions = refused["payload"][0]["extensions"]
            assert extensions["code"] == "RATE_LIMITED" and extensions["retryAfter"] >= 1
            assert await log_length(dsn) == before
            # The connection stays open: a ping is still answered.
            await client.ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(client.ws.recv(), GUARD))["type"] == "pong"
        # Over HTTP the same subject is spent too.
        assert (await server.gql(token, ME)).status_code == 429


async def test_a_websocket_handshake_past_the_limit_gets_429(dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with serve(dsn, tmp_path, rate_limit="2/hour") as server:
        token = server.token(Role.DISTRICT_ADMIN, subject="ws-header")
        for _ in range(2):
            async with connect(server, token, header=True):
                pass
        with pytest.raises(InvalidStatus) as refused:
            async with connect(server, token, header=True):
                pass
        assert refused.value.response.status_code == 429
        assert int(refused.value.response.headers["retry-after"]) >= 1
