"""The ``grids`` and ``grid_staff`` read models (one grid stream each).

``grids`` holds each grid's current details, its boundary as GeoJSON with its bounding
box in four columns (the SQL prefilter of a point lookup), its lineage (the grids it was
drawn from and those that replaced it) and the number of current leaders, workers and
instructors, from which PostgreSQL computes ``understaffed``. ``grid_staff`` holds every
assignment ever made, current ones with no ``ended_on``: a grid's staff with their
history, and a person's assignments across grids (``person`` is the same key the
leader claim uses). Phones are held in plaintext, as the event store opens them, like
``members``; the GraphQL layer masks them for those who may not see them.
"""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from domain.grids.geometry import bounding_box
from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("grids", ("grids", "grid_staff"))
_COUNTER = {"LEADER": "leaders", "WORKER": "workers", "INSTRUCTOR": "instructors"}


async def _touch(conn: asyncpg.Connection, e: RecordedEvent, sets: str = "", *args: object) -> None:
    extra = f", {sets}" if sets else ""
    await conn.execute(
        f"UPDATE grids SET version = $2, updated_at = $3, last_position = $4{extra} WHERE id = $1",
        e.stream_id, e.version, e.recorded_at, e.position, *args,
    )


def _box(boundary: object) -> tuple[float | None, ...]:
    return (None,) * 4 if boundary is None else bounding_box(boundary)  # type: ignore[arg-type]


@projection.on("Grid.Registered")
async def registered(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    boundary = p["boundary"]
    await conn.execute(
        """
        INSERT INTO grids (id, organization_id, code, name, kind, households, population, buildings,
                           boundary, west, south, east, north, started_on, predecessor_ids, version,
                           registered_by, created_at, updated_at, last_position)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11, $12, $13, $14::text::date,
                $15::uuid[], $16, $17, $18, $18, $19)
        """,
        e.stream_id, UUID(p["organization_id"]), p["code"], p["name"], p["kind"], p["households"],
        p["population"], p["buildings"], None if boundary is None else json.dumps(boundary), *_box(boundary),
        p["started_on"], [UUID(x) for x in p["predecessor_ids"]], e.version, e.actor, e.recorded_at, e.position,
    )


@projection.on("Grid.DetailsUpdated")
async def details_updated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    boundary = p["boundary"]
    await _touch(conn, e, "name = $5, kind = $6, households = $7, population = $8, buildings = $9,"
                 " boundary = $10::text::jsonb, west = $11, south = $12, east = $13, north = $14",
                 p["name"], p["kind"], p["households"], p["population"], p["buildings"],
                 None if boundary is None else json.dumps(boundary), *_box(boundary))


@projection.on("Grid.StaffAppointed")
async def staff_appointed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        """
        INSERT INTO grid_staff (id, grid_id, organization_id, role, person, member_id, name, phone, employment,
                                started_on, appointed_by, appointed_reason, position)
        SELECT $1, $2, g.organization_id, $3, $4, $5, $6, $7, $8, $9::text::date, $10, $11, $12
          FROM grids g WHERE g.id = $2
        """,
        UUID(p["assignment_id"]), e.stream_id, p["role"], p["person"],
        UUID(p["member_id"]) if p["member_id"] else None, p["name"], p["phone"], p["employment"],
        p["effective_on"], e.actor, e.reason, e.position,
    )
    counter = _COUNTER[p["role"]]
    await _touch(conn, e, f"{counter} = {counter} + 1")


@projection.on("Grid.StaffRemoved")
async def staff_removed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE grid_staff SET ended_on = $2::text::date, ended_by = $3, ended_reason = $4 WHERE id = $1",
        UUID(p["assignment_id"]), p["effective_on"], e.actor, e.reason,
    )
    counter = _COUNTER[p["role"]]
    await _touch(conn, e, f"{counter} = {counter} - 1")


@projection.on("Grid.Retired")
async def retired(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _touch(conn, e, "status = 'RETIRED', ended_on = $5::text::date, successor_ids = $6::uuid[]",
                 p["ended_on"], [UUID(x) for x in p["successor_ids"]])


@projection.on("Grid.BranchLinked")
async def branch_linked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "branch_id = $5", UUID(e.payload["branch_id"]))


@projection.on("Grid.BranchUnlinked")
async def branch_unlinked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "branch_id = NULL")


@projection.on("Grid.BuildingReleased")
async def building_released(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "buildings = array_remove(buildings, $5)", e.payload["building"])


@projection.on("Grid.BuildingReceived")
async def building_received(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "buildings = array_append(buildings, $5)", e.payload["building"])


@projection.on("Grid.CodeCorrected")
async def code_corrected(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "code = $5", e.payload["code"])
