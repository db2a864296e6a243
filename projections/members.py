"""The ``members`` read model: one row per member with the current home organization.

It holds ID numbers and phones in plaintext, as the event store opens them
(``eventstore.personal_keys``), so that the admins who need them read them without
unwrapping keys; ``Member.PersonalDataErased`` clears them and records when. A rebuild
after an erasure reads those values as null from the log already.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.members.exits import EXIT_EVENTS
from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("members", ("members",))


@projection.on("Member.Registered")
async def registered(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        """
        INSERT INTO members (id, name, gender, birth_date, ethnicity, id_number, phone, standing,
                             joined_on, home_organization_id, dues_paid_through, version,
                             registered_at, updated_at, last_position)
        VALUES ($1, $2, $3, $4::text::date, $5, $6, $7, $8, $9::text::date, $10,
                $11::text::date, $12, $13, $13, $14)
        """,
        e.stream_id, p["name"], p["gender"], p["birth_date"], p["ethnicity"], p["id_number"],
        p["phone"], p["standing"], p["joined_on"], UUID(p["home_organization_id"]),
        p["dues_paid_through"], e.version, e.recorded_at, e.position,
    )


@projection.on("Member.DetailsCorrected")
async def details_corrected(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        """
        UPDATE members SET name = $2, gender = $3, birth_date = $4::text::date, ethnicity = $5,
               phone = $6, joined_on = $7::text::date, dues_paid_through = $8::text::date,
               version = $9, updated_at = $10, last_position = $11
         WHERE id = $1
        """,
        e.stream_id, p["name"], p["gender"], p["birth_date"], p["ethnicity"], p["phone"],
        p["joined_on"], p["dues_paid_through"], e.version, e.recorded_at, e.position,
    )


@projection.on("Member.PersonalDataErased")
async def personal_data_erased(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE members SET id_number = NULL, phone = NULL, personal_data_erased_at = $2,"
        " version = $3, updated_at = $2, last_position = $4 WHERE id = $1",
        e.stream_id, e.recorded_at, e.version, e.position,
    )


@projection.on("Member.ConvertedToFull")
async def converted(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE members SET standing = 'FULL', converted_on = $2::text::date, version = $3,"
        " updated_at = $4, last_position = $5 WHERE id = $1",
        e.stream_id, e.payload["converted_on"], e.version, e.recorded_at, e.position,
    )


@projection.on("Member.TransferAccepted")
async def transfer_accepted(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE members SET home_organization_id = $2, version = $3, updated_at = $4,"
        " last_position = $5 WHERE id = $1",
        e.stream_id, UUID(e.payload["to_organization_id"]), e.version, e.recorded_at, e.position,
    )


_EXIT_DATE = {"Member.DeathRecorded": "died_on", "Member.WithdrawalRecorded": "withdrew_on",
              "Member.Expelled": "decided_on", "Member.RemovalApproved": "approved_on",
              "Member.TransferredOut": "received_on", "Member.IncomingTransferReturned": "returned_on"}


@projection.on(*EXIT_EVENTS)
async def exited(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    # The home stays: it is the organization the member left, where the record is read.
    p = e.payload
    await conn.execute(
        "UPDATE members SET exit_kind = $2, exited_on = $3::text::date, exit_reference = $4,"
        " removal_proposed_on = NULL, removal_reference = NULL, version = $5, updated_at = $6,"
        " last_position = $7 WHERE id = $1",
        e.stream_id, EXIT_EVENTS[e.event_type].value, p[_EXIT_DATE[e.event_type]],
        p.get("decision_reference") or p.get("letter_serial"), e.version, e.recorded_at, e.position,
    )


@projection.on("Member.TransferRevoked")
async def transfer_revoked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    # The previous home again; out of the system the member comes back (the exit is undone).
    back = e.payload["left_organization_id"] is None
    await conn.execute(
        "UPDATE members SET home_organization_id = $2, version = $3, updated_at = $4, last_position = $5"
        + (", exit_kind = NULL, exited_on = NULL, exit_reference = NULL" if back else "") + " WHERE id = $1",
        e.stream_id, UUID(e.payload["home_organization_id"]), e.version, e.recorded_at, e.position,
    )


@projection.on("PartyLifeMeeting.Recorded")
async def meeting_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    # Attending a meeting is Party life: the six-month review's evidence (domain.members.party_life).
    # The members' own streams did not change, so their versions stay.
    await conn.execute(
        "UPDATE members SET last_party_life_on = greatest(last_party_life_on, $2::text::date)"
        " WHERE id = ANY($1::uuid[])",
        [UUID(m) for m in e.payload["attended"]], e.payload["held_on"],
    )


@projection.on("Member.RemovalProposed")
async def removal_proposed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE members SET removal_proposed_on = $2::text::date, removal_reference = $3, version = $4,"
        " updated_at = $5, last_position = $6 WHERE id = $1",
        e.stream_id, e.payload["decided_on"], e.payload["decision_reference"], e.version, e.recorded_at,
        e.position,
    )


@projection.on("Member.RemovalRejected")
async def removal_rejected(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE members SET removal_proposed_on = NULL, removal_reference = NULL, version = $2,"
        " updated_at = $3, last_position = $4 WHERE id = $1",
        e.stream_id, e.version, e.recorded_at, e.position,
    )


@projection.on("Member.DuesPaid")
async def dues_paid(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    # The paid-through month and the last payment: the review's dues evidence.
    await conn.execute(
        "UPDATE members SET dues_paid_through = $2::text::date,"
        " last_dues_paid_on = greatest(last_dues_paid_on, $3::text::date), version = $4, updated_at = $5,"
        " last_position = $6 WHERE id = $1",
        e.stream_id, e.payload["through_month"], e.payload["paid_on"], e.version, e.recorded_at, e.position,
    )


_ACTIVITY_COLUMN = {"PARTY_LIFE": "last_party_life_on", "ASSIGNED_WORK": "last_assigned_work_on"}


@projection.on("Member.ActivityRecorded")
async def activity_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    column = _ACTIVITY_COLUMN[e.payload["kind"]]  # an unknown kind stops the projection loudly
    await conn.execute(
        f"UPDATE members SET {column} = greatest({column}, $2::text::date), version = $3, updated_at = $4,"
        " last_position = $5 WHERE id = $1",
        e.stream_id, e.payload["on"], e.version, e.recorded_at, e.position,
    )


@projection.on(
    "Member.DuesAssessed", "Member.DuesReductionProposed", "Member.DuesReductionApproved",
    "Member.DuesReductionRejected",
    "Member.TransferRequested", "Member.ExternalTransferRequested", "Member.TransferLetterIssued",
    "Member.TransferLetterReissued",
    "Member.TransferReturned",
    "Member.TransferWithdrawn", "Member.TransferExpired", "Member.TransferReceiptConfirmed",
    "Member.IncomingTransferRegistered", "Member.TransferApproved", "Member.TransferRejected",
    "Member.TransferRevocationProposed", "Member.TransferRevocationRejected",
)
async def version_only(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    # The row does not change, but its version must follow the stream so that clients
    # can state the version they expect.
    await conn.execute(
        "UPDATE members SET version = $2, updated_at = $3, last_position = $4 WHERE id = $1",
        e.stream_id, e.version, e.recorded_at, e.position,
    )
