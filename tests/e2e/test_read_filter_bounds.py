"""Filters that only select what to read are bounded too: a client's error, never a scan.

Before, ``nameContains`` and the feed's stream and event type lists took any length
(a name fragment longer than any name, a list of thousands of 10 KB names).
"""

from __future__ import annotations

from domain.shared.permissions import Role
from tests.e2e.conftest import Server
from tests.e2e.ws import connect


async def test_over_long_filters_are_refused_on_every_read_path(server: Server) -> None:
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    query = "query($name: String) {{ {root}(filter: {{nameContains: $name}}) {{ edges {{ cursor }} }} }}"
    for root in ("members", "organizations"):
        body = (await server.gql(admin, query.format(root=root), {"name": "名" * 121})).json()
        assert "at most 120 characters" in body["errors"][0]["message"], body
        ok = (await server.gql(admin, query.format(root=root), {"name": "名" * 120})).json()
        assert "errors" not in ok, ok

    headers = {"authorization": f"Bearer {admin}"}
    for params in ({"stream_type": "M" * 101}, {"event_type": ",".join(["Member.Registered"] * 51)}):
        response = await server.client.get(f"{server.url}/events", params=params, headers=headers)
        assert response.status_code == 400 and "at most 50 names" in response.text, response.text

    async with connect(server, admin) as client:
        await client.subscribe("subscription($types: [String!]) { events(after: 0, filter: {streamTypes: $types})"
                               " { position } }", {"types": ["M" * 101]})
        msg = await client.message()
    assert msg["type"] in ("next", "error"), msg
    assert "at most 50 names" in str(msg["payload"]), msg
