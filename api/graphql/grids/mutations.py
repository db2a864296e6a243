"""Mutations of grids: each builds a command and hands it to the domain."""

from __future__ import annotations

from typing import Any

import strawberry

from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.grids.errors import (
    BoundariesNotConserved,
    BuildingsNotConserved,
    GridCodeTaken,
    GridNotAllowed,
    GridNotInCommunity,
    InvalidBoundary,
    LeaderAlreadyAssigned,
)
from api.graphql.grids.households import HouseholdMutations
from api.graphql.grids.inputs import (
    AppointGridStaffInput,
    CorrectGridCodeInput,
    LinkGridBranchInput,
    MergeGridsInput,
    MoveGridInput,
    ReassignGridBuildingInput,
    RegisterGridInput,
    RemoveGridStaffInput,
    ReplaceGridStaffInput,
    RetireGridInput,
    SplitGridInput,
    UnlinkGridBranchInput,
    UpdateGridDetailsInput,
    geojson,
    part,
)
from api.graphql.grids.queries import load_grid
from api.graphql.grids.residence import ResidenceMutations
from api.graphql.grids.types import Grid
from domain.grids.commands import (
    AppointGridStaff,
    CorrectGridCode,
    LinkGridBranch,
    MergeGrids,
    MoveGrid,
    ReassignGridBuilding,
    RegisterGrid,
    RemoveGridStaff,
    ReplaceGridStaff,
    RetireGrid,
    SplitGrid,
    UnlinkGridBranch,
    UpdateGridDetails,
)
from domain.shared.commands import Outcome


@strawberry.type(description="The grid as the read model has it after the change.")
class GridPayload:
    grid: Grid | None = strawberry.field(description="The changed grid.")
    assignment_id: strawberry.ID | None = strawberry.field(description="The assignment made, if any.")
    position: int = strawberry.field(description="Log position of the change.")


@strawberry.type(description="What became of one staff assignment of the old grids in a redrawing.")
class StaffOutcome:
    assignment_id: strawberry.ID = strawberry.field(description="The old grid's assignment (now ended).")
    new_assignment_id: strawberry.ID | None = strawberry.field(
        description="Its continuation on a new grid; null if it ended with the old grid.")


@strawberry.type(description="A split, merge or move: the new grids, the retired ones, and what became of the staff.")
class RedrawingPayload:
    grids: list[Grid] = strawberry.field(description="The new grids, in the order of the command.")
    retired: list[Grid] = strawberry.field(description="The old grids, now retired (they keep their codes).")
    staff: list[StaffOutcome] = strawberry.field(description="Every assignment the old grids had.")
    position: int = strawberry.field(description="Log position of the change.")


_DETAILS = (GridPayload, GridNotAllowed, InvalidBoundary)
RegisterGridResult = result_union("RegisterGridResult", GridPayload, GridCodeTaken, GridNotInCommunity,
                                  InvalidBoundary)
UpdateGridDetailsResult = result_union("UpdateGridDetailsResult", *_DETAILS)
RetireGridResult = result_union("RetireGridResult", GridPayload, GridNotAllowed)
_STAFF = (GridPayload, GridNotAllowed, LeaderAlreadyAssigned)
AppointGridStaffResult = result_union("AppointGridStaffResult", *_STAFF)
ReplaceGridStaffResult = result_union("ReplaceGridStaffResult", *_STAFF)
RemoveGridStaffResult = result_union("RemoveGridStaffResult", GridPayload, GridNotAllowed)
_REDRAW = (RedrawingPayload, GridNotAllowed, GridCodeTaken, GridNotInCommunity, LeaderAlreadyAssigned,
           InvalidBoundary, BuildingsNotConserved, BoundariesNotConserved)
SplitGridResult = result_union("SplitGridResult", *_REDRAW)
MergeGridsResult = result_union("MergeGridsResult", *_REDRAW)
MoveGridResult = result_union("MoveGridResult", *_REDRAW)
CorrectGridCodeResult = result_union("CorrectGridCodeResult", GridPayload, GridNotAllowed, GridCodeTaken,
                                     GridNotInCommunity)
LinkGridBranchResult = result_union("LinkGridBranchResult", GridPayload, GridNotAllowed, GridNotInCommunity)
UnlinkGridBranchResult = result_union("UnlinkGridBranchResult", GridPayload, GridNotAllowed)
ReassignGridBuildingResult = result_union("ReassignGridBuildingResult", GridPayload, GridNotAllowed,
                                          GridNotInCommunity)


































def _grid_payload(info: Info) -> Any:
    async def present(o: Outcome) -> GridPayload:
        made = o.extra.get("assignment_id")
        return GridPayload(grid=await load_grid(info, o.id), position=o.position,
                           assignment_id=strawberry.ID(made) if made else None)
    return present


def _redrawing_payload(info: Info) -> Any:
    async def present(o: Outcome) -> RedrawingPayload:
        async def grids(ids: list[str]) -> list[Grid]:
            found = [await load_grid(info, parse_id(i, "id")) for i in ids]
            return [g for g in found if g is not None]
        fate = o.extra.get("staff", {})
        return RedrawingPayload(
            grids=await grids(o.extra.get("grid_ids", [])), retired=await grids(o.extra.get("retired_ids", [])),
            staff=[StaffOutcome(assignment_id=strawberry.ID(k), new_assignment_id=strawberry.ID(v) if v else None)
                   for k, v in fate.items()], position=o.position)
    return present


def _staff_input(data: AppointGridStaffInput | ReplaceGridStaffInput) -> dict[str, Any]:
    return {"member_id": parse_opt_id(data.member_id, "memberId"), "name": data.name, "phone": data.phone,
            "employment": data.employment, "effective_on": data.effective_on}


@strawberry.type(description="Change grids: register, edit, retire; staff; split, merge, move; members' residence.")
class GridMutations(ResidenceMutations, HouseholdMutations):
    @strawberry.mutation(description="Register a unit grid in a community (its secretary, or from above).")
    async def register_grid(self, info: Info, input: RegisterGridInput) -> RegisterGridResult:
        return await execute(info, input, lambda: RegisterGrid(
            community_id=parse_id(input.community_id, "communityId"), code=input.code, name=input.name,
            kind=input.kind, households=input.households, population=input.population,
            buildings=tuple(input.buildings), boundary=geojson(input.boundary), started_on=input.started_on,
            reason=input.reason), _grid_payload(info))

    @strawberry.mutation(description="Change a grid's name, kind, counts, buildings or boundary.")
    async def update_grid_details(self, info: Info, input: UpdateGridDetailsInput) -> UpdateGridDetailsResult:
        return await execute(info, input, lambda: UpdateGridDetails(
            grid_id=parse_id(input.grid_id, "gridId"), reason=input.reason, name=input.name, kind=input.kind,
            households=input.households, population=input.population,
            buildings=None if input.buildings is None else tuple(input.buildings),
            boundary=geojson(input.boundary)), _grid_payload(info))

    @strawberry.mutation(description="Retire a grid (it keeps its code, never reused).")
    async def retire_grid(self, info: Info, input: RetireGridInput) -> RetireGridResult:
        return await execute(info, input, lambda: RetireGrid(
            grid_id=parse_id(input.grid_id, "gridId"), reason=input.reason, effective_on=input.effective_on),
            _grid_payload(info))

    @strawberry.mutation(description="Appoint a grid leader, worker or Party-building instructor.")
    async def appoint_grid_staff(self, info: Info, input: AppointGridStaffInput) -> AppointGridStaffResult:
        return await execute(info, input, lambda: AppointGridStaff(
            grid_id=parse_id(input.grid_id, "gridId"), role=input.role, reason=input.reason, **_staff_input(input)),
            _grid_payload(info))

    @strawberry.mutation(description="Replace the person in a post of a grid.")
    async def replace_grid_staff(self, info: Info, input: ReplaceGridStaffInput) -> ReplaceGridStaffResult:
        return await execute(info, input, lambda: ReplaceGridStaff(
            grid_id=parse_id(input.grid_id, "gridId"), assignment_id=parse_id(input.assignment_id, "assignmentId"),
            reason=input.reason, **_staff_input(input)), _grid_payload(info))

    @strawberry.mutation(description="End an assignment of a grid.")
    async def remove_grid_staff(self, info: Info, input: RemoveGridStaffInput) -> RemoveGridStaffResult:
        return await execute(info, input, lambda: RemoveGridStaff(
            grid_id=parse_id(input.grid_id, "gridId"), assignment_id=parse_id(input.assignment_id, "assignmentId"),
            reason=input.reason, effective_on=input.effective_on), _grid_payload(info))

    @strawberry.mutation(description="Split a grid into several: one atomic change of every grid involved.")
    async def split_grid(self, info: Info, input: SplitGridInput) -> SplitGridResult:
        return await execute(info, input, lambda: SplitGrid(
            grid_id=parse_id(input.grid_id, "gridId"),
            parts=tuple(part(p, f"parts[{i}]") for i, p in enumerate(input.parts[:21])),
            reason=input.reason, effective_on=input.effective_on), _redrawing_payload(info))

    @strawberry.mutation(description="Merge grids of one community into one: one atomic change.")
    async def merge_grids(self, info: Info, input: MergeGridsInput) -> MergeGridsResult:
        return await execute(info, input, lambda: MergeGrids(
            grid_ids=tuple(parse_id(g, "gridIds") for g in input.grid_ids[:21]), into=part(input.into, "into"),
            reason=input.reason, effective_on=input.effective_on), _redrawing_payload(info))

    @strawberry.mutation(description="Move a grid to another community under a new code (street admins and above).")
    async def move_grid(self, info: Info, input: MoveGridInput) -> MoveGridResult:
        return await execute(info, input, lambda: MoveGrid(
            grid_id=parse_id(input.grid_id, "gridId"), to_community_id=parse_id(input.to_community_id, "toCommunityId"),
            code=input.code, reason=input.reason, effective_on=input.effective_on), _redrawing_payload(info))

    @strawberry.mutation(description="Record that a grid Party branch covers a grid.")
    async def link_grid_branch(self, info: Info, input: LinkGridBranchInput) -> LinkGridBranchResult:
        return await execute(info, input, lambda: LinkGridBranch(
            grid_id=parse_id(input.grid_id, "gridId"), branch_id=parse_id(input.branch_id, "branchId"),
            reason=input.reason), _grid_payload(info))

    @strawberry.mutation(description="Record that a grid's Party branch no longer covers it.")
    async def unlink_grid_branch(self, info: Info, input: UnlinkGridBranchInput) -> UnlinkGridBranchResult:
        return await execute(info, input, lambda: UnlinkGridBranch(
            grid_id=parse_id(input.grid_id, "gridId"), reason=input.reason), _grid_payload(info))

    @strawberry.mutation(description="Reassign a building to another grid of the same community (the payload shows"
                                     " the grid it left).")
    async def reassign_grid_building(self, info: Info, input: ReassignGridBuildingInput) -> ReassignGridBuildingResult:
        return await execute(info, input, lambda: ReassignGridBuilding(
            grid_id=parse_id(input.grid_id, "gridId"), building=input.building,
            to_grid_id=parse_id(input.to_grid_id, "toGridId"), reason=input.reason,
            effective_on=input.effective_on), _grid_payload(info))

    @strawberry.mutation(description="Correct a grid's code entered wrongly (district admins).")
    async def correct_grid_code(self, info: Info, input: CorrectGridCodeInput) -> CorrectGridCodeResult:
        return await execute(info, input, lambda: CorrectGridCode(
            grid_id=parse_id(input.grid_id, "gridId"), code=input.code, reason=input.reason), _grid_payload(info))
