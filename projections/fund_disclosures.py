"""The ``fund_disclosures`` read model: each published period table (公示) of a fund, with its digest.

One row per ``Fund.PeriodDisclosed``; a period disclosed again after a correction keeps both
rows, the latest (highest version) in force. Readers scope a row through its fund's row.
"""

from __future__ import annotations

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("fund_disclosures", ("fund_disclosures",))


@projection.on("Fund.PeriodDisclosed")
async def disclosed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO fund_disclosures (fund_id, version, position, period, period_from, period_to, digest,"
        " covers_version, published_on, place, opening_balance, closing_balance, recorded_at, actor)"
        " VALUES ($1, $2, $3, $4, $5::text::date, $6::text::date, $7, $8, $9::text::date, $10, $11::numeric,"
        " $12::numeric, $13, $14)",
        e.stream_id, e.version, e.position, p["period"], p["period_from"], p["period_to"], p["digest"],
        p["covers_version"], p["published_on"], p["place"], p["opening_balance"], p["closing_balance"],
        e.recorded_at, e.actor,
    )
