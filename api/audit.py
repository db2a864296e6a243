"""What auditors ask of a fund's past, answered from the event log itself.

Deliberately not from the read models: the state as of a recorded instant is rebuilt
by replaying the fund's events recorded up to that instant through the domain model,
so it cannot inherit a projection's bug, and the balance on a business date is folded
from the same events' payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import asyncpg

from domain import events as ev
from domain.funds import Fund, Project, balance_on
from eventstore.postgres import row_to_event

ev.register(Fund)

_COLUMNS = (
    "position, stream_id, stream_type, version, event_id, event_type, schema_version, payload,"
    " recorded_at, actor, actor_roles, correlation_id, causation_id, command_id, reason"
)


@dataclass(frozen=True)
class FundAsOf:
    """A fund's state rebuilt from the events recorded up to ``at``."""

    fund_id: UUID
    at: datetime
    version: int
    position: int
    organization_id: UUID
    year: int
    kind: str
    allocated: Decimal
    paid: Decimal
    committed: Decimal
    balance: Decimal
    available: Decimal
    closed: bool
    projects: list[Project]


async def fund_as_of(conn: asyncpg.Pool | asyncpg.Connection, fund_id: UUID,
                     at: datetime) -> FundAsOf | None:
    """The fund as it stood at ``at`` (None if it did not exist yet)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND stream_type = 'Fund'"
        " AND recorded_at <= $2 ORDER BY version",
        fund_id, at,
    )
    if not rows:
        return None
    fund = ev.replay(Fund, (row_to_event(r) for r in rows))
    assert fund is not None
    return FundAsOf(
        fund_id=fund.id, at=at, version=fund.version, position=rows[-1]["position"],
        organization_id=fund.organization_id, year=fund.year, kind=fund.kind.value,
        allocated=fund.allocated, paid=fund.paid, committed=fund.committed,
        balance=fund.balance, available=fund.available, closed=fund.closed,
        projects=list(fund.projects.values()),
    )


async def fund_balance_on(conn: asyncpg.Pool | asyncpg.Connection, fund_id: UUID,
                          on: date) -> Decimal | None:
    """The fund's balance on business date ``on``, from every event recorded so far."""
    rows = await conn.fetch(
        "SELECT event_type, payload FROM events WHERE stream_id = $1 AND stream_type = 'Fund'"
        " ORDER BY version",
        fund_id,
    )
    if not rows:
        return None
    return balance_on(((r["event_type"], r["payload"]) for r in rows), on)
