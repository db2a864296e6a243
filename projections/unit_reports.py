"""The ``unit_reports`` read model: each resident unit's (驻区单位) yearly report to the community
where it lies, for ``unitReports`` (``domain.members.unit_reports``)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("unit_reports", ("unit_reports",))


@projection.on("UnitReport.Reported")
async def reported(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO unit_reports (organization_id, year, community_id, reported_on, needs, late)"
        " VALUES ($1, $2, $3, $4::text::date, $5, $6)",
        UUID(p["organization_id"]), p["year"], UUID(p["community_id"]), p["reported_on"], list(p["needs"]), p["late"],
    )
