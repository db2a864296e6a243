"""Tokens over a real server: a token's ``exp`` holds on an open WebSocket (mutations
included; the socket closes with 4403 and the client resumes with a fresh token and
``after:``), and a malformed ``org`` claim is refused everywhere, never read as
whole-system scope."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import jwt
import pytest
import websockets

from api.auth import ALGORITHM, AUDIENCE, ISSUER, mint
from domain.organizations.aggregate import OrganizationKind
from domain.shared.permissions import Role
from tests.e2e.conftest import SECRET, Server
from tests.e2e.ws import EVENTS, GUARD, WsClient, connect
from tests.integration.support import commands, head, req

RENAME = """mutation($input: RenameOrganizationInput!) { renameOrganization(input: $input) {
  __typename ... on Error { code message } } }"""
ME = "{ me { subject } }"


def _ws_url(server: Server) -> str:
    return server.url.replace("http://", "ws://") + "/graphql"


async def _until_closed(client: WsClient) -> tuple[list[dict[str, Any]], websockets.ConnectionClosed]:
    """Every message up to the close, and the close."""
    seen: list[dict[str, Any]] = []
    try:
        while True:
            seen.append(await client.message())
    except websockets.ConnectionClosed as closed:
        return seen, closed


async def test_a_short_lived_token_stops_working_on_its_open_socket_and_the_client_resumes(
    server: Server, pool: asyncpg.Pool,
) -> None:
    district = (await commands(pool).establish_organization(
        req(), OrganizationKind.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    start = await head(pool)
    for _ in range(200):  # the server's read models must know the district before the rename
        if await pool.fetchval("SELECT true FROM organizations WHERE id = $1", district):
            break
        await asyncio.sleep(0.05)
    # Long enough for the first mutation on a loaded machine, short enough to wait out.
    short = mint(SECRET, subject="short-lived", name="Short", roles=[Role.DISTRICT_ADMIN], scope=None,
                 ttl_seconds=5)
    exp = jwt.decode(short, options={"verify_signature": False})["exp"]
    rename = {"input": {"id": str(district), "name": "姑苏区委第一"}}

    async with connect(server, short) as client:
        await client.subscribe(EVENTS, {"after": start})
        mutation = await client.subscribe(RENAME, rename)
        results: dict[str, list[dict[str, Any]]] = {}
        while len(results.get(mutation, [])) < 2:  # the mutation's next + complete
            msg = await client.message()
            results.setdefault(msg["id"], []).append(msg)
        renamed = results[mutation][0]["payload"]["data"]["renameOrganization"]
        assert renamed["__typename"] == "OrganizationPayload"
        # The event's own position (the events subscription may deliver it later: the test
        # must not depend on how soon, only on what arrives after expiry).
        last = await head(pool)
        assert last == start + 1

        await asyncio.sleep(max(0.0, exp - time.time()) + 0.3)  # the one real wait: past exp
        late = {"input": {"id": str(district), "name": "姑苏区委过期"}}
        with contextlib.suppress(websockets.ConnectionClosed):  # closed by now, or refused: never run
            await client.subscribe(RENAME, late)
        seen, closed = await _until_closed(client)

    assert closed.rcvd is not None and closed.rcvd.code == 4403, closed
    assert "token expired" in closed.rcvd.reason
    # Nothing delivered after exp: the only result that may still be read is the rename's
    # own event, sent before (the server sends no result once the token has expired). The
    # subscription ends with TOKEN_EXPIRED and the position after what it was sent.
    results_seen = [m for m in results.get("1", []) + seen if m["type"] == "next"]
    delivered = [m["payload"]["data"]["events"]["position"] for m in results_seen if m["payload"]["data"]]
    assert delivered in ([], [last]), seen
    (closing,) = [m["payload"]["errors"][0]["extensions"] for m in seen
                  if m["type"] == "next" and m["payload"].get("errors")]
    assert closing == {"code": "TOKEN_EXPIRED", "resumeAfter": delivered[-1] if delivered else start}
    assert all(m["payload"][0]["extensions"]["code"] == "TOKEN_EXPIRED" for m in seen if m["type"] == "error"), seen
    assert await head(pool) == last  # the late mutation appended nothing
    names = [r["payload"]["name"] for r in await pool.fetch(
        "SELECT payload FROM events WHERE event_type = 'Organization.Renamed' ORDER BY position")]
    assert names == ["姑苏区委第一"]

    # While away, the log moves on; a fresh token and `after:` the last position miss nothing.
    admin = server.token(Role.DISTRICT_ADMIN, subject="admin")
    await server.ok(admin, RENAME, {"input": {"id": str(district), "name": "姑苏区委第二"}})
    async with connect(server, admin) as client:
        await client.subscribe(EVENTS, {"after": last})
        (resumed,) = await client.events(1)
    assert resumed["position"] == last + 1 and resumed["payload"]["name"] == "姑苏区委第二"
    refused = await server.gql(short, ME)
    assert refused.status_code == 401  # the same token over HTTP, for comparison


def _token(**claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "probe", "name": "Probe", "iat": now,
            "exp": now + 600, **claims}
    return jwt.encode(body, SECRET, algorithm=ALGORITHM)


ORG = uuid4()
MALFORMED: list[tuple[str, dict[str, Any]]] = [
    *((f"secretary org={v!r}", {"roles": ["community_secretary"], "org": v})
      for v in ("", 0, False, [], None, 7, {"id": str(ORG)}, "not-a-uuid", ORG.hex)),
    ("secretary without org", {"roles": ["community_secretary"]}),
    ("auditor without org", {"roles": ["auditor"]}),
    ("integration without org", {"roles": ["integration"]}),
    ("district admin org=''", {"roles": ["district_admin"], "org": ""}),
    ("district admin org=[]", {"roles": ["district_admin"], "org": []}),
    ("district admin + secretary without org", {"roles": ["district_admin", "community_secretary"]}),
]


async def _refused_at_connection_init(server: Server, token: str) -> int:
    async with websockets.connect(_ws_url(server), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), GUARD)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_a_falsy_or_malformed_org_claim_is_401_over_http_and_refused_over_websocket(
    server: Server, pool: asyncpg.Pool,
) -> None:
    await commands(pool).establish_organization(req(), OrganizationKind.DISTRICT_COMMITTEE, "姑苏区委", None)
    before = await head(pool)
    for case, claims in MALFORMED:
        token = _token(**claims)
        graphql = await server.gql(token, ME)
        assert graphql.status_code == 401, (case, graphql.text)
        assert "org" in graphql.text, (case, graphql.text)
        feed = await server.client.get(f"{server.url}/events", headers={"authorization": f"Bearer {token}"})
        assert feed.status_code == 401, (case, feed.text)
        mutation = await server.gql(token, RENAME, {"input": {"id": str(UUID(int=1)), "name": "x"}})
        assert mutation.status_code == 401, (case, mutation.text)
        assert await _refused_at_connection_init(server, token) == 4403, case
    assert await head(pool) == before
    # The same claims done right are accepted: the refusals above are about the claim.
    for token in (_token(roles=["community_secretary"], org=str(ORG)), _token(roles=["district_admin"])):
        assert (await server.ok(token, ME))["me"]["subject"] == "probe"
        async with connect(server, token) as client:
            await client.subscribe(ME)
            assert (await client.data())["me"]["subject"] == "probe"
