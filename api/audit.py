"""What auditors ask of a fund's past, answered from the event log itself.

Deliberately not from the read models: the state as of a recorded instant is rebuilt
from the fund's events recorded up to that instant, so it cannot inherit a projection's
bug, and the balance on a business date is folded from the same events' payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import asyncpg

from domain.funds.aggregate import Fund
from domain.funds.ledger import BALANCE_ON_FIELDS, FOLD_FIELDS, FundFigures, ProjectFigures, balance_on
from domain.shared import events as ev
from eventstore.postgres import EVENT_COLUMNS, row_to_event

# The fold reads only these payload fields; extracting them as text in SQL spares
# parsing every payload's JSON in Python (3x faster on 10,000 events).
_FOLD_SELECT = (
    "SELECT version, position, event_type, "
    + ", ".join(f"payload->>'{k}' AS {k}" for k in FOLD_FIELDS)
    + " FROM events WHERE stream_id = $1 AND stream_type = 'Fund' AND recorded_at <= $2"
    " ORDER BY version"
)


@dataclass(frozen=True)
class FundAsOf:
    """A fund's state rebuilt from the events recorded up to ``at``."""

    fund_id: UUID
    at: datetime
    version: int
    position: int
    allocated: Decimal
    paid: Decimal
    committed: Decimal
    balance: Decimal
    available: Decimal
    closed: bool
    projects: list[ProjectFigures]
    method: str
    """``fold`` (payloads folded by domain/funds/ledger.py) or ``aggregate`` (the domain
    model replayed event by event); both read the log, never a read model."""


async def fund_as_of(conn: asyncpg.Pool | asyncpg.Connection, fund_id: UUID, at: datetime,
                     *, aggregate: bool = False) -> FundAsOf | None:
    """The fund as it stood at ``at`` (None if it did not exist yet).

    By default the recorded payloads are folded (fast: what an auditor's screen asks);
    with ``aggregate`` the domain model itself is replayed, event by event.
    """
    if aggregate:
        return await _replayed(conn, fund_id, at)
    rows = await conn.fetch(_FOLD_SELECT, fund_id, at)
    if not rows:
        return None
    f = FundFigures().fold((r["version"], r["position"], r["event_type"], r) for r in rows)
    return FundAsOf(
        fund_id=fund_id, at=at, version=f.version, position=f.position, allocated=f.allocated,
        paid=f.paid, committed=f.committed, balance=f.balance, available=f.available,
        closed=f.closed, projects=list(f.projects.values()), method="fold",
    )


async def _replayed(conn: asyncpg.Pool | asyncpg.Connection, fund_id: UUID,
                    at: datetime) -> FundAsOf | None:
    rows = await conn.fetch(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_type = 'Fund'"
        " AND recorded_at <= $2 ORDER BY version",
        fund_id, at,
    )
    if not rows:
        return None
    fund = ev.replay(Fund, (row_to_event(r) for r in rows))
    assert fund is not None
    projects = [ProjectFigures(str(p.id), p.title, p.category.value, p.state.value, p.amount,
                               p.approved_amount, p.paid) for p in fund.projects.values()]
    return FundAsOf(
        fund_id=fund.id, at=at, version=fund.version, position=rows[-1]["position"],
        allocated=fund.allocated, paid=fund.paid, committed=fund.committed,
        balance=fund.balance, available=fund.available, closed=fund.closed,
        projects=projects, method="aggregate",
    )


async def fund_balance_on(conn: asyncpg.Pool | asyncpg.Connection, fund_id: UUID,
                          on: date, as_recorded_at: datetime | None = None) -> Decimal | None:
    """The fund's balance on business date ``on``, folded from the events recorded by
    ``as_recorded_at`` (by default: every event recorded so far). None if the fund had no
    event by then.

    Bitemporal: ``on`` is the business axis (money counts on its own date), the recording
    instant the knowledge axis. A reversal recorded on 20 March of a 3 March payment
    changes the balance on 10 March as known from 20 March on; asked as recorded on 19
    March, the 10 March balance still shows the payment, as the books did then.
    """
    rows = await conn.fetch(
        "SELECT event_type, " + ", ".join(f"payload->>'{k}' AS {k}" for k in BALANCE_ON_FIELDS)
        + " FROM events WHERE stream_id = $1 AND stream_type = 'Fund'"
        " AND ($2::timestamptz IS NULL OR recorded_at <= $2) ORDER BY version",
        fund_id, as_recorded_at,
    )
    if not rows:
        return None
    return balance_on(((r["event_type"], r) for r in rows), on)
