"""Dues passed up (``remitDues``) and allocated to a red fund (``allocateDuesToRedFund``):
authorize at the organization whose dues move → load both sides → decide → one append.

Both sides change in one append (``domain.funds.dues_account`` says why that settles races):
a remittance appends to the sender's and the receiver's dues accounts, an allocation to the
holder's dues account and the red fund's ledger. The allocation is the funds area's own
event (``Fund.Allocated``, source ``DUES_ALLOCATION``) rather than one the funds area
consumes later, so the red fund's balance and the account's holdings can never disagree,
not even for the time a projection needs to catch up.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.funds.aggregate import Fund, check_not_ahead
from domain.funds.dues_account import DuesAccount, DuesCollections, check_months, dues_account_id
from domain.funds.dues_commands import AllocateDuesToRedFund, RemitDues
from domain.shared import events as ev
from domain.shared.commands import optional_reason
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.handling import Decision, Handler, Unit
from domain.shared.money import parse_money

FIRST_YEAR = 2000


async def _account(unit: Unit, organization_id: UUID, year: int) -> DuesAccount:
    """The organization's dues account of ``year``, opened on first use."""
    found = await unit.find(DuesAccount, dues_account_id(organization_id, year))
    return found if found is not None else DuesAccount(organization_id=organization_id, year=year)


def _check_year(year: int, latest: int) -> None:
    if not FIRST_YEAR <= year <= latest:
        raise InvalidInput(f"the dues year lies between {FIRST_YEAR} and {latest}", field="year")


async def remit_dues(cmd: RemitDues, unit: Unit) -> Decision:
    """Pass dues up to the organization directly above (the one that receives them)."""
    money = parse_money(cmd.amount, "amount")
    reason = optional_reason(cmd.reason)
    today = unit.today()
    path = await unit.authorize(cmd.organization_id, field="organizationId")
    if len(path) < 2:
        raise InvalidInput("a root organization has no level above to remit to", field="organizationId")
    _check_year(cmd.year, today.year)
    months = check_months(cmd.months, cmd.year, today)
    sender = await _account(unit, cmd.organization_id, cmd.year)
    unit.expect(sender)
    receiver = await _account(unit, path[-2], cmd.year)
    collected = await unit.need(DuesCollections).collected(unit.store, cmd.organization_id, cmd.year)
    remittance = sender.remit(path[-2], months, money, cmd.remitted_on or today, cmd.document_no, collected, today)
    receiver.receive(remittance, cmd.organization_id, months, money, cmd.remitted_on or today,
                     cmd.document_no.strip())
    return Decision(sender.id, ev.to_new_events(sender) + ev.to_new_events(receiver), reason=reason,
                    result={"remittance_id": str(remittance), "to_account_id": str(receiver.id)})


async def allocate_dues_to_red_fund(cmd: AllocateDuesToRedFund, unit: Unit) -> Decision:
    """Allocate held dues to a red fund of the holder's subtree: the holder's account and the
    red fund's ledger change in one append."""
    money = parse_money(cmd.amount, "amount")
    reason = optional_reason(cmd.reason)
    today = unit.today()
    check_not_ahead(cmd.allocated_on, today, "allocatedOn", "an allocation")
    await unit.authorize(cmd.from_organization_id, field="fromOrganizationId")
    year = cmd.year if cmd.year is not None else cmd.allocated_on.year
    _check_year(year, cmd.allocated_on.year)
    fund = await unit.load(Fund, cmd.fund_id, "fund")
    path = await unit.directory.path_of(fund.organization_id)
    if path is None or cmd.from_organization_id not in path:
        raise NotAuthorized("dues are allocated only to red funds of the holding organization's subtree",
                            field="fundId")
    account = await _account(unit, cmd.from_organization_id, year)
    unit.expect(account)
    collected = await unit.need(DuesCollections).collected(unit.store, cmd.from_organization_id, year)
    allocation = uuid4()
    account.allocate(fund.id, allocation, money, cmd.allocated_on, cmd.document_no, collected, today)
    fund.allocate_dues(allocation, money, cmd.allocated_on, cmd.document_no)
    return Decision(fund.id, ev.to_new_events(account) + ev.to_new_events(fund), reason=reason,
                    result={"allocation_id": str(allocation), "account_id": str(account.id)})


DUES_HANDLERS: dict[type, Handler] = {
    RemitDues: remit_dues,
    AllocateDuesToRedFund: allocate_dues_to_red_fund,
}
