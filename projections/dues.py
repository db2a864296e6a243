"""The ``dues_assessments`` and ``dues_payments`` read models: each member's dues per year
and every payment, for ``Member.dues`` and the collection totals (``duesCollection``).

Both come from the member stream's dues events (``domain.members.dues``), so one projection
owns them. A payment row keeps the organization that collected it (the member's home when
it was paid, carried by the event), so a later transfer does not move past collections.
The declared income is stored as the event store opens it and cleared by
``Member.PersonalDataErased``; a rebuild after an erasure reads it as null already.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("dues", ("dues_assessments", "dues_payments"))


@projection.on("Member.DuesAssessed")
async def assessed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO dues_assessments (member_id, year, category, declared_income, monthly_amount, basis,"
        " assessed_at) VALUES ($1, $2, $3, $4::text::numeric, $5::text::numeric, $6, $7)",
        e.stream_id, p["year"], p["category"], p["declared_income"], p["monthly_amount"], p["basis"],
        e.recorded_at,
    )


@projection.on("Member.DuesReductionProposed")
async def reduction_proposed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE dues_assessments SET pending_amount = $3::text::numeric, pending_decided_on = $4::text::date,"
        " pending_reference = $5 WHERE member_id = $1 AND year = $2",
        e.stream_id, p["year"], p["monthly_amount"], p["decided_on"], p["decision_reference"],
    )


@projection.on("Member.DuesReductionApproved")
async def reduction_approved(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE dues_assessments SET reduced_to = $3::text::numeric, pending_amount = NULL,"
        " pending_decided_on = NULL, pending_reference = NULL WHERE member_id = $1 AND year = $2",
        e.stream_id, e.payload["year"], e.payload["monthly_amount"],
    )


@projection.on("Member.DuesReductionRejected")
async def reduction_rejected(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE dues_assessments SET pending_amount = NULL, pending_decided_on = NULL, pending_reference = NULL"
        " WHERE member_id = $1 AND year = $2",
        e.stream_id, e.payload["year"],
    )


@projection.on("Member.DuesPaid")
async def paid(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO dues_payments (position, member_id, organization_id, paid_on, first_month, through_month,"
        " months, amount, late_reason, recorded_at) VALUES ($1, $2, $3, $4::text::date, $5::text::date,"
        " $6::text::date, $7, $8::text::numeric, $9, $10)",
        e.position, e.stream_id, UUID(p["home_organization_id"]), p["paid_on"], p["first_month"],
        p["through_month"], p["months"], p["amount"], p["late_reason"], e.recorded_at,
    )


@projection.on("Member.PersonalDataErased")
async def erased(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute("UPDATE dues_assessments SET declared_income = NULL WHERE member_id = $1", e.stream_id)
