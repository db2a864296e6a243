"""The ``service_orders`` read model: each service order (抢单) with who claimed it, the hours
reported and when the community confirmed them (``domain.requests.orders``).

The member's volunteer entry itself is the members area's (``volunteer_entries``, from the
``Member.VolunteerHoursConfirmed`` appended with the confirmation); this table keeps its id.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("service_orders", ("service_orders",))


async def _touch(conn: asyncpg.Connection, e: RecordedEvent, sets: str, *args: object) -> None:
    await conn.execute(f"UPDATE service_orders SET version = $2, last_position = $3, {sets} WHERE id = $1",
                       e.stream_id, e.version, e.position, *args)


@projection.on("ServiceOrder.Published")
async def published(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO service_orders (id, request_id, organization_id, grid_id, title, starts_at, place,"
        " hours_expected, state, published_at, published_by, version, published_position, last_position)"
        " VALUES ($1, $2, $3, $4, $5, $6::text::timestamptz, $7, $8::text::numeric, 'OPEN',"
        " $9::text::timestamptz, $10, $11, $12, $12)",
        e.stream_id, UUID(p["request_id"]), UUID(p["organization_id"]), UUID(p["grid_id"]), p["title"],
        p["starts_at"], p["place"], str(p["hours_expected"]), p["published_at"], e.actor, e.version, e.position,
    )


@projection.on("ServiceOrder.Claimed")
async def claimed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "state = 'CLAIMED', member_id = $4, claimed_at = $5::text::timestamptz",
                 UUID(e.payload["member_id"]), e.payload["at"])


@projection.on("ServiceOrder.CompletionReported")
async def completion_reported(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _touch(conn, e, "state = 'COMPLETED', hours = $4::text::numeric, completion_note = $5,"
                          " completed_at = $6::text::timestamptz", str(p["hours"]), p["note"], p["at"])


@projection.on("ServiceOrder.Confirmed")
async def confirmed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _touch(conn, e, "state = 'CONFIRMED', confirmed_at = $4::text::timestamptz, confirmed_by = $5,"
                          " entry_id = $6", p["at"], e.actor, UUID(p["entry_id"]))


@projection.on("ServiceOrder.Cancelled")
async def cancelled(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "state = 'CANCELLED', cancelled_at = $4::text::timestamptz", e.payload["at"])
