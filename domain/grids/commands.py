"""The grids area's commands: register, update, retire; staff; redrawing.

Boundaries travel as GeoJSON text (the API serialises its JSON input once, with sorted
keys), so a command stays a flat, hashable record and its idempotency fingerprint covers
the boundary exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.grids.aggregate import Employment, StaffRole
from domain.shared.commands import Command
from domain.shared.permissions import ABOVE, ADMINS, Role


@dataclass(frozen=True)
class RegisterGrid(Command):
    """Register a unit grid in a community (its secretary, or from above)."""

    action = "registerGrid"
    allowed = ADMINS
    community_id: UUID
    code: str
    name: str
    kind: str
    households: int | None = None
    population: int | None = None
    buildings: tuple[str, ...] = ()
    boundary: str | None = None
    started_on: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class UpdateGridDetails(Command):
    """Change a grid's name, kind, counts, buildings or boundary; None leaves a field as it is."""

    action = "updateGridDetails"
    allowed = ADMINS
    grid_id: UUID
    reason: str
    name: str | None = None
    kind: str | None = None
    households: int | None = None
    population: int | None = None
    buildings: tuple[str, ...] | None = None
    boundary: str | None = None


@dataclass(frozen=True)
class RetireGrid(Command):
    """Retire a grid: it keeps its code (never reused) and gets an end date; its staff leave."""

    action = "retireGrid"
    allowed = ADMINS
    grid_id: UUID
    reason: str
    effective_on: date | None = None


@dataclass(frozen=True)
class AppointGridStaff(Command):
    """Appoint a grid leader, a grid worker or the Party-building instructor."""

    action = "appointGridStaff"
    allowed = ADMINS
    grid_id: UUID
    role: StaffRole
    reason: str
    member_id: UUID | None = None
    name: str | None = None
    phone: str | None = None
    employment: Employment | None = None
    effective_on: date | None = None


@dataclass(frozen=True)
class ReplaceGridStaff(Command):
    """End one assignment and appoint another person to the same post, in one step."""

    action = "replaceGridStaff"
    allowed = ADMINS
    grid_id: UUID
    assignment_id: UUID
    reason: str
    member_id: UUID | None = None
    name: str | None = None
    phone: str | None = None
    employment: Employment | None = None
    effective_on: date | None = None


@dataclass(frozen=True)
class RemoveGridStaff(Command):
    """End an assignment (the grid may be left understaffed)."""

    action = "removeGridStaff"
    allowed = ADMINS
    grid_id: UUID
    assignment_id: UUID
    reason: str
    effective_on: date | None = None


@dataclass(frozen=True)
class GridPart:
    """One grid a split or merge draws: its code, details, and which of the old grids'
    current staff assignments it takes over (the others end)."""

    code: str
    name: str
    kind: str | None = None
    """Defaults to the (first) old grid's kind."""
    households: int | None = None
    population: int | None = None
    buildings: tuple[str, ...] = ()
    boundary: str | None = None
    staff_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class SplitGrid(Command):
    """Split one grid into several of the same community; the old one is retired."""

    action = "splitGrid"
    allowed = ADMINS
    grid_id: UUID
    parts: tuple[GridPart, ...]
    reason: str
    effective_on: date | None = None


@dataclass(frozen=True)
class MergeGrids(Command):
    """Merge several grids of one community into one new grid; the old ones are retired."""

    action = "mergeGrids"
    allowed = ADMINS
    grid_ids: tuple[UUID, ...]
    into: GridPart
    reason: str
    effective_on: date | None = None


@dataclass(frozen=True)
class MoveGrid(Command):
    """Move a grid to another community: it is registered there under a new code, with its
    details and staff, and the old grid is retired (its code is never reused)."""

    action = "moveGrid"
    allowed = ABOVE
    grid_id: UUID
    to_community_id: UUID
    code: str
    reason: str
    effective_on: date | None = None


@dataclass(frozen=True)
class LinkGridBranch(Command):
    """Record that a grid Party branch (网格党支部) of the grid's community covers the grid."""

    action = "linkGridBranch"
    allowed = ADMINS
    grid_id: UUID
    branch_id: UUID
    reason: str | None = None


@dataclass(frozen=True)
class UnlinkGridBranch(Command):
    """Record that the grid's Party branch no longer covers it."""

    action = "unlinkGridBranch"
    allowed = ADMINS
    grid_id: UUID
    reason: str


@dataclass(frozen=True)
class ReassignGridBuilding(Command):
    """Reassign one building from its grid to another grid of the same community."""

    action = "reassignGridBuilding"
    allowed = ADMINS
    grid_id: UUID
    building: str
    to_grid_id: UUID
    reason: str
    effective_on: date | None = None


@dataclass(frozen=True)
class CorrectGridCode(Command):
    """Correct a grid's code entered wrongly (the district assigns codes): the old code stays
    claimed by the grid, so it is never given to another."""

    action = "correctGridCode"
    allowed = frozenset({Role.DISTRICT_ADMIN})
    grid_id: UUID
    code: str
    reason: str
