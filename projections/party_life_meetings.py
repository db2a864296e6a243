"""The ``party_life_meetings`` read model: one row per meeting of Party life (组织生活).

From ``PartyLifeMeeting.Recorded`` (``domain.members.party_life``). ``partyLife(within,
period)`` counts these rows per branch and kind against the required counts; the members'
latest Party life (the six-month review's evidence) is the ``members`` projection's.
"""

from __future__ import annotations

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("party_life_meetings", ("party_life_meetings",))


@projection.on("PartyLifeMeeting.Recorded")
async def recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO party_life_meetings (id, organization_id, kind, held_on, topic, attended, absent_with_leave,"
        " absent_without_leave, recorded_at, position) VALUES ($1, $2::text::uuid, $3, $4::text::date, $5,"
        " $6::text[]::uuid[], $7::text[]::uuid[], $8::text[]::uuid[], $9, $10)",
        e.stream_id, p["organization_id"], p["kind"], p["held_on"], p["topic"], p["attended"],
        p["absent_with_leave"], p["absent_without_leave"], e.recorded_at, e.position,
    )
