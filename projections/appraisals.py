"""The ``appraisals`` read model: each member's yearly rating (民主评议党员) with the figures the
rules were checked against, for ``Member.appraisals`` (``domain.members.appraisal``)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("appraisals", ("appraisals",))


@projection.on("Member.Appraised")
async def appraised(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO appraisals (member_id, year, rating, appraised_on, organization_id, volunteer_hours,"
        " volunteer_projects, reported, in_service, appraised_by) VALUES ($1, $2, $3, $4::text::date, $5,"
        " $6::text::numeric, $7, $8, $9, $10)",
        e.stream_id, p["year"], p["rating"], p["appraised_on"], UUID(p["home_organization_id"]),
        p["volunteer_hours"], p["volunteer_projects"], p["reported"], p["in_service"], e.actor,
    )
