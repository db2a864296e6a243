"""Hostile request sizes get a clear status and cost the server little."""

from __future__ import annotations

import json

from api.graphql.core.limits import MAX_FRAGMENT_SPREADS
from api.graphql.core.validation import MAX_JSON_DEPTH
from api.http import MAX_BODY
from domain.shared.permissions import Role


async def test_an_oversized_body_is_refused_with_413(server) -> None:  # type: ignore[no-untyped-def]
    token = server.token(Role.DISTRICT_ADMIN)
    padding = "x" * (MAX_BODY + 1)
    response = await server.client.post(
        f"{server.url}/graphql", content=f'{{"query": "{{ me {{ name }} }}", "pad": "{padding}"}}',
        headers={"authorization": f"Bearer {token}", "content-type": "application/json",
                 "accept": "application/graphql-response+json"})
    assert response.status_code == 413
    assert "exceeds" in response.text
    ok = await server.ok(token, "{ me { name } }")
    assert ok["me"]["name"] == "Tester"


async def test_a_json_body_nested_100000_levels_is_a_400(server) -> None:  # type: ignore[no-untyped-def]
    token = server.token(Role.DISTRICT_ADMIN)
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json",
               "accept": "application/graphql-response+json"}
    nested = '{"query": "{ me { name } }", "variables": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    response = await server.client.post(f"{server.url}/graphql", content=nested, headers=headers)
    assert response.status_code == 400  # was a RecursionError: 500
    assert response.json()["errors"][0]["message"] == (
        f"the body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels")
    # Deeper than the bound but well within Python's parser, and in GET's variables too.
    deep = {"query": "{ me { name } }", "variables": {"x": json.loads("[" * 40 + "]" * 40)}}
    response = await server.client.post(f"{server.url}/graphql", content=json.dumps(deep), headers=headers)
    assert response.status_code == 400 and "deeper than" in response.text
    response = await server.client.get(f"{server.url}/graphql", params={
        "query": "{ me { name } }", "variables": "[" * 5000 + "]" * 5000}, headers=headers)
    assert response.status_code == 400 and "deeper than" in response.text
    assert (await server.ok(token, "{ me { name } }"))["me"]["name"] == "Tester"


def doubling(levels: int) -> str:
    """The issue's query: each fragment spreads the next twice (828 bytes at 20 levels)."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {{ ...F0 }} {chain} fragment F{levels} on Query {{ me {{ subject }} }}"


async def test_doubling_fragments_are_refused_with_the_spread_limit(server) -> None:  # type: ignore[no-untyped-def]
    token = server.token(Role.DISTRICT_ADMIN)
    assert len(doubling(20)) == 828
    for levels in (20, 24):  # 2^21 and 2^25 paths through the spreads
        response = await server.gql(token, doubling(levels))
        assert response.status_code == 400, response.text
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "fragmentSpreads",
                                       "maximum": MAX_FRAGMENT_SPREADS}, error
    assert (await server.ok(token, "{ me { name } }"))["me"]["name"] == "Tester"
