"""Redrawing grids (一张网, 多网融合): split, merge, move, each one atomic multi-stream decision.

The old grids' retirements and the new grids' registrations, branch links and staff
appointments are one ``Decision``: they commit together or not at all. Rules that can be
checked are: buildings are not lost, doubled or invented; the new boundaries lie within
the old ones' union and do not overlap each other beyond the configured tolerance (when
every grid involved has a boundary); each new code extends the community's division code
and is claimed, never reused. The result states what became of every staff assignment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from domain.grids.aggregate import (
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
from domain.grids.commands import GridPart, MergeGrids, MoveGrid, SplitGrid
from domain.grids.errors import BuildingsNotConserved, GridNotInCommunity
from domain.grids.geometry import Geometry, check_redrawn
from domain.grids.handlers import CLAIMS, CODE, LEADER, checked_boundary, leader_releases, load_community, load_grid
from domain.shared import events as ev
from domain.shared.commands import required_reason
from domain.shared.errors import InvalidInput
from domain.shared.handling import Decision, Handler, Unit
from domain.shared.ports import Claim

MAX_PARTS = 20
MAX_STAFF = 200


def _draw(unit: Unit, part: GridPart, template: Grid, organization_id: UUID, community_code: str,
          rules: GridRules, started_on: date, predecessors: list[UUID], field: str) -> Grid:
    """A new grid of a split or merge, from its part of the command."""
    try:
        return Grid(
            organization_id=organization_id, code=check_code(part.code, community_code),
            name=check_grid_name(part.name), kind=check_kind(part.kind or template.kind, rules),
            households=check_count(part.households, "households"),
            population=check_count(part.population, "population"),
            buildings=check_buildings(part.buildings), boundary=checked_boundary(unit, part.boundary),
            started_on=started_on, predecessor_ids=predecessors,
        )
    except InvalidInput as exc:  # name the part: parts[1].code
        exc.field = f"{field}.{exc.field}" if exc.field else field
        raise


def _conserved(old: Sequence[Grid], new: Sequence[Grid]) -> None:
    before = Counter(b for g in old for b in g.buildings)
    after = Counter(b for g in new for b in g.buildings)
    if before == after:
        return
    lost = sorted((before - after).keys())
    added = sorted((after - before).keys())
    doubled = sorted(b for b, n in after.items() if n > 1 and before[b] <= 1)
    said = [f"{what}: {', '.join(items)}" for what, items in
            (("lost", lost), ("doubled", doubled), ("not in the old grids", [b for b in added if b not in doubled]))
            if items]
    raise BuildingsNotConserved("buildings are not conserved (" + "; ".join(said) + ")", field="buildings")


def _boundaries(unit: Unit, old: Sequence[Grid], new: Sequence[Grid], rules: GridRules) -> None:
    """Checked when every old grid and every new grid has a boundary."""
    if all(g.boundary is not None for g in [*old, *new]):
        check_redrawn([g.boundary for g in old if g.boundary is not None],
                      [(g.code, g.boundary) for g in new if g.boundary is not None], rules.tolerance,
                      unit.need(Geometry))  # type: ignore[type-abstract]


def _allocate(old: Sequence[Grid], new: Sequence[tuple[Grid, Sequence[UUID]]],
              effective: date) -> tuple[list[Claim], dict[str, str | None]]:
    """Retire the old grids and appoint the allocated staff on the new ones: the leader claims
    that the old grids held are released (by the caller), the new grids' claimed."""
    current = {a.id: a for g in old for a in g.staff.values()}
    given = [sid for _, ids in new for sid in ids]
    if len(given) > MAX_STAFF:
        raise InvalidInput(f"a redrawing allocates at most {MAX_STAFF} assignments", field="staffIds")
    unknown = [str(s) for s in given if s not in current]
    if unknown:
        raise InvalidInput(f"not a current assignment of the old grids: {', '.join(unknown)}", field="staffIds")
    if len(given) != len(set(given)):
        raise InvalidInput("an assignment is allocated to two grids", field="staffIds")
    claims: list[Claim] = []
    fate: dict[str, str | None] = {str(a): None for a in current}
    for grid, ids in new:
        for sid in ids:
            a = current[sid]
            fate[str(sid)] = str(grid.appoint(a.role, a.person, a.member_id, a.name, a.phone, a.employment,
                                              effective))
            if a.role is StaffRole.LEADER:
                claims.append(Claim(LEADER, a.person, grid.id))
    return claims, fate


def _redrawn(old: Sequence[Grid], new: Sequence[tuple[Grid, Sequence[UUID]]], effective: date,
             reason: str, branch: bool = True) -> Decision:
    """Retire ``old``, register ``new`` with their staff: one atomic decision. With ``branch``,
    the new grids are covered by the old grids' Party branch if they had one between them (a
    split's parts all by the old grid's; a merge's grid by the branch its old grids shared,
    by none if they had different ones)."""
    branches = {g.branch_id for g in old if g.branch_id is not None}
    if branch and len(branches) == 1:
        (inherited,) = branches
        for g, _ in new:
            g.link_branch(inherited)
    for g in old:
        if effective < g.started_on:
            raise InvalidInput(f"grid {g.code} began after {effective.isoformat()}", field="effectiveOn")
    successors = [g.id for g, _ in new]
    ended = [a for g in old for a in g.staff.values()]
    claims, fate = _allocate(old, new, effective)
    for g in old:
        g.retire(effective, successors)
    codes = [g.code for g, _ in new]
    if len(codes) != len(set(codes)):
        raise InvalidInput("two new grids share a code", field="code")
    events = [e for g in old for e in ev.to_new_events(g)] + [e for g, _ in new for e in ev.to_new_events(g)]
    return Decision(new[0][0].id, events, claims=[*(Claim(CODE, c, g.id) for c, (g, _) in zip(codes, new,
                                                                                             strict=True)),
                                                   *claims],
                    releases=leader_releases(ended), reason=reason,
                    result={"grid_ids": [str(s) for s in successors], "staff": fate,
                            "retired_ids": [str(g.id) for g in old]}, **CLAIMS)


async def split_grid(cmd: SplitGrid, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    grid.ensure_active()
    if not 2 <= len(cmd.parts) <= MAX_PARTS:
        raise InvalidInput(f"a split draws 2–{MAX_PARTS} grids", field="parts")
    rules = unit.need(GridRules)
    effective = check_effective(cmd.effective_on or unit.today(), unit.today(), grid.started_on)
    drawn = [(_draw(unit, p, grid, grid.organization_id, grid.code[:12], rules, effective, [grid.id], f"parts[{i}]"),
              p.staff_ids) for i, p in enumerate(cmd.parts)]
    _conserved([grid], [g for g, _ in drawn])
    _boundaries(unit, [grid], [g for g, _ in drawn], rules)
    return _redrawn([grid], drawn, effective, reason)


async def merge_grids(cmd: MergeGrids, unit: Unit) -> Decision:
    if not 2 <= len(cmd.grid_ids) <= MAX_PARTS or len(set(cmd.grid_ids)) != len(cmd.grid_ids):
        raise InvalidInput(f"a merge joins 2–{MAX_PARTS} distinct grids", field="gridIds")
    reason = required_reason(cmd.reason)
    old = [await load_grid(unit, gid, "gridIds") for gid in cmd.grid_ids]
    for g in old:
        g.ensure_active()
    if len({g.organization_id for g in old}) != 1:
        raise GridNotInCommunity("the grids of a merge belong to one community", field="gridIds")
    rules = unit.need(GridRules)
    effective = check_effective(cmd.effective_on or unit.today(), unit.today(), max(g.started_on for g in old))
    merged = _draw(unit, cmd.into, old[0], old[0].organization_id, old[0].code[:12], rules, effective,
                   [g.id for g in old], "into")
    _conserved(old, [merged])
    _boundaries(unit, old, [merged], rules)
    return _redrawn(old, [(merged, cmd.into.staff_ids)], effective, reason)


async def move_grid(cmd: MoveGrid, unit: Unit) -> Decision:
    grid = await load_grid(unit, cmd.grid_id)
    reason = required_reason(cmd.reason)
    grid.ensure_active()
    await unit.authorize(cmd.to_community_id, field="toCommunityId")
    target = await load_community(unit, cmd.to_community_id, "toCommunity")
    if target.id == grid.organization_id:
        raise GridNotInCommunity("the grid belongs to this community already", field="toCommunityId")
    effective = check_effective(cmd.effective_on or unit.today(), unit.today(), grid.started_on)
    moved = Grid(organization_id=target.id, code=check_code(cmd.code, target.code), name=grid.name,
                 kind=grid.kind, households=grid.households, population=grid.population,
                 buildings=grid.buildings, boundary=grid.boundary, started_on=effective,
                 predecessor_ids=[grid.id])
    # The grid's Party branch belongs to the old community: the moved grid starts without one.
    decision = _redrawn([grid], [(moved, list(grid.staff))], effective, reason, branch=False)
    return Decision(decision.stream_id, decision.events, guards={target.id: target.version},
                    claims=decision.claims, releases=decision.releases, reason=reason, result=decision.result,
                    **CLAIMS)


HANDLERS: dict[type, Handler] = {
    SplitGrid: split_grid,
    MergeGrids: merge_grids,
    MoveGrid: move_grid,
}
