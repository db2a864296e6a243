"""The unit grid (网格): its code, community, size, boundary and staff (一长两员).

A grid belongs to exactly one community for its whole life. Its 15-digit unit-grid code
is the community's 12-digit division code and a 3-digit sequence (Beijing DB11/T
2157-2023: 6 district + 3 street + 3 community + 3 grid); codes are unique city-wide and
never reused (the claim is never released), so a retired grid keeps its code with its
end date. Moving a grid to another community therefore registers a new grid there (a new
code) and retires the old one: a grid's stream, its code and its community never part.

Staff: exactly one active grid leader (网格长) at most, one or more grid workers (网格员)
and at most one Party-building instructor (党建指导员; one instructor may serve several
grids). A grid without a leader or without a worker is understaffed: visible, not refused,
since staff come and go. A person (a member of the system, or a named person with a
phone) leads at most one grid at a time: a claim held in the same transaction as the
appointment (``domain.grids.handlers``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.grids.errors import GridNotAllowed, GridNotInCommunity
from domain.shared.errors import InvalidInput
from domain.shared.text import MAX_NAME, ascii_digits, clean

_CODE = re.compile(r"[0-9]{15}", re.ASCII)
MAX_BUILDINGS = 500
MAX_BUILDING = 40
MAX_COUNT = 10_000_000
DEFAULT_KINDS = ("RESIDENTIAL", "ENTERPRISE", "INSTITUTION", "MIXED")
"""小区 residential compound, 企业 enterprise cluster, 机关事业单位 institution, 混合 mixed."""


class StaffRole(enum.Enum):
    """The three posts of 一长两员."""

    LEADER = "LEADER"  # 网格长
    WORKER = "WORKER"  # 网格员
    INSTRUCTOR = "INSTRUCTOR"  # 党建指导员


class Employment(enum.Enum):
    """Whether a grid worker serves full time (专职) or part time (兼职)."""

    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"


@dataclass(frozen=True)
class GridRules:
    """Local rules (configuration): the kinds of grid a city draws, and how far hand-drawn
    boundaries of a redrawing may stray outside the old grids or overlap (a share of area)."""

    kinds: tuple[str, ...] = DEFAULT_KINDS
    tolerance: float = 0.01


@dataclass
class Assignment:
    """One person in one post of the grid, from an effective date."""

    id: UUID
    role: StaffRole
    person: str
    """The person's key: ``member:<id>`` or ``phone:<digest>`` (``domain.grids.handlers``)."""
    member_id: UUID | None
    name: str
    phone: str | None
    employment: Employment | None
    since: date


def check_code(code: str, community_code: str | None) -> str:
    """A 15-digit unit-grid code that extends its community's 12-digit division code."""
    cleaned = clean(code)
    if not _CODE.fullmatch(cleaned) or not ascii_digits(cleaned):
        raise InvalidInput("a unit-grid code has exactly 15 digits (0-9): the community's 12-digit"
                           " division code and a 3-digit sequence", field="code")
    if cleaned[12:] == "000":
        raise InvalidInput("a grid's sequence (digits 13–15) must not be 000", field="code")
    if community_code is None or cleaned[:12] != community_code:
        raise GridNotInCommunity(
            f"grid code {cleaned} does not start with the community's division code {community_code}",
            field="code")
    return cleaned


def check_grid_name(name: str) -> str:
    cleaned = clean(name)
    if not cleaned or len(cleaned) > MAX_NAME:
        raise InvalidInput(f"a grid's name has 1–{MAX_NAME} characters", field="name")
    return cleaned


def check_kind(kind: str, rules: GridRules) -> str:
    cleaned = clean(kind).upper()
    if cleaned not in rules.kinds:
        raise InvalidInput(f"kind is one of {', '.join(rules.kinds)}", field="kind")
    return cleaned


def check_count(value: int | None, field: str) -> int | None:
    if value is not None and not 0 <= value <= MAX_COUNT:
        raise InvalidInput(f"{field} is a count from 0 to {MAX_COUNT}", field=field)
    return value


def check_buildings(buildings: tuple[str, ...] | list[str], field: str = "buildings") -> list[str]:
    """Building names or numbers: each 1–40 characters, none twice, at most 500."""
    cleaned = [clean(b) for b in buildings]
    if len(cleaned) > MAX_BUILDINGS:
        raise InvalidInput(f"a grid lists at most {MAX_BUILDINGS} buildings", field=field)
    if any(not b or len(b) > MAX_BUILDING for b in cleaned):
        raise InvalidInput(f"a building's name or number has 1–{MAX_BUILDING} characters", field=field)
    doubled = sorted({b for b in cleaned if cleaned.count(b) > 1})
    if doubled:
        raise InvalidInput(f"buildings listed twice: {', '.join(doubled)}", field=field)
    return cleaned


def check_effective(on: date, today: date, not_before: date, field: str = "effectiveOn") -> date:
    """An effective date that has come, and not before the grid began."""
    if on > today:
        raise InvalidInput(f"the effective date {on.isoformat()} lies after today", field=field)
    if on < not_before:
        raise InvalidInput(f"the effective date lies before the grid began ({not_before.isoformat()})",
                           field=field)
    return on


class Grid(Aggregate):
    """A unit grid of one community."""

    class Registered(Aggregate.Created):
        organization_id: UUID
        code: str
        name: str
        kind: str
        households: int | None
        population: int | None
        buildings: list[str]
        boundary: dict[str, Any] | None
        started_on: date
        predecessor_ids: list[UUID]

    @event(Registered)
    def __init__(self, organization_id: UUID, code: str, name: str, kind: str, households: int | None,
                 population: int | None, buildings: list[str], boundary: dict[str, Any] | None,
                 started_on: date, predecessor_ids: list[UUID]) -> None:
        self.organization_id = organization_id
        """The community the grid belongs to (``organization_id`` scopes its events in the feed)."""
        self.code = code
        self.name = name
        self.kind = kind
        self.households = households
        self.population = population
        self.buildings = list(buildings)
        self.boundary = boundary
        self.started_on = started_on
        self.ended_on: date | None = None
        self.staff: dict[UUID, Assignment] = {}
        self.branch_id: UUID | None = None
        """The grid Party branch (网格党支部) that covers the grid, if one does."""

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    @property
    def retired(self) -> bool:
        return self.ended_on is not None

    def ensure_active(self) -> None:
        if self.retired:
            raise GridNotAllowed(f"grid {self.code} was retired on {self.ended_on}; it takes no changes")

    def holder(self, role: StaffRole) -> Assignment | None:
        return next((a for a in self.staff.values() if a.role is role), None)

    def update_details(self, details: dict[str, Any]) -> None:
        """Change name, kind, counts, buildings or boundary (only what differs is recorded)."""
        self.ensure_active()
        current = {"name": self.name, "kind": self.kind, "households": self.households,
                   "population": self.population, "buildings": self.buildings, "boundary": self.boundary}
        changed = {k: v for k, v in details.items() if current[k] != v}
        if changed:
            self._details_updated(**{**current, **changed})

    @event("DetailsUpdated")
    def _details_updated(self, name: str, kind: str, households: int | None, population: int | None,
                         buildings: list[str], boundary: dict[str, Any] | None) -> None:
        self.name, self.kind, self.households, self.population = name, kind, households, population
        self.buildings, self.boundary = list(buildings), boundary

    def appoint(self, role: StaffRole, person: str, member_id: UUID | None, name: str, phone: str | None,
                employment: Employment | None, effective_on: date) -> UUID:
        self.ensure_active()
        if role is not StaffRole.WORKER and self.holder(role) is not None:
            raise GridNotAllowed(f"grid {self.code} has a {role.value.lower()} already: replace or remove them",
                                 field="role")
        if any(a.person == person and a.role is role for a in self.staff.values()):
            raise GridNotAllowed(f"this person is a {role.value.lower()} of grid {self.code} already",
                                 field="role")
        assignment_id = uuid4()
        self._staff_appointed(assignment_id=assignment_id, role=role, person=person, member_id=member_id,
                              name=name, phone=phone, employment=employment, effective_on=effective_on)
        return assignment_id

    @event("StaffAppointed")
    def _staff_appointed(self, assignment_id: UUID, role: StaffRole, person: str, member_id: UUID | None,
                         name: str, phone: str | None, employment: Employment | None,
                         effective_on: date) -> None:
        self.staff[assignment_id] = Assignment(assignment_id, role, person, member_id, name, phone,
                                               employment, effective_on)

    def assignment(self, assignment_id: UUID) -> Assignment:
        found = self.staff.get(assignment_id)
        if found is None:
            raise GridNotAllowed(f"no current assignment {assignment_id} on grid {self.code}",
                                 field="assignmentId")
        return found

    def remove_staff(self, assignment_id: UUID, effective_on: date) -> Assignment:
        self.ensure_active()
        found = self.assignment(assignment_id)
        if effective_on < found.since:
            raise InvalidInput("an assignment ends after it began", field="effectiveOn")
        self._staff_removed(assignment_id=assignment_id, role=found.role, effective_on=effective_on)
        return found

    @event("StaffRemoved")
    def _staff_removed(self, assignment_id: UUID, role: StaffRole, effective_on: date) -> None:
        del self.staff[assignment_id]

    def retire(self, ended_on: date, successor_ids: list[UUID]) -> list[Assignment]:
        """End the grid (its code stays its own); every current assignment ends with it."""
        self.ensure_active()
        if ended_on < self.started_on:
            raise InvalidInput("a grid is retired after it began", field="effectiveOn")
        ended = list(self.staff.values())
        for a in ended:
            self._staff_removed(assignment_id=a.id, role=a.role, effective_on=max(ended_on, a.since))
        self._retired(ended_on=ended_on, successor_ids=successor_ids)
        return ended

    @event("Retired")
    def _retired(self, ended_on: date, successor_ids: list[UUID]) -> None:
        self.ended_on = ended_on

    def link_branch(self, branch_id: UUID) -> None:
        """Record that the grid Party branch ``branch_id`` covers this grid (a grid has at most one)."""
        self.ensure_active()
        if self.branch_id == branch_id:
            raise GridNotAllowed(f"grid {self.code} is covered by this branch already", field="branchId")
        if self.branch_id is not None:
            raise GridNotAllowed(f"grid {self.code} is covered by another branch: unlink it first", field="branchId")
        self._branch_linked(branch_id=branch_id)

    @event("BranchLinked")
    def _branch_linked(self, branch_id: UUID) -> None:
        self.branch_id = branch_id

    def unlink_branch(self) -> None:
        self.ensure_active()
        if self.branch_id is None:
            raise GridNotAllowed(f"no branch covers grid {self.code}", field="gridId")
        self._branch_unlinked(branch_id=self.branch_id)

    @event("BranchUnlinked")
    def _branch_unlinked(self, branch_id: UUID) -> None:
        self.branch_id = None

    def release_building(self, building: str, to_grid: Grid, effective_on: date) -> None:
        """Hand one of this grid's buildings to ``to_grid`` (which records receiving it)."""
        self.ensure_active()
        to_grid.ensure_active()
        if building not in self.buildings:
            raise GridNotAllowed(f"grid {self.code} lists no building {building}", field="building")
        if building in to_grid.buildings:
            raise GridNotAllowed(f"grid {to_grid.code} lists building {building} already", field="building")
        if len(to_grid.buildings) >= MAX_BUILDINGS:
            raise InvalidInput(f"a grid lists at most {MAX_BUILDINGS} buildings", field="toGridId")
        self._building_released(building=building, to_grid_id=to_grid.id, effective_on=effective_on)
        to_grid._building_received(building=building, from_grid_id=self.id, effective_on=effective_on)

    @event("BuildingReleased")
    def _building_released(self, building: str, to_grid_id: UUID, effective_on: date) -> None:
        self.buildings = [b for b in self.buildings if b != building]

    @event("BuildingReceived")
    def _building_received(self, building: str, from_grid_id: UUID, effective_on: date) -> None:
        self.buildings = [*self.buildings, building]

    def correct_code(self, code: str) -> None:
        """Correct a code entered wrongly: the grid takes ``code``; the old one stays this grid's
        claim (codes are never reused, not even a mistaken one, which others may have seen)."""
        self.ensure_active()
        if code == self.code:
            raise GridNotAllowed(f"grid {self.code} has this code already", field="code")
        self._code_corrected(code=code, previous_code=self.code)

    @event("CodeCorrected")
    def _code_corrected(self, code: str, previous_code: str) -> None:
        self.code = code
