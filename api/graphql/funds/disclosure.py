"""Public disclosure per period (公示): ``recordFundDisclosure``, ``fundDisclosures`` and
``fundDisclosureVerification`` (recomputed from the log, ``api.disclosure``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api import disclosure as log_check
from api import views
from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import argument_id
from api.graphql.core.scalars import Money
from api.graphql.funds.queries import load_fund
from api.graphql.funds.types import Fund
from domain.funds.disclosure import RecordFundDisclosure, canonical, parse_period, table_of
from domain.shared.commands import Outcome


@strawberry.type(description="A period's table as published (公示): Fund.PeriodDisclosed, with the SHA-256 digest of"
                             " the table's canonical form (grassroots-disclosure/1). A period disclosed again after"
                             " a correction has one of these per disclosure; the latest is in force.")
class FundDisclosure:
    row: strawberry.Private[asyncpg.Record]
    period: str = strawberry.field(description='The period: "2026", "2026-H1", "2026-Q2" or "2026-03".')
    period_from: date = strawberry.field(description="The period's first day.")
    period_to: date = strawberry.field(description="The period's last day.")
    digest: str = strawberry.field(description="Lowercase hex SHA-256 of the published table's canonical form.")
    covers_version: int = strawberry.field(description="The table was made from the fund's events 1 to this version.")
    version: int = strawberry.field(description="The fund version of the Fund.PeriodDisclosed event itself.")
    published_on: date = strawberry.field(description="When it was published.")
    place: str = strawberry.field(description="Where: 公示栏 (the notice board), the website's address, ...")
    opening_balance: Money = strawberry.field(description="The balance before the period's first day.")
    closing_balance: Money = strawberry.field(description="The balance at the end of the period's last day.")
    recorded_at: datetime = strawberry.field(description="When the disclosure was recorded.")
    actor: str = strawberry.field(description="Who recorded it (token subject).")

    @strawberry.field(description="The published table in its canonical form (the bytes the digest is of),"
                                  " recomputed from the log: the file to post on the website.")
    async def table(self, info: Info) -> str:
        events = await log_check.fund_events(info.context.pool, self.row["fund_id"])
        rows = [(e.version, e.event_type, e.payload) for e in events]
        return canonical(table_of(self.row["fund_id"], rows, parse_period(self.period), self.covers_version)
                         ).decode("utf-8")


def disclosure(row: asyncpg.Record) -> FundDisclosure:
    return FundDisclosure(
        row=row, period=row["period"], period_from=row["period_from"], period_to=row["period_to"],
        digest=row["digest"], covers_version=row["covers_version"], version=row["version"],
        published_on=row["published_on"], place=row["place"], opening_balance=row["opening_balance"],
        closing_balance=row["closing_balance"], recorded_at=row["recorded_at"], actor=row["actor"])


@strawberry.type(description="One disclosure of the period checked against the log.")
class DisclosureCheck:
    disclosure: FundDisclosure = strawberry.field(description="The disclosure as recorded.")
    recomputed_digest: str = strawberry.field(description="The digest of its table recomputed now from the events"
                                                          " it covers.")
    matches: bool = strawberry.field(description="The recomputed digest is the recorded one.")


@strawberry.type(description="A period's disclosures verified against the log (never a read model), and a"
                             " published table against them.")
class DisclosureVerification:
    period: str = strawberry.field(description="The period checked.")
    checks: list[DisclosureCheck] = strawberry.field(description="Every disclosure of the period, oldest first.")
    log_matches: bool = strawberry.field(description="Every recorded digest is that of the table recomputed from"
                                                     " the log (false if none was recorded).")
    current_digest: str = strawberry.field(description="The digest of the period's table as the log stands now.")
    changed_since: bool = strawberry.field(description="The table now differs from the latest disclosure's (a"
                                                       " correction since: disclose the period again).")
    published_digest: str | None = strawberry.field(description="The given published table's digest (parsed and"
                                                                " written canonically), if one was given.")
    published_matches: FundDisclosure | None = strawberry.field(
        description="The latest disclosure whose digest the published table has; null if none has (tampered).")


@strawberry.type(description="The disclosure as recorded, and its fund.")
class FundDisclosurePayload:
    fund_id: strawberry.Private[UUID]
    position: int = strawberry.field(description="Log position of the change.")

    @strawberry.field(description="The disclosure recorded, with its digest.")
    async def disclosure(self, info: Info) -> FundDisclosure | None:
        row = await info.context.pool.fetchrow("SELECT * FROM fund_disclosures WHERE fund_id = $1 AND position = $2",
                                               self.fund_id, self.position)
        return disclosure(row) if row is not None else None

    @strawberry.field(description="The fund.")
    async def fund(self, info: Info) -> Fund | None:
        return await load_fund(info, self.fund_id)


RecordDisclosureResult = result_union("RecordFundDisclosureResult", FundDisclosurePayload)


@strawberry.input(description="Record that a fund's table for a period was published (公示): the table is computed"
                             " from the fund's ledger as it stands and its SHA-256 digest recorded.")
class RecordFundDisclosureInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund.")
    period: str = strawberry.field(description='"2026" (the year), "2026-H1"/"H2", "2026-Q1".."Q4" or "2026-01".."12"'
                                               " (at most 7 characters); within the fund's year and over by"
                                               " publishedOn.")
    published_on: date = strawberry.field(description="When it was published: after the period's last day, not"
                                                      " ahead of today.")
    place: str = strawberry.field(description="Where: 公示栏, the website's address, ...: 1–200 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Repeat a mutation with the same key (1–200 characters) to get its first result;"
                                  " nothing is appended twice.")
    expected_version: int | None = strawberry.field(
        default=None, description="The fund version you last saw; if it moved on you get VersionConflict.")


async def _scoped_fund(info: Info, fid: UUID) -> bool:
    c = views.Conditions()
    c.add("id = ?", fid)
    views.scope_condition(c, info.context.actor, "organization_id")
    return await info.context.pool.fetchval(f"SELECT true FROM funds WHERE {c.where}", *c.args) is not None


@strawberry.type(description="Read funds' period disclosures.")
class FundDisclosureQueries:
    @strawberry.field(description="A fund's period disclosures (公示), oldest first; only this period's if given."
                                  " Empty if the fund lies outside your scope.")
    async def fund_disclosures(self, info: Info, fund_id: strawberry.ID,
                               period: str | None = None) -> list[FundDisclosure]:
        fid = argument_id(fund_id, "fundId")
        c = views.Conditions()
        c.add("d.fund_id = ?", fid)
        views.scope_condition(c, info.context.actor, "f.organization_id")
        if period is not None:
            c.add("d.period = ?", parse_period(period).label)
        found = await info.context.pool.fetch(
            f"SELECT d.* FROM fund_disclosures d JOIN funds f ON f.id = d.fund_id WHERE {c.where}"
            " ORDER BY d.version", *c.args)
        return [disclosure(r) for r in found]

    @strawberry.field(description="Verify a period's disclosures: each one's table recomputed from the log and its"
                                  " digest compared with the recorded one; and a published table (the JSON file"
                                  " posted) compared with them. Null if the fund lies outside your scope.")
    async def fund_disclosure_verification(self, info: Info, fund_id: strawberry.ID, period: str,
                                           published: str | None = None) -> DisclosureVerification | None:
        fid = argument_id(fund_id, "fundId")
        parse_period(period)
        if not await _scoped_fund(info, fid):
            return None
        found = await log_check.verify(info.context.pool, fid, period,
                                       published.encode("utf-8") if published is not None else None)
        if found is None:
            return None
        rows = {r["version"]: r for r in await info.context.pool.fetch(
            "SELECT * FROM fund_disclosures WHERE fund_id = $1", fid)}
        checks = [DisclosureCheck(disclosure=disclosure(rows[c.disclosure.version]), recomputed_digest=c.recomputed,
                                  matches=c.matches) for c in found.checks if c.disclosure.version in rows]
        matched = found.published_matches
        return DisclosureVerification(
            period=found.period.label, checks=checks, log_matches=bool(found.checks) and found.log_matches,
            current_digest=found.current, changed_since=found.changed_since, published_digest=found.published,
            published_matches=disclosure(rows[matched.version]) if matched is not None and matched.version in rows
            else None)


def _payload(o: Outcome) -> Any:
    async def present() -> FundDisclosurePayload:
        return FundDisclosurePayload(fund_id=o.id, position=o.position)
    return present()


@strawberry.type(description="Record funds' period disclosures.")
class FundDisclosureMutations:
    @strawberry.mutation(description="Record a period's public disclosure (公示): computes the period's table"
                                     " (allocations, projects, payments, reversals, opening and closing balance)"
                                     " from the fund's ledger and records its SHA-256 digest (Fund.PeriodDisclosed)."
                                     " A period may be disclosed again after a correction; both are kept.")
    async def record_fund_disclosure(self, info: Info, input: RecordFundDisclosureInput) -> RecordDisclosureResult:
        return await execute(info, input, lambda: RecordFundDisclosure(
            fund_id=parse_id(input.fund_id, "fundId"), period=input.period, published_on=input.published_on,
            place=input.place), _payload)
