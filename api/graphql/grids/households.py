"""Building groups' grids and member central households (党员中心户): types, queries, mutations.

Both are read by whoever covers the grid (``views.grid_condition``, ``Actor.covers_grid``): the
grid's community's subtree, or a grid-scoped token of that grid.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api import views
from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, Node, argument_id, connection, subtree_condition
from api.graphql.grids.errors import BuildingNotInGrid, CentralHouseholdExists, GridNotAllowed, GridNotInCommunity
from api.graphql.grids.inputs import _KEY, _REASON
from api.graphql.grids.residence import resident_member
from api.graphql.grids.types import Grid, _readable, grid
from api.graphql.members.errors import MemberExited
from api.graphql.members.types import Member
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from domain.grids.building_groups import AssignBuildingGroup
from domain.grids.central_households import DesignateCentralHousehold, EndCentralHouseholdDesignation
from domain.shared.commands import Outcome

MAX_GROUPS = 50
"""The most building groups one grid lists (``Grid.buildingGroups``)."""


async def _covered_grid(info: Info, grid_id: UUID) -> Grid | None:
    row = await info.context.loaders.grid.load(grid_id)
    return grid(row) if row is not None and await _readable(info, row) else None


@strawberry.type(description="A building Party group (楼栋党小组) working in a grid: the buildings of it the group"
                             " covers, since when, who recorded it and why.")
class BuildingGroupCoverage:
    row: strawberry.Private[asyncpg.Record]
    organization_id: strawberry.ID = strawberry.field(description="The building group (a BUILDING_GROUP).")
    buildings: list[str] = strawberry.field(description="The grid's buildings the group covers.")
    started_on: date = strawberry.field(description="Effective from.")
    assigned_by: str = strawberry.field(description="Who recorded it.")
    reason: str | None = strawberry.field(description="Why, as stated.")

    @strawberry.field(description="The building group, if it lies within your scope.")
    async def organization(self, info: Info) -> Organization | None:
        return await load_organization(info, self.row["organization_id"])

    @strawberry.field(description="The grid, if you cover it.")
    async def grid(self, info: Info) -> Grid | None:
        return await _covered_grid(info, self.row["grid_id"])


def coverage(r: asyncpg.Record) -> BuildingGroupCoverage:
    return BuildingGroupCoverage(row=r, organization_id=strawberry.ID(str(r["organization_id"])),
                                 buildings=list(r["buildings"]), started_on=r["started_on"],
                                 assigned_by=r["assigned_by"], reason=r["reason"])


@strawberry.type(description="A member central household (党员中心户): one member's home designated to serve its"
                             " neighbours, named by door numbers or counted (no neighbour's personal data).")
class CentralHousehold(Node):
    row: strawberry.Private[asyncpg.Record]
    member_id: strawberry.ID = strawberry.field(description="The member whose home it is.")
    building: str = strawberry.field(description="The building of the grid the home is in.")
    doors: list[str] = strawberry.field(description="Door numbers of the households served, if listed.")
    households: int = strawberry.field(description="Households served.")
    building_group_id: strawberry.ID | None = strawberry.field(description="The building group it works with.")
    started_on: date = strawberry.field(description="Designated from.")
    ended_on: date | None = strawberry.field(description="Ended on; null while current.")
    designated_by: str = strawberry.field(description="Who designated it.")
    reason: str | None = strawberry.field(description="Why, as stated.")
    ended_by: str | None = strawberry.field(description="Who ended it.")
    ended_reason: str | None = strawberry.field(description="Why it ended, as stated.")
    version: int = strawberry.field(description="Its stream's version: state it as `expectedVersion` to guard a"
                                                " change.")

    @strawberry.field(description="The member's name.")
    async def name(self, info: Info) -> str | None:
        row = await info.context.loaders.member.load(self.row["member_id"])
        return None if row is None else str(row["name"])

    @strawberry.field(description="The member, as a grid's residents are read (`MemberResidence.member`).")
    async def member(self, info: Info) -> Member | None:
        return await resident_member(info, self.row["member_id"])

    @strawberry.field(description="The grid, if you cover it.")
    async def grid(self, info: Info) -> Grid | None:
        return await _covered_grid(info, self.row["grid_id"])


def household(r: asyncpg.Record) -> CentralHousehold:
    def opt(v: Any) -> strawberry.ID | None:
        return None if v is None else strawberry.ID(str(v))
    return CentralHousehold(
        id=strawberry.ID(str(r["id"])), row=r, member_id=strawberry.ID(str(r["member_id"])), building=r["building"],
        doors=list(r["doors"]), households=r["households"], building_group_id=opt(r["building_group_id"]),
        started_on=r["started_on"], ended_on=r["ended_on"], designated_by=r["designated_by"], reason=r["reason"],
        ended_by=r["ended_by"], ended_reason=r["ended_reason"], version=r["version"])


async def load_central_household(info: Info, hid: UUID) -> CentralHousehold | None:
    c = views.Conditions()
    c.add("id = ?", hid)
    views.grid_condition(c, info.context.actor, "organization_id", "grid_id")
    row = await info.context.pool.fetchrow(f"SELECT * FROM central_households WHERE {c.where}", *c.args)
    return None if row is None else household(row)


@strawberry.type
class GridHouseholdFields:
    """The building-group field of ``Grid`` (reached only through a grid you cover)."""

    @strawberry.field(description=f"The building groups working in this grid, and their buildings (at most"
                                  f" {MAX_GROUPS}).")
    async def building_groups(self, info: Info) -> list[BuildingGroupCoverage]:
        rows = await info.context.loaders.building_groups_of_grid.load(self.row["id"])  # type: ignore[attr-defined]
        return [coverage(r) for r in rows[:MAX_GROUPS]]


@strawberry.type
class CentralHouseholdQueries:
    """The central-household queries of grids (``GridQueries`` inherits them)."""

    @strawberry.field(description="One member central household designation, if you cover its grid.")
    async def central_household(self, info: Info, id: strawberry.ID) -> CentralHousehold | None:
        return await load_central_household(info, argument_id(id, "id"))

    @strawberry.field(description="Member central households of the grids you cover (and `within` a subtree, or of"
                                  " one grid), current ones unless `includeEnded`, in the order designated.")
    async def central_households(self, info: Info, within: strawberry.ID | None = None,
                                 grid_id: strawberry.ID | None = None, include_ended: bool = False,
                                 first: int | None = None, after: str | None = None) -> Connection[CentralHousehold]:
        c = views.Conditions()
        views.grid_condition(c, info.context.actor, "organization_id", "grid_id")
        if within is not None:
            subtree_condition(c, "organization_id", within, "within")
        if grid_id is not None:
            c.add("grid_id = ?", argument_id(grid_id, "gridId"))
        if not include_ended:
            c.add("ended_on IS NULL")
        page = await views.page(info.context.pool, "SELECT * FROM central_households", c, ("position",),
                                views.decode_cursor(after, 1), info.context.page_size(first))
        return connection(page, household, lambda r: (r["position"],))


@strawberry.input(description="Link a building group (楼栋党小组) to a grid of its community and the buildings of it"
                              " that it covers; again to reassign it.")
class AssignBuildingGroupInput:
    organization_id: strawberry.ID = strawberry.field(description="The building group (a BUILDING_GROUP).")
    grid_id: strawberry.ID = strawberry.field(description="The grid (of the group's community).")
    buildings: list[str] = strawberry.field(description="The grid's buildings it covers: 1–20, each 1–40 characters,"
                                                        " none twice.")
    reason: str = strawberry.field(description=_REASON)
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    expected_version: int | None = strawberry.field(default=None, description="The link's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Designate a member's home a central household (党员中心户) serving its neighbours.")
class DesignateCentralHouseholdInput:
    member_id: strawberry.ID = strawberry.field(description="The member whose home it is.")
    grid_id: strawberry.ID = strawberry.field(description="The grid the home is in.")
    building: str = strawberry.field(description="One of the grid's buildings: 1–40 characters.")
    doors: list[str] = strawberry.field(default_factory=list, description="Door numbers of the households served:"
                                                                          " at most 100, each 1–20 characters.")
    households: int | None = strawberry.field(default=None, description="Households served, 1–500 (defaults to the"
                                                                        " number of doors; no fewer).")
    building_group_id: strawberry.ID | None = strawberry.field(default=None, description="The building group it"
                                                                                         " works with, if any.")
    reason: str | None = strawberry.field(default=None, description="Why: at most 500 characters.")
    started_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="End a member central household designation.")
class EndCentralHouseholdDesignationInput:
    designation_id: strawberry.ID = strawberry.field(description="The designation (`CentralHousehold.id`).")
    reason: str = strawberry.field(description=_REASON)
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    expected_version: int | None = strawberry.field(default=None, description="Its version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.type(description="A building group's grid after the change.")
class BuildingGroupPayload:
    coverage: BuildingGroupCoverage | None = strawberry.field(description="The group's grid and buildings now.")
    position: int = strawberry.field(description="Log position of the change.")


@strawberry.type(description="A central household designation after the change.")
class CentralHouseholdPayload:
    central_household: CentralHousehold | None = strawberry.field(description="The designation.")
    position: int = strawberry.field(description="Log position of the change.")


AssignBuildingGroupResult = result_union("AssignBuildingGroupResult", BuildingGroupPayload, GridNotAllowed,
                                         GridNotInCommunity, BuildingNotInGrid)
DesignateCentralHouseholdResult = result_union("DesignateCentralHouseholdResult", CentralHouseholdPayload,
                                               GridNotAllowed, GridNotInCommunity, BuildingNotInGrid,
                                               CentralHouseholdExists, MemberExited)
EndCentralHouseholdDesignationResult = result_union("EndCentralHouseholdDesignationResult", CentralHouseholdPayload,
                                                    GridNotAllowed)


def _coverage_payload(info: Info) -> Any:
    async def present(o: Outcome) -> BuildingGroupPayload:
        row = await info.context.pool.fetchrow("SELECT * FROM building_group_grids WHERE link_id = $1", o.id)
        return BuildingGroupPayload(coverage=None if row is None else coverage(row), position=o.position)
    return present


def _household_payload(info: Info) -> Any:
    async def present(o: Outcome) -> CentralHouseholdPayload:
        return CentralHouseholdPayload(central_household=await load_central_household(info, o.id),
                                       position=o.position)
    return present


@strawberry.type
class HouseholdMutations:
    """Building groups' grids and central households (``GridMutations`` inherits them)."""

    @strawberry.mutation(description="Link a building group to a grid of its community and the buildings it covers,"
                                     " or reassign it (the community's secretary, or from above).")
    async def assign_building_group(self, info: Info, input: AssignBuildingGroupInput) -> AssignBuildingGroupResult:
        return await execute(info, input, lambda: AssignBuildingGroup(
            organization_id=parse_id(input.organization_id, "organizationId"),
            grid_id=parse_id(input.grid_id, "gridId"), buildings=tuple(input.buildings[:21]), reason=input.reason,
            effective_on=input.effective_on), _coverage_payload(info))

    @strawberry.mutation(description="Designate a member's home a central household (党员中心户) of a grid.")
    async def designate_central_household(self, info: Info,
                                          input: DesignateCentralHouseholdInput) -> DesignateCentralHouseholdResult:
        return await execute(info, input, lambda: DesignateCentralHousehold(
            member_id=parse_id(input.member_id, "memberId"), grid_id=parse_id(input.grid_id, "gridId"),
            building=input.building, reason=input.reason, doors=tuple(input.doors[:101]),
            households=input.households, building_group_id=parse_opt_id(input.building_group_id, "buildingGroupId"),
            started_on=input.started_on), _household_payload(info))

    @strawberry.mutation(description="End a member central household designation (a reason and a date).")
    async def end_central_household_designation(
            self, info: Info, input: EndCentralHouseholdDesignationInput) -> EndCentralHouseholdDesignationResult:
        return await execute(info, input, lambda: EndCentralHouseholdDesignation(
            designation_id=parse_id(input.designation_id, "designationId"), reason=input.reason,
            effective_on=input.effective_on), _household_payload(info))
