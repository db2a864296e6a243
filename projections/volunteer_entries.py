"""The ``volunteer_entries`` read model: every volunteer entry of every member, pending,
confirmed or rejected, with who logged and who decided it, for ``Member.volunteerHours`` and
``members(filter: {belowVolunteerMinimum: year})`` (``domain.members.volunteering``).

``Member.VolunteerHoursConfirmed`` either confirms a pending entry (the member's own) or is
the entry itself (the community's, or another area's contribution): an upsert covers both.
"""

from __future__ import annotations

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("volunteer_entries", ("volunteer_entries",))


@projection.on("Member.VolunteerHoursLogged")
async def logged(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO volunteer_entries (entry_id, member_id, year, activity, on_date, hours, state, logged_by,"
        " logged_at) VALUES ($1::text::uuid, $2, extract(year FROM $3::text::date)::int, $4, $3::text::date,"
        " $5::text::numeric, 'PENDING', $6, $7)",
        p["entry_id"], e.stream_id, p["on"], p["activity"], p["hours"], e.actor, e.recorded_at,
    )


@projection.on("Member.VolunteerHoursConfirmed")
async def confirmed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO volunteer_entries (entry_id, member_id, year, activity, on_date, hours, state, source,"
        " reference, logged_by, logged_at, decided_by, decided_at) VALUES ($1::text::uuid, $2,"
        " extract(year FROM $3::text::date)::int, $4, $3::text::date, $5::text::numeric, 'CONFIRMED', $6, $7,"
        " $8, $9, $8, $9) ON CONFLICT (entry_id) DO UPDATE SET state = 'CONFIRMED', source = excluded.source,"
        " reference = excluded.reference, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        p["entry_id"], e.stream_id, p["on"], p["activity"], p["hours"], p["source"], p["reference"], e.actor,
        e.recorded_at,
    )


@projection.on("Member.VolunteerHoursRejected")
async def rejected(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE volunteer_entries SET state = 'REJECTED', decided_by = $2, decided_at = $3, reject_reason = $4"
        " WHERE entry_id = $1::text::uuid",
        e.payload["entry_id"], e.actor, e.recorded_at, e.payload["reason"],
    )
