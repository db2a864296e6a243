"""Hostile request sizes get a clear status and cost the server little."""

from __future__ import annotations

from api.http import MAX_BODY
from domain.shared.permissions import Role


async def test_an_oversized_body_is_refused_with_413(server) -> None:  # type: ignore[no-untyped-def]
    token = server.token(Role.AUDITOR)
    padding = "x" * (MAX_BODY + 1)
    response = await server.client.post(
        f"{server.url}/graphql", content=f'{{"query": "{{ me {{ name }} }}", "pad": "{padding}"}}',
        headers={"authorization": f"Bearer {token}", "content-type": "application/json",
                 "accept": "application/graphql-response+json"})
    assert response.status_code == 413
    assert "exceeds" in response.text
    ok = await server.ok(token, "{ me { name } }")
    assert ok["me"]["name"] == "Tester"
