"""The ``requests`` and ``request_steps`` read models (one request stream each).

``requests`` holds each request's current state: where it is (state, level, department),
the current step's deadline (``due_at``, ``due_step``: the overdue lists compare it with the
clock, and the escalation sweep reads it), and ``swept_due``, the deadline the sweep has
escalated already. ``request_steps`` holds every event of the request with who, when
(the step's own ``at``) and why: the request's history as the API lists it.

The resident's name and phone (from the request's ``RequestContact`` stream) are held in
plaintext, as the event store opens them (like ``members``), and cleared when erased; the
GraphQL layer masks them for those who do not handle the request.
"""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("requests", ("requests", "request_steps"))

_REOPENED = {"COMMUNITY": ("TAKEN", "handle"), "DEPARTMENT": ("ACCEPTED", "resolve")}
"""Where a reopened request goes (the state and the step whose deadline runs); else the street."""


async def _step(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    department = p.get("department_id")
    await conn.execute(
        "INSERT INTO request_steps (request_id, position, type, at, actor, actor_roles, reason, department_id,"
        " detail) VALUES ($1, $2, $3, $4::text::timestamptz, $5, $6, $7, $8, $9::text::jsonb)",
        e.stream_id, e.position, e.event_type.removeprefix("Request."), p.get("at") or p["reported_at"], e.actor,
        list(e.actor_roles), e.reason, UUID(department) if department else None, json.dumps(p, ensure_ascii=False),
    )


async def _touch(conn: asyncpg.Connection, e: RecordedEvent, sets: str = "", *args: object) -> None:
    extra = f", {sets}" if sets else ""
    await conn.execute(
        f"UPDATE requests SET version = $2, updated_at = $3::text::timestamptz, last_position = $4{extra}"
        " WHERE id = $1",
        e.stream_id, e.version, e.payload.get("at") or e.payload.get("reported_at"), e.position, *args,
    )
    await _step(conn, e)


@projection.on("Request.Reported")
async def reported(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    point = p["point"] or (None, None)
    await conn.execute(
        """
        INSERT INTO requests (id, organization_id, grid_id, category, description, urgency, source, longitude,
                              latitude, address, attachments, external_ref, state, level, due_at, due_step,
                              reported_at, reported_by, updated_at, version, reported_position, last_position)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb, $12, 'REPORTED', 'COMMUNITY',
                $13::text::timestamptz, 'respond', $14::text::timestamptz, $15, $14::text::timestamptz, $16,
                $17, $17)
        """,
        e.stream_id, UUID(p["organization_id"]), UUID(p["grid_id"]), p["category"], p["description"], p["urgency"],
        p["source"], point[0], point[1], p["address"], json.dumps(p["attachments"], ensure_ascii=False),
        p["external_ref"], p["due_at"], p["reported_at"], e.actor, e.version, e.position,
    )
    await _step(conn, e)


@projection.on("RequestContact.Recorded")
async def contact_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    """The resident, as the store opens it (appended after ``Request.Reported``)."""
    p = e.payload
    await conn.execute("UPDATE requests SET contact_id = $2, resident_name = $3, phone = $4 WHERE id = $1",
                       UUID(p["request_id"]), e.stream_id, p["resident_name"], p["phone"])


@projection.on("RequestContact.PersonalDataErased")
async def contact_erased(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute("UPDATE requests SET resident_name = NULL, phone = NULL, personal_data_erased_at = $2"
                       " WHERE contact_id = $1", e.stream_id, e.recorded_at)


@projection.on("Request.Taken")
async def taken(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "state = 'TAKEN', level = 'COMMUNITY', due_at = $5::text::timestamptz,"
                          " due_step = 'handle'", e.payload["due_at"])


@projection.on("Request.Escalated")
async def escalated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    """By hand (the community) or by the sweep (``automatic``: it records the deadline it escalated).
    A change of state starts the next step's deadline; an escalation within the state (to the
    district's or the street's attention) leaves it."""
    p = e.payload
    await _touch(conn, e, "level = $5, due_at = CASE WHEN state <> $6 THEN $7::text::timestamptz ELSE due_at END,"
                          " due_step = CASE WHEN state <> $6 THEN 'dispatch' ELSE due_step END, state = $6,"
                          " swept_due = CASE WHEN $8 THEN $9::text::timestamptz ELSE swept_due END,"
                          " escalations = escalations + 1,"
                          " department_id = CASE WHEN $10 THEN NULL ELSE department_id END",
                 p["level"], p["state_after"], p["due_at"], p["automatic"], p["overdue_due_at"],
                 p["department_id"] is not None)


@projection.on("Request.Dispatched")
async def dispatched(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _touch(conn, e, "state = 'DISPATCHED', level = 'DEPARTMENT', department_id = $5,"
                          " due_at = $6::text::timestamptz, due_step = 'accept'", UUID(p["department_id"]), p["due_at"])


@projection.on("Request.Accepted")
async def accepted(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "state = 'ACCEPTED', due_at = $5::text::timestamptz, due_step = 'resolve'",
                 e.payload["due_at"])


@projection.on("Request.SentBack")
async def sent_back(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "state = 'ESCALATED', level = 'STREET', department_id = NULL,"
                          " due_at = $5::text::timestamptz, due_step = 'dispatch'", e.payload["due_at"])


@projection.on("Request.Resolved")
async def resolved(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _touch(conn, e, "state = 'RESOLVED', result = $5, resolved_by = $6, resolved_at = $7::text::timestamptz,"
                          " due_at = NULL, due_step = NULL", p["result"], p["by"], p["at"])


@projection.on("Request.FedBack")
async def fed_back(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "state = 'FED_BACK'")


@projection.on("Request.Rated")
async def rated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "state = 'RATED', rating = $5", e.payload["rating"])


@projection.on("Request.Reopened")
async def reopened(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    state, step = _REOPENED.get(p["to"], ("ESCALATED", "dispatch"))
    await _touch(conn, e, "state = $5, level = $6, due_at = $7::text::timestamptz, due_step = $8, rating = NULL,"
                          " reopen_count = $9, department_id = CASE WHEN $6 = 'DEPARTMENT' THEN department_id END",
                 state, p["to"], p["due_at"], step, p["reopen_count"])


@projection.on("Request.Closed")
async def closed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "state = 'CLOSED', closed_at = $5::text::timestamptz, due_at = NULL, due_step = NULL",
                 e.payload["at"])


@projection.on("Request.MergedInto")
async def merged_into(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _touch(conn, e, "state = 'CLOSED', merged_into = $5, closed_at = $6::text::timestamptz, due_at = NULL,"
                          " due_step = NULL", UUID(p["into_id"]), p["at"])


@projection.on("Request.DuplicateMerged")
async def duplicate_merged(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e)
