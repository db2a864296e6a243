"""The grids' residence, building-group and central-household cases of
``tests/integration/core/test_mutation_statements.py``: the world each mutation needs, its two runs
(warm, then measured) and the pinned statement counts.

Kept beside the area's tests; the core test takes them in (``GRID_CASES``, ``GRID_EXPECTED``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from domain.organizations.aggregate import OrganizationKind
from domain.shared.permissions import Actor, Role
from tests.integration.support import req
from tests.usecases import UseCases

ADMIN = Actor(subject="counted-admin", name="管理员", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)

GRID_EXPECTED: dict[str, int] = {
    # grid stream, path, member stream, residence stream, append, residence row
    "assignMemberResidence": 6,
    # grid stream, path, group stream, group path (in the grid's community), link stream, append, link row
    "assignBuildingGroup": 7,
    # grid stream, path, member stream, append, the designation's row
    "designateCentralHousehold": 5,
    # designation stream, path, append, row
    "endCentralHouseholdDesignation": 4,
}
SELECTIONS = {
    "ResidencePayload": "residenceId residence { memberId startedOn reason }",
    "BuildingGroupPayload": "coverage { organizationId buildings }",
    "CentralHouseholdPayload": "centralHousehold { id households endedOn }",
}
Run = tuple[Actor, str, str, Callable[[dict[str, Any]], bool]]
"""(actor, the warming document, the measured document, whether the payload shows the change)."""
GRID_CASES: dict[str, Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Run]]] = {}


def case(mutation: str) -> Callable[[Any], Any]:
    def add(setup: Any) -> Any:
        GRID_CASES[mutation] = setup
        return setup
    return add


def literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return '"' + str(value) + '"'


def doc(mutation: str, payload: str, **fields: Any) -> str:
    args = ", ".join(f"{k}: {literal(v)}" for k, v in fields.items())
    return (f"mutation {{ {mutation}(input: {{{args}}}) {{ __typename ... on {payload} {{ {SELECTIONS[payload]} }}"
            " ... on Error { code message } } }")


async def _grid(cmds: UseCases, ids: dict[str, uuid.UUID], seq: str) -> uuid.UUID:
    return (await cmds.register_grid(req(), ids["east"], f"320508019001{seq}", f"第{seq}网格", "RESIDENTIAL",
                                     buildings=("1栋", "2栋"))).id


@case("assignMemberResidence")
async def _residence(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    grid = await _grid(cmds, ids, "061")

    def assign(member: uuid.UUID) -> str:
        return doc("assignMemberResidence", "ResidencePayload", memberId=member, gridId=grid, reason="居住地报到")
    return ADMIN, assign(ids["m1"]), assign(ids["m2"]), lambda p: p["residence"]["memberId"] == str(ids["m2"])


@case("assignBuildingGroup")
async def _building_group(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    grid = await _grid(cmds, ids, "062")
    other = (await cmds.establish_organization(req(), OrganizationKind.BUILDING_GROUP, "2栋党小组", ids["grid"])).id

    def assign(group: uuid.UUID, building: str) -> str:
        return doc("assignBuildingGroup", "BuildingGroupPayload", organizationId=group, gridId=grid,
                   buildings=[building], reason="党小组建在楼栋上")
    return (ADMIN, assign(ids["building"], "1栋"), assign(other, "2栋"),
            lambda p: p["coverage"]["buildings"] == ["2栋"])


@case("designateCentralHousehold")
async def _designate(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    grid = await _grid(cmds, ids, "063")

    def designate(member: uuid.UUID) -> str:
        return doc("designateCentralHousehold", "CentralHouseholdPayload", memberId=member, gridId=grid,
                   building="1栋", doors=["101", "102"], reason="评定")
    return ADMIN, designate(ids["m1"]), designate(ids["m2"]), lambda p: p["centralHousehold"]["households"] == 2


@case("endCentralHouseholdDesignation")
async def _end(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    grid = await _grid(cmds, ids, "064")
    made = [(await cmds.designate_central_household(req(), m, grid, "2栋", households=4)).id
            for m in (ids["m1"], ids["m2"])]

    def end(designation: uuid.UUID) -> str:
        return doc("endCentralHouseholdDesignation", "CentralHouseholdPayload", designationId=designation,
                   reason="搬离")
    return ADMIN, end(made[0]), end(made[1]), lambda p: p["centralHousehold"]["endedOn"] is not None
