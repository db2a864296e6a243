"""The ``shop_tenures`` read model: one row per plaque awarded, from its award to its
revocation and recovery (shop streams' ``PlaqueAwarded``, ``Revoked``, ``PlaqueRecovered``).

A shop revoked and selected again in a later round has two rows, so the reconciliation
of any year (``api.graphql.shops.reconciliation``) counts from the dated facts of the
log, never from a number someone typed: held at the start of the year, awarded in it,
revoked in it, held at its end. Overdue plaques are the revoked rows without a
recovery past the configured days.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("shop_tenures", ("shop_tenures",))


@projection.on("Shop.PlaqueAwarded")
async def plaque_awarded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO shop_tenures (application_id, shop_id, organization_id, round_id, year, plaque_serial,"
        " awarded_on, awarded_position) VALUES ($1, $2, $3, $4, $5, $6, $7::text::date, $8)",
        UUID(p["application_id"]), e.stream_id, UUID(p["organization_id"]), UUID(p["round_id"]), p["year"],
        p["plaque_serial"], p["awarded_on"], e.position,
    )


@projection.on("Shop.Revoked")
async def revoked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE shop_tenures SET revoked_on = $2::text::date, revoked_reason = $3, complaint_id = $4"
        " WHERE shop_id = $1 AND plaque_serial = $5",
        e.stream_id, p["revoked_on"], p["reason"], UUID(p["complaint_id"]) if p["complaint_id"] else None,
        p["plaque_serial"],
    )


@projection.on("Shop.PlaqueRecovered")
async def plaque_recovered(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE shop_tenures SET recovered_on = $2::text::date, recovered_by = $3"
        " WHERE shop_id = $1 AND revoked_on IS NOT NULL AND recovered_on IS NULL",
        e.stream_id, p["recovered_on"], p["recovered_by"],
    )
