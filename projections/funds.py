"""The ``funds`` and ``projects`` read models: each fund's figures and its projects.

Both tables come from the fund stream, so one projection owns them and they always
agree with each other. Every figure is derived from event payloads alone (events carry
the commitments they release), never from another projection's tables.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("funds", ("funds", "projects"))


async def _fund(conn: asyncpg.Connection, e: RecordedEvent, sets: str = "", *args: object) -> None:
    """Apply ``sets`` (with parameters from $4) to the fund row and stamp the event."""
    extra = f", {sets}" if sets else ""
    last = len(args) + 4
    await conn.execute(
        f"UPDATE funds SET version = $2, updated_at = $3, last_position = ${last}{extra} WHERE id = $1",
        e.stream_id, e.version, e.recorded_at, *args, e.position,
    )


async def _project(conn: asyncpg.Connection, e: RecordedEvent, sets: str, *args: object) -> None:
    """Apply ``sets`` (with parameters from $4) to the event's project row."""
    await conn.execute(
        f"UPDATE projects SET updated_at = $2, last_position = $3, {sets} WHERE id = $1",
        UUID(e.payload["project_id"]), e.recorded_at, e.position, *args,
    )


@projection.on("Fund.Opened")
async def opened(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO funds (id, organization_id, year, kind, version, opened_at, updated_at,"
        " last_position) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
        e.stream_id, UUID(p["organization_id"]), p["year"], p["kind"], e.version, e.recorded_at,
        e.position,
    )


@projection.on("Fund.Allocated")
async def allocated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _fund(conn, e, "allocated = allocated + $4::numeric, dues_balance = dues_balance + $5::numeric",
                e.payload["amount"], e.payload["dues"])


@projection.on("Fund.ProjectProposed")
async def project_proposed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        """
        INSERT INTO projects (id, fund_id, organization_id, year, category, title, purpose,
                              beneficiaries, amount, state, proposed_by, proposed_at, updated_at,
                              proposed_position, last_position, review_flags)
        SELECT $1, f.id, f.organization_id, f.year, $3, $4, $5, $6, $7::numeric, 'PROPOSED', $8,
               $9, $9, $10, $10, $11
          FROM funds f WHERE f.id = $2
        """,
        UUID(p["project_id"]), e.stream_id, p["category"], p["title"], p["purpose"],
        p["beneficiaries"], p["amount"], p["proposed_by"], e.recorded_at, e.position,
        list(p.get("review_flags") or []),
    )
    await _fund(conn, e)


@projection.on("Fund.ProjectDecisionRecorded")
async def decision_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _project(conn, e, "state = 'DECIDED', meeting_on = $4::text::date, attendees = $5,"
                   " resolution = $6", p["meeting_on"], p["attendees"], p["resolution"])
    await _fund(conn, e)


@projection.on("Fund.ProjectApproved")
async def approved(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _project(conn, e, "state = 'APPROVED', approved_amount = $4::numeric, approved_by = $5,"
                   " approved_at = $6", p["approved_amount"], p["approved_by"], e.recorded_at)
    await _fund(conn, e, "committed = committed + $4::numeric", p["approved_amount"])


@projection.on("Fund.ProjectRejected")
async def rejected(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _project(conn, e, "state = 'REJECTED'")
    await _fund(conn, e)


@projection.on("Fund.ProjectCancelled")
async def cancelled(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _project(conn, e, "state = 'CANCELLED'")
    await _fund(conn, e, "committed = committed - $4::numeric", e.payload["released"])


@projection.on("Fund.PaymentRecorded")
async def payment_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    amount = e.payload["amount"]
    await _project(conn, e, "paid = paid + $4::numeric", amount)
    await _fund(conn, e, "paid = paid + $4::numeric, committed = committed - $4::numeric,"
                " dues_balance = dues_balance - $5::numeric", amount, e.payload["from_dues"])


@projection.on("Fund.PaymentReversed")
async def payment_reversed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _project(conn, e, "paid = paid - $4::numeric", p["amount"])
    await _fund(conn, e, "paid = paid - $4::numeric, committed = committed + $5::numeric,"
                " dues_balance = dues_balance + $6::numeric", p["amount"], p["recommitted"], p["from_dues"])


@projection.on("Fund.ProjectAccepted")
async def accepted(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _project(conn, e, "state = 'ACCEPTED', accepted_on = $4::text::date",
                   e.payload["accepted_on"])
    await _fund(conn, e)


@projection.on("Fund.DisclosurePublished")
async def disclosure_published(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _project(conn, e, "state = 'DISCLOSED', disclosed_on = $4::text::date, disclosure = $5",
                   p["published_on"], p["summary"])
    await _fund(conn, e, "committed = committed - $4::numeric", p["released"])


@projection.on("Fund.PeriodDisclosed")
async def period_disclosed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _fund(conn, e)  # moves no money; the fund's version moves on (fund_disclosures has the rest)


@projection.on("Fund.YearClosed")
async def year_closed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    nxt = UUID(p["next_fund_id"]) if p["next_fund_id"] else None
    await _fund(conn, e, "status = 'CLOSED', moved_out = moved_out + $4::numeric, year_end = $5,"
                " closed_on = $6::text::date, next_fund_id = coalesce($7, next_fund_id)",
                p["balance"], p["disposition"], p["closed_on"], nxt)


@projection.on("Fund.ProjectCarriedOut")
async def project_carried_out(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    """The project's unpaid commitment leaves with it; its row moves with ``ProjectCarriedIn``,
    which follows in the same append."""
    p = e.payload
    await _fund(conn, e, "committed = committed - $4::numeric, moved_out = moved_out + $4::numeric,"
                " next_fund_id = $5", p["amount"], UUID(p["next_fund_id"]))


@projection.on("Fund.ProjectCarriedIn")
async def project_carried_in(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    """The project now belongs to this fund (its figures travel whole; the row keeps its
    proposal, decision and approval)."""
    p = e.payload
    await conn.execute(
        "UPDATE projects SET fund_id = f.id, year = f.year, state = $2, updated_at = $3,"
        " last_position = $4 FROM funds f WHERE projects.id = $1 AND f.id = $5",
        UUID(p["project_id"]), p["state"], e.recorded_at, e.position, e.stream_id,
    )
    await _fund(conn, e, "allocated = allocated + $4::numeric, committed = committed + $4::numeric",
                p["carried"])


@projection.on("Fund.GrantMade")
async def grant_made(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    """Money left the red fund for another ledger (counted with what a close moves out)."""
    await _fund(conn, e, "moved_out = moved_out + $4::numeric, dues_balance = dues_balance - $5::numeric",
                e.payload["amount"], e.payload["from_dues"])


@projection.on("Fund.GrantReceived")
async def grant_received(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _fund(conn, e, "allocated = allocated + $4::numeric, dues_balance = dues_balance + $5::numeric",
                e.payload["amount"], e.payload["from_dues"])
