"""The ``transfers`` read model: one row per transfer of a member's organizational relationship.

A transfer out of the system has no receiving organization in the tree
(``to_organization_id`` is null) and names the external one (``to_external_*``); its
receipt of acceptance (``Member.TransferredOut``) confirms it like any receipt.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("transfers", ("transfers",))


@projection.on("Member.TransferRequested")
async def requested(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        """
        INSERT INTO transfers (id, member_id, from_organization_id, to_organization_id, scope,
                               state, reason, requested_at, requested_position, updated_at,
                               last_position)
        VALUES ($1, $2, $3, $4, $5, 'REQUESTED', $6, $7, $8, $7, $8)
        """,
        UUID(p["transfer_id"]), e.stream_id, UUID(p["from_organization_id"]),
        UUID(p["to_organization_id"]), p["scope"], e.reason, e.recorded_at, e.position,
    )


@projection.on("Member.ExternalTransferRequested")
async def external_requested(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        """
        INSERT INTO transfers (id, member_id, from_organization_id, to_organization_id, to_external_name,
                               to_external_code, to_external_province, to_external_city, scope, state,
                               reason, requested_at, requested_position, updated_at, last_position)
        VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, 'REQUESTED', $9, $10, $11, $10, $11)
        """,
        UUID(p["transfer_id"]), e.stream_id, UUID(p["from_organization_id"]), p["to_name"], p["to_code"],
        p["to_province"], p["to_city"], p["scope"], e.reason, e.recorded_at, e.position,
    )


async def _update(conn: asyncpg.Connection, e: RecordedEvent, state: str, sets: str, *args: object) -> None:
    extra = f", {sets}" if sets else ""
    await conn.execute(
        f"UPDATE transfers SET state = $2, updated_at = $3, last_position = $4{extra}"
        " WHERE id = $1",
        UUID(e.payload["transfer_id"]), state, e.recorded_at, e.position, *args,
    )


@projection.on("Member.TransferLetterIssued")
async def letter_issued(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _update(
        conn, e, "LETTER_ISSUED",
        "letter_serial = $5, issued_on = $6::text::date, valid_until = $7::text::date",
        p["letter_serial"], p["issued_on"], p["valid_until"],
    )


@projection.on("Member.TransferLetterReissued")
async def letter_reissued(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _update(
        conn, e, "LETTER_ISSUED",
        "letter_serial = $5, issued_on = $6::text::date, valid_until = $7::text::date,"
        " voided_serials = voided_serials || $8::text",
        p["letter_serial"], p["issued_on"], p["valid_until"], p["voided_serial"],
    )


@projection.on("Member.TransferAccepted")
async def accepted(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _update(
        conn, e, "ACCEPTED",
        "accepted_on = $5::text::date, receipt_due_on = $6::text::date, late_justification = $7",
        p["accepted_on"], p["receipt_due_on"], p["late_justification"],
    )


@projection.on("Member.TransferReturned")
async def returned(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _update(conn, e, "RETURNED", "return_reason = $5", e.payload["reason"])


@projection.on("Member.TransferWithdrawn")
async def withdrawn(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _update(conn, e, "WITHDRAWN", "")


@projection.on("Member.TransferExpired")
async def expired(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _update(conn, e, "EXPIRED", "")


@projection.on("Member.TransferReceiptConfirmed", "Member.TransferredOut")
async def receipt_confirmed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _update(
        conn, e, "RECEIPT_CONFIRMED", "receipt_confirmed_on = $5::text::date",
        e.payload["received_on"],
    )


# -- transfers, completed (domain.members.incoming, domain.members.revocation) ------------


@projection.on("Member.IncomingTransferRegistered")
async def incoming_registered(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        """
        INSERT INTO transfers (id, member_id, from_organization_id, to_organization_id, from_external_name,
                               from_external_code, from_external_province, from_external_city, scope, state,
                               letter_serial, issued_on, valid_until, reason, requested_at, requested_position,
                               updated_at, last_position)
        VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, 'LETTER_ISSUED', $9, $10::text::date, $11::text::date,
                $12, $13, $14, $13, $14)
        """,
        UUID(p["transfer_id"]), e.stream_id, UUID(p["to_organization_id"]), p["from_name"], p["from_code"],
        p["from_province"], p["from_city"], p["scope"], p["letter_serial"], p["issued_on"], p["valid_until"],
        e.reason, e.recorded_at, e.position,
    )


@projection.on("Member.IncomingTransferReturned")
async def incoming_returned(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _update(conn, e, "RETURNED", "return_reason = $5", e.payload["reason"])


async def _set(conn: asyncpg.Connection, e: RecordedEvent, sets: str, *args: object) -> None:
    """Columns of the transfer, its state unchanged."""
    await conn.execute(
        f"UPDATE transfers SET updated_at = $2, last_position = $3, {sets} WHERE id = $1",
        UUID(e.payload["transfer_id"]), e.recorded_at, e.position, *args,
    )


@projection.on("Member.TransferApproved")
async def approved(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _set(conn, e, "approved_on = $4::text::date", e.payload["approved_on"])


@projection.on("Member.TransferRejected")
async def rejected(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _update(conn, e, "REJECTED", "rejection_reason = $5", e.payload["reason"])


@projection.on("Member.TransferRevocationProposed")
async def revocation_proposed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _set(conn, e, "revocation_proposed_by = $4, revocation_proposed_on = $5::text::date,"
               " revocation_reason = $6", UUID(p["proposed_by_organization_id"]), p["proposed_on"], p["reason"])


@projection.on("Member.TransferRevocationRejected")
async def revocation_rejected(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _set(conn, e, "revocation_proposed_by = NULL, revocation_proposed_on = NULL, revocation_reason = NULL")


@projection.on("Member.TransferRevoked")
async def revoked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _update(conn, e, "REVOKED", "revoked_on = $5::text::date, revocation_reason = $6",
                  e.payload["approved_on"], e.payload["reason"])
