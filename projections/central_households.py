"""The ``central_households`` read model: member central households (党员中心户) as designations
of members, current and ended, with who designated and ended each and why."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("central_households", ("central_households",))


@projection.on("CentralHousehold.Designated")
async def designated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    group = p["building_group_id"]
    await conn.execute(
        "INSERT INTO central_households (id, organization_id, grid_id, member_id, building_group_id, building, doors,"
        " households, started_on, designated_by, reason, version, position)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::date, $10, $11, $12, $13)",
        e.stream_id, UUID(p["organization_id"]), UUID(p["grid_id"]), UUID(p["member_id"]),
        UUID(group) if group else None, p["building"], p["doors"], p["households"], p["started_on"], e.actor,
        e.reason, e.version, e.position)


@projection.on("CentralHousehold.Ended")
async def ended(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    done = await conn.execute(
        "UPDATE central_households SET ended_on = $2::text::date, ended_by = $3, ended_reason = $4, version = $5"
        " WHERE id = $1", e.stream_id, e.payload["ended_on"], e.actor, e.reason, e.version)
    if done != "UPDATE 1":
        raise LookupError(f"event {e.position}: no central household {e.stream_id} to end")
