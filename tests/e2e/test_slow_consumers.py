"""Slow and silent WebSocket clients: they are told where to resume, and nobody else waits.

A client's position counts once the client confirms it (graphql-transport-ws ``pong``):
one that stops reading is closed with ``SUBSCRIBER_FELL_BEHIND`` and ``resumeAfter``
however much its socket's buffers would still take; one that stops answering is closed
by the keep-alive, each subscription with its ``resumeAfter``; resuming there is
gap-free and duplicate-free. A client that reads slowly but answers is paced, not closed.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import asyncpg
import websockets

from api.config import FeedSettings, ServerSettings
from domain.shared.permissions import Role
from projections.feed.reading import readable_head
from tests.e2e.conftest import Server
from tests.e2e.ws import EVENTS, GUARD, connect, serve
from tests.integration.support import append_events, head, wait_until

POSITIONS = "subscription($after: Int, $filter: EventFilterInput) {" \
            " events(after: $after, filter: $filter) { position } }"


async def _feed_measure(server: Server, measure: str) -> float:
    text = (await server.client.get(f"{server.url}/metrics")).text
    found = re.search(rf'^grassroots_feed{{measure="{measure}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


async def _raw(server: Server, token: str) -> Any:
    """A WebSocket whose client answers nothing at the graphql-transport-ws level unless the
    test reads: it stands for an application that stopped reading."""
    url = server.url.replace("http://", "ws://") + "/graphql"
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), GUARD))
    assert ack["type"] == "connection_ack", ack
    return ws


async def _subscribe(ws: Any, op: str, variables: dict[str, Any]) -> None:
    await ws.send(json.dumps({"id": op, "type": "subscribe",
                              "payload": {"query": POSITIONS, "variables": variables}}))


async def _read_until_closed(ws: Any) -> list[dict[str, Any]]:
    """Every message the server sent, up to its close (pings are not answered)."""
    seen: list[dict[str, Any]] = []
    try:
        while True:
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), GUARD)))
    except websockets.ConnectionClosed:
        return seen


async def _readable(pool: asyncpg.Pool, position: int) -> None:
    async def check() -> bool:
        return await readable_head(pool) >= position
    await wait_until(check, GUARD, f"the server to make position {position} readable")


async def test_a_client_that_stops_reading_is_told_it_fell_behind_and_resumes_without_gap(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    async with serve(dsn, tmp_path, FeedSettings(buffer_size=200)) as server:
        admin = server.token(Role.DISTRICT_ADMIN)
        start = await append_events(pool, 5, batch=5)
        await _readable(pool, start)
        ws = await _raw(server, admin)  # default compression: its buffers would hold it all
        try:
            await _subscribe(ws, "1", {"after": start})
            await wait_until(lambda: _feed_measure(server, "live"), GUARD, "the subscriber to go live")
            # 2,000 small events while the client reads nothing, in steps the ring holds (a
            # larger backlog at once would be read from the database instead).
            last = start
            for _ in range(20):
                last = await append_events(pool, 100, batch=100)
                await _readable(pool, last)
            # Now it reads what the server had sent: events, then why it stopped.
            closing: dict[str, Any] | None = None
            got: list[int] = []
            while closing is None:
                msg = json.loads(await asyncio.wait_for(ws.recv(), GUARD))
                if msg["type"] == "next" and msg["payload"].get("errors"):
                    closing = msg["payload"]["errors"][0]
                elif msg["type"] == "next":
                    got.append(msg["payload"]["data"]["events"]["position"])
        finally:
            await ws.close()
        assert closing["extensions"]["code"] == "SUBSCRIBER_FELL_BEHIND", closing
        resume = closing["extensions"]["resumeAfter"]
        assert f"after: {resume}" in closing["message"]
        assert start < resume < last, "closed while events flowed, long before the end"
        assert got == list(range(start + 1, resume + 1)), "everything up to resumeAfter, in order"
        async with connect(server, admin) as client:  # answers pings: never closed
            await client.subscribe(EVENTS, {"after": resume})
            rest = [e["position"] for e in await client.events_until(last)]
        assert got + rest == list(range(start + 1, last + 1)), "no gap, no duplicate"


async def test_a_silent_client_is_closed_by_the_keepalive_with_each_position_to_resume_from(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    async with serve(dsn, tmp_path, server=ServerSettings(ws_keepalive=0.5)) as server:
        admin = server.token(Role.DISTRICT_ADMIN)
        first = await append_events(pool, 3, batch=3)
        last = await append_events(pool, 4, batch=4)
        await _readable(pool, last)
        ws = await _raw(server, admin)
        await _subscribe(ws, "caught-up", {"after": first})
        await _subscribe(ws, "nothing-matches", {"after": 0, "filter": {"streamTypes": ["Webhook"]}})
        seen = await _read_until_closed(ws)  # never answers the pings
        closed = ws.close_code
    events = [m["payload"]["data"]["events"]["position"] for m in seen
              if m["type"] == "next" and not m["payload"].get("errors")]
    closing = {m["id"]: m["payload"]["errors"][0]["extensions"] for m in seen
               if m["type"] == "next" and m["payload"].get("errors")}
    assert events == list(range(first + 1, last + 1))
    assert closing == {"caught-up": {"code": "KEEPALIVE_TIMEOUT", "resumeAfter": last},
                       "nothing-matches": {"code": "KEEPALIVE_TIMEOUT", "resumeAfter": last}}
    assert any(m["type"] == "ping" for m in seen) and closed == 1011
    assert await head(pool) == last


async def test_a_slow_client_that_answers_pings_is_paced_through_a_long_catch_up_not_closed(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    async with serve(dsn, tmp_path, FeedSettings(buffer_size=40)) as server:
        last = await append_events(pool, 600, batch=200)
        await _readable(pool, last)
        async with connect(server, server.token(Role.DISTRICT_ADMIN)) as client:
            await client.subscribe(EVENTS, {"after": 0})
            got = []
            while not got or got[-1] < last:
                got.append((await client.data())["events"]["position"])
                if len(got) % 100 == 0:
                    await asyncio.sleep(0.2)  # a slow reader: the server must wait for it
        assert got == list(range(1, last + 1))
        assert await _feed_measure(server, "held") > 0, "the window held the subscriber back"
