"""GET /events: the polling feed gives the same events, in the same order, as the subscription."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.shared.permissions import Role
from projections.feed.reading import readable_head
from tests.e2e.conftest import Server
from tests.e2e.ws import EVENTS, GUARD, connect
from tests.integration.support import append_events, build_world, commands, head, wait_until


async def _poll(server: Server, token: str, after: int = 0, **params: Any) -> list[dict[str, Any]]:
    """Follow ``next`` until the feed is at its head; return every event on the way."""
    events: list[dict[str, Any]] = []
    while True:
        response = await server.client.get(f"{server.url}/events", params={"after": after, **params},
                                           headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        body = response.json()
        events += body["events"]
        assert body["next"] >= after
        if body["next"] == body["head"] and len(body["events"]) < int(params.get("limit", 100)):
            return events
        after = body["next"]


async def _settle(pool: asyncpg.Pool) -> None:
    top = await head(pool)

    async def reached() -> bool:
        return await readable_head(pool) >= top

    await wait_until(reached, GUARD, "the server to apply the log")


async def test_the_http_feed_pages_the_same_events_in_the_same_order_as_the_subscription(
    server: Server, pool: asyncpg.Pool,
) -> None:
    ids = await build_world(commands(pool))
    await append_events(pool, 40, batch=10)  # no organization: only whole-system actors see them
    await _settle(pool)
    cases = [
        (server.token(Role.DISTRICT_ADMIN), {}, {}),
        (server.token(Role.STREET_ADMIN, scope=ids["street2"]), {}, {}),
        (server.token(Role.AUDITOR, scope=ids["district"]),
         {"stream_type": "Member"}, {"streamTypes": ["Member"]}),
        (server.token(Role.DISTRICT_ADMIN),
         {"event_type": "Member.TransferRequested,Organization.Moved", "within": str(ids["street2"])},
         {"eventTypes": ["Member.TransferRequested", "Organization.Moved"],
          "within": str(ids["street2"])}),
    ]
    for token, params, graphql_filter in cases:
        polled = await _poll(server, token, limit=7, **params)
        assert polled, params
        async with connect(server, token) as client:
            await client.subscribe(EVENTS, {"after": 0, "filter": graphql_filter})
            subscribed = await client.events(len(polled))
        assert [e["eventId"] for e in polled] == [e["eventId"] for e in subscribed]
        for p, s in zip(polled, subscribed, strict=True):
            assert {k: p[k] for k in s} == s, "same field names, same values, same masking"
    everything = await _poll(server, cases[0][0], limit=1000)
    assert [e["position"] for e in everything] == list(range(1, await head(pool) + 1))
    auditor_members = await _poll(server, cases[2][0], stream_type="Member")
    assert all("*" in e["payload"]["id_number"] for e in auditor_members
               if e["type"] == "Member.Registered")


async def test_next_moves_past_events_that_do_not_match(server: Server, pool: asyncpg.Pool) -> None:
    await build_world(commands(pool))
    last = await append_events(pool, 30)
    await _settle(pool)
    admin = server.token(Role.DISTRICT_ADMIN)
    response = await server.client.get(
        f"{server.url}/events", params={"after": 0, "event_type": "Organization.Renamed"},
        headers={"authorization": f"Bearer {admin}"})
    body = response.json()
    assert [e["type"] for e in body["events"]] == ["Organization.Renamed"]
    assert body["next"] == body["head"] == last


async def test_the_http_feed_needs_a_token_and_well_formed_parameters(server: Server) -> None:
    url = f"{server.url}/events"
    unauthorised = await server.client.get(url)
    assert unauthorised.status_code == 401
    assert unauthorised.headers["www-authenticate"] == "Bearer"
    headers = {"authorization": f"Bearer {server.token(Role.DISTRICT_ADMIN)}"}
    for params, message in (({"after": "x"}, "after must be an integer"),
                            ({"after": -1}, "after must be ≥ 0"),
                            ({"limit": 0}, "limit must be 1–1000"),
                            ({"limit": 5000}, "limit must be 1–1000"),
                            ({"within": "street"}, "within must be an organization id (uuid)")):
        response = await server.client.get(url, params=params, headers=headers)
        assert (response.status_code, response.json()["error"]) == (400, message)
    empty = await server.client.get(url, headers=headers)
    assert empty.json() == {"events": [], "next": 0, "head": 0}
