"""A dissolved organization, a retired grid, an exited member: typed errors, never internal ones.

Over real HTTP, against what was seeded through the domain: each mutation below names an
object in a state that refuses it, and answers a typed error of its result union (before
``errors.COMMON`` held ``OrganizationDissolved``, ``registerShop`` and ``registerGrid`` on a
dissolved organization answered ``internal error``, as ``assignMemberResidence`` did for an
exited member); the response has no ``errors`` entry and the log is unchanged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from domain.shops.licence import credit_check_character
from tests.e2e.conftest import Server
from tests.integration.support import commands, head, register

SEEDER = Actor("unions-admin", "组织部", frozenset({Role.DISTRICT_ADMIN}), None)
ANSWER = "__typename ... on Error { code message field }"


def _r() -> Request:
    return Request(SEEDER, uuid4())


async def _seed(pool: asyncpg.Pool) -> dict[str, UUID]:
    """A street with a live community (a live grid, a retired one, a member who died), a
    dissolved community and a dissolved business-district committee."""
    cmds = commands(pool, lambda: datetime.now(UTC))
    K = OrganizationKind
    ids: dict[str, UUID] = {}
    ids["district"] = (await cmds.establish_organization(_r(), K.DISTRICT_COMMITTEE, "朝阳区委", None)).id
    ids["street"] = (await cmds.establish_organization(_r(), K.STREET_WORKING_COMMITTEE, "双井街道党工委",
                                                       ids["district"], "110105003000")).id
    ids["community"] = (await cmds.establish_organization(_r(), K.COMMUNITY_COMMITTEE, "九龙社区党委",
                                                          ids["street"], "110105003004")).id
    ids["gone_community"] = (await cmds.establish_organization(_r(), K.COMMUNITY_COMMITTEE, "广和社区党委",
                                                               ids["street"], "110105003005")).id
    ids["gone_committee"] = (await cmds.establish_organization(_r(), K.BUSINESS_DISTRICT_COMMITTEE,
                                                               "富力商圈党委", ids["street"])).id
    for gone in ("gone_community", "gone_committee"):
        await cmds.dissolve_organization(_r(), ids[gone], "撤并")
    ids["grid"] = (await cmds.register_grid(_r(), ids["community"], "110105003004001", "九龙一网格",
                                            "RESIDENTIAL", buildings=("1幢",))).id
    ids["retired"] = (await cmds.register_grid(_r(), ids["community"], "110105003004002", "九龙二网格",
                                               "RESIDENTIAL", buildings=("2幢",))).id
    await cmds.retire_grid(_r(), ids["retired"], "并入一网格")
    ids["member"] = (await register(cmds, ids["community"], "赵淑芬", "11010519520307004")).id
    await cmds.record_member_death(_r(), ids["member"], date.today())
    return ids


async def _answer(server: Server, token: str, mutation: str, fields: dict[str, Any]) -> dict[str, Any]:
    name = mutation[0].upper() + mutation[1:]
    document = f"mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ {ANSWER} }} }}"
    response = await server.gql(token, document, {"input": fields})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, (mutation, body)
    result: dict[str, Any] = body["data"][mutation]
    return result


async def test_refused_states_answer_typed_errors_and_change_nothing(server: Server, pool: asyncpg.Pool) -> None:
    ids = await _seed(pool)
    before = await head(pool)
    token = server.token(Role.DISTRICT_ADMIN, subject="unions-admin")
    body = "92110105MA0000042"
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        ("registerShop", {"organizationId": str(ids["gone_committee"]), "name": "富力便民超市",
                          "creditCode": body + credit_check_character(body),
                          "licenceValidUntil": date(date.today().year + 2, 6, 30).isoformat(),
                          "address": "广渠路66号", "category": "零售", "ownerMemberId": str(ids["member"])},
         "OrganizationDissolved", "ORGANIZATION_DISSOLVED"),
        ("registerGrid", {"communityId": str(ids["gone_community"]), "code": "110105003005001",
                          "name": "广和一网格", "kind": "RESIDENTIAL"},
         "OrganizationDissolved", "ORGANIZATION_DISSOLVED"),
        ("updateGridDetails", {"gridId": str(ids["retired"]), "reason": "更名", "name": "九龙新二网格"},
         "GridNotAllowed", "GRID_NOT_ALLOWED"),
        ("assignMemberResidence", {"memberId": str(ids["member"]), "gridId": str(ids["grid"]),
                                   "reason": "登记居住地"},
         "MemberExited", "MEMBER_EXITED"),
    ]
    for mutation, fields, typename, code in cases:
        got = await _answer(server, token, mutation, fields)
        assert (got["__typename"], got["code"]) == (typename, code), (mutation, got)
        assert got["message"], mutation
    assert await head(pool) == before
