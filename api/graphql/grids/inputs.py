"""Input types of the grids' mutations (one per mutation, and a grid part of a split or merge).

Every string and list states its bound (tests/unit/core/test_input_bounds.py); the domain
enforces it. A boundary arrives as a JSON value and is handed to the domain as GeoJSON
text with sorted keys (``geojson``), so one boundary has one idempotency fingerprint.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.core.common import parse_id
from api.graphql.grids.enums import Employment, StaffRole
from domain.grids.commands import GridPart
from domain.shared.errors import InvalidInput

_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")


_REASON = "Why (recorded with every event of the change): 1–500 characters."


_CODE = ("Unit-grid code of 15 characters, all digits: the community's 12-digit division code and a 3-digit"
         " sequence (not 000);"
         " unique city-wide, never reused.")


_BOUNDARY = ("GeoJSON Polygon or MultiPolygon (or a Feature holding one) in WGS-84, [longitude, latitude], rings"
             " closed, a valid geometry within China; at most 20000 positions.")


_BUILDINGS = "Names or numbers of its buildings: at most 500, each 1–40 characters, none twice."


_KIND = "One of the configured kinds (by default RESIDENTIAL, ENTERPRISE, INSTITUTION, MIXED): at most 40 characters."


_PERSON = ("A member of the system (memberId), or a person by name (1–120 characters) and phone (5–20 characters).")


def geojson(value: Any, field: str = "boundary") -> str | None:
    """The boundary input as the command carries it: GeoJSON text with sorted keys, so one
    boundary has one fingerprint however the client ordered its keys."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise InvalidInput(f"boundary: {exc}", field=field) from None


@strawberry.input(description="Register a unit grid in a community.")
class RegisterGridInput:
    community_id: strawberry.ID = strawberry.field(description="The community (committee, general branch or branch).")
    code: str = strawberry.field(description=_CODE)
    name: str = strawberry.field(description="Its name: 1–120 characters.")
    kind: str = strawberry.field(description=_KIND)
    households: int | None = strawberry.field(default=None, description="Households, if counted.")
    population: int | None = strawberry.field(default=None, description="Resident population, if counted.")
    buildings: list[str] = strawberry.field(default_factory=list, description=_BUILDINGS)
    boundary: JSON | None = strawberry.field(default=None, description=_BOUNDARY)
    started_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    reason: str | None = strawberry.field(default=None, description="Why, if stated: at most 500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Change a grid's details; fields left out stay as they are.")
class UpdateGridDetailsInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid.")
    reason: str = strawberry.field(description=_REASON)
    name: str | None = strawberry.field(default=None, description="New name: 1–120 characters.")
    kind: str | None = strawberry.field(default=None, description=_KIND)
    households: int | None = strawberry.field(default=None, description="Households.")
    population: int | None = strawberry.field(default=None, description="Resident population.")
    buildings: list[str] | None = strawberry.field(default=None, description=_BUILDINGS)
    boundary: JSON | None = strawberry.field(default=None, description=_BOUNDARY)
    expected_version: int | None = strawberry.field(default=None, description="The grid's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Retire a grid: it keeps its code and gets an end date; its staff leave.")
class RetireGridInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid.")
    reason: str = strawberry.field(description=_REASON)
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    expected_version: int | None = strawberry.field(default=None, description="The grid's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description=f"Appoint a grid leader, a grid worker or the Party-building instructor. {_PERSON}")
class AppointGridStaffInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid.")
    role: StaffRole = strawberry.field(description="The post: one leader, workers, one instructor per grid.")
    reason: str = strawberry.field(description=_REASON)
    member_id: strawberry.ID | None = strawberry.field(default=None, description="The member appointed...")
    name: str | None = strawberry.field(default=None, description="...or a person's name: 1–120 characters,")
    phone: str | None = strawberry.field(default=None, description="and phone: 5–20 characters.")
    employment: Employment | None = strawberry.field(default=None, description="Workers only; defaults to FULL_TIME.")
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    expected_version: int | None = strawberry.field(default=None, description="The grid's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description=f"End an assignment and appoint another person to the same post. {_PERSON}")
class ReplaceGridStaffInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid.")
    assignment_id: strawberry.ID = strawberry.field(description="The current assignment to end.")
    reason: str = strawberry.field(description=_REASON)
    member_id: strawberry.ID | None = strawberry.field(default=None, description="The member appointed...")
    name: str | None = strawberry.field(default=None, description="...or a person's name: 1–120 characters,")
    phone: str | None = strawberry.field(default=None, description="and phone: 5–20 characters.")
    employment: Employment | None = strawberry.field(default=None, description="Workers only; defaults to the"
                                                                               " predecessor's.")
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    expected_version: int | None = strawberry.field(default=None, description="The grid's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="End an assignment (the grid may be left understaffed).")
class RemoveGridStaffInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid.")
    assignment_id: strawberry.ID = strawberry.field(description="The current assignment to end.")
    reason: str = strawberry.field(description=_REASON)
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    expected_version: int | None = strawberry.field(default=None, description="The grid's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="One grid a split or merge draws.")
class GridPartInput:
    code: str = strawberry.field(description=_CODE)
    name: str = strawberry.field(description="Its name: 1–120 characters.")
    kind: str | None = strawberry.field(default=None, description=f"{_KIND} Defaults to the old grid's.")
    households: int | None = strawberry.field(default=None, description="Households, if counted.")
    population: int | None = strawberry.field(default=None, description="Resident population, if counted.")
    buildings: list[str] = strawberry.field(default_factory=list, description=_BUILDINGS)
    boundary: JSON | None = strawberry.field(default=None, description=_BOUNDARY)
    staff_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Current assignments of the old grid(s) this grid takes over (at most 200);"
                                          " the others end.")


def part(p: GridPartInput, field: str) -> GridPart:
    return GridPart(code=p.code, name=p.name, kind=p.kind, households=p.households, population=p.population,
                    buildings=tuple(p.buildings), boundary=geojson(p.boundary, f"{field}.boundary"),
                    staff_ids=tuple(parse_id(s, f"{field}.staffIds") for s in p.staff_ids[:201]))


@strawberry.input(description="Split one grid into several of its community.")
class SplitGridInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid to split (it is retired).")
    parts: list[GridPartInput] = strawberry.field(description="The new grids: 2–20. Their buildings are the old"
                                                              " grid's, each exactly once; their boundaries lie within"
                                                              " the old one and do not overlap.")
    reason: str = strawberry.field(description=_REASON)
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Merge grids of one community into one new grid.")
class MergeGridsInput:
    grid_ids: list[strawberry.ID] = strawberry.field(description="The grids to merge: 2–20, of one community.")
    into: GridPartInput = strawberry.field(description="The new grid: every old grid's buildings, each once.")
    reason: str = strawberry.field(description=_REASON)
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Move a grid to another community (street admins and above): it is registered there"
                              " under a new code with its details and staff, and the old grid is retired.")
class MoveGridInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid to move.")
    to_community_id: strawberry.ID = strawberry.field(description="The community it moves to.")
    code: str = strawberry.field(description=f"Its new code in that community. {_CODE}")
    reason: str = strawberry.field(description=_REASON)
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record that a grid Party branch (a GRID_BRANCH organization of the grid's community)"
                              " covers a grid; a grid is covered by at most one branch, a branch may cover several.")
class LinkGridBranchInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid.")
    branch_id: strawberry.ID = strawberry.field(description="The GRID_BRANCH organization.")
    reason: str | None = strawberry.field(default=None, description="Why, if stated: at most 500 characters.")
    expected_version: int | None = strawberry.field(default=None, description="The grid's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record that the grid's Party branch no longer covers it.")
class UnlinkGridBranchInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid.")
    reason: str = strawberry.field(description=_REASON)
    expected_version: int | None = strawberry.field(default=None, description="The grid's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Reassign a building from its grid to another grid of the same community.")
class ReassignGridBuildingInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid that lists the building now.")
    building: str = strawberry.field(description="The building's name or number: 1–40 characters.")
    to_grid_id: strawberry.ID = strawberry.field(description="The grid it is reassigned to.")
    reason: str = strawberry.field(description=_REASON)
    effective_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    expected_version: int | None = strawberry.field(default=None, description="The grid's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Correct a grid's code entered wrongly (district admins): the old code stays the grid's,"
                              " never given to another grid.")
class CorrectGridCodeInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid.")
    code: str = strawberry.field(description=f"The right code, in the grid's community. {_CODE}")
    reason: str = strawberry.field(description=_REASON)
    expected_version: int | None = strawberry.field(default=None, description="The grid's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
