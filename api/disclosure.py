"""A fund's period disclosures (公示) read back from the log: verify them, and gather a sheet.

Verification never trusts a read model: it reads the fund's stream, recomputes each
disclosure's table from the events that disclosure covers (``domain.funds.disclosure``) and
compares the digest with the one ``Fund.PeriodDisclosed`` recorded; a published file is
compared too (parsed and written canonically again). The sheet (``api.disclosure_sheet``)
shows the table of the latest disclosure of the period, with its digest, or the table as the
log stands now and "not yet disclosed".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.funds.disclosure import Period, digest, disclosure_table, parse_period, published_digest, table_of
from domain.shared.ports import RecordedEvent
from eventstore.postgres import EVENT_COLUMNS, row_to_event

Row = tuple[int, str, Mapping[str, Any]]


@dataclass(frozen=True)
class Disclosure:
    """One ``Fund.PeriodDisclosed`` as the log holds it."""

    version: int
    period: str
    digest: str
    covers_version: int
    published_on: date
    place: str
    recorded_at: datetime
    actor: str


@dataclass(frozen=True)
class Check:
    """A disclosure and the digest of its table recomputed from the log."""

    disclosure: Disclosure
    recomputed: str

    @property
    def matches(self) -> bool:
        return self.recomputed == self.disclosure.digest


@dataclass(frozen=True)
class Verification:
    """Every disclosure of a period, each checked against the log; and a published file's digest."""

    fund_id: UUID
    period: Period
    checks: list[Check]
    current: str
    """The digest of the period's table as the log stands now."""
    published: str | None = None
    """The published file's digest (canonical form), if one was given."""

    @property
    def log_matches(self) -> bool:
        """Every recorded digest is the digest of the table recomputed from the log."""
        return all(c.matches for c in self.checks)

    @property
    def published_matches(self) -> Disclosure | None:
        """The latest disclosure whose digest the published file has, if any."""
        found = [c.disclosure for c in self.checks if c.disclosure.digest == self.published]
        return found[-1] if found else None

    @property
    def changed_since(self) -> bool:
        """The period's table now differs from the latest disclosure's (a correction since)."""
        return bool(self.checks) and self.checks[-1].disclosure.digest != self.current

    @property
    def ok(self) -> bool:
        return bool(self.checks) and self.log_matches and (self.published is None or
                                                           self.published_matches is not None)


async def fund_events(conn: asyncpg.Pool | asyncpg.Connection, fund_id: UUID) -> list[RecordedEvent]:
    """The fund's stream, oldest first (empty if there is no such fund)."""
    rows = await conn.fetch(f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_type = 'Fund'"
                            " ORDER BY version", fund_id)
    return [row_to_event(r) for r in rows]


def disclosures(events: Sequence[RecordedEvent], period: Period) -> list[Disclosure]:
    """The period's disclosures, oldest first."""
    return [Disclosure(e.version, e.payload["period"], e.payload["digest"], e.payload["covers_version"],
                       date.fromisoformat(e.payload["published_on"]), e.payload["place"], e.recorded_at, e.actor)
            for e in events if e.event_type == "Fund.PeriodDisclosed" and e.payload["period"] == period.label]


def _rows(events: Sequence[RecordedEvent]) -> list[Row]:
    return [(e.version, e.event_type, e.payload) for e in events]


def verify_events(fund_id: UUID, events: Sequence[RecordedEvent], period: Period,
                  published: bytes | None = None) -> Verification:
    rows = _rows(events)
    checks = [Check(d, digest(table_of(fund_id, rows, period, d.covers_version)))
              for d in disclosures(events, period)]
    return Verification(fund_id, period, checks, digest(disclosure_table(fund_id, rows, period)),
                        published_digest(published) if published is not None else None)


async def verify(conn: asyncpg.Pool | asyncpg.Connection, fund_id: UUID, period_text: str,
                 published: bytes | None = None) -> Verification | None:
    """Check the period's disclosures against the log (None if there is no such fund)."""
    period = parse_period(period_text)
    events = await fund_events(conn, fund_id)
    return verify_events(fund_id, events, period, published) if events else None


@dataclass(frozen=True)
class Sheet:
    """What a disclosure sheet shows."""

    table: dict[str, Any]
    """The latest disclosure's table, or the table as the log stands now if none."""
    disclosure: Disclosure | None
    changed_since: bool
    """The ledger changed after the latest disclosure (the period is due to be disclosed again)."""
    organization: str
    """The fund's organization's name as the log has it now (its latest rename)."""
    daily: list[tuple[str, str]]
    """(date, balance) at the end of each day of the period that moved money, for the chart."""


async def sheet(conn: asyncpg.Pool | asyncpg.Connection, fund_id: UUID, period_text: str) -> Sheet | None:
    """Gather the period's sheet from the log (None if there is no such fund)."""
    period = parse_period(period_text)
    events = await fund_events(conn, fund_id)
    if not events:
        return None
    rows = _rows(events)
    done = disclosures(events, period)
    current = disclosure_table(fund_id, rows, period)
    table = table_of(fund_id, rows, period, done[-1].covers_version) if done else current
    # From the log, like the rest of the sheet (the command line runs without the read models).
    name = await conn.fetchval(
        "SELECT payload->>'name' FROM events WHERE stream_id = $1 AND stream_type = 'Organization'"
        " AND event_type IN ('Organization.Established', 'Organization.Renamed') ORDER BY version DESC LIMIT 1",
        UUID(table["fund"]["organization_id"]))
    daily: dict[str, str] = {}
    for m in table["movements"]:
        daily[m["date"]] = m["balance_after"]
    return Sheet(table, done[-1] if done else None, bool(done) and digest(current) != done[-1].digest,
                 name or table["fund"]["organization_id"], sorted(daily.items()))
