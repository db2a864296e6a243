"""The ``residence_reports`` read model: each member's yearly report to the community where
they live (双报到), for ``Member.reports`` and ``members(filter: {reported: false, year})``
(``domain.members.reporting``)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("residence_reports", ("residence_reports",))


@projection.on("Member.ResidenceReported")
async def reported(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO residence_reports (member_id, year, community_id, reported_on, needs, late,"
        " home_organization_id) VALUES ($1, $2, $3, $4::text::date, $5, $6, $7)",
        e.stream_id, p["year"], UUID(p["community_id"]), p["reported_on"], list(p["needs"]), p["late"],
        UUID(p["home_organization_id"]),
    )
