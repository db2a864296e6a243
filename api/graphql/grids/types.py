"""Object types of grids and their staff."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

import asyncpg
import strawberry
from strawberry.scalars import JSON

from api.graphql.core.context import Info
from api.graphql.core.relay import Node
from api.graphql.grids.enums import Employment, StaffRole
from api.graphql.members.types import Member, load_member
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from domain.shared.privacy import visible


@strawberry.enum(description="Whether a grid is in use or retired (it keeps its code, never reused).")
class GridStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    RETIRED = "RETIRED"


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="One person in one post of a grid, from an effective date (and, once ended, to one).")
class GridStaff:
    row: strawberry.Private[asyncpg.Record]
    id: strawberry.ID = strawberry.field(description="The assignment's id (name it to replace or remove it).")
    role: StaffRole = strawberry.field(description="The post.")
    name: str = strawberry.field(description="The person's name.")
    member_id: strawberry.ID | None = strawberry.field(description="The member, if the person is one of the system's.")
    employment: Employment | None = strawberry.field(description="Full or part time (grid workers only).")
    started_on: date = strawberry.field(description="Effective from.")
    ended_on: date | None = strawberry.field(description="Ended on; null while current.")
    appointed_by: str = strawberry.field(description="Who recorded the appointment.")
    appointed_reason: str | None = strawberry.field(description="Why, as stated.")
    ended_by: str | None = strawberry.field(description="Who recorded the end.")
    ended_reason: str | None = strawberry.field(description="Why it ended, as stated.")

    @strawberry.field(description="The person's phone (for one not a member): masked unless your role needs it.")
    def phone(self, info: Info) -> str | None:
        return visible("phone", self.row["phone"], info.context.actor)

    @strawberry.field(description="The member, for a member of the system whom your scope holds.")
    async def member(self, info: Info) -> Member | None:
        mid = self.row["member_id"]
        return None if mid is None else await load_member(info, mid)

    @strawberry.field(description="The grid of this assignment, if it lies within your scope.")
    async def grid(self, info: Info) -> Grid | None:
        row = await info.context.loaders.grid.load(self.row["grid_id"])
        return grid(row) if row is not None and await _readable(info, row) else None


def staff(r: asyncpg.Record) -> GridStaff:
    return GridStaff(
        row=r, id=_id(r["id"]), role=StaffRole(r["role"]), name=r["name"],
        member_id=_id(r["member_id"]) if r["member_id"] else None,
        employment=Employment(r["employment"]) if r["employment"] else None, started_on=r["started_on"],
        ended_on=r["ended_on"], appointed_by=r["appointed_by"], appointed_reason=r["appointed_reason"],
        ended_by=r["ended_by"], ended_reason=r["ended_reason"],
    )


async def _readable(info: Info, row: asyncpg.Record) -> bool:
    """Whether the actor covers the grid ``row`` (``Actor.covers_grid``: a grid-scoped token its own)."""
    community = await info.context.loaders.organization.load(row["organization_id"])
    return community is not None and info.context.actor.covers_grid(row["id"], community["path"])


@strawberry.type(description="A unit grid (网格) of one community: its 15-digit code, size, boundary and staff.")
class Grid(Node):
    row: strawberry.Private[asyncpg.Record]
    code: str = strawberry.field(description="Unit-grid code: the community's 12-digit division code and a 3-digit"
                                             " sequence; unique city-wide, never reused.")
    name: str = strawberry.field(description="The grid's name.")
    kind: str = strawberry.field(description="The kind of grid, one of the configured list (GRASSROOTS_GRID_KINDS):"
                                             " by default RESIDENTIAL, ENTERPRISE, INSTITUTION or MIXED.")
    households: int | None = strawberry.field(description="Households in the grid, if counted.")
    population: int | None = strawberry.field(description="Resident population, if counted.")
    buildings: list[str] = strawberry.field(description="Names or numbers of its buildings (at most 500).")
    boundary: JSON | None = strawberry.field(description="GeoJSON Polygon or MultiPolygon in WGS-84, if drawn.")
    status: GridStatus = strawberry.field(description="Active or retired.")
    started_on: date = strawberry.field(description="When the grid began.")
    ended_on: date | None = strawberry.field(description="When it was retired.")
    understaffed: bool = strawberry.field(description="Active without a current leader or without a current worker.")
    predecessor_ids: list[strawberry.ID] = strawberry.field(description="The grids it was split, merged or moved from.")
    successor_ids: list[strawberry.ID] = strawberry.field(description="The grids that replaced it, once retired.")
    registered_by: str = strawberry.field(description="Who registered it.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(description="Its stream's version: state it as `expectedVersion` to guard an edit.")

    @strawberry.field(description="The community it belongs to.")
    async def community(self, info: Info) -> Organization | None:
        return await load_organization(info, self.row["organization_id"])

    @strawberry.field(description="The grid Party branch (网格党支部, a GRID_BRANCH organization) that covers it.")
    async def branch(self, info: Info) -> Organization | None:
        bid = self.row["branch_id"]
        return None if bid is None else await load_organization(info, bid)

    @strawberry.field(description="Its staff, oldest appointment first: the current ones, or with `includeEnded` the"
                                  " whole history.")
    async def staff(self, info: Info, include_ended: bool = False) -> list[GridStaff]:
        rows = await info.context.loaders.staff_of_grid.load(self.row["id"])
        return [staff(r) for r in rows if include_ended or r["ended_on"] is None]

    @strawberry.field(description="The current grid leader, if there is one.")
    async def leader(self, info: Info) -> GridStaff | None:
        rows = await info.context.loaders.staff_of_grid.load(self.row["id"])
        return next((staff(r) for r in rows if r["ended_on"] is None and r["role"] == "LEADER"), None)


def grid(r: asyncpg.Record) -> Grid:
    return Grid(
        id=_id(r["id"]), row=r, code=r["code"], name=r["name"], kind=r["kind"], households=r["households"],
        population=r["population"], buildings=list(r["buildings"]), boundary=_json(r["boundary"]),
        status=GridStatus(r["status"]), started_on=r["started_on"], ended_on=r["ended_on"],
        understaffed=r["understaffed"], predecessor_ids=[_id(x) for x in r["predecessor_ids"]],
        successor_ids=[_id(x) for x in r["successor_ids"]], registered_by=r["registered_by"],
        updated_at=r["updated_at"], version=r["version"],
    )


def _json(value: Any) -> Any:
    """jsonb as asyncpg hands it over (text, without a codec) as a JSON value."""
    return json.loads(value) if isinstance(value, str) else value
