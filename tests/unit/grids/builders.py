"""A valid instance of every grids command added with residences, building groups and central
households, with the world it needs, for the cross-cutting tests over every command
(``tests/unit/core/test_idempotency_every_command.py`` takes them into its ``BUILDERS``)."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import date
from uuid import UUID

from domain.grids.building_groups import AssignBuildingGroup
from domain.grids.central_households import DesignateCentralHousehold, EndCentralHouseholdDesignation
from domain.grids.commands import RegisterGrid
from domain.grids.residence import AssignMemberResidence
from domain.members.aggregate import Gender, Standing
from domain.members.commands import RegisterMember
from domain.organizations.aggregate import OrganizationKind
from domain.organizations.commands import EstablishOrganization
from domain.shared.commands import Command
from domain.shared.permissions import Actor
from tests.idnumbers import id_number
from tests.unit.fakes import World, req

Builder = Callable[[World], Awaitable[tuple[Actor, Command]]]
GRID_BUILDERS: dict[type[Command], Builder] = {}
_sequence = itertools.count(801)


def builds(cls: type[Command]) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        GRID_BUILDERS[cls] = fn
        return fn
    return add


async def _grid(w: World) -> UUID:
    return (await w.commands.run(RegisterGrid(w.east, f"211403002001{next(_sequence)}", "仙山三网格",
                                              "RESIDENTIAL", buildings=("11幢", "12幢")), req(w.admin))).id


async def _member(w: World) -> UUID:
    return (await w.commands.run(RegisterMember(
        "卫东升", Gender.MALE, date(1970, 1, 15), "汉族", id_number("211403197001150", 5), None, Standing.FULL,
        date(1995, 7, 1), w.east), req(w.admin))).id


@builds(AssignMemberResidence)
async def _assign_residence(w: World) -> tuple[Actor, Command]:
    return w.admin, AssignMemberResidence(await _member(w), await _grid(w), "在职党员报到")


@builds(AssignBuildingGroup)
async def _assign_building_group(w: World) -> tuple[Actor, Command]:
    group = (await w.commands.run(EstablishOrganization(OrganizationKind.BUILDING_GROUP, "11幢党小组", w.east),
                                  req(w.admin))).id
    return w.admin, AssignBuildingGroup(group, await _grid(w), ("11幢",), "党小组建在楼栋上")


@builds(DesignateCentralHousehold)
async def _designate(w: World) -> tuple[Actor, Command]:
    return w.admin, DesignateCentralHousehold(await _member(w), await _grid(w), "12幢", "评定", doors=("301", "302"))


@builds(EndCentralHouseholdDesignation)
async def _end_designation(w: World) -> tuple[Actor, Command]:
    made = await w.commands.run(DesignateCentralHousehold(await _member(w), await _grid(w), "12幢", households=5),
                                req(w.admin))
    return w.admin, EndCentralHouseholdDesignation(made.id, "搬离")
