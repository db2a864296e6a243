"""The ``building_group_grids`` read model: the grid each building Party group works in now, and
the buildings of it that the group covers (``Grid.buildingGroups``)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("building_group_grids", ("building_group_grids",))


@projection.on("BuildingGroupGrid.Assigned")
async def assigned(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO building_group_grids (organization_id, link_id, grid_id, buildings, started_on, assigned_by,"
        " reason, version, last_position) VALUES ($1, $2, $3, $4, $5::text::date, $6, $7, $8, $9)",
        UUID(p["organization_id"]), e.stream_id, UUID(p["grid_id"]), p["buildings"], p["effective_on"], e.actor,
        e.reason, e.version, e.position)


@projection.on("BuildingGroupGrid.Reassigned")
async def reassigned(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    done = await conn.execute(
        "UPDATE building_group_grids SET grid_id = $2, buildings = $3, started_on = $4::text::date, assigned_by = $5,"
        " reason = $6, version = $7, last_position = $8 WHERE link_id = $1",
        e.stream_id, UUID(p["grid_id"]), p["buildings"], p["effective_on"], e.actor, e.reason, e.version, e.position)
    if done != "UPDATE 1":
        raise LookupError(f"event {e.position}: no building group link {e.stream_id} to reassign")
