"""A building Party group's grid (楼栋党小组): the grid it works in and the buildings it covers.

A ``BUILDING_GROUP`` organization of a community (directly, or under a grid Party branch)
covers some of one grid's buildings. The link is its own stream (uuid5 of the group's id),
so a group has one grid at a time; assigning it again (another grid, other buildings) is a
reassignment, an event with who, why and the effective date. The buildings must be the
grid's own (``BuildingNotInGrid``), and the grid must belong to the group's community.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.grids.aggregate import Grid, check_buildings, check_effective
from domain.grids.errors import BuildingNotInGrid, GridNotAllowed, GridNotInCommunity
from domain.organizations.aggregate import Organization, OrganizationKind
from domain.shared import events as ev
from domain.shared.commands import Command, required_reason
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.handling import Decision, Handler, Unit
from domain.shared.permissions import ADMINS

BUILDING_GROUP_NAMESPACE = UUID("c3b1e7a4-52d9-4e0f-8a6b-1d4f7e2c9b35")
MAX_GROUP_BUILDINGS = 20
"""The most buildings one building group covers (a 楼栋党小组 covers one or a few)."""


def building_group_grid_id(organization_id: UUID) -> UUID:
    """The stream id of a building group's grid link."""
    return uuid.uuid5(BUILDING_GROUP_NAMESPACE, f"building-group/{organization_id}")


def check_grid_buildings(buildings: tuple[str, ...] | list[str], grid: Grid, most: int = MAX_GROUP_BUILDINGS,
                         field: str = "buildings") -> list[str]:
    """One to ``most`` buildings, each one of ``grid``'s."""
    cleaned = check_buildings(buildings, field)
    if not 1 <= len(cleaned) <= most:
        raise InvalidInput(f"name 1–{most} of the grid's buildings", field=field)
    missing = [b for b in cleaned if b not in grid.buildings]
    if missing:
        raise BuildingNotInGrid(f"grid {grid.code} lists no building {', '.join(missing)}", field=field)
    return cleaned


class BuildingGroupGrid(Aggregate):
    """The grid a building group works in, and the buildings of it that the group covers."""

    class Assigned(Aggregate.Created):
        organization_id: UUID
        """The building group (the feed's scope of its events)."""
        grid_id: UUID
        buildings: list[str]
        effective_on: date

    @event(Assigned)
    def __init__(self, organization_id: UUID, grid_id: UUID, buildings: list[str], effective_on: date) -> None:
        self.organization_id = organization_id
        self.grid_id = grid_id
        self.buildings = list(buildings)
        self.since = effective_on

    @classmethod
    def create_id(cls, organization_id: UUID, **_: object) -> UUID:
        return building_group_grid_id(organization_id)

    def reassign(self, grid_id: UUID, buildings: list[str], effective_on: date) -> None:
        if grid_id == self.grid_id and sorted(buildings) == sorted(self.buildings):
            raise GridNotAllowed("the building group covers these buildings of this grid already", field="buildings")
        if effective_on < self.since:
            raise InvalidInput(f"a reassignment takes effect on or after the last one ({self.since.isoformat()})",
                               field="effectiveOn")
        self._reassigned(grid_id=grid_id, buildings=buildings, previous_grid_id=self.grid_id,
                         effective_on=effective_on)

    @event("Reassigned")
    def _reassigned(self, grid_id: UUID, buildings: list[str], previous_grid_id: UUID, effective_on: date) -> None:
        self.grid_id, self.buildings, self.since = grid_id, list(buildings), effective_on


@dataclass(frozen=True)
class AssignBuildingGroup(Command):
    """Link a building group (楼栋党小组) to a grid of its community and the buildings it covers."""

    action = "assignBuildingGroup"
    allowed = ADMINS
    organization_id: UUID
    grid_id: UUID
    buildings: tuple[str, ...]
    reason: str
    effective_on: date | None = None


async def assign_building_group(cmd: AssignBuildingGroup, unit: Unit) -> Decision:
    grid = await unit.find(Grid, cmd.grid_id)
    if grid is None:
        raise NotFound(f"no grid {cmd.grid_id}", field="gridId")
    await unit.authorize(grid.organization_id, field="gridId", grid=grid.id)
    reason = required_reason(cmd.reason)
    grid.ensure_active()
    group = await unit.load(Organization, cmd.organization_id, "organization")
    if group.kind is not OrganizationKind.BUILDING_GROUP:
        raise InvalidInput(f"a grid's buildings are covered by a BUILDING_GROUP, not a {group.kind.value}",
                           field="organizationId")
    group.ensure_active()
    path = await unit.directory.path_of(group.id)
    if path is None or grid.organization_id not in path:
        raise GridNotInCommunity("the building group belongs to another community than the grid",
                                 field="organizationId")
    buildings = check_grid_buildings(cmd.buildings, grid)
    effective = check_effective(cmd.effective_on or unit.today(), unit.today(), grid.started_on)
    link = await unit.find(BuildingGroupGrid, building_group_grid_id(group.id))
    if link is None:
        link = BuildingGroupGrid(organization_id=group.id, grid_id=grid.id, buildings=buildings,
                                 effective_on=effective)
    else:
        unit.expect(link)
        link.reassign(grid.id, buildings, effective)
    return Decision(link.id, ev.to_new_events(link), guards={grid.id: grid.version, group.id: group.version},
                    reason=reason, result={"organization_id": str(group.id)})


HANDLERS: dict[type, Handler] = {AssignBuildingGroup: assign_building_group}
