"""Dues passed up and allocated to red funds (``domain.funds.dues_account``): the
``remitDues`` and ``allocateDuesToRedFund`` mutations and the ``duesAccount`` query."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import argument_id
from api.graphql.core.scalars import Money
from api.graphql.funds.errors import DuesNotAvailable, FundClosed
from api.graphql.funds.queries import load_fund
from api.graphql.funds.types import Fund
from api.graphql.members.dues_types import DuesMonth
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from domain.funds.dues_commands import AllocateDuesToRedFund, RemitDues
from domain.shared.commands import Outcome
from domain.shared.money import fmt
from domain.shared.permissions import may_read

_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")
_VERSION = "The version of the dues account you read; a conflict if it moved on."

_ACCOUNT = """
SELECT coalesce(sum(amount) FILTER (WHERE entry = 'RECEIVED'), 0) AS received,
       coalesce(sum(amount) FILTER (WHERE entry = 'REMITTED'), 0) AS remitted,
       coalesce(sum(amount) FILTER (WHERE entry = 'ALLOCATED'), 0) AS allocated,
       (SELECT coalesce(sum(p.amount), 0) FROM dues_payments p WHERE p.organization_id = $1
           AND p.paid_on >= make_date($2, 1, 1) AND p.paid_on < make_date($2 + 1, 1, 1)) AS collected,
       coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.position) FILTER (WHERE e.position IS NOT NULL), '[]') AS entries
  FROM dues_account_entries e WHERE e.organization_id = $1 AND e.year = $2
"""

_COLLECTION = """
SELECT date_trunc('month', p.paid_on::timestamp)::date AS month, sum(p.amount) AS amount,
       count(*) AS payments, count(DISTINCT p.member_id) AS members
  FROM dues_payments p
 WHERE p.organization_id = $1 AND p.paid_on >= make_date($2, 1, 1) AND p.paid_on < make_date($2 + 1, 1, 1)
 GROUP BY 1 ORDER BY 1
"""


@strawberry.enum(description="What a dues-account entry did.")
class DuesEntryKind(enum.Enum):
    REMITTED = "REMITTED"
    """Passed up to the organization directly above (党费上缴)."""
    RECEIVED = "RECEIVED"
    """Received from an organization directly below."""
    ALLOCATED = "ALLOCATED"
    """Allocated to a red fund of the subtree (党费划拨): a DUES_ALLOCATION on that fund's ledger."""


def _money(value: Any) -> Money:
    return Money(fmt(Decimal(str(value))))


@strawberry.type(description="One movement of an organization's dues of a year.")
class DuesAccountEntry:
    entry: DuesEntryKind = strawberry.field(description="Remitted, received or allocated.")
    amount: Money = strawberry.field(description="The amount moved.")
    business_date: date = strawberry.field(description="When the money moved (remittedOn or allocatedOn).")
    months: list[int] | None = strawberry.field(description="The months of the year a remittance covers.")
    counterpart_organization_id: strawberry.ID | None = strawberry.field(
        description="The organization it was remitted to (REMITTED) or from (RECEIVED).")
    fund_id: strawberry.ID | None = strawberry.field(description="The red fund it was allocated to (ALLOCATED).")
    reference_id: strawberry.ID = strawberry.field(
        description="The remittance (the same on both accounts) or the allocation (the same on the fund's ledger).")
    document_no: str = strawberry.field(description="The document that ordered it.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    actor: str = strawberry.field(description="Who recorded it.")


def _entry(j: dict[str, Any]) -> DuesAccountEntry:
    return DuesAccountEntry(
        entry=DuesEntryKind(j["entry"]), amount=_money(j["amount"]),
        business_date=date.fromisoformat(j["business_date"]),
        months=j["months"], counterpart_organization_id=j["counterpart_organization_id"], fund_id=j["fund_id"],
        reference_id=strawberry.ID(j["reference_id"]), document_no=j["document_no"],
        recorded_at=datetime.fromisoformat(j["recorded_at"]), actor=j["actor"])


@strawberry.type(description="An organization's dues of one year (党费): collected from its own members, received"
                             " from the organizations below it, remitted up, allocated to red funds, and what it"
                             " holds. Held = collected + received − remitted − allocated, never below zero.")
class DuesAccount:
    organization_id: strawberry.Private[UUID]
    year: int = strawberry.field(description="The year of the dues.")
    collected: Money = strawberry.field(description="Paid that year by members at this organization (their home"
                                                    " when paying), as duesCollection(subtree: false) counts it.")
    received: Money = strawberry.field(description="Remitted to it by the organizations directly below it.")
    remitted: Money = strawberry.field(description="Remitted by it to the organization directly above it.")
    allocated: Money = strawberry.field(description="Allocated by it to red funds of its subtree.")
    held: Money = strawberry.field(description="What it holds: collected + received − remitted − allocated.")
    entries: list[DuesAccountEntry] = strawberry.field(description="Every remittance and allocation, oldest first.")

    @strawberry.field(description="The organization.")
    async def organization(self, info: Info) -> Organization | None:
        return await load_organization(info, self.organization_id)

    @strawberry.field(description="What its own members paid, per month of the year.")
    async def collected_by_month(self, info: Info) -> list[DuesMonth]:
        rows = await info.context.pool.fetch(_COLLECTION, self.organization_id, self.year)
        return [DuesMonth(month=r["month"], amount=Money(fmt(r["amount"])), payments=r["payments"],
                          members=r["members"]) for r in rows]


def _account(organization_id: UUID, year: int, r: asyncpg.Record) -> DuesAccount:
    held = r["collected"] + r["received"] - r["remitted"] - r["allocated"]
    entries = r["entries"]  # jsonb, decoded by the pool (eventstore.db)
    return DuesAccount(organization_id=organization_id, year=year, collected=_money(r["collected"]),
                       received=_money(r["received"]), remitted=_money(r["remitted"]),
                       allocated=_money(r["allocated"]), held=_money(held), entries=[_entry(j) for j in entries])


async def load_dues_account(info: Info, organization_id: UUID, year: int) -> DuesAccount | None:
    """The account, or None outside the reader's scope or for no such organization."""
    org = await info.context.loaders.organization.load(organization_id)
    if org is None or not may_read(info.context.actor, org["path"]):
        return None
    return _account(organization_id, year, await info.context.pool.fetchrow(_ACCOUNT, organization_id, year))


@strawberry.type(description="Read organizations' dues accounts.")
class DuesQueries:
    @strawberry.field(description="An organization's dues of `year`: collected, received, remitted, allocated and"
                                  " held, with every remittance and allocation. Null outside your scope.")
    async def dues_account(self, info: Info, organization_id: strawberry.ID, year: int) -> DuesAccount | None:
        if not 2000 <= year <= 9999:
            raise ValueError(f"year is from 2000 to 9999: {year}")
        return await load_dues_account(info, argument_id(organization_id, "organizationId"), year)


@strawberry.input(description="Pass collected dues up to the organization directly above (党费上缴).")
class RemitDuesInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization passing its dues up.")
    year: int = strawberry.field(description="The year of the dues.")
    months: list[int] = strawberry.field(description="The months of that year it covers (1–12, each once, begun).")
    amount: Money = strawberry.field(description="At most what the organization holds of the year's dues.")
    document_no: str = strawberry.field(description="The remittance's document or voucher: 1–80 characters.")
    remitted_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    reason: str | None = strawberry.field(default=None, description="Optional note: at most 500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Allocate held dues to a red fund of the holder's subtree (党费划拨).")
class AllocateDuesToRedFundInput:
    from_organization_id: strawberry.ID = strawberry.field(description="The organization holding the dues.")
    fund_id: strawberry.ID = strawberry.field(description="A red fund of an organization in its subtree.")
    amount: Money = strawberry.field(description="At most what the organization holds of the year's dues.")
    allocated_on: date = strawberry.field(description="Within the red fund's year and not ahead of today.")
    document_no: str = strawberry.field(description="The allocation's document: 1–80 characters.")
    year: int | None = strawberry.field(default=None, description="The year of the dues; default: allocatedOn's.")
    reason: str | None = strawberry.field(default=None, description="Optional note: at most 500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.type(description="A remittance, on both dues accounts, as the read models have them after it.")
class RemittancePayload:
    organization_id: strawberry.Private[UUID]
    year: strawberry.Private[int]
    remittance_id: strawberry.ID = strawberry.field(description="The remittance (Remitted and RemittanceReceived"
                                                                " carry it).")
    position: int = strawberry.field(description="Log position of the change.")

    @strawberry.field(description="The remitting organization's dues account.")
    async def account(self, info: Info) -> DuesAccount | None:
        return await load_dues_account(info, self.organization_id, self.year)

    @strawberry.field(description="The receiving organization's dues account (null outside your scope).")
    async def to_account(self, info: Info) -> DuesAccount | None:
        org = await info.context.loaders.organization.load(self.organization_id)
        if org is None or len(org["path"]) < 2:
            return None
        return await load_dues_account(info, list(org["path"])[-2], self.year)


@strawberry.type(description="An allocation of dues to a red fund, as the read models have it after it.")
class DuesAllocationPayload:
    organization_id: strawberry.Private[UUID]
    fund_id: strawberry.Private[UUID]
    year: strawberry.Private[int]
    allocation_id: strawberry.ID = strawberry.field(description="The allocation (on the dues account and as the"
                                                                " red fund's DUES_ALLOCATION).")
    position: int = strawberry.field(description="Log position of the change.")

    @strawberry.field(description="The holding organization's dues account.")
    async def account(self, info: Info) -> DuesAccount | None:
        return await load_dues_account(info, self.organization_id, self.year)

    @strawberry.field(description="The red fund, with the allocation in its balance and duesAvailable.")
    async def fund(self, info: Info) -> Fund | None:
        return await load_fund(info, self.fund_id)


RemitResult = result_union("RemitDuesResult", RemittancePayload, DuesNotAvailable)
AllocateDuesResult = result_union("AllocateDuesToRedFundResult", DuesAllocationPayload, DuesNotAvailable, FundClosed)


@strawberry.type(description="Pass dues up and allocate them to red funds.")
class DuesMutations:
    @strawberry.mutation(description="Pass collected dues up to the organization directly above (党费上缴): never"
                                     " more than the organization holds of the year's dues (DuesNotAvailable).")
    async def remit_dues(self, info: Info, input: RemitDuesInput) -> RemitResult:
        organization = parse_id(input.organization_id, "organizationId")

        async def present(o: Outcome) -> RemittancePayload:
            return RemittancePayload(organization_id=organization, year=input.year,
                                     remittance_id=strawberry.ID(o.extra["remittance_id"]), position=o.position)
        return await execute(info, input, lambda: RemitDues(
            organization_id=organization, year=input.year, months=tuple(input.months), amount=input.amount,
            document_no=input.document_no, remitted_on=input.remitted_on, reason=input.reason), present)

    @strawberry.mutation(description="Allocate held dues to a red fund of the holder's subtree (党费划拨): the red"
                                     " fund's ledger gains a DUES_ALLOCATION and the dues account the matching"
                                     " entry, in one append.")
    async def allocate_dues_to_red_fund(self, info: Info, input: AllocateDuesToRedFundInput) -> AllocateDuesResult:
        organization = parse_id(input.from_organization_id, "fromOrganizationId")
        year = input.year if input.year is not None else input.allocated_on.year

        async def present(o: Outcome) -> DuesAllocationPayload:
            return DuesAllocationPayload(organization_id=organization, fund_id=o.id, year=year,
                                         allocation_id=strawberry.ID(o.extra["allocation_id"]), position=o.position)
        return await execute(info, input, lambda: AllocateDuesToRedFund(
            from_organization_id=organization, fund_id=parse_id(input.fund_id, "fundId"), amount=input.amount,
            allocated_on=input.allocated_on, document_no=input.document_no, year=input.year,
            reason=input.reason), present)
