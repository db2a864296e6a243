"""The ``dues_accounts`` and ``dues_account_entries`` read models: organizations' dues accounts
(``domain.funds.dues_account``) and every movement of them: remitted up, received from
below, allocated to a red fund.

Both come from the dues account's stream, so one projection owns them. An account's figures
are sums over its rows (``DuesAccount`` in GraphQL); what the organization collected comes
from the members area's ``dues_payments``, read where it is shown, never copied here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("dues_accounts", ("dues_accounts", "dues_account_entries"))

_INSERT = """
INSERT INTO dues_account_entries (account_id, version, position, organization_id, year, entry, amount,
                                  business_date, months, counterpart_organization_id, fund_id, reference_id,
                                  document_no, recorded_at, actor)
SELECT $1, $2, $3, a.organization_id, a.year, $4, $5::text::numeric, $6::text::date, $7::int[], $8, $9, $10,
       $11, $12, $13
  FROM dues_accounts a WHERE a.id = $1
"""


@projection.on("DuesAccount.Opened")
async def opened(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await conn.execute("INSERT INTO dues_accounts (id, organization_id, year, opened_at) VALUES ($1, $2, $3, $4)",
                       e.stream_id, UUID(e.payload["organization_id"]), e.payload["year"], e.recorded_at)


async def _entry(conn: asyncpg.Connection, e: RecordedEvent, entry: str, on: str, reference: str,
                 months: list[int] | None = None, counterpart: Any = None, fund: Any = None) -> None:
    p = e.payload
    await conn.execute(_INSERT, e.stream_id, e.version, e.position, entry, p["amount"], p[on], months,
                       None if counterpart is None else UUID(counterpart), None if fund is None else UUID(fund),
                       UUID(p[reference]), p["document_no"], e.recorded_at, e.actor)


@projection.on("DuesAccount.Remitted")
async def remitted(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _entry(conn, e, "REMITTED", "remitted_on", "remittance_id", e.payload["months"],
                 e.payload["to_organization_id"])


@projection.on("DuesAccount.RemittanceReceived")
async def received(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _entry(conn, e, "RECEIVED", "remitted_on", "remittance_id", e.payload["months"],
                 e.payload["from_organization_id"])


@projection.on("DuesAccount.AllocatedToRedFund")
async def allocated(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _entry(conn, e, "ALLOCATED", "allocated_on", "allocation_id", fund=e.payload["fund_id"])
