"""Member central households (党员中心户): a designation of a member, not an organization.

A trusted member's home serves its neighbours: the designation names the member, the grid
(and, if one covers it, the building group), the building the home is in, and the households
served, as door numbers (``doors``: no neighbour's name or other personal data) or as a count.
It runs from a start date until it is ended (a reason and a date). A member is one central
household at a time: a claim held while the designation lasts (``CentralHouseholdExists``).

Before this, a central household was an organization of kind ``MEMBER_CENTRAL_HOUSEHOLD``
under a building group. Those organizations stay as they were recorded (their events load
and project unchanged; neither an upcaster nor a migration event rewrites them, because the
old events name no member and no doors, which no upcaster can invent and which only the
community can state); new ones are refused (``CentralHouseholdNotAnOrganization``), and the
community designates the member here and may dissolve the old organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.grids.aggregate import Grid, check_effective
from domain.grids.building_groups import check_grid_buildings
from domain.grids.errors import CentralHouseholdExists, GridNotAllowed, GridNotInCommunity
from domain.members.aggregate import Member
from domain.organizations.aggregate import Organization, OrganizationKind
from domain.shared import events as ev
from domain.shared.commands import Command, optional_reason, required_reason
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.permissions import ADMINS
from domain.shared.ports import Claim, Release
from domain.shared.text import clean

CENTRAL_HOUSEHOLD = "grid.central_household"
"""Claim scope: a member (``member:<id>``) who is a central household now, owned by the designation."""
CLAIMS: dict[str, Any] = {"claim_errors": {CENTRAL_HOUSEHOLD: CentralHouseholdExists},
                          "claim_fields": {CENTRAL_HOUSEHOLD: "memberId"}}
MAX_DOORS, MAX_DOOR, MAX_SERVED = 100, 20, 500


def check_doors(doors: tuple[str, ...], households: int | None) -> tuple[list[str], int]:
    """Door numbers (each 1–20 characters, none twice, at most 100) and the households served
    (at least one; at least as many as doors; the number of doors when not given)."""
    cleaned = [clean(d) for d in doors]
    if len(cleaned) > MAX_DOORS or any(not d or len(d) > MAX_DOOR for d in cleaned):
        raise InvalidInput(f"at most {MAX_DOORS} door numbers, each 1–{MAX_DOOR} characters", field="doors")
    if len(set(cleaned)) != len(cleaned):
        raise InvalidInput("a door number is listed twice", field="doors")
    served = len(cleaned) if households is None else households
    if not 1 <= served <= MAX_SERVED or served < len(cleaned):
        raise InvalidInput(f"households served: 1–{MAX_SERVED}, and no fewer than the doors listed",
                           field="households")
    return cleaned, served


class CentralHousehold(Aggregate):
    """One member's home designated to serve neighbours, from a start date until ended."""

    class Designated(Aggregate.Created):
        organization_id: UUID
        """The grid's community (the feed's scope of its events)."""
        grid_id: UUID
        member_id: UUID
        building_group_id: UUID | None
        building: str
        doors: list[str]
        households: int
        started_on: date

    @event(Designated)
    def __init__(self, organization_id: UUID, grid_id: UUID, member_id: UUID, building_group_id: UUID | None,
                 building: str, doors: list[str], households: int, started_on: date) -> None:
        self.organization_id = organization_id
        self.grid_id = grid_id
        self.member_id = member_id
        self.building_group_id = building_group_id
        self.building = building
        self.doors = list(doors)
        self.households = households
        self.started_on = started_on
        self.ended_on: date | None = None

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    def end(self, ended_on: date) -> None:
        if self.ended_on is not None:
            raise GridNotAllowed(f"the designation ended on {self.ended_on.isoformat()}", field="id")
        if ended_on < self.started_on:
            raise InvalidInput("a designation ends on or after it began", field="effectiveOn")
        self._ended(grid_id=self.grid_id, ended_on=ended_on)

    @event("Ended")
    def _ended(self, grid_id: UUID, ended_on: date) -> None:
        self.ended_on = ended_on


@dataclass(frozen=True)
class DesignateCentralHousehold(Command):
    """Designate a member's home a central household (党员中心户) serving its neighbours."""

    action = "designateCentralHousehold"
    allowed = ADMINS
    member_id: UUID
    grid_id: UUID
    building: str
    reason: str | None = None
    doors: tuple[str, ...] = ()
    households: int | None = None
    building_group_id: UUID | None = None
    started_on: date | None = None


@dataclass(frozen=True)
class EndCentralHouseholdDesignation(Command):
    """End a central household designation (the member moved, stepped down, ...)."""

    action = "endCentralHouseholdDesignation"
    allowed = ADMINS
    designation_id: UUID
    reason: str
    effective_on: date | None = None


def member_key(member_id: UUID) -> str:
    return f"member:{member_id}"


async def designate_central_household(cmd: DesignateCentralHousehold, unit: Unit) -> Decision:
    grid = await unit.find(Grid, cmd.grid_id)
    if grid is None:
        raise NotFound(f"no grid {cmd.grid_id}", field="gridId")
    await unit.authorize(grid.organization_id, field="gridId", grid=grid.id)
    grid.ensure_active()
    member = await unit.find(Member, cmd.member_id)
    if member is None:
        raise NotFound(f"no member {cmd.member_id}", field="memberId")
    member.ensure_member()
    (building,) = check_grid_buildings([cmd.building], grid, 1, "building")
    doors, served = check_doors(cmd.doors, cmd.households)
    guards = {grid.id: grid.version}
    if cmd.building_group_id is not None:
        group = await unit.load(Organization, cmd.building_group_id, "buildingGroup")
        if group.kind is not OrganizationKind.BUILDING_GROUP:
            raise InvalidInput(f"a building group is a BUILDING_GROUP, not a {group.kind.value}",
                               field="buildingGroupId")
        group.ensure_active()
        path = await unit.directory.path_of(group.id)
        if path is None or grid.organization_id not in path:
            raise GridNotInCommunity("the building group belongs to another community than the grid",
                                     field="buildingGroupId")
        guards[group.id] = group.version
    started = check_effective(cmd.started_on or unit.today(), unit.today(), grid.started_on, "startedOn")
    household = CentralHousehold(organization_id=grid.organization_id, grid_id=grid.id, member_id=member.id,
                                 building_group_id=cmd.building_group_id, building=building, doors=doors,
                                 households=served, started_on=started)
    return Decision(household.id, ev.to_new_events(household), guards=guards, reason=optional_reason(cmd.reason),
                    claims=[Claim(CENTRAL_HOUSEHOLD, member_key(member.id), household.id)], **CLAIMS)


async def end_central_household_designation(cmd: EndCentralHouseholdDesignation, unit: Unit) -> Decision:
    household = await unit.find(CentralHousehold, cmd.designation_id)
    if household is None:
        raise NotFound(f"no central household designation {cmd.designation_id}", field="designationId")
    await unit.authorize(household.organization_id, field="designationId", grid=household.grid_id)
    unit.expect(household)
    reason = required_reason(cmd.reason)
    ended_on = cmd.effective_on or unit.today()
    if ended_on > unit.today():
        raise InvalidInput("the end date lies after today", field="effectiveOn")
    household.end(ended_on)
    return changed(household, reason=reason, releases=[Release(CENTRAL_HOUSEHOLD, member_key(household.member_id))])


HANDLERS: dict[type, Handler] = {
    DesignateCentralHousehold: designate_central_household,
    EndCentralHouseholdDesignation: end_central_household_designation,
}
