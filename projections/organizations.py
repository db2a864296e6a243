"""The ``organizations`` read model: the tree with a root-first ``path`` per row."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("organizations", ("organizations",))


@projection.on("Organization.Established")
async def established(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    parent = UUID(p["parent_id"]) if p["parent_id"] else None
    await conn.execute(
        """
        INSERT INTO organizations (id, kind, name, code, parent_id, path, established_on,
                                   version, created_at, updated_at, last_position)
        SELECT $1, $2, $3, $4, $5,
               coalesce((SELECT path FROM organizations WHERE id = $5), '{}'::uuid[]) || $1::uuid,
               $6::text::date, $7, $8, $8, $9
        """,
        e.stream_id, p["kind"], p["name"], p["code"], parent, p["established_on"], e.version,
        e.recorded_at, e.position,
    )


@projection.on("Organization.Renamed")
async def renamed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE organizations SET name = $2, version = $3, updated_at = $4, last_position = $5"
        " WHERE id = $1",
        e.stream_id, e.payload["name"], e.version, e.recorded_at, e.position,
    )


@projection.on("Organization.Moved")
async def moved(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    # Every row in the moved subtree gets the new parent's path in front of the part of
    # its own path that starts at the moved organization.
    await conn.execute(
        """
        UPDATE organizations o
           SET path = (SELECT path FROM organizations WHERE id = $2)
                      || o.path[array_position(o.path, $1::uuid):]
         WHERE o.path @> ARRAY[$1::uuid]
        """,
        e.stream_id, UUID(e.payload["parent_id"]),
    )
    await conn.execute(
        "UPDATE organizations SET parent_id = $2, version = $3, updated_at = $4,"
        " last_position = $5 WHERE id = $1",
        e.stream_id, UUID(e.payload["parent_id"]), e.version, e.recorded_at, e.position,
    )


@projection.on("Organization.Dissolved")
async def dissolved(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE organizations SET status = 'DISSOLVED', dissolved_on = $2::text::date,"
        " version = $3, updated_at = $4, last_position = $5 WHERE id = $1",
        e.stream_id, e.payload["dissolved_on"], e.version, e.recorded_at, e.position,
    )
