"""A near miss of the forbidden-purpose screen is visible to the approver in GraphQL.

Before, "property-manager repairs" and the like passed as public service without a word;
now a forbidden use is refused (and nothing recorded) and a near miss passes with
``Project.reviewFlags`` set, for the street admin who approves it.
"""

from __future__ import annotations

from domain.shared.permissions import Role
from tests.e2e.conftest import Server
from tests.e2e.test_funds_auditor import community_fund, mutate

FLAGS = "__typename ... on ProjectPayload { project { id reviewFlags } } ... on Error { code field }"


async def test_the_approver_sees_the_flags_of_a_near_miss(server: Server) -> None:
    w = await community_fund(server)
    propose = {"fundId": w["fund"], "category": "PUBLIC_SERVICE", "title": "楼道维修", "amount": "800.00",
               "purpose": "老旧小区楼道灯维修", "beneficiaries": "居民 120 户"}
    out = await mutate(server, w["finance"], "proposeProject", propose, FLAGS)
    assert out["project"]["reviewFlags"] == ["PROPERTY_MANAGEMENT_COSTS: 维修"], out
    seen = await server.ok(w["street_admin"], "query($id: ID!) { project(id: $id) { title reviewFlags } }",
                           {"id": out["project"]["id"]})
    assert seen["project"]["reviewFlags"] == ["PROPERTY_MANAGEMENT_COSTS: 维修"]

    refused = await mutate(server, w["finance"], "proposeProject", {**propose, "purpose": "物業維修（繁體）"}, FLAGS)
    assert refused == {"__typename": "ForbiddenPurpose", "code": "FORBIDDEN_PURPOSE", "field": "purpose"}
    auditor = server.token(Role.AUDITOR, scope=w["district"], subject="auditor")
    projects = await server.ok(auditor, "{ projects(first: 10) { edges { node { title reviewFlags } } } }")
    assert [e["node"]["reviewFlags"] for e in projects["projects"]["edges"]] == [["PROPERTY_MANAGEMENT_COSTS: 维修"]]
