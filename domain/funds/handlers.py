"""Earmarked funds' use cases: authorize → load → decide (``Handling`` appends).

Projects live in their fund's stream, so every money rule (never below zero counting
approved commitments) is checked against one consistent state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domain.funds.aggregate import Fund, YearEnd, check_not_ahead, fund_id, voucher_key
from domain.funds.commands import (
    AcceptProject,
    AllocateFunds,
    ApproveProject,
    CancelProject,
    CloseFiscalYear,
    FundCommand,
    GrantFromRedFund,
    OpenFund,
    ProposeProject,
    PublishProjectDisclosure,
    RecordPayment,
    RecordProjectDecision,
    RejectProject,
    ReversePayment,
)
from domain.funds.dues_money import DuesMoneyRules
from domain.funds.errors import VoucherAlreadyUsed
from domain.funds.kinds import FundKinds
from domain.funds.screening import PurposeScreen
from domain.organizations.aggregate import Organization
from domain.shared import events as ev
from domain.shared.commands import optional_reason, required_reason
from domain.shared.errors import AlreadyExists, InvalidInput, NotAuthorized
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.money import ZERO, fmt, parse_money
from domain.shared.ports import Claim

VOUCHER = "fund voucher"
"""Claim scope of a fund's voucher numbers (key: fund id / ``voucher_key``)."""

FIRST_YEAR = 2000
MAX_YEARS_AHEAD = 1
"""A fund opens for this year or next (a plan), never for a year further ahead."""


@dataclass(frozen=True)
class FundRules:
    """Local fund policy the handlers apply (configuration)."""

    year_end: YearEnd = YearEnd.CARRY_OVER
    """What closing a year does unless the command says (for kinds that carry over)."""
    kinds: FundKinds = field(default_factory=FundKinds)
    """The fund kinds in use, what each pays for and whether it carries over."""
    dues_money: DuesMoneyRules = field(default_factory=DuesMoneyRules)
    """What dues money pays for (``domain.funds.dues_money``)."""


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
    unit.need(FundRules).kinds.check_open(cmd.kind)
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
    rules = unit.need(FundRules)
    reason = optional_reason(cmd.reason)
    fund = await fund_of(unit, cmd)
    carries = rules.kinds.policy(fund.kind).carry_over
    how = cmd.disposition or (rules.year_end if carries else YearEnd.RETURN)
    if how is YearEnd.CARRY_OVER and not carries:
        raise InvalidInput(f"a {fund.kind.value}'s balance never carries over: it is returned",
                           field="yearEnd")
    on = cmd.closed_on or unit.today()
    if on > unit.today():
        raise InvalidInput("a year is closed on a date that has come, not ahead of time", field="closedOn")
    closing = fund.close_year(on, how)
    events = ev.to_new_events(fund)
    if closing.following is not None:
        # Every fund changes in one append: the balance and the carried projects leave
        # one fund and arrive in the other, or nothing happens.
        following = await unit.find(Fund, closing.following)
        if following is None:
            following = Fund(organization_id=fund.organization_id, year=fund.year + 1, kind=fund.kind)
        if closing.next_fund_id is not None:
            following.carry_in(closing.balance, fund.id, closing.dues)
        for project in closing.carried:
            following.carry_in_project(project, fund.id)
        events += ev.to_new_events(following)
    result = {"next_fund_id": str(closing.following) if closing.following else None,
              "moved": fmt(closing.balance),
              "carried": fmt(sum((c.commitment for c in closing.carried), ZERO)),
              "carried_projects": [str(c.id) for c in closing.carried]}
    return Decision(fund.id, events, result=result, reason=reason)


async def grant_from_red_fund(cmd: GrantFromRedFund, unit: Unit) -> Decision:
    """Move money out of a red fund into another ledger, both sides in one append.

    Authorized against the red fund's organization (its finance officer, or one scoped
    above it); the receiving fund must belong to that organization's subtree: a street's
    red fund grants to its own communities, never sideways to another street's."""
    money = parse_money(cmd.amount, "amount")
    reason = optional_reason(cmd.reason)
    check_not_ahead(cmd.granted_on, unit.today(), "grantedOn", "a grant")
    red = await fund_of(unit, cmd)
    if cmd.to_fund_id == red.id:
        raise InvalidInput("a red fund does not grant to itself", field="toFundId")
    target = await unit.load(Fund, cmd.to_fund_id, "toFund")
    path = await unit.directory.path_of(target.organization_id)
    if path is None or red.organization_id not in path:
        raise NotAuthorized("a red fund grants only to funds of its own organization's subtree", field="toFundId")
    grant = red.make_grant(money, cmd.granted_on, target.id, cmd.project_id, cmd.document_no)
    target.receive_grant(grant, money, cmd.granted_on, red.id, cmd.project_id, cmd.document_no.strip(),
                         from_dues=red.grant_from_dues(grant))
    result = {"grant_id": str(grant), "to_fund_id": str(target.id),
              "project_id": str(cmd.project_id) if cmd.project_id else None}
    return Decision(red.id, ev.to_new_events(red) + ev.to_new_events(target), result=result, reason=reason)


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
    unit.need(FundRules).kinds.check_category(fund.kind, cmd.category)
    project = fund.propose_project(cmd.category, cmd.title, money, cmd.purpose, cmd.beneficiaries,
                                   unit.actor.subject, flags)
    return changed(fund, result={"project_id": str(project)})


def _approve(cmd: ApproveProject, fund: Fund, unit: Unit) -> None:
    money = None if cmd.amount is None else parse_money(cmd.amount, "amount")
    fund.approve_project(cmd.project_id, unit.actor.subject, money)


async def record_payment(cmd: RecordPayment, unit: Unit) -> Decision:
    """Pay from an approved project. The fund refuses a voucher its own history used; the
    claim (fund, voucher) makes the rule a set rule of the append transaction too, so it
    holds whatever else writes to the fund's stream."""
    money = parse_money(cmd.amount, "amount")
    check_not_ahead(cmd.paid_on, unit.today(), "paidOn", "a payment")
    fund = await fund_of(unit, cmd)
    payment = fund.record_payment(cmd.project_id, money, cmd.paid_on, cmd.payee, cmd.voucher_no, cmd.use,
                                  unit.need(FundRules).dues_money)
    claim = Claim(VOUCHER, f"{fund.id}/{voucher_key(cmd.voucher_no)}", payment)
    return changed(fund, claims=[claim], claim_errors={VOUCHER: VoucherAlreadyUsed},
                   claim_fields={VOUCHER: "voucherNo"},
                   result={"project_id": str(cmd.project_id), "payment_id": str(payment)})


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
    GrantFromRedFund: grant_from_red_fund,
    ProposeProject: propose_project,
    RecordProjectDecision: _project_step(lambda c, f, u: f.record_project_decision(
        c.project_id, c.meeting_on, list(c.attendees), c.resolution, u.today())),
    ApproveProject: _project_step(_approve, lambda c: optional_reason(c.reason)),
    RejectProject: _project_step(lambda c, f, u: f.reject_project(c.project_id, u.actor.subject),
                                 lambda c: required_reason(c.reason)),
    CancelProject: _project_step(lambda c, f, u: f.cancel_project(c.project_id),
                                 lambda c: required_reason(c.reason)),
    RecordPayment: record_payment,
    ReversePayment: reverse_payment,
    AcceptProject: _project_step(lambda c, f, u: f.accept_project(
        c.project_id, c.accepted_on or u.today(), u.today())),
    PublishProjectDisclosure: _project_step(_disclose),
}
