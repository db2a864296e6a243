"""The ``shops`` read model and the shop's own lists: ``shop_objections``,
``shop_complaints`` and ``shop_scores`` (one shop stream each).

``shops`` holds each shop's details and where it stands (``state``: an open application's
step, or AWARDED / REVOKED / REGISTERED), with its open application's notice and
objections, its plaque and its latest stars. Complainants' names and phones (from the
complaint's ``ShopComplainant`` stream) are held in plaintext, as the event store opens
them (like ``members``), and cleared when they are erased; the GraphQL layer masks them
for those who may not see them. Plaque tenures, the source of the reconciliation, are
``projections.shop_tenures``.
"""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("shops", ("shops", "shop_objections", "shop_complaints", "shop_scores"))
STARS = {"FIVE_STARS": 5, "THREE_STARS": 3}


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


async def _touch(conn: asyncpg.Connection, e: RecordedEvent, sets: str = "", *args: object) -> None:
    extra = f", {sets}" if sets else ""
    await conn.execute(
        f"UPDATE shops SET version = $2, updated_at = $3, last_position = $4{extra} WHERE id = $1",
        e.stream_id, e.version, e.recorded_at, e.position, *args,
    )


@projection.on("Shop.Registered")
async def registered(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    point = p["point"] or [None, None]
    await conn.execute(
        """
        INSERT INTO shops (id, organization_id, name, credit_code, licence_valid_until, address, longitude,
                           latitude, category, owner_member_id, operator_name, responsible_member_id,
                           operator_subject, state, version, registered_by, created_at, updated_at,
                           registered_position, last_position)
        VALUES ($1, $2, $3, $4, $5::text::date, $6, $7, $8, $9, $10, $11, $12, $13, 'REGISTERED', $14, $15, $16,
                $16, $17, $17)
        """,
        e.stream_id, UUID(p["organization_id"]), p["name"], p["credit_code"], p["licence_valid_until"],
        p["address"], point[0], point[1], p["category"], _uuid(p["owner_member_id"]), p["operator_name"],
        _uuid(p["responsible_member_id"]), p["operator_subject"], e.version, e.actor, e.recorded_at, e.position,
    )


@projection.on("Shop.DetailsUpdated")
async def details_updated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    """Each changed detail (``null`` in the payload: unchanged)."""
    p = e.payload
    point = p["point"] or [None, None]
    await _touch(conn, e, "licence_valid_until = coalesce($5::text::date, licence_valid_until),"
                          " address = coalesce($6, address), category = coalesce($7, category),"
                          " longitude = coalesce($8, longitude), latitude = coalesce($9, latitude)",
                 p["licence_valid_until"], p["address"], p["category"], point[0], point[1])


@projection.on("Shop.Applied")
async def applied(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _touch(conn, e, "state = 'APPLIED', round_id = $5, application_id = $6, notice_until = NULL,"
                          " open_objections = 0, refused_reason = NULL",
                 UUID(p["round_id"]), UUID(p["application_id"]))


@projection.on("Shop.Recommended", "Shop.PreReviewed", "Shop.Approved")
async def advanced(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    state = {"Shop.Recommended": "RECOMMENDED", "Shop.PreReviewed": "PRE_REVIEWED",
             "Shop.Approved": "APPROVED"}[e.event_type]
    await _touch(conn, e, "state = $5", state)


@projection.on("Shop.PledgeSigned")
async def pledge_signed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "state = 'IN_NOTICE', notice_until = $5::text::date", e.payload["notice_until"])


@projection.on("Shop.ObjectionFiled")
async def objection_filed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO shop_objections (id, shop_id, application_id, filed_on, text, filed_by, position)"
        " VALUES ($1, $2, $3, $4::text::date, $5, $6, $7)",
        UUID(p["objection_id"]), e.stream_id, UUID(p["application_id"]), p["filed_on"], p["text"], e.actor,
        e.position,
    )
    await _touch(conn, e, "open_objections = open_objections + 1")


@projection.on("Shop.ObjectionResolved")
async def objection_resolved(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE shop_objections SET upheld = $2, resolution = $3, resolved_on = $4::text::date WHERE id = $1",
        UUID(p["objection_id"]), p["upheld"], p["resolution"], p["resolved_on"],
    )
    await _touch(conn, e, "open_objections = open_objections - 1")


@projection.on("Shop.Refused")
async def refused(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e, "application_id = NULL, notice_until = NULL, refused_reason = $5,"
                          " state = CASE WHEN revoked_on IS NULL THEN 'REGISTERED' ELSE 'REVOKED' END",
                 e.payload["reason"])


@projection.on("Shop.PlaqueAwarded")
async def plaque_awarded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _touch(conn, e, "state = 'AWARDED', application_id = NULL, notice_until = NULL, plaque_serial = $5,"
                          " awarded_on = $6::text::date, revoked_on = NULL, revoked_reason = NULL, stars = NULL",
                 p["plaque_serial"], p["awarded_on"])


@projection.on("Shop.Revoked")
async def revoked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _touch(conn, e, "state = 'REVOKED', plaque_serial = NULL, revoked_on = $5::text::date,"
                          " revoked_reason = $6, stars = NULL", p["revoked_on"], p["reason"])


@projection.on("Shop.PlaqueRecovered")
async def plaque_recovered(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _touch(conn, e)


@projection.on("Shop.ComplaintRecorded")
async def complaint_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    organization = await conn.fetchval("SELECT organization_id FROM shops WHERE id = $1", e.stream_id)
    await conn.execute(
        "INSERT INTO shop_complaints (id, shop_id, organization_id, channel, received_on, summary,"
        " recorded_by, position)"
        " VALUES ($1, $2, $3, $4, $5::text::date, $6, $7, $8)",
        UUID(p["complaint_id"]), e.stream_id, organization, p["channel"], p["received_on"], p["summary"],
        e.actor, e.position,
    )
    await _touch(conn, e)


@projection.on("ShopComplainant.Recorded")
async def complainant_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    """Who complained, as the store opens it (appended after ``Shop.ComplaintRecorded``; the
    complainant's stream id is the complaint's)."""
    await conn.execute("UPDATE shop_complaints SET complainant_name = $2, phone = $3 WHERE id = $1",
                       e.stream_id, e.payload["complainant_name"], e.payload["phone"])


@projection.on("ShopComplainant.PersonalDataErased")
async def complainant_erased(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute("UPDATE shop_complaints SET complainant_name = NULL, phone = NULL,"
                       " personal_data_erased_at = $2 WHERE id = $1", e.stream_id, e.recorded_at)


@projection.on("Shop.ComplaintInvestigated")
async def complaint_investigated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute("UPDATE shop_complaints SET state = 'INVESTIGATING', investigator = $2 WHERE id = $1",
                       UUID(p["complaint_id"]), p["investigator"])
    await _touch(conn, e)


@projection.on("Shop.ComplaintConcluded")
async def complaint_concluded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE shop_complaints SET state = 'CONCLUDED', verified = $2, serious = $3, conclusion = $4,"
        " concluded_on = $5::text::date WHERE id = $1",
        UUID(p["complaint_id"]), p["verified"], p["serious"], p["conclusion"], p["concluded_on"],
    )
    await _touch(conn, e)


@projection.on("Shop.QuarterScored")
async def quarter_scored(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO shop_scores (shop_id, year, quarter, scores, total, scored_on, scored_by, position)"
        " VALUES ($1, $2, $3, $4::text::jsonb, $5, $6::text::date, $7, $8)",
        e.stream_id, p["year"], p["quarter"], json.dumps(p["scores"]), p["total"], p["scored_on"], e.actor,
        e.position,
    )
    await _touch(conn, e)


@projection.on("Shop.YearReviewed")
async def year_reviewed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    stars = STARS.get(e.payload["outcome"])
    await _touch(conn, e, "stars = coalesce($5, stars)", stars)
