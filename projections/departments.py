"""The ``departments`` read model: the functional departments (职能部门) of streets and districts."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("departments", ("departments",))


@projection.on("Department.Registered")
async def registered(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO departments (id, organization_id, name, code, categories, registered_at, registered_by,"
        " version, registered_position, last_position)"
        " VALUES ($1, $2, $3, $4, $5, $6::text::timestamptz, $7, $8, $9, $9)",
        e.stream_id, UUID(p["organization_id"]), p["name"], p["code"], p["categories"], p["registered_at"],
        e.actor, e.version, e.position,
    )


@projection.on("Department.Retired")
async def retired(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE departments SET status = 'RETIRED', retired_at = $2::text::timestamptz, version = $3,"
        " last_position = $4 WHERE id = $1",
        e.stream_id, e.payload["retired_at"], e.version, e.position,
    )
