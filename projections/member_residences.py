"""The ``member_residences`` read model: the grid each member lives in, period by period.

One row per period of a member's residence (``Residence.GridAssigned`` begins the first,
each ``Residence.GridReassigned`` ends the current one on its effective date and begins the
next), with who recorded it and why. The current period has no ``ended_on`` (one per member,
a unique index). ``Member.residenceGrid`` and ``Grid.residents`` read it.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("member_residences", ("member_residences",))

_BEGIN = """
INSERT INTO member_residences (position, member_id, residence_id, grid_id, organization_id, started_on,
                               assigned_by, reason, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6::text::date, $7, $8, $9)
"""


async def _begin(conn: asyncpg.Connection, e: RecordedEvent, member_id: UUID) -> None:
    p = e.payload
    await conn.execute(_BEGIN, e.position, member_id, e.stream_id, UUID(p["grid_id"]), UUID(p["organization_id"]),
                       p["effective_on"], e.actor, e.reason, e.recorded_at)


@projection.on("Residence.GridAssigned")
async def grid_assigned(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _begin(conn, e, UUID(e.payload["member_id"]))


@projection.on("Residence.GridReassigned")
async def grid_reassigned(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    member_id = await conn.fetchval(
        "UPDATE member_residences SET ended_on = $2::text::date WHERE residence_id = $1 AND ended_on IS NULL"
        " RETURNING member_id", e.stream_id, e.payload["effective_on"])
    if member_id is None:
        raise LookupError(f"event {e.position}: residence {e.stream_id} has no current period to end")
    await _begin(conn, e, member_id)
