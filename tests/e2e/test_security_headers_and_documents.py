"""Issue 9, item 14: who may export, the security headers, introspection in production,
trusted documents and Apollo's automatic persisted queries, over real HTTP and WebSocket."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.persisted import digest
from domain.shared.permissions import Role
from tests.e2e.hardened import log_length, serve
from tests.e2e.test_funds_auditor import community_fund
from tests.e2e.ws import connect

ME = "query Me { me { subject } }"
INTROSPECTION = "{ __schema { queryType { name } } }"
ESTABLISH = """mutation Establish { establishOrganization(input: {kind: DISTRICT_COMMITTEE, name: "姑苏区委"}) {
  __typename } }"""
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def _post(server, token: str | None, body: dict[str, Any], accept: str = GRAPHQL_RESPONSE):  # type: ignore[no-untyped-def]
    headers = {"accept": accept}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await server.client.post(f"{server.url}/graphql", json=body, headers=headers)


def _apq(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest(document)}}


# -- /export --------------------------------------------------------------------------


async def test_only_roles_that_audit_funds_may_export(server) -> None:  # type: ignore[no-untyped-def]
    w = await community_fund(server)
    params = {"fund": w["fund"], "format": "csv"}
    for role, scope in ((Role.FINANCE_OFFICER, w["east"]), (Role.COMMUNITY_SECRETARY, w["east"]),
                        (Role.INTEGRATION, w["district"])):
        token = server.token(role, scope=scope, subject=f"not-an-auditor-{role.value}")
        refused = await server.client.get(f"{server.url}/export", params=params,
                                          headers={"authorization": f"Bearer {token}"})
        assert refused.status_code == 403, (role, refused.text)
        assert "may not export" in refused.json()["error"]
        assert "content-disposition" not in refused.headers
    assert (await server.client.get(f"{server.url}/export", params=params)).status_code == 401
    for role in (Role.AUDITOR, Role.STREET_ADMIN, Role.DISTRICT_ADMIN):
        token = server.token(role, scope=w["street"], subject=f"auditing-{role.value}")
        async with server.client.stream("GET", f"{server.url}/export", params=params,
                                        headers={"authorization": f"Bearer {token}"}) as allowed:
            assert allowed.status_code == 200, role  # the file's content: tests/e2e/test_fund_export.py
            assert allowed.headers["content-disposition"].startswith("attachment")


# -- headers --------------------------------------------------------------------------


async def test_every_response_carries_the_security_headers(server) -> None:  # type: ignore[no-untyped-def]
    token = server.token(Role.DISTRICT_ADMIN)
    auth = {"authorization": f"Bearer {token}"}
    responses = {
        "healthz": await server.client.get(f"{server.url}/healthz"),
        "graphql": await server.gql(token, ME),
        "graphql 401": await server.gql(None, ME),
        "events": await server.client.get(f"{server.url}/events", headers=auth),
        "events 400": await server.client.get(f"{server.url}/events?limit=x", headers=auth),
        "export 400": await server.client.get(f"{server.url}/export", headers=auth),
    }
    for name, response in responses.items():
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert response.headers["referrer-policy"] == "no-referrer", name
        assert response.headers["x-frame-options"] == "DENY", name
    for name in ("graphql", "graphql 401", "events", "events 400", "export 400"):
        assert responses[name].headers["cache-control"] == "no-store", name
    assert "cache-control" not in responses["healthz"].headers


async def test_the_graphiql_page_has_one_content_security_policy_without_inline_code(
        server) -> None:  # type: ignore[no-untyped-def]
    page = await server.client.get(f"{server.url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert len(page.headers.get_list("content-security-policy")) == 1
    policy = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"


# -- introspection ----------------------------------------------------------------------


async def test_production_refuses_introspection_unless_configured(dsn: str, tmp_path: Path) -> None:
    async with serve(dsn, tmp_path, production=True) as server:
        token = server.token(Role.DISTRICT_ADMIN)
        refused = await _post(server, token, {"query": INTROSPECTION})
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
        assert "data" not in refused.json()
        typed = await _post(server, token, {"query": "{ __type(name: \"Query\") { name } }"},
                            accept="application/json")
        assert typed.status_code == 200 and typed.json()["errors"][0]["extensions"]["code"] \
            == "INTROSPECTION_DISABLED"
        # __typename is not introspection of the schema; a string mentioning it is no field.
        plain = await _post(server, token, {"query": "{ __typename me { subject } }"})
        assert plain.status_code == 200 and plain.json()["data"]["__typename"] == "Query"
        async with connect(server, token) as client:
            await client.ws.send(json.dumps({"id": "1", "type": "subscribe",
                                             "payload": {"query": INTROSPECTION}}))
            refused_ws = await client.message()
            assert refused_ws["type"] == "error"
            assert refused_ws["payload"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    async with serve(dsn, tmp_path, production=True, introspection=True) as server:
        token = server.token(Role.DISTRICT_ADMIN)
        allowed = await _post(server, token, {"query": INTROSPECTION})
        assert allowed.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_development_answers_introspection_by_default(server) -> None:  # type: ignore[no-untyped-def]
    data = await server.ok(server.token(Role.DISTRICT_ADMIN), INTROSPECTION)
    assert data["__schema"]["queryType"]["name"] == "Query"


# -- trusted documents --------------------------------------------------------------------


def _manifests(tmp_path: Path) -> Path:
    """Two manifests as frontend builds write them: a flat map and Apollo's format."""
    folder = tmp_path / "trusted"
    folder.mkdir()
    (folder / "relay.json").write_text(json.dumps({digest(ME): ME}))
    (folder / "apollo.json").write_text(json.dumps({
        "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": digest(ESTABLISH), "name": "Establish", "type": "mutation",
                        "body": ESTABLISH}]}))
    return folder


async def test_in_production_only_trusted_documents_run(dsn: str, tmp_path: Path) -> None:
    folder = _manifests(tmp_path)
    async with serve(dsn, tmp_path, production=True, trusted_documents=(folder,)) as server:
        token = server.token(Role.DISTRICT_ADMIN, subject="frontend")
        before = await log_length(dsn)

        unknown = await _post(server, token, {"query": "{ me { name } }"})
        assert unknown.status_code == 403, unknown.text
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        sneaky = await _post(server, token, {"query": 'mutation { establishOrganization(input:'
                                             ' {kind: DISTRICT_COMMITTEE, name: "外来"}) { __typename } }'})
        assert sneaky.status_code == 403
        # Registering an unlisted document through APQ is refused too.
        other = "{ me { name } }"
        register = await _post(server, token, {"query": other, "extensions": _apq(other)})
        assert register.status_code == 403
        assert await log_length(dsn) == before

        by_hash = await _post(server, token, {"extensions": _apq(ME)})
        assert by_hash.status_code == 200 and by_hash.json()["data"]["me"]["subject"] == "frontend"
        by_id = await _post(server, token, {"documentId": f"sha256:{digest(ME)}"})
        assert by_id.json()["data"]["me"]["subject"] == "frontend"
        by_text = await _post(server, token, {"query": ME})
        assert by_text.json()["data"]["me"]["subject"] == "frontend"
        get = await server.client.get(f"{server.url}/graphql", params={
            "extensions": json.dumps(_apq(ME))},
            headers={"authorization": f"Bearer {token}", "accept": GRAPHQL_RESPONSE})
        assert get.json()["data"]["me"]["subject"] == "frontend"
        mutation = await _post(server, token, {"extensions": _apq(ESTABLISH)})
        assert mutation.json()["data"]["establishOrganization"]["__typename"] == "OrganizationPayload"
        assert await log_length(dsn) == before + 1

        missing = await _post(server, token, {"extensions": _apq("{ me { roles } }")})
        assert missing.status_code == 200
        assert missing.json()["errors"] == [{"message": "PersistedQueryNotFound",
                                             "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]

        async with connect(server, token) as client:
            await client.ws.send(json.dumps({"id": "1", "type": "subscribe",
                                             "payload": {"query": "{ me { name } }"}}))
            refused = await client.message()
            assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] \
                == "PERSISTED_QUERY_NOT_IN_LIST"
            await client.ws.send(json.dumps({"id": "2", "type": "subscribe",
                                             "payload": {"query": ME}}))
            served = await client.message()
            assert served["type"] == "next" and served["payload"]["data"]["me"]["subject"] == "frontend"


async def test_automatic_persisted_queries_register_once_and_are_reused(server) -> None:  # type: ignore[no-untyped-def]
    token = server.token(Role.DISTRICT_ADMIN, subject="apollo-client")
    query = "query Again { me { subject } }"
    # 1. The hash alone, unknown: the answer Apollo's client retries on (HTTP 200).
    first = await _post(server, token, {"extensions": _apq(query)})
    assert first.status_code == 200
    assert first.json()["errors"] == [{"message": "PersistedQueryNotFound",
                                       "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    # 2. The retry with the query: checked, remembered, run.
    second = await _post(server, token, {"query": query, "extensions": _apq(query)})
    assert second.json()["data"]["me"]["subject"] == "apollo-client"
    # 3. From then on the hash alone is enough (GET too, as useGETForHashedQueries sends).
    third = await _post(server, token, {"extensions": _apq(query), "operationName": "Again"})
    assert third.json()["data"]["me"]["subject"] == "apollo-client"
    get = await server.client.get(f"{server.url}/graphql", params={"extensions": json.dumps(_apq(query))},
                                  headers={"authorization": f"Bearer {token}"})
    assert get.json()["data"]["me"]["subject"] == "apollo-client"
    # A hash that is not the query's is refused, and registers nothing.
    wrong = await _post(server, token, {"query": "{ me { name } }", "extensions": _apq(query + " ")})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    again = await _post(server, token, {"extensions": _apq(query + " ")})
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize("extensions", [
    {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
    {"persistedQuery": {"version": 1, "sha256Hash": "not-hex"}},
    {"persistedQuery": "abc"},
])
async def test_a_malformed_persisted_query_is_a_clear_400(server, extensions) -> None:  # type: ignore[no-untyped-def]
    response = await _post(server, server.token(Role.DISTRICT_ADMIN), {"extensions": extensions})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
