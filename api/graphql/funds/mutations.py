"""Mutations of funds and projects: each builds a command and hands it to the domain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import strawberry

from api import views
from api.graphql.core import errors as e
from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.scalars import Money
from api.graphql.funds.errors import (
    AmountExceedsApproval,
    DuesMoneyRestricted,
    ForbiddenPurpose,
    FundClosed,
    InsufficientFunds,
    ProjectNotAllowed,
    ProjectsStillOpen,
    VoucherAlreadyUsed,
)
from api.graphql.funds.queries import load_fund, load_project
from api.graphql.funds.types import Fund, Project
from api.graphql.organizations.errors import OrganizationDissolved
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory, YearEnd
from domain.funds.commands import (
    AcceptProject,
    AllocateFunds,
    ApproveProject,
    CancelProject,
    CloseFiscalYear,
    GrantFromRedFund,
    OpenFund,
    ProposeProject,
    PublishProjectDisclosure,
    RecordPayment,
    RecordProjectDecision,
    RejectProject,
    ReversePayment,
)
from domain.funds.dues_money import PaymentUse
from domain.shared.commands import Command, Outcome
from domain.shared.errors import InvalidInput, NotFound


@strawberry.type(description="The fund as the read model has it after the change.")
class FundPayload:
    fund: Fund | None = strawberry.field(description="The changed fund.")
    position: int = strawberry.field(description="Log position of the change.")


@strawberry.type(description="The project (and its fund) as the read models have them after the change.")
class ProjectPayload:
    fund_id: strawberry.Private[UUID]
    project: Project | None = strawberry.field(description="The changed project.")
    payment_id: strawberry.ID | None = strawberry.field(description="The payment recorded or reversed, if any.")
    position: int = strawberry.field(description="Log position of the change.")

    @strawberry.field(description="Its fund, with the new figures.")
    async def fund(self, info: Info) -> Fund | None:
        # Loaded only when asked for: most clients want the project back.
        return await load_fund(info, self.fund_id)


_MONEY = (InsufficientFunds, FundClosed)


@strawberry.type(description="A grant from a red fund, on both ledgers, as the read models have them after it.")
class GrantPayload:
    fund_id: strawberry.Private[UUID]
    to_fund_id: strawberry.Private[UUID]
    project_id: strawberry.Private[UUID | None]
    grant_id: strawberry.ID = strawberry.field(description="The grant: GrantMade on the red fund, GrantReceived on"
                                                           " the receiving fund carry it.")
    position: int = strawberry.field(description="Log position of the change.")

    @strawberry.field(description="The red fund, with the grant out of its balance.")
    async def fund(self, info: Info) -> Fund | None:
        return await load_fund(info, self.fund_id)

    @strawberry.field(description="The receiving fund, with the grant in its balance.")
    async def to_fund(self, info: Info) -> Fund | None:
        return await load_fund(info, self.to_fund_id)

    @strawberry.field(description="The project the grant is for, if it went straight to one.")
    async def project(self, info: Info) -> Project | None:
        return await load_project(info, self.project_id) if self.project_id else None


OpenFundResult = result_union("OpenFundResult", FundPayload, e.AlreadyExists, OrganizationDissolved)


AllocateResult = result_union("AllocateFundsResult", FundPayload, FundClosed)


CloseYearResult = result_union("CloseFiscalYearResult", FundPayload, FundClosed, ProjectNotAllowed,
                               ProjectsStillOpen)


ProposeResult = result_union("ProposeProjectResult", ProjectPayload, ForbiddenPurpose, FundClosed)


_STEP = (ProjectPayload, ProjectNotAllowed, FundClosed)


DecisionResult = result_union("RecordProjectDecisionResult", *_STEP)


RejectResult = result_union("RejectProjectResult", *_STEP)


CancelResult = result_union("CancelProjectResult", *_STEP)


ReverseResult = result_union("ReversePaymentResult", *_STEP)


AcceptResult = result_union("AcceptProjectResult", *_STEP)


DisclosureResult = result_union("PublishProjectDisclosureResult", *_STEP)


ApproveResult = result_union("ApproveProjectResult", ProjectPayload, ProjectNotAllowed, *_MONEY)


PaymentResult = result_union("RecordPaymentResult", ProjectPayload, ProjectNotAllowed,
                             AmountExceedsApproval, *_MONEY, VoucherAlreadyUsed, DuesMoneyRestricted)


GrantResult = result_union("GrantFromRedFundResult", GrantPayload, ProjectNotAllowed, *_MONEY)


_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")


_VERSION = "The fund version you last saw; if it moved on you get VersionConflict."


@strawberry.input(description="Open a fund for an organization, year and kind (one of each).")
class OpenFundInput:
    organization_id: strawberry.ID = strawberry.field(description="The owning organization, usually a community.")
    year: int = strawberry.field(description="Fiscal (calendar) year: from 2000 to next year.")
    kind: FundKind = strawberry.field(description="Service fund or red fund.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Allocate money to a fund.")
class AllocateFundsInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund.")
    amount: Money = strawberry.field(description='Exact yuan, e.g. "120000.00".')
    source: AllocationSource = strawberry.field(description="Where the money comes from.")
    effective_on: date = strawberry.field(description="Business date, within the fund's year and not ahead of today.")
    document_no: str = strawberry.field(description="Reference document number, e.g. 龙财〔2026〕3号: 1–80 characters.")
    reason: str | None = strawberry.field(
        default=None, description="Optional note recorded with the event: at most 500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Close a fund's fiscal year; the balance is carried over or returned.")
class CloseFiscalYearInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund.")
    closed_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    year_end: YearEnd | None = strawberry.field(default=None, description="Defaults to the configured policy.")
    reason: str | None = strawberry.field(default=None, description="Optional note: at most 500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Grant money from a red fund (红色基金) into another fund of its organization's subtree"
                             " (a community's service fund), or straight to one of that fund's projects: name"
                             " exactly one of toFundId and toProjectId.")
class GrantFromRedFundInput:
    fund_id: strawberry.ID = strawberry.field(description="The red fund the money leaves.")
    to_fund_id: strawberry.ID | None = strawberry.field(default=None, description="The fund it goes into.")
    to_project_id: strawberry.ID | None = strawberry.field(
        default=None, description="Or the project it goes to (the money lands in that project's fund, for it):"
                                  " proposed, decided, approved or accepted, not finished.")
    amount: Money = strawberry.field(description="Amount granted: at most what the red fund has available.")
    granted_on: date = strawberry.field(description="Business date: within both funds' year, not ahead of today.")
    document_no: str = strawberry.field(description="The decision's document number: 1–80 characters.")
    reason: str | None = strawberry.field(default=None, description="Optional note: at most 500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description="The red fund's version you last saw.")


@strawberry.input(description="Propose a project to be paid from a fund.")
class ProposeProjectInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund.")
    category: SpendingCategory = strawberry.field(description="What it spends on (only allowed categories pass).")
    title: str = strawberry.field(description="Short title: 1–200 characters; screened with the purpose.")
    amount: Money = strawberry.field(description="Amount requested.")
    purpose: str = strawberry.field(
        description="What the money is for: 1–2000 characters. Naming a forbidden use is ForbiddenPurpose;"
                    " coming close flags the project for the approver (reviewFlags).")
    beneficiaries: str = strawberry.field(description="Who benefits: 1–500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Record the collective decision (meeting) on a proposed project.")
class RecordProjectDecisionInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    meeting_on: date = strawberry.field(description="Date of the meeting.")
    attendees: list[str] = strawberry.field(
        description="Names of the attendees: at least three, at most 100 of at most 60 characters each.")
    resolution: str = strawberry.field(description="What the meeting resolved: 1–2000 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Approve a decided project (a higher level; never the proposer).")
class ApproveProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    amount: Money | None = strawberry.field(
        default=None, description="Approve less than proposed; defaults to the proposal.")
    reason: str | None = strawberry.field(default=None, description="Optional note: at most 500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Reject a decided project, with a reason.")
class RejectProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    reason: str = strawberry.field(description="Why it is rejected: 1–500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Cancel a project before any payment, with a reason.")
class CancelProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    reason: str = strawberry.field(description="Why it is cancelled: 1–500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Record a payment for an approved project.")
class RecordPaymentInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    amount: Money = strawberry.field(description="Amount paid.")
    paid_on: date = strawberry.field(description="Payment date, within the fund's year and not ahead of today.")
    payee: str = strawberry.field(description="Who was paid: 1–200 characters.")
    voucher_no: str = strawberry.field(description="Accounting voucher number: 1–80 characters.")
    use: PaymentUse | None = strawberry.field(default=None, description=(
        "What it pays for. Required when the payment draws on dues money (the fund's other money is spent first):"
        " then it must be a use dues money pays for, else DuesMoneyRestricted."))
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Reverse a payment made in error: a new event that references it.")
class ReversePaymentInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund the payment was made from.")
    payment_id: strawberry.ID = strawberry.field(description="The payment to reverse.")
    reason: str = strawberry.field(description="Why it is reversed: 1–500 characters.")
    reversed_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Accept a project's completed work.")
class AcceptProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    accepted_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Publish a project's disclosure (公示); releases any unspent commitment.")
class PublishProjectDisclosureInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    summary: str = strawberry.field(description="The text published: 1–2000 characters.")
    published_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


async def _fund_of(info: Info, project_id: strawberry.ID, field: str = "projectId") -> tuple[UUID, UUID]:
    pid = parse_id(project_id, field)
    # Scoped like a query: a project outside your scope is "not found", not "forbidden",
    # so ids cannot be probed for existence.
    c = views.Conditions()
    c.add("id = ?", pid)
    views.scope_condition(c, info.context.actor, "organization_id")
    fid = await info.context.pool.fetchval(f"SELECT fund_id FROM projects WHERE {c.where}", *c.args)
    if fid is None:
        raise NotFound(f"no project {pid} within your scope", field=field)
    return fid, pid


def _fund_payload(info: Info) -> Any:
    async def present(o: Outcome) -> FundPayload:
        return FundPayload(fund=await load_fund(info, o.id), position=o.position)
    return present


def _project_payload(info: Info) -> Any:
    async def present(o: Outcome) -> ProjectPayload:
        pid, pay = o.extra.get("project_id"), o.extra.get("payment_id")
        return ProjectPayload(
            fund_id=o.id, project=await load_project(info, UUID(pid)) if pid else None, position=o.position,
            payment_id=strawberry.ID(pay) if pay else None,
        )
    return present


def _grant_payload(o: Outcome) -> Any:
    async def present() -> GrantPayload:
        pid = o.extra.get("project_id")
        return GrantPayload(fund_id=o.id, to_fund_id=UUID(o.extra["to_fund_id"]), project_id=UUID(pid) if pid else None,
                            grant_id=strawberry.ID(o.extra["grant_id"]), position=o.position)
    return present()


def _project_step(info: Info, data: Any, command: Callable[..., Command], **fields: Any) -> Any:
    """Run a step on the project ``data.project_id`` names, its fund found through the read model."""
    async def build() -> Command:
        fid, pid = await _fund_of(info, data.project_id)
        return command(fund_id=fid, project_id=pid, **fields)
    return execute(info, data, build, _project_payload(info))


@strawberry.type(description="Change funds and their projects.")
class FundMutations:
    @strawberry.mutation(description="Open a fund (one per organization, year and kind).")
    async def open_fund(self, info: Info, input: OpenFundInput) -> OpenFundResult:
        return await execute(info, input, lambda: OpenFund(
            organization_id=parse_id(input.organization_id, "organizationId"), year=input.year,
            kind=input.kind), _fund_payload(info))

    @strawberry.mutation(description="Allocate money to a fund, naming its source and document.")
    async def allocate_funds(self, info: Info, input: AllocateFundsInput) -> AllocateResult:
        return await execute(info, input, lambda: AllocateFunds(
            fund_id=parse_id(input.fund_id, "fundId"), amount=input.amount, source=input.source,
            effective_on=input.effective_on, document_no=input.document_no, reason=input.reason),
            _fund_payload(info))

    @strawberry.mutation(
        description="Close the fiscal year, atomically: approved, not fully paid projects move into next year's fund"
                    " with their unpaid commitments; the rest of the balance is carried over or returned."
                    " ProjectsStillOpen names the projects that keep the year open.")
    async def close_fiscal_year(self, info: Info, input: CloseFiscalYearInput) -> CloseYearResult:
        return await execute(info, input, lambda: CloseFiscalYear(
            fund_id=parse_id(input.fund_id, "fundId"), closed_on=input.closed_on,
            disposition=input.year_end, reason=input.reason), _fund_payload(info))

    @strawberry.mutation(description="Grant money from a red fund into a fund of its organization's subtree or"
                                     " straight to a project: one command, both ledgers in one append"
                                     " (GrantMade, GrantReceived). Run by the red fund's finance officer.")
    async def grant_from_red_fund(self, info: Info, input: GrantFromRedFundInput) -> GrantResult:
        async def build() -> Command:
            if (input.to_fund_id is None) == (input.to_project_id is None):
                raise InvalidInput("name exactly one of toFundId and toProjectId", field="toFundId")
            if input.to_project_id is not None:
                to_fund, project_id = await _fund_of(info, input.to_project_id, "toProjectId")
            else:
                to_fund, project_id = parse_id(input.to_fund_id, "toFundId"), None
            return GrantFromRedFund(
                fund_id=parse_id(input.fund_id, "fundId"), to_fund_id=to_fund, amount=input.amount,
                granted_on=input.granted_on, document_no=input.document_no, project_id=project_id,
                reason=input.reason)
        return await execute(info, input, build, _grant_payload)

    @strawberry.mutation(description="Propose a project; forbidden purposes are refused.")
    async def propose_project(self, info: Info, input: ProposeProjectInput) -> ProposeResult:
        return await execute(info, input, lambda: ProposeProject(
            fund_id=parse_id(input.fund_id, "fundId"), category=input.category, title=input.title,
            amount=input.amount, purpose=input.purpose, beneficiaries=input.beneficiaries),
            _project_payload(info))

    @strawberry.mutation(description="Record the collective decision on a proposed project.")
    async def record_project_decision(self, info: Info, input: RecordProjectDecisionInput) -> DecisionResult:
        return await _project_step(info, input, RecordProjectDecision, meeting_on=input.meeting_on,
                                   attendees=tuple(input.attendees), resolution=input.resolution)

    @strawberry.mutation(description="Approve a decided project, committing its amount.")
    async def approve_project(self, info: Info, input: ApproveProjectInput) -> ApproveResult:
        return await _project_step(info, input, ApproveProject, amount=input.amount, reason=input.reason)

    @strawberry.mutation(description="Reject a decided project, with a reason.")
    async def reject_project(self, info: Info, input: RejectProjectInput) -> RejectResult:
        return await _project_step(info, input, RejectProject, reason=input.reason)

    @strawberry.mutation(description="Cancel a project before any payment, releasing its commitment.")
    async def cancel_project(self, info: Info, input: CancelProjectInput) -> CancelResult:
        return await _project_step(info, input, CancelProject, reason=input.reason)

    @strawberry.mutation(description="Record a payment, up to the approved amount.")
    async def record_payment(self, info: Info, input: RecordPaymentInput) -> PaymentResult:
        return await _project_step(info, input, RecordPayment, amount=input.amount, paid_on=input.paid_on,
                                   payee=input.payee, voucher_no=input.voucher_no, use=input.use)

    @strawberry.mutation(description="Reverse a payment made in error (the payment stays in the ledger).")
    async def reverse_payment(self, info: Info, input: ReversePaymentInput) -> ReverseResult:
        return await execute(info, input, lambda: ReversePayment(
            fund_id=parse_id(input.fund_id, "fundId"), payment_id=parse_id(input.payment_id, "paymentId"),
            reason=input.reason, reversed_on=input.reversed_on), _project_payload(info))

    @strawberry.mutation(description="Accept a project's completed work.")
    async def accept_project(self, info: Info, input: AcceptProjectInput) -> AcceptResult:
        return await _project_step(info, input, AcceptProject, accepted_on=input.accepted_on)

    @strawberry.mutation(description="Publish a project's disclosure, closing it.")
    async def publish_project_disclosure(self, info: Info, input: PublishProjectDisclosureInput) -> DisclosureResult:
        return await _project_step(info, input, PublishProjectDisclosure, summary=input.summary,
                                   published_on=input.published_on)
