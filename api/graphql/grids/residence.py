"""A member's residence grid: ``assignMemberResidence``, ``Member.residenceGrid`` and ``Grid.residents``.

The read rule (``Actor.covers_grid``): the residents of a grid (member id, name, since, who and
why) are read by whoever covers the grid (its community's subtree, or a grid-scoped token of that
grid), whatever the member's home; that is how a community, and its grid workers, see the
in-service members who report where they live. The resident as a ``Member`` is what
``member(id)`` answers, and for a grid-scoped token the resident itself (``resident_member``).
``Member.residenceGrid`` answers where the member lives, if you cover that grid.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api import views
from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, connection
from api.graphql.grids.errors import GridNotAllowed
from api.graphql.grids.inputs import _KEY, _REASON
from api.graphql.grids.types import Grid, _readable, grid
from api.graphql.members.errors import MemberExited
from api.graphql.members.types import Member, load_member
from domain.grids.residence import AssignMemberResidence
from domain.shared.commands import Outcome

MAX_PERIODS = 100
"""The most periods ``Member.residences`` lists (a member moves house rarely)."""


@strawberry.type(description="A period of a member's residence in a grid (居住地网格: where an in-service member"
                             " reports, 双报到), with who recorded it and why.")
class MemberResidence:
    row: strawberry.Private[asyncpg.Record]
    member_id: strawberry.ID = strawberry.field(description="The member.")
    started_on: date = strawberry.field(description="Effective from.")
    ended_on: date | None = strawberry.field(description="Ended on (reassigned to another grid); null while current.")
    assigned_by: str = strawberry.field(description="Who recorded it.")
    reason: str | None = strawberry.field(description="Why, as stated.")

    @strawberry.field(description="The grid, if you cover it (its community lies in your scope, or it is your"
                                  " token's grid).")
    async def grid(self, info: Info) -> Grid | None:
        return await _covered_grid(info, self.row["grid_id"])

    @strawberry.field(description="The member's name (whoever reaches the residence: it is no personal data).")
    async def name(self, info: Info) -> str | None:
        row = await info.context.loaders.member.load(self.row["member_id"])
        return None if row is None else str(row["name"])

    @strawberry.field(description="The member, if your scope holds the member's home (as `member(id)`), or, for a"
                                  " grid-scoped token, a resident of your grid (personal data masked by your role).")
    async def member(self, info: Info) -> Member | None:
        return await resident_member(info, self.row["member_id"])


async def resident_member(info: Info, member_id: UUID) -> Member | None:
    """A member reached through a grid the actor covers (a resident, a central household): as
    ``member(id)`` answers it, or, for a grid-scoped token, the member itself. An organization-scoped
    reader of the grid's community does not get the member's personal data (shown whole to
    secretaries) when the member's home lies outside its scope: it has the name."""
    found = await load_member(info, member_id)
    if found is not None or info.context.actor.grid is None:
        return found
    row = await info.context.loaders.member.load(member_id)
    return None if row is None else Member(id=strawberry.ID(str(row["id"])), row=row)


async def _covered_grid(info: Info, grid_id: Any) -> Grid | None:
    row = await info.context.loaders.grid.load(grid_id)
    return grid(row) if row is not None and await _readable(info, row) else None


def residence(r: asyncpg.Record) -> MemberResidence:
    return MemberResidence(row=r, member_id=strawberry.ID(str(r["member_id"])), started_on=r["started_on"],
                           ended_on=r["ended_on"], assigned_by=r["assigned_by"], reason=r["reason"])


@strawberry.type
class GridResidents:
    """The residence fields of ``Grid`` (reached only through a grid you cover)."""

    @strawberry.field(description="The members who live in this grid (current residents, or with `includeEnded`"
                                  " every period), in the order they were recorded.")
    async def residents(self, info: Info, include_ended: bool = False, first: int | None = None,
                        after: str | None = None) -> Connection[MemberResidence]:
        row: asyncpg.Record = self.row  # type: ignore[attr-defined]  # self is the Grid
        c = views.Conditions()
        c.add("grid_id = ?", row["id"])
        if not include_ended:
            c.add("ended_on IS NULL")
        page = await views.page(info.context.pool, "SELECT * FROM member_residences", c, ("position",),
                                views.decode_cursor(after, 1), info.context.page_size(first))
        return connection(page, residence, lambda r: (r["position"],))


@strawberry.type
class MemberResidenceFields:
    """The grids area's fields of ``Member``."""

    @strawberry.field(description="The grid the member lives in (居住地网格), if one is recorded and you cover it.")
    async def residence_grid(self, info: Info) -> Grid | None:
        periods = await info.context.loaders.residences_of_member.load(self.row["id"])  # type: ignore[attr-defined]
        current = next((p for p in periods if p["ended_on"] is None), None)
        return None if current is None else await _covered_grid(info, current["grid_id"])

    @strawberry.field(description=f"Every period of the member's residence, oldest first (at most {MAX_PERIODS}).")
    async def residences(self, info: Info) -> list[MemberResidence]:
        periods = await info.context.loaders.residences_of_member.load(self.row["id"])  # type: ignore[attr-defined]
        return [residence(p) for p in periods[:MAX_PERIODS]]


@strawberry.input(description="Record the grid a member lives in, or move it to another grid.")
class AssignMemberResidenceInput:
    member_id: strawberry.ID = strawberry.field(description="The member (whatever their home organization).")
    grid_id: strawberry.ID = strawberry.field(description="The grid the member lives in from `effectiveOn`.")
    reason: str = strawberry.field(description=_REASON)
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today,"
                                                                          " nor before the last reassignment.")
    expected_version: int | None = strawberry.field(default=None, description="The residence's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.type(description="A member's residence after the change.")
class ResidencePayload:
    residence: MemberResidence | None = strawberry.field(description="The current period (null if you do not"
                                                                     " cover the grid any more).")
    residence_id: strawberry.ID = strawberry.field(description="The residence's stream (for `history`).")
    position: int = strawberry.field(description="Log position of the change.")


AssignMemberResidenceResult = result_union("AssignMemberResidenceResult", ResidencePayload, GridNotAllowed,
                                           MemberExited)


def _payload(info: Info) -> Any:
    async def present(o: Outcome) -> ResidencePayload:
        row = await info.context.pool.fetchrow(
            "SELECT * FROM member_residences WHERE residence_id = $1 AND ended_on IS NULL", o.id)
        shown = row if row is not None and row["grid_id"] == parse_id(o.extra["grid_id"], "gridId") else None
        return ResidencePayload(residence=None if shown is None else residence(shown),
                                residence_id=strawberry.ID(str(o.id)), position=o.position)
    return present


@strawberry.type
class ResidenceMutations:
    """The residence mutation of grids (``GridMutations`` inherits it)."""

    @strawberry.mutation(description="Record the grid a member lives in (for in-service members reporting where they"
                                     " live), or reassign it: the secretary of the grid's community, or from above.")
    async def assign_member_residence(self, info: Info,
                                      input: AssignMemberResidenceInput) -> AssignMemberResidenceResult:
        return await execute(info, input, lambda: AssignMemberResidence(
            member_id=parse_id(input.member_id, "memberId"), grid_id=parse_id(input.grid_id, "gridId"),
            reason=input.reason, effective_on=input.effective_on), _payload(info))
