"""Grids' use cases: authorize → load → decide (``Handling`` appends).

Every command is authorized against the grid's community (a redrawing against each
community it touches). Set rules are claims appended in the same transaction:

- ``grid.code``: the 15-digit unit-grid code, owned by its grid and never released, so a
  code is never reused, not even a retired grid's (``GridCodeTaken``);
- ``grid.leader``: the person who leads a grid, owned by that grid while the appointment
  lasts, so a person leads at most one grid at a time (``LeaderAlreadyAssigned``).

A person is a member of the system (key ``member:<id>``) or a named person with a phone
(key ``phone:<digest of its digits>``: the claim table holds no phone number).

Redrawings (split, merge, move) are in ``domain.grids.redrawing``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.grids.aggregate import (
    Assignment,
    Employment,
    Grid,
    GridRules,
    StaffRole,
    check_buildings,
    check_code,
    check_count,
    check_effective,
    check_grid_name,
    check_kind,
)
from domain.grids.commands import (
    AppointGridStaff,
    CorrectGridCode,
    LinkGridBranch,
    ReassignGridBuilding,
    RegisterGrid,
    RemoveGridStaff,
    ReplaceGridStaff,
    RetireGrid,
    UnlinkGridBranch,
    UpdateGridDetails,
)
from domain.grids.errors import GridCodeTaken, GridNotInCommunity, LeaderAlreadyAssigned
from domain.grids.geometry import Geometry, check_boundary
from domain.members.aggregate import Member, check_phone
from domain.organizations.aggregate import COMMUNITY_KINDS, Organization, OrganizationKind, check_name
from domain.shared import events as ev
from domain.shared.commands import optional_reason, required_reason
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.permissions import may_read
from domain.shared.ports import Claim, Release

CODE = "grid.code"
LEADER = "grid.leader"
CLAIMS: dict[str, Any] = {
    "claim_errors": {CODE: GridCodeTaken, LEADER: LeaderAlreadyAssigned},
    "claim_fields": {CODE: "code", LEADER: "memberId"},
}


def phone_key(phone: str) -> str:
    """The claim key of a person known by phone: a digest of its digits (one person, one key,
    however the number is spaced)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "phone:" + hashlib.sha256(digits.encode()).hexdigest()


def member_key(member_id: UUID) -> str:
    return f"member:{member_id}"


async def load_community(unit: Unit, community_id: UUID, what: str = "community") -> Organization:
    org = await unit.load(Organization, community_id, what)
    if org.kind not in COMMUNITY_KINDS:
        raise GridNotInCommunity(f"a grid belongs to a community, not to a {org.kind.value}",
                                 field=f"{what}Id")
    org.ensure_active()
    return org


async def load_grid(unit: Unit, grid_id: UUID, field: str = "gridId") -> Grid:
    grid = await unit.find(Grid, grid_id)
    if grid is None:
        raise NotFound(f"no grid {grid_id}", field=field)
    await unit.authorize(grid.organization_id, grid=grid.id)
    unit.expect(grid)
    return grid


async def _person(unit: Unit, member_id: UUID | None, name: str | None,
                  phone: str | None) -> tuple[str, UUID | None, str, str | None]:
    """(key, member id, name, phone) of the person appointed."""
    if member_id is not None:
        member = await unit.load(Member, member_id, "member")
        # Only a member the actor may read: the staff list shows the member's name.
        if not may_read(unit.actor, await unit.directory.path_of(member.home_organization_id)):
            raise NotFound(f"no member {member_id}", field="memberId")
        return member_key(member_id), member_id, member.name, None
    checked = check_phone(phone)
    if name is None or checked is None:
        raise InvalidInput("name a member (memberId), or a person by name and phone", field="memberId")
    return phone_key(checked), None, check_name(name), checked


def checked_boundary(unit: Unit, text: str | None, field: str = "boundary") -> dict[str, Any] | None:
    """The boundary checked (the geometry library is needed only when there is one)."""
    return None if text is None else check_boundary(text, unit.need(Geometry), field)  # type: ignore[type-abstract]


def _employment(role: StaffRole, employment: Employment | None) -> Employment | None:
    if role is StaffRole.WORKER:
        return employment or Employment.FULL_TIME
    if employment is not None:
        raise InvalidInput("only grid workers are full or part time", field="employment")
    return None


async def register_grid(cmd: RegisterGrid, unit: Unit) -> Decision:
    await unit.authorize(cmd.community_id, field="communityId")
    rules = unit.need(GridRules)
    community = await load_community(unit, cmd.community_id)
    grid = Grid(
        organization_id=community.id, code=check_code(cmd.code, community.code), name=check_grid_name(cmd.name),
        kind=check_kind(cmd.kind, rules), households=check_count(cmd.households, "households"),
        population=check_count(cmd.population, "population"), buildings=check_buildings(cmd.buildings),
        boundary=checked_boundary(unit, cmd.boundary),
        started_on=check_effective(cmd.started_on or unit.today(), unit.today(), community.established_on,
                                   "startedOn"),
        predecessor_ids=[],
    )
    return Decision(grid.id, ev.to_new_events(grid), guards={community.id: community.version},
                    claims=[Claim(CODE, grid.code, grid.id)], reason=optional_reason(cmd.reason), **CLAIMS)


async def update_grid_details(cmd: UpdateGridDetails, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    rules = unit.need(GridRules)
    details: dict[str, Any] = {}
    if cmd.name is not None:
        details["name"] = check_grid_name(cmd.name)
    if cmd.kind is not None:
        details["kind"] = check_kind(cmd.kind, rules)
    if cmd.households is not None:
        details["households"] = check_count(cmd.households, "households")
    if cmd.population is not None:
        details["population"] = check_count(cmd.population, "population")
    if cmd.buildings is not None:
        details["buildings"] = check_buildings(cmd.buildings)
    if cmd.boundary is not None:
        details["boundary"] = checked_boundary(unit, cmd.boundary)
    grid.update_details(details)
    return changed(grid, reason=reason)


def leader_releases(ended: Sequence[Assignment]) -> list[Release]:
    return [Release(LEADER, a.person) for a in ended if a.role is StaffRole.LEADER]


async def retire_grid(cmd: RetireGrid, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    ended = grid.retire(check_effective(cmd.effective_on or unit.today(), unit.today(), grid.started_on), [])
    return changed(grid, reason=reason, releases=leader_releases(ended))


async def appoint_grid_staff(cmd: AppointGridStaff, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    key, member_id, name, phone = await _person(unit, cmd.member_id, cmd.name, cmd.phone)
    effective = check_effective(cmd.effective_on or unit.today(), unit.today(), grid.started_on)
    assignment = grid.appoint(cmd.role, key, member_id, name, phone, _employment(cmd.role, cmd.employment),
                              effective)
    claims = [Claim(LEADER, key, grid.id)] if cmd.role is StaffRole.LEADER else []
    return changed(grid, reason=reason, claims=claims, result={"assignment_id": str(assignment)}, **CLAIMS)


async def replace_grid_staff(cmd: ReplaceGridStaff, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    key, member_id, name, phone = await _person(unit, cmd.member_id, cmd.name, cmd.phone)
    effective = check_effective(cmd.effective_on or unit.today(), unit.today(), grid.started_on)
    old = grid.remove_staff(cmd.assignment_id, effective)
    employment = _employment(old.role, cmd.employment or old.employment)
    assignment = grid.appoint(old.role, key, member_id, name, phone, employment, effective)
    leader = old.role is StaffRole.LEADER
    return changed(grid, reason=reason, releases=leader_releases([old]),
                   claims=[Claim(LEADER, key, grid.id)] if leader else [],
                   result={"assignment_id": str(assignment)}, **CLAIMS)


async def remove_grid_staff(cmd: RemoveGridStaff, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    effective = check_effective(cmd.effective_on or unit.today(), unit.today(), grid.started_on)
    old = grid.remove_staff(cmd.assignment_id, effective)
    return changed(grid, reason=reason, releases=leader_releases([old]))


# -- the grid Party branch, buildings ---------------------------------------------------------


async def link_grid_branch(cmd: LinkGridBranch, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    branch = await unit.load(Organization, cmd.branch_id, "branch")
    if branch.kind is not OrganizationKind.GRID_BRANCH:
        raise InvalidInput(f"a grid is covered by a GRID_BRANCH, not a {branch.kind.value}", field="branchId")
    if branch.parent_id != grid.organization_id:
        raise GridNotInCommunity("the grid Party branch belongs to another community than the grid",
                                 field="branchId")
    branch.ensure_active()
    grid.link_branch(branch.id)
    return changed(grid, guards={branch.id: branch.version}, reason=optional_reason(cmd.reason))


async def unlink_grid_branch(cmd: UnlinkGridBranch, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    grid.unlink_branch()
    return changed(grid, reason=reason)


async def reassign_grid_building(cmd: ReassignGridBuilding, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    if cmd.to_grid_id == grid.id:
        raise InvalidInput("the building is in this grid already", field="toGridId")
    target = await unit.find(Grid, cmd.to_grid_id)
    if target is None:
        raise NotFound(f"no grid {cmd.to_grid_id}", field="toGridId")
    if target.organization_id != grid.organization_id:
        raise GridNotInCommunity("a building moves between grids of one community (move the grid otherwise)",
                                 field="toGridId")
    (building,) = check_buildings([cmd.building], "building")
    grid.release_building(building, target,
                          check_effective(cmd.effective_on or unit.today(), unit.today(),
                                          max(grid.started_on, target.started_on)))
    return Decision(grid.id, [*ev.to_new_events(grid), *ev.to_new_events(target)], reason=reason,
                    result={"to_grid_id": str(target.id)})


async def correct_grid_code(cmd: CorrectGridCode, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    # The community's division code is the first 12 digits of the grid's (checked at registration).
    grid.correct_code(check_code(cmd.code, grid.code[:12]))
    return changed(grid, reason=reason, claims=[Claim(CODE, grid.code, grid.id)], **CLAIMS)


HANDLERS: dict[type, Handler] = {
    RegisterGrid: register_grid,
    UpdateGridDetails: update_grid_details,
    RetireGrid: retire_grid,
    AppointGridStaff: appoint_grid_staff,
    ReplaceGridStaff: replace_grid_staff,
    RemoveGridStaff: remove_grid_staff,
    LinkGridBranch: link_grid_branch,
    UnlinkGridBranch: unlink_grid_branch,
    ReassignGridBuilding: reassign_grid_building,
    CorrectGridCode: correct_grid_code,
}
