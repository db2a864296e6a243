"""The ``mobile_cards`` read model: every activity card (流动党员活动证) issued, its inflow
organization (of the tree or outside it), its latest yearly review and its closing, for
``Member.mobileCard`` and ``members(filter: {mobile: true})`` (``domain.members.mobile``)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("mobile_cards", ("mobile_cards",))


@projection.on("Member.MobileCardIssued")
async def issued(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    inflow = p["inflow_organization_id"]
    await conn.execute(
        "INSERT INTO mobile_cards (number, member_id, issued_position, issued_on, outflow_organization_id,"
        " inflow_organization_id, inflow_name, inflow_province, inflow_city, inflow_code)"
        " VALUES ($1, $2, $3, $4::text::date, $5, $6, $7, $8, $9, $10)",
        p["number"], e.stream_id, e.position, p["issued_on"], UUID(p["outflow_organization_id"]),
        None if inflow is None else UUID(inflow), p["inflow_name"], p["inflow_province"], p["inflow_city"],
        p["inflow_code"],
    )


@projection.on("Member.MobileCardReviewed")
async def reviewed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute("UPDATE mobile_cards SET last_reviewed_on = $2::text::date WHERE number = $1",
                       e.payload["number"], e.payload["reviewed_on"])


@projection.on("Member.MobileCardClosed")
async def closed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute("UPDATE mobile_cards SET closed_on = $2::text::date WHERE number = $1",
                       e.payload["number"], e.payload["returned_on"])
