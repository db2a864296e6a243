"""The ``request_facts`` and ``request_segments`` read models: what the command centre's
statistics are computed from (``requestStatistics``), derived from the requests' events alone.

``request_facts`` holds one row per request: where (community, grid), what (category), when it
came in, where it stands (state, the current deadline), the department it is with or that
resolved it, how often it was resolved and reopened, its last rating, and ``late_steps``: the
steps that ended after their deadline or that the sweep escalated past it. ``request_segments``
holds one row per step a request went through (respond, handle, dispatch, accept, resolve,
feedback: the state it was in), from the event that began it to the one that ended it, with the
step's deadline and the department whose step it was. Averages and percentiles of handling
time per step are taken over these rows for any period, at query time.

Every time is the step's own ``at`` (the command handling's clock), so the tables are a
deterministic function of the log: a rebuild replays them equal (a test compares).
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("request_facts", ("request_facts", "request_segments"))

_CLOSE = """
WITH closed AS (
    UPDATE request_segments SET ended_at = $2::text::timestamptz,
           late = late OR (due_at IS NOT NULL AND due_at < $2::text::timestamptz)
     WHERE request_id = $1 AND ended_at IS NULL RETURNING late)
UPDATE request_facts SET late_steps = late_steps + (SELECT count(*) FILTER (WHERE late) FROM closed)::int{sets}
 WHERE request_id = $1
"""
_OPEN = ("INSERT INTO request_segments (request_id, position, step, department_id, started_at, due_at)"
         " VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6::text::timestamptz)")
_REOPENED = {"COMMUNITY": ("TAKEN", "handle"), "DEPARTMENT": ("ACCEPTED", "resolve")}


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


async def _advance(conn: asyncpg.Connection, e: RecordedEvent, sets: str = "", *args: object,
                   step: str | None = None, due_at: str | None = None, department: UUID | None = None) -> None:
    """End the request's current step at the event's ``at``, apply ``sets`` (parameters from $3),
    and begin ``step`` if the request enters one."""
    at = e.payload["at"]
    await conn.execute(_CLOSE.format(sets=f", {sets}" if sets else ""), e.stream_id, at, *args)
    if step is not None:
        await conn.execute(_OPEN, e.stream_id, e.position, step, department, at, due_at)


@projection.on("Request.Reported")
async def reported(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO request_facts (request_id, organization_id, grid_id, category, reported_at, state, due_at)"
        " VALUES ($1, $2, $3, $4, $5::text::timestamptz, 'REPORTED', $6::text::timestamptz)",
        e.stream_id, UUID(p["organization_id"]), UUID(p["grid_id"]), p["category"], p["reported_at"], p["due_at"])
    await conn.execute(_OPEN, e.stream_id, e.position, "respond", None, p["reported_at"], p["due_at"])


@projection.on("Request.Taken")
async def taken(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    due = e.payload["due_at"]
    await _advance(conn, e, "state = 'TAKEN', due_at = $3::text::timestamptz", due, step="handle", due_at=due)


@projection.on("Request.Escalated")
async def escalated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    """A change of state ends the step and begins the street's; an escalation within the state (the
    sweep, to the district's or the street's attention) marks the running step late."""
    p = e.payload
    state = await conn.fetchval("SELECT state FROM request_facts WHERE request_id = $1", e.stream_id)
    if state == p["state_after"]:
        await conn.execute("UPDATE request_segments SET late = true WHERE request_id = $1 AND ended_at IS NULL",
                           e.stream_id)
        return
    await _advance(conn, e, "state = $3, due_at = $4::text::timestamptz,"
                            " department_id = CASE WHEN $5 THEN NULL ELSE department_id END",
                   p["state_after"], p["due_at"], p["department_id"] is not None, step="dispatch",
                   due_at=p["due_at"])


@projection.on("Request.Dispatched")
async def dispatched(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    department = UUID(p["department_id"])
    await _advance(conn, e, "state = 'DISPATCHED', due_at = $3::text::timestamptz, department_id = $4",
                   p["due_at"], department, step="accept", due_at=p["due_at"], department=department)


@projection.on("Request.Accepted")
async def accepted(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _advance(conn, e, "state = 'ACCEPTED', due_at = $3::text::timestamptz", p["due_at"], step="resolve",
                   due_at=p["due_at"], department=UUID(p["department_id"]))


@projection.on("Request.SentBack")
async def sent_back(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    due = e.payload["due_at"]
    await _advance(conn, e, "state = 'ESCALATED', due_at = $3::text::timestamptz, department_id = NULL", due,
                   step="dispatch", due_at=due)


@projection.on("Request.Resolved")
async def resolved(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _advance(conn, e, "state = 'RESOLVED', due_at = NULL, resolved_at = $2::text::timestamptz,"
                            " resolutions = resolutions + 1, department_id = $3", _uuid(p["department_id"]),
                   step="feedback")


@projection.on("Request.FedBack")
async def fed_back(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _advance(conn, e, "state = 'FED_BACK'")


@projection.on("Request.Rated")
async def rated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _advance(conn, e, "state = 'RATED', last_rating = $3", e.payload["rating"])


@projection.on("Request.Reopened")
async def reopened(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    state, step = _REOPENED.get(p["to"], ("ESCALATED", "dispatch"))
    department = _uuid(p["department_id"])
    await _advance(conn, e, "state = $3, due_at = $4::text::timestamptz, reopen_count = $5", state, p["due_at"],
                   p["reopen_count"], step=step, due_at=p["due_at"], department=department)


@projection.on("Request.Closed")
async def closed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _advance(conn, e, "state = 'CLOSED', due_at = NULL, closed_at = $2::text::timestamptz")


@projection.on("Request.MergedInto")
async def merged_into(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _advance(conn, e, "state = 'CLOSED', due_at = NULL, merged = true, closed_at = $2::text::timestamptz")
