"""The ``selection_rounds`` read model: each round's year, quota, notice days, the places
approved shops hold (``SelectionRound.PlaceTaken`` / ``PlaceReleased`` carry the count), its
pending applications (``ApplicationReceived`` / ``ApplicationEnded`` carry that count) and
when and by whom it was closed (``SelectionRound.Closed``)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("selection_rounds", ("selection_rounds",))


@projection.on("SelectionRound.Opened")
async def opened(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO selection_rounds (id, organization_id, year, quota, notice_days, opened_on, opened_by,"
        " opened_position, last_position) VALUES ($1, $2, $3, $4, $5, $6::text::date, $7, $8, $8)",
        e.stream_id, UUID(p["organization_id"]), p["year"], p["quota"], p["notice_days"], p["opened_on"],
        e.actor, e.position,
    )


@projection.on("SelectionRound.PlaceTaken", "SelectionRound.PlaceReleased")
async def places(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute("UPDATE selection_rounds SET taken = $2, last_position = $3 WHERE id = $1",
                       e.stream_id, e.payload["taken"], e.position)


@projection.on("SelectionRound.ApplicationReceived", "SelectionRound.ApplicationEnded")
async def pending(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute("UPDATE selection_rounds SET pending = $2, last_position = $3 WHERE id = $1",
                       e.stream_id, e.payload["pending"], e.position)


@projection.on("SelectionRound.Closed")
async def closed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute("UPDATE selection_rounds SET closed_on = $2::text::date, closed_by = $3, last_position = $4"
                       " WHERE id = $1", e.stream_id, e.payload["closed_on"], e.actor, e.position)
