"""GraphQL subscriptions over a real WebSocket: the log, scope, masking, entities, resumption."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
import websockets

from api.config import FeedSettings
from domain.shared.permissions import Role
from domain.shared.ports import Append, Metadata, NewEvent
from eventstore.postgres import PostgresEventStore
from projections.feed.reading import EventFilter, read_events, readable_head
from tests.e2e.conftest import Server
from tests.e2e.test_transfer_walkthrough import build_tree, register
from tests.e2e.ws import EVENTS, GUARD, Closed, connect, serve
from tests.integration.support import append_events, build_world, commands, head, wait_until

RENAME = """mutation($input: RenameOrganizationInput!) { renameOrganization(input: $input) {
  __typename ... on Error { code message } } }"""
CORRECT = """mutation($input: CorrectMemberDetailsInput!) { correctMemberDetails(input: $input) {
  __typename ... on Error { code message } } }"""


async def _log(pool: asyncpg.Pool) -> list[tuple[int, str]]:
    rows = await pool.fetch("SELECT position, event_id FROM events ORDER BY position")
    return [(r["position"], str(r["event_id"])) for r in rows]


def _readable(pool: asyncpg.Pool, position: int) -> Any:
    async def check() -> bool:
        return await readable_head(pool) >= position
    return check


async def test_a_subscriber_from_zero_gets_the_log_goes_live_and_resumes_exactly_after_a_disconnect(
    server: Server, pool: asyncpg.Pool,
) -> None:
    await build_world(commands(pool))
    top = await append_events(pool, 400, batch=50)
    admin = server.token(Role.DISTRICT_ADMIN, subject="integration")
    stop = asyncio.Event()

    async def writer() -> None:  # keeps committing through the disconnect
        while not stop.is_set():
            await append_events(pool, 3, batch=2)
            await asyncio.sleep(0.002)

    received: list[dict[str, Any]] = []
    async with connect(server, admin) as client:
        await client.subscribe(EVENTS, {"after": 0})
        received += await client.events_until(top)  # the populated log ...
        writing = asyncio.create_task(writer())
        received += await client.events(30)  # ... then live events as they commit
    # Disconnected, while the writer goes on.
    last = received[-1]["position"]
    await wait_until(_beyond(pool, last + 30), GUARD, "more events to commit while away")
    async with connect(server, admin) as client:
        await client.subscribe(EVENTS, {"after": last})
        received += await client.events(10)
        stop.set()
        await writing
        received += await client.events_until(await head(pool))
    assert [(e["position"], e["eventId"]) for e in received] == await _log(pool)


def _beyond(pool: asyncpg.Pool, position: int) -> Any:
    async def check() -> bool:
        return await head(pool) >= position
    return check


async def test_a_street_admin_receives_only_its_street_and_an_auditor_sees_masked_payloads(
    server: Server, pool: asyncpg.Pool,
) -> None:
    ids = await build_world(commands(pool))
    await wait_until(_readable(pool, await head(pool)), GUARD, "the server to apply the world")
    street_admin = server.token(Role.STREET_ADMIN, scope=ids["street"], subject="street-one")
    expected = await read_events(pool, 0, 1000, EventFilter(), ids["street"])
    everything = await read_events(pool, 0, 1000, EventFilter(), None)
    assert 0 < len(expected) < len(everything)
    admin = server.token(Role.DISTRICT_ADMIN)
    async with connect(server, street_admin, header=True) as client:
        await client.subscribe(EVENTS, {"after": 0})
        got = await client.events(len(expected))
        assert [e["eventId"] for e in got] == [str(e.event_id) for e in expected]
        # Live: a rename in the other street is not delivered, one in this street is.
        for org, name in ((ids["street2"], "观前街道党工委（新）"), (ids["west"], "钮家巷社区第二党支部")):
            result = await server.ok(admin, RENAME, {"input": {"id": str(org), "name": name}})
            assert result["renameOrganization"]["__typename"] == "OrganizationPayload"
        live = (await client.data())["events"]
        assert (live["type"], live["streamId"], live["payload"]["name"]) == \
            ("Organization.Renamed", str(ids["west"]), "钮家巷社区第二党支部")

    registered = {"filter": {"eventTypes": ["Member.Registered"]}, "after": 0}
    auditor = server.token(Role.AUDITOR, scope=ids["district"], subject="auditor")
    async with connect(server, auditor) as a, connect(server, admin) as b:
        await a.subscribe(EVENTS, registered)
        await b.subscribe(EVENTS, registered)
        masked, clear = (await a.events(2)), (await b.events(2))
    for m, c in zip(masked, clear, strict=True):
        assert m["eventId"] == c["eventId"]
        assert "*" in m["payload"]["id_number"] and "*" not in c["payload"]["id_number"]
        assert m["payload"]["id_number"][-4:] == c["payload"]["id_number"][-4:]
        assert m["payload"]["phone"] != c["payload"]["phone"]
        assert m["payload"]["name"] == c["payload"]["name"]


async def test_filters_by_stream_type_event_type_and_subtree(server: Server, pool: asyncpg.Pool) -> None:
    ids = await build_world(commands(pool))
    await wait_until(_readable(pool, await head(pool)), GUARD, "the server to apply the world")
    admin = server.token(Role.DISTRICT_ADMIN)
    cases = [
        ({"streamTypes": ["Organization"]}, EventFilter(stream_types=frozenset({"Organization"}))),
        ({"eventTypes": ["Member.TransferRequested", "Member.TransferReturned"]},
         EventFilter(event_types=frozenset({"Member.TransferRequested", "Member.TransferReturned"}))),
        ({"within": str(ids["grid"]), "streamTypes": ["Member"]},
         EventFilter(stream_types=frozenset({"Member"}), within=ids["grid"])),
    ]
    async with connect(server, admin) as client:
        for given, flt in cases:
            expected = await read_events(pool, 0, 1000, flt, None)
            await client.subscribe(EVENTS, {"after": 0, "filter": given})
            got = await client.events(len(expected))
            assert [e["eventId"] for e in got] == [str(e.event_id) for e in expected], given


async def test_member_and_transfer_subscriptions_deliver_the_object_after_each_change(
    server: Server,
) -> None:
    admin = server.token(Role.DISTRICT_ADMIN)
    _, _, east, west = await build_tree(server, admin)
    member = await register(server, admin, east)
    async with connect(server, admin) as client:
        await client.subscribe("subscription($id: ID!) { member(id: $id) { id phone version"
                               " homeOrganization { name } } }", {"id": member})
        now = (await client.data())["member"]
        assert now["phone"] == "13912345678" and now["homeOrganization"]["name"] == "平江新村社区党委"
        result = await server.ok(admin, CORRECT, {"input": {"id": member, "phone": "13700001111",
                                                            "reason": "新号码"}})
        assert result["correctMemberDetails"]["__typename"] == "MemberPayload"
        changed = (await client.data())["member"]
        assert (changed["phone"], changed["version"]) == ("13700001111", now["version"] + 1)

        requested = await server.ok(admin, """mutation($input: RequestMemberTransferInput!) {
          requestMemberTransfer(input: $input) { ... on TransferPayload { transfer { id } } } }""",
                                    {"input": {"memberId": member, "toOrganizationId": west,
                                               "scope": "WITHIN_CITY", "reason": "搬家"}})
        transfer = requested["requestMemberTransfer"]["transfer"]["id"]
        await client.data()  # the member's version moved with the request
        await client.subscribe("subscription($id: ID!) { transfer(id: $id) { id state"
                               " letterSerial } }", {"id": transfer})
        first = await client.data()
        assert first["transfer"]["state"] == "REQUESTED"
        await server.ok(admin, """mutation($input: IssueTransferLetterInput!) {
          issueTransferLetter(input: $input) { __typename } }""", {"input": {"transferId": transfer}})
        updates = [await client.data(), await client.data()]  # the member's, the transfer's
        issued = next(u["transfer"] for u in updates if "transfer" in u)
        assert issued["state"] == "LETTER_ISSUED" and issued["letterSerial"]


async def test_an_organization_subtree_subscription_reports_each_change_in_the_subtree(
    server: Server, pool: asyncpg.Pool,
) -> None:
    admin = server.token(Role.DISTRICT_ADMIN)
    _, _, east, west = await build_tree(server, admin)
    start = await readable_head(pool)
    secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    async with connect(server, secretary) as client:
        await client.subscribe("subscription($id: ID!, $after: Int) { organizationSubtree("
                               "id: $id, after: $after) { position type organization { id name } } }",
                               {"id": east, "after": start})
        for org, name in ((west, "钮家巷社区第二党支部"), (east, "平江新村社区第一党委")):
            await server.ok(admin, RENAME, {"input": {"id": org, "name": name}})
        change = (await client.data())["organizationSubtree"]
        assert (change["type"], change["organization"]) == (
            "Organization.Renamed", {"id": east, "name": "平江新村社区第一党委"})


async def test_a_connection_without_a_valid_token_is_refused(server: Server) -> None:
    url = server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send('{"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}')
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), GUARD)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_slow_consumer_is_closed_with_the_position_to_resume_from(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    async with serve(dsn, tmp_path, FeedSettings(buffer_size=200)) as server:
        admin = server.token(Role.DISTRICT_ADMIN)
        # A client that reads nothing while 8 MB of events commit: a fixed receive
        # buffer and no compression, so the server's sends block once the socket
        # buffers are full, and its cursor falls out of the ring.
        async with connect(server, admin, compression=None,
                           sock=_small_socket(server)) as client:
            await client.subscribe(EVENTS, {"after": 0})
            last = 0
            for _ in range(BATCHES):
                last = await _append_large(pool, 20)
                # In steps the ring could hold: a larger backlog at once would be read
                # from the database instead, and nobody would be closed.
                await wait_until(_readable(pool, last), GUARD, "the server to apply it")
            got: list[int] = []
            with pytest.raises(Closed) as closed:
                while True:
                    got.append((await client.data())["events"]["position"])
        error = closed.value.payload["payload"]["errors"][0]
        assert error["extensions"]["code"] == "SUBSCRIBER_FELL_BEHIND"
        resume = error["extensions"]["resumeAfter"]
        assert f"after: {resume}" in error["message"]
        assert got == list(range(1, resume + 1)), "everything up to the resume position, in order"
        async with connect(server, admin) as client:
            await client.subscribe(EVENTS, {"after": resume})
            rest = [e["position"] for e in await client.events_until(last)]
        assert got + rest == list(range(1, last + 1))


BATCHES = 100  # 2,000 events of 4 KB: 8 MB, more than the socket buffers hold


async def _append_large(pool: asyncpg.Pool, count: int) -> int:
    stream = uuid4()
    events = [NewEvent(stream, "Test", v, uuid4(), "Test.Padded", 1, {"pad": "x" * 4000})
              for v in range(1, count + 1)]
    result = await PostgresEventStore(pool).append(Append(events, Metadata("t", (), uuid4())))
    return result.last_position


def _small_socket(server: Server) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    host, port = server.url.removeprefix("http://").split(":")
    sock.connect((host, int(port)))
    sock.setblocking(False)
    return sock


async def test_two_server_processes_on_one_database_both_deliver_every_event(
    server: Server, dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    async with serve(dsn, tmp_path) as second:
        admin = server.token(Role.DISTRICT_ADMIN)
        async with connect(server, admin) as a, connect(second, admin) as b:
            await a.subscribe(EVENTS, {"after": 0})
            await b.subscribe(EVENTS, {"after": 0})
            last = 0
            for _ in range(5):
                last = await append_events(pool, 20, batch=20)
            got_a, got_b = await a.events_until(last), await b.events_until(last)
        assert [e["eventId"] for e in got_a] == [e["eventId"] for e in got_b]
        assert [e["position"] for e in got_a] == list(range(1, last + 1))


async def test_subscribers_with_different_selections_and_roles_each_get_their_own_shape(
    server: Server, pool: asyncpg.Pool,
) -> None:
    ids = await build_world(commands(pool))
    await wait_until(_readable(pool, await head(pool)), GUARD, "the server to apply the world")
    start = await head(pool)
    admin = server.token(Role.DISTRICT_ADMIN)
    auditor = server.token(Role.AUDITOR, scope=ids["district"])
    queries = ["subscription($a: Int) { events(after: $a) { position payload } }",
               "subscription($a: Int) { events(after: $a) { p: position ... on LogEvent { type } } }",
               "subscription($a: Int, $t: Boolean!) { events(after: $a) { position"
               " type @include(if: $t) } }"]
    async with connect(server, admin) as a, connect(server, auditor) as b:
        for q in queries:
            await a.subscribe(q, {"a": start, "t": False})
        await b.subscribe(queries[0], {"a": start})
        from tests.integration.support import register
        await register(commands(pool), ids["west"], "周华", "32050819900101004")
        got_a = {tuple(sorted((await a.data())["events"])) for _ in queries}
        masked = (await b.data())["events"]["payload"]
    assert got_a == {("payload", "position"), ("p", "type"), ("position",)}
    assert "*" in masked["id_number"] and "*" in masked["phone"]
