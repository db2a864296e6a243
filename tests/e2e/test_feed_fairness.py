"""Catch-ups share the server: requests are answered while 20 of them run on one socket.

The measure is a count, not a time: how much of the catch-ups had been delivered when
``/healthz`` answered and when a mutation completed. Without pacing, each subscriber
delivered a whole page (500 events) per pass of the event loop, every ``await`` of a
request waited for all twenty, and the mutation completed only after the catch-ups had
nearly finished. With it, both answer while most of the backlog is still to come.
(The latencies themselves are measured in ``bench/bench_fairness.py``.)
"""

from __future__ import annotations

import json
import threading
from typing import Any

import asyncpg
from websockets.sync import client as ws_sync

from domain.organizations.aggregate import OrganizationKind
from domain.shared.permissions import Role
from projections.feed.reading import readable_head
from tests.e2e.conftest import Server
from tests.e2e.ws import GUARD
from tests.integration.support import append_events, commands, req, wait_until

SUBSCRIPTIONS = 20
BACKLOG = 1000
RENAME = """mutation($input: RenameOrganizationInput!) { renameOrganization(input: $input) {
  __typename ... on Error { code message } } }"""
POSITIONS = "subscription($after: Int) { events(after: $after) { position type } }"


async def test_healthz_and_a_mutation_answer_while_twenty_catch_ups_run_on_one_socket(
    server: Server, pool: asyncpg.Pool,
) -> None:
    district = (await commands(pool).establish_organization(
        req(), OrganizationKind.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    start = await append_events(pool, 1, batch=1)
    last = await append_events(pool, BACKLOG, batch=500)

    async def readable() -> bool:
        return await readable_head(pool) >= last and bool(
            await pool.fetchval("SELECT true FROM organizations WHERE id = $1", district))
    await wait_until(readable, GUARD, "the server to apply the backlog")
    admin = server.token(Role.DISTRICT_ADMIN)
    total = SUBSCRIPTIONS * (last - start)
    reader = _Reader(server, admin, start, total)
    reader.start()  # its own thread: it drains the socket while the server's loop works
    try:
        await wait_until(lambda: reader.delivered >= SUBSCRIPTIONS, GUARD, "the catch-ups to start")
        health = await server.client.get(f"{server.url}/healthz")
        at_health = reader.delivered
        renamed = await server.ok(admin, RENAME, {"input": {"id": str(district), "name": "姑苏区委一"}})
        at_mutation = reader.delivered
        await wait_until(lambda: not reader.is_alive(), 120, "the catch-ups to end")  # a hang guard
    finally:
        reader.stop()
    assert reader.problem is None, reader.problem
    assert reader.delivered == total
    assert health.status_code == 200
    assert renamed["renameOrganization"]["__typename"] == "OrganizationPayload"
    # Answered while most of the 20,000 deliveries were still to come.
    assert at_health < total // 2, (at_health, total)
    assert at_mutation < total // 2, (at_mutation, total)


class _Reader(threading.Thread):
    """A client on another thread (as a client in another process would): it reads as fast
    as it can, so the server's sends never wait for the socket and pace nothing."""

    def __init__(self, server: Server, token: str, after: int, total: int) -> None:
        super().__init__(daemon=True)
        self.url = server.url.replace("http://", "ws://") + "/graphql"
        self.token, self.after, self.total = token, after, total
        self.delivered = 0
        self.problem: str | None = None
        self._ws: Any = None

    def run(self) -> None:
        try:
            with ws_sync.connect(self.url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                 open_timeout=GUARD) as ws:
                self._ws = ws
                ws.send(json.dumps({"type": "connection_init",
                                    "payload": {"Authorization": f"Bearer {self.token}"}}))
                assert json.loads(ws.recv(GUARD))["type"] == "connection_ack"
                for op in range(SUBSCRIPTIONS):
                    ws.send(json.dumps({"id": str(op), "type": "subscribe", "payload": {
                        "query": POSITIONS, "variables": {"after": self.after}}}))
                while self.delivered < self.total:
                    msg = json.loads(ws.recv(GUARD))
                    if msg["type"] == "ping":
                        ws.send(json.dumps({"type": "pong", "payload": msg.get("payload")}))
                        continue
                    if msg["type"] != "next" or "errors" in msg["payload"]:
                        self.problem = json.dumps(msg)
                        return
                    self.delivered += 1
        except Exception as exc:
            self.problem = repr(exc)

    def stop(self) -> None:
        if self._ws is not None and self.is_alive():
            self._ws.close()
        self.join(GUARD)
