"""Earmarked funds' use cases: authorize → load → decide (``Handling`` appends).

Projects live in their fund's stream, so every money rule (never below zero counting
approved commitments) is checked against one consistent state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.funds.aggregate import Fund, YearEnd, check_not_ahead, fund_id
from domain.funds.commands import (
    AcceptProject,
    AllocateFunds,
    ApproveProject,
    CancelProject,
    CloseFiscalYear,
    FundCommand,
    OpenFund,
    ProposeProject,
    PublishProjectDisclosure,
    RecordPayment,
    RecordProjectDecision,
    RejectProject,
    ReversePayment,
)
from domain.funds.screening import PurposeScreen
from domain.organizations.aggregate import Organization
from domain.shared import events as ev
from domain.shared.commands import optional_reason, required_reason
from domain.shared.errors import AlreadyExists, InvalidInput
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.money import fmt, parse_money

FIRST_YEAR = 2000
MAX_YEARS_AHEAD = 1
"""A fund opens for this year or next (a plan), never for a year further ahead."""


@dataclass(frozen=True)
class FundRules:
    """Local fund policy the handlers apply (configuration)."""

    year_end: YearEnd = YearEnd.CARRY_OVER
    """What closing a year does unless the command says."""


async def fund_of(unit: Unit, cmd: FundCommand) -> Fund:
    """The command's fund, authorized against its organization, at the expected version."""
    fund = await unit.load(Fund, cmd.fund_id, "fund")
    await unit.authorize(fund.organization_id)
    unit.expect(fund)
    return fund


async def open_fund(cmd: OpenFund, unit: Unit) -> Decision:
    await unit.authorize(cmd.organization_id, field="organizationId")
    latest = unit.today().year + MAX_YEARS_AHEAD
    if not FIRST_YEAR <= cmd.year <= latest:
        raise InvalidInput(f"a fund's fiscal year lies between {FIRST_YEAR} and next year ({latest})",
                           field="year")
    org = await unit.load(Organization, cmd.organization_id, "organization")
    org.ensure_active()
    if await unit.store.read_stream(fund_id(org.id, cmd.year, cmd.kind)):
        raise AlreadyExists(f"{org.name} already has a {cmd.kind.value} for {cmd.year}", field="year")
    fund = Fund(organization_id=org.id, year=cmd.year, kind=cmd.kind)
    return Decision(fund.id, ev.to_new_events(fund), guards={org.id: org.version})


async def allocate_funds(cmd: AllocateFunds, unit: Unit) -> Decision:
    money = parse_money(cmd.amount, "amount")
    reason = optional_reason(cmd.reason)
    check_not_ahead(cmd.effective_on, unit.today(), "effectiveOn", "an allocation")
    fund = await fund_of(unit, cmd)
    allocation = fund.allocate(money, cmd.source, cmd.effective_on, cmd.document_no)
    return changed(fund, reason=reason, result={"allocation_id": str(allocation)})


async def close_fiscal_year(cmd: CloseFiscalYear, unit: Unit) -> Decision:
    how = cmd.disposition or unit.need(FundRules).year_end
    reason = optional_reason(cmd.reason)
    fund = await fund_of(unit, cmd)
    on = cmd.closed_on or unit.today()
    if on > unit.today():
        raise InvalidInput("a year is closed on a date that has come, not ahead of time", field="closedOn")
    balance, next_id = fund.close_year(on, how)
    events = ev.to_new_events(fund)
    if next_id is not None:
        # Both funds change in one append: the balance leaves one and arrives in the
        # other, or neither happens.
        following = await unit.find(Fund, next_id)
        if following is None:
            following = Fund(organization_id=fund.organization_id, year=fund.year + 1, kind=fund.kind)
        following.carry_in(balance, fund.id)
        events += ev.to_new_events(following)
    result = {"next_fund_id": str(next_id) if next_id else None, "moved": fmt(balance)}
    return Decision(fund.id, events, result=result, reason=reason)


def _project_step(step: Callable[[Any, Fund, Unit], Any], reason: Callable[[Any], str | None] | None = None,
                  ) -> Handler:
    """A handler for one step of a project: load, authorize, change, answer with ids."""

    async def handle(cmd: Any, unit: Unit) -> Decision:
        why = reason(cmd) if reason is not None else None
        fund = await fund_of(unit, cmd)
        extra = step(cmd, fund, unit) or {}
        return changed(fund, reason=why, result={"project_id": str(cmd.project_id), **extra})

    return handle


async def propose_project(cmd: ProposeProject, unit: Unit) -> Decision:
    money = parse_money(cmd.amount, "amount")
    flags = unit.need(PurposeScreen).screen(cmd.category, cmd.title, cmd.purpose)
    fund = await fund_of(unit, cmd)
    project = fund.propose_project(cmd.category, cmd.title, money, cmd.purpose, cmd.beneficiaries,
                                   unit.actor.subject, flags)
    return changed(fund, result={"project_id": str(project)})


def _approve(cmd: ApproveProject, fund: Fund, unit: Unit) -> None:
    money = None if cmd.amount is None else parse_money(cmd.amount, "amount")
    fund.approve_project(cmd.project_id, unit.actor.subject, money)


def _pay(cmd: RecordPayment, fund: Fund, unit: Unit) -> dict[str, str]:
    money = parse_money(cmd.amount, "amount")
    check_not_ahead(cmd.paid_on, unit.today(), "paidOn", "a payment")
    payment = fund.record_payment(cmd.project_id, money, cmd.paid_on, cmd.payee, cmd.voucher_no)
    return {"payment_id": str(payment)}


def _disclose(cmd: PublishProjectDisclosure, fund: Fund, unit: Unit) -> None:
    on = cmd.published_on or unit.today()
    check_not_ahead(on, unit.today(), "publishedOn", "a disclosure")
    fund.publish_disclosure(cmd.project_id, on, cmd.summary)


async def reverse_payment(cmd: ReversePayment, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    check_not_ahead(cmd.reversed_on or unit.today(), unit.today(), "reversedOn", "a reversal")
    fund = await fund_of(unit, cmd)
    fund.reverse_payment(cmd.payment_id, cmd.reversed_on or unit.today())
    return changed(fund, reason=reason, result={
        "project_id": str(fund.payments[cmd.payment_id].project_id), "payment_id": str(cmd.payment_id)})


HANDLERS: dict[type, Handler] = {
    OpenFund: open_fund,
    AllocateFunds: allocate_funds,
    CloseFiscalYear: close_fiscal_year,
    ProposeProject: propose_project,
    RecordProjectDecision: _project_step(lambda c, f, u: f.record_project_decision(
        c.project_id, c.meeting_on, list(c.attendees), c.resolution, u.today())),
    ApproveProject: _project_step(_approve, lambda c: optional_reason(c.reason)),
    RejectProject: _project_step(lambda c, f, u: f.reject_project(c.project_id, u.actor.subject),
                                 lambda c: required_reason(c.reason)),
    CancelProject: _project_step(lambda c, f, u: f.cancel_project(c.project_id),
                                 lambda c: required_reason(c.reason)),
    RecordPayment: _project_step(_pay),
    ReversePayment: reverse_payment,
    AcceptProject: _project_step(lambda c, f, u: f.accept_project(
        c.project_id, c.accepted_on or u.today(), u.today())),
    PublishProjectDisclosure: _project_step(_disclose),
}
