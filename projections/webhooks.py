"""The ``webhooks`` read model: one row per subscription, its filter and its status.

Delivery progress (cursor, failures, attempts) is not here: the deliverer owns
``webhook_cursors`` and ``webhook_deliveries``, which are not a function of the log.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("webhooks", ("webhooks",))


@projection.on("Webhook.Registered")
async def registered(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    org = UUID(p["organization_id"]) if p.get("organization_id") else None
    await conn.execute(
        """
        INSERT INTO webhooks (id, organization_id, url, stream_types, event_types, description,
                              start_after, status, registered_by, version, created_at,
                              updated_at, last_position)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'ACTIVE', $8, $9, $10, $10, $11)
        """,
        e.stream_id, org, p["url"], p.get("stream_types"), p.get("event_types"),
        p.get("description"), p["start_after"], e.actor, e.version, e.recorded_at, e.position,
    )


@projection.on("Webhook.Paused")
async def paused(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE webhooks SET status = 'PAUSED', paused_reason = $2, paused_by = $3,"
        " paused_automatically = $4, version = $5, updated_at = $6, last_position = $7"
        " WHERE id = $1",
        e.stream_id, e.payload["reason"], e.actor, bool(e.payload.get("automatic")),
        e.version, e.recorded_at, e.position,
    )


@projection.on("Webhook.Resumed")
async def resumed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE webhooks SET status = 'ACTIVE', paused_reason = NULL, paused_by = NULL,"
        " paused_automatically = false, version = $2, updated_at = $3, last_position = $4"
        " WHERE id = $1",
        e.stream_id, e.version, e.recorded_at, e.position,
    )


@projection.on("Webhook.Removed")
async def removed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE webhooks SET status = 'REMOVED', version = $2, updated_at = $3,"
        " last_position = $4 WHERE id = $1",
        e.stream_id, e.version, e.recorded_at, e.position,
    )
    # A removed webhook's signing secret goes in the same transaction: exactly once and
    # crash-safe, whoever appended the removal (a retried request included). The secrets
    # table is not a read model (it is written before registration), and a rebuild only
    # repeats this idempotent delete.
    await conn.execute("DELETE FROM webhook_secrets WHERE webhook_id = $1", e.stream_id)
