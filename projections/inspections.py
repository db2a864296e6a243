"""The ``inspections`` and ``inspection_findings`` read models (one inspection stream each)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("inspections", ("inspections", "inspection_findings"))


async def _touch(conn: asyncpg.Connection, e: RecordedEvent, sets: str = "", *args: object) -> None:
    extra = f", {sets}" if sets else ""
    await conn.execute(
        f"UPDATE inspections SET updated_at = $2, last_position = $3{extra} WHERE id = $1",
        e.stream_id, e.recorded_at, e.position, *args,
    )


@projection.on("Inspection.Opened")
async def opened(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO inspections (id, organization_id, fund_id, title, opened_on, opened_by,"
        " updated_at, opened_position, last_position)"
        " VALUES ($1, $2, $3, $4, $5::text::date, $6, $7, $8, $8)",
        e.stream_id, UUID(p["organization_id"]), UUID(p["fund_id"]) if p["fund_id"] else None,
        p["title"], p["opened_on"], e.actor, e.recorded_at, e.position,
    )


@projection.on("Inspection.FindingRecorded")
async def finding_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO inspection_findings (id, inspection_id, description, severity, project_ids,"
        " payment_ids, recorded_at, recorded_by, position, category, rectify_by)"
        " VALUES ($1, $2, $3, $4, $5::uuid[], $6::uuid[], $7, $8, $9, $10, $11::text::date)",
        UUID(p["finding_id"]), e.stream_id, p["description"], p["severity"],
        [UUID(x) for x in p["project_ids"]], [UUID(x) for x in p["payment_ids"]],
        e.recorded_at, e.actor, e.position, p["category"], p["rectify_by"],
    )
    await _touch(conn, e, "findings = findings + 1, open_findings = open_findings + 1")


@projection.on("Inspection.RectificationRecorded")
async def rectification_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE inspection_findings SET rectified_on = $2::text::date, rectification = $3,"
        " state = 'RECTIFIED' WHERE id = $1",
        UUID(p["finding_id"]), p["rectified_on"], p["description"],
    )
    await _touch(conn, e)


@projection.on("Inspection.RectificationVerified")
async def rectification_verified(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute("UPDATE inspection_findings SET state = 'VERIFIED', verified_on = $2::text::date"
                       " WHERE id = $1", UUID(p["finding_id"]), p["verified_on"])
    await _touch(conn, e, "open_findings = open_findings - 1")


@projection.on("Inspection.RectificationRejected")
async def rectification_rejected(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute("UPDATE inspection_findings SET state = 'REJECTED', rejections = rejections + 1,"
                       " rejection_reason = $2, rectify_by = $3::text::date WHERE id = $1",
                       UUID(p["finding_id"]), p["reason"], p["rectify_by"])
    await _touch(conn, e)


@projection.on("Inspection.Closed")
async def closed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    # Inspections closed before verification existed settled their findings by rectification.
    await conn.execute("UPDATE inspection_findings SET state = 'VERIFIED' WHERE inspection_id = $1"
                       " AND state <> 'VERIFIED'", e.stream_id)
    await _touch(conn, e, "state = 'CLOSED', closed_on = $4::text::date, conclusion = $5, open_findings = 0",
                 p["closed_on"], p["conclusion"])
