"""Queries and mutations of funds, projects and inspections."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import strawberry

from api import views
from api.graphql.core import errors as e
from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.fund_types import (
    Fund,
    FundShortfall,
    Inspection,
    InspectionState,
    Money,
    Project,
    disclosure_cutoff,
    fund,
    inspection,
    project,
)
from api.graphql.queries import _org, argument_id, subtree_condition
from api.graphql.types import Connection, connection
from domain.funds.aggregate import AllocationSource, FundKind, ProjectState, SpendingCategory, YearEnd
from domain.funds.commands import (
    AcceptProject,
    AllocateFunds,
    ApproveProject,
    CancelProject,
    CloseFiscalYear,
    OpenFund,
    ProposeProject,
    PublishProjectDisclosure,
    RecordPayment,
    RecordProjectDecision,
    RejectProject,
    ReversePayment,
)
from domain.inspections.aggregate import Severity
from domain.inspections.commands import (
    CloseInspection,
    OpenInspection,
    RecordInspectionFinding,
    RecordRectification,
)
from domain.organizations.aggregate import COMMUNITY_KINDS
from domain.shared.commands import Command, Outcome
from domain.shared.errors import NotFound
from domain.shared.money import fmt


async def _scoped_row(info: Info, table: str, row_id: UUID) -> Any:
    """The row of ``table`` with this id, if its organization lies within the caller's scope."""
    c = views.Conditions()
    c.add("id = ?", row_id)
    views.scope_condition(c, info.context.actor, "organization_id")
    return await info.context.pool.fetchrow(f"SELECT * FROM {table} WHERE {c.where}", *c.args)


async def load_fund(info: Info, fid: UUID) -> Fund | None:
    row = await _scoped_row(info, "funds", fid)
    return fund(row) if row is not None else None


async def load_project(info: Info, pid: UUID) -> Project | None:
    row = await _scoped_row(info, "projects", pid)
    return project(row) if row is not None else None


async def load_inspection(info: Info, iid: UUID) -> Inspection | None:
    row = await _scoped_row(info, "inspections", iid)
    return inspection(row) if row is not None else None


@strawberry.input(description="Narrow a list of funds.")
class FundFilter:
    within: strawberry.ID | None = strawberry.field(default=None, description="Funds of this organization's subtree.")
    year: int | None = strawberry.field(default=None, description="Only this fiscal year.")
    kind: FundKind | None = strawberry.field(default=None, description="Only this kind.")


@strawberry.input(description="Narrow a list of projects.")
class ProjectFilter:
    within: strawberry.ID | None = strawberry.field(default=None, description="Projects of this subtree's funds.")
    fund_id: strawberry.ID | None = strawberry.field(default=None, description="Only this fund's projects.")
    year: int | None = strawberry.field(default=None, description="Only this fiscal year.")
    state: ProjectState | None = strawberry.field(default=None, description="Only this state.")
    category: SpendingCategory | None = strawberry.field(default=None, description="Only this category.")
    disclosure_overdue: bool | None = strawberry.field(
        default=None, description="Accepted projects whose disclosure deadline passed without one.")


@strawberry.input(description="Narrow a list of inspections.")
class InspectionFilter:
    within: strawberry.ID | None = strawberry.field(default=None, description="Inspections of this subtree.")
    fund_id: strawberry.ID | None = strawberry.field(default=None, description="Only inspections of this fund.")
    state: InspectionState | None = strawberry.field(default=None, description="Open or closed.")


@strawberry.type(description="Read funds, their ledgers and projects, inspections and compliance.")
class FundQueries:
    @strawberry.field(description="One fund, if its organization lies within your scope.")
    async def fund(self, info: Info, id: strawberry.ID) -> Fund | None:
        return await load_fund(info, argument_id(id, "id"))

    @strawberry.field(description="Funds within your scope, newest year first.")
    async def funds(self, info: Info, filter: FundFilter | None = None, first: int | None = None,
                    after: str | None = None) -> Connection[Fund]:
        f = filter or FundFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "organization_id")
        if f.within is not None:
            subtree_condition(c, "organization_id", f.within, "within")
        if f.year is not None:
            c.add("year = ?", f.year)
        if f.kind is not None:
            c.add("kind = ?", f.kind.value)
        page = await views.page(info.context.pool, "SELECT * FROM funds", c, ("year", "id"),
                                views.decode_cursor(after, 2), info.context.page_size(first),
                                descending=True)
        return connection(page, fund, lambda r: (r["year"], str(r["id"])))

    @strawberry.field(description="One project, if its fund lies within your scope.")
    async def project(self, info: Info, id: strawberry.ID) -> Project | None:
        return await load_project(info, argument_id(id, "id"))

    @strawberry.field(description="Projects within your scope, newest first.")
    async def projects(self, info: Info, filter: ProjectFilter | None = None,
                       first: int | None = None, after: str | None = None) -> Connection[Project]:
        f = filter or ProjectFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "organization_id")
        if f.within is not None:
            subtree_condition(c, "organization_id", f.within, "within")
        if f.fund_id is not None:
            c.add("fund_id = ?", argument_id(f.fund_id, "fundId"))
        if f.year is not None:
            c.add("year = ?", f.year)
        if f.state is not None:
            c.add("state = ?", f.state.value)
        if f.category is not None:
            c.add("category = ?", f.category.value)
        if f.disclosure_overdue is True:
            c.add("state = 'ACCEPTED' AND accepted_on < ?", disclosure_cutoff(info))
        elif f.disclosure_overdue is False:
            c.add("NOT (state = 'ACCEPTED' AND accepted_on < ?)", disclosure_cutoff(info))
        page = await views.page(info.context.pool, "SELECT * FROM projects", c,
                                ("proposed_position",), views.decode_cursor(after, 1),
                                info.context.page_size(first), descending=True)
        return connection(page, project, lambda r: (r["proposed_position"],))

    @strawberry.field(description="One inspection, if it lies within your scope.")
    async def inspection(self, info: Info, id: strawberry.ID) -> Inspection | None:
        return await load_inspection(info, argument_id(id, "id"))

    @strawberry.field(description="Inspections within your scope, newest first.")
    async def inspections(self, info: Info, filter: InspectionFilter | None = None,
                          first: int | None = None, after: str | None = None,
                          ) -> Connection[Inspection]:
        f = filter or InspectionFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "organization_id")
        if f.within is not None:
            subtree_condition(c, "organization_id", f.within, "within")
        if f.fund_id is not None:
            c.add("fund_id = ?", argument_id(f.fund_id, "fundId"))
        if f.state is not None:
            c.add("state = ?", f.state.value)
        page = await views.page(info.context.pool, "SELECT * FROM inspections", c,
                                ("opened_position",), views.decode_cursor(after, 1),
                                info.context.page_size(first), descending=True)
        return connection(page, inspection, lambda r: (r["opened_position"],))

    @strawberry.field(description="Active communities in your scope whose service fund for the year "
                                  "received less than the configured minimum (carry-over not counted).")
    async def fund_shortfalls(self, info: Info, year: int,
                              within: strawberry.ID | None = None) -> list[FundShortfall]:
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "o.id")
        if within is not None:
            subtree_condition(c, "o.id", within, "within")
        c.add("o.kind = ANY(?::text[])", sorted(k.value for k in COMMUNITY_KINDS))
        c.add("o.status = 'ACTIVE'")
        minimum = info.context.settings.funds.minimum
        year_arg = c.next_arg(year)
        min_arg = c.next_arg(minimum)
        rows = await info.context.pool.fetch(
            f"""
            SELECT o.*, f.id AS fund_id, coalesce(a.total, 0) AS allocated_total
              FROM organizations o
              LEFT JOIN funds f ON f.organization_id = o.id AND f.year = {year_arg}
                               AND f.kind = 'SERVICE_FUND'
              LEFT JOIN LATERAL (SELECT sum(amount) AS total FROM fund_movements m
                                  WHERE m.fund_id = f.id AND m.movement = 'ALLOCATION') a ON true
             WHERE {c.where} AND coalesce(a.total, 0) < {min_arg}
             ORDER BY o.name, o.id
            """,
            *c.args,
        )
        return [FundShortfall(organization=_org(r), year=year,
                              fund_id=strawberry.ID(str(r["fund_id"])) if r["fund_id"] else None,
                              allocated=Money(fmt(r["allocated_total"])), minimum=Money(fmt(minimum)),
                              shortfall=Money(fmt(minimum - r["allocated_total"])))
                for r in rows]


# -- mutations ---------------------------------------------------------------------------

@strawberry.type(description="The fund as the read model has it after the change.")
class FundPayload:
    fund: Fund | None = strawberry.field(description="The changed fund.")
    position: int = strawberry.field(description="Log position of the change.")


@strawberry.type(description="The project (and its fund) as the read models have them after the change.")
class ProjectPayload:
    project: Project | None = strawberry.field(description="The changed project.")
    fund: Fund | None = strawberry.field(description="Its fund, with the new figures.")
    payment_id: strawberry.ID | None = strawberry.field(description="The payment recorded or reversed, if any.")
    position: int = strawberry.field(description="Log position of the change.")


@strawberry.type(description="The inspection as the read model has it after the change.")
class InspectionPayload:
    inspection: Inspection | None = strawberry.field(description="The changed inspection.")
    finding_id: strawberry.ID | None = strawberry.field(description="The finding recorded or rectified, if any.")
    position: int = strawberry.field(description="Log position of the change.")


_MONEY = (e.InsufficientFunds, e.FundClosed)
OpenFundResult = result_union("OpenFundResult", FundPayload, e.AlreadyExists, e.OrganizationDissolved)
AllocateResult = result_union("AllocateFundsResult", FundPayload, e.FundClosed)
CloseYearResult = result_union("CloseFiscalYearResult", FundPayload, e.FundClosed, e.ProjectNotAllowed)
ProposeResult = result_union("ProposeProjectResult", ProjectPayload, e.ForbiddenPurpose, e.FundClosed)
_STEP = (ProjectPayload, e.ProjectNotAllowed, e.FundClosed)
DecisionResult = result_union("RecordProjectDecisionResult", *_STEP)
RejectResult = result_union("RejectProjectResult", *_STEP)
CancelResult = result_union("CancelProjectResult", *_STEP)
ReverseResult = result_union("ReversePaymentResult", *_STEP)
AcceptResult = result_union("AcceptProjectResult", *_STEP)
DisclosureResult = result_union("PublishProjectDisclosureResult", *_STEP)
ApproveResult = result_union("ApproveProjectResult", ProjectPayload, e.ProjectNotAllowed, *_MONEY)
PaymentResult = result_union("RecordPaymentResult", ProjectPayload, e.ProjectNotAllowed,
                             e.AmountExceedsApproval, *_MONEY)
_INSPECTION = (InspectionPayload, e.InspectionNotAllowed)
OpenInspectionResult = result_union("OpenInspectionResult", *_INSPECTION)
FindingResult = result_union("RecordInspectionFindingResult", *_INSPECTION)
RectificationResult = result_union("RecordRectificationResult", *_INSPECTION)
CloseInspectionResult = result_union("CloseInspectionResult", *_INSPECTION)

_KEY = "Repeat a mutation with the same key to get its first result; nothing is appended twice."
_VERSION = "The fund version you last saw; if it moved on you get VersionConflict."


@strawberry.input(description="Open a fund for an organization, year and kind (one of each).")
class OpenFundInput:
    organization_id: strawberry.ID = strawberry.field(description="The owning organization, usually a community.")
    year: int = strawberry.field(description="Fiscal (calendar) year.")
    kind: FundKind = strawberry.field(description="Service fund or red fund.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Allocate money to a fund.")
class AllocateFundsInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund.")
    amount: Money = strawberry.field(description='Exact yuan, e.g. "120000.00".')
    source: AllocationSource = strawberry.field(description="Where the money comes from.")
    effective_on: date = strawberry.field(description="Business date, within the fund's year.")
    document_no: str = strawberry.field(description="Reference document number, e.g. 龙财〔2026〕3号.")
    reason: str | None = strawberry.field(default=None, description="Optional note recorded with the event.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Close a fund's fiscal year; the balance is carried over or returned.")
class CloseFiscalYearInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund.")
    closed_on: date | None = strawberry.field(default=None, description="Defaults to today.")
    year_end: YearEnd | None = strawberry.field(default=None, description="Defaults to the configured policy.")
    reason: str | None = strawberry.field(default=None, description="Optional note.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Propose a project to be paid from a fund.")
class ProposeProjectInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund.")
    category: SpendingCategory = strawberry.field(description="What it spends on (only allowed categories pass).")
    title: str = strawberry.field(description="Short title.")
    amount: Money = strawberry.field(description="Amount requested.")
    purpose: str = strawberry.field(description="What the money is for.")
    beneficiaries: str = strawberry.field(description="Who benefits.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Record the collective decision (meeting) on a proposed project.")
class RecordProjectDecisionInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    meeting_on: date = strawberry.field(description="Date of the meeting.")
    attendees: list[str] = strawberry.field(description="Names of the attendees (at least three).")
    resolution: str = strawberry.field(description="What the meeting resolved.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Approve a decided project (a higher level; never the proposer).")
class ApproveProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    amount: Money | None = strawberry.field(
        default=None, description="Approve less than proposed; defaults to the proposal.")
    reason: str | None = strawberry.field(default=None, description="Optional note.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Reject a decided project, with a reason.")
class RejectProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    reason: str = strawberry.field(description="Why it is rejected.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Cancel a project before any payment, with a reason.")
class CancelProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    reason: str = strawberry.field(description="Why it is cancelled.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Record a payment for an approved project.")
class RecordPaymentInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    amount: Money = strawberry.field(description="Amount paid.")
    paid_on: date = strawberry.field(description="Payment date, within the fund's year.")
    payee: str = strawberry.field(description="Who was paid.")
    voucher_no: str = strawberry.field(description="Accounting voucher number.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Reverse a payment made in error: a new event that references it.")
class ReversePaymentInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund the payment was made from.")
    payment_id: strawberry.ID = strawberry.field(description="The payment to reverse.")
    reason: str = strawberry.field(description="Why it is reversed.")
    reversed_on: date | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Accept a project's completed work.")
class AcceptProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    accepted_on: date | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Publish a project's disclosure (公示); releases any unspent commitment.")
class PublishProjectDisclosureInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    summary: str = strawberry.field(description="The text published.")
    published_on: date | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Open an inspection of one fund or of an organization subtree.")
class OpenInspectionInput:
    title: str = strawberry.field(description="Title.")
    fund_id: strawberry.ID | None = strawberry.field(default=None, description="Inspect this fund...")
    organization_id: strawberry.ID | None = strawberry.field(default=None, description="...or this subtree.")
    opened_on: date | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record an inspection finding citing projects or payments.")
class RecordInspectionFindingInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection.")
    description: str = strawberry.field(description="What was found.")
    severity: Severity = strawberry.field(description="How serious it is.")
    fund_id: strawberry.ID | None = strawberry.field(
        default=None, description="The fund whose projects or payments it cites (defaults to the inspected fund).")
    project_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description="Projects cited.")
    payment_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description="Payments cited.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record the rectification of a finding.")
class RecordRectificationInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection.")
    finding_id: strawberry.ID = strawberry.field(description="The finding.")
    description: str = strawberry.field(description="What was done.")
    rectified_on: date | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Close an inspection once every finding is rectified.")
class CloseInspectionInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection.")
    conclusion: str = strawberry.field(description="The conclusion.")
    closed_on: date | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


async def _fund_of(info: Info, project_id: strawberry.ID) -> tuple[UUID, UUID]:
    pid = parse_id(project_id, "projectId")
    # Scoped like a query: a project outside your scope is "not found", not "forbidden",
    # so ids cannot be probed for existence.
    c = views.Conditions()
    c.add("id = ?", pid)
    views.scope_condition(c, info.context.actor, "organization_id")
    fid = await info.context.pool.fetchval(f"SELECT fund_id FROM projects WHERE {c.where}", *c.args)
    if fid is None:
        raise NotFound(f"no project {pid} within your scope", field="projectId")
    return fid, pid


def _fund_payload(info: Info) -> Any:
    async def present(o: Outcome) -> FundPayload:
        return FundPayload(fund=await load_fund(info, o.id), position=o.position)
    return present


def _project_payload(info: Info) -> Any:
    async def present(o: Outcome) -> ProjectPayload:
        pid, pay = o.extra.get("project_id"), o.extra.get("payment_id")
        return ProjectPayload(
            project=await load_project(info, UUID(pid)) if pid else None,
            fund=await load_fund(info, o.id), position=o.position,
            payment_id=strawberry.ID(pay) if pay else None,
        )
    return present


def _inspection_payload(info: Info) -> Any:
    async def present(o: Outcome) -> InspectionPayload:
        finding = o.extra.get("finding_id")
        return InspectionPayload(inspection=await load_inspection(info, o.id), position=o.position,
                                 finding_id=strawberry.ID(finding) if finding else None)
    return present


def _project_step(info: Info, data: Any, command: Callable[..., Command], **fields: Any) -> Any:
    """Run a step on the project ``data.project_id`` names, its fund found through the read model."""
    async def build() -> Command:
        fid, pid = await _fund_of(info, data.project_id)
        return command(fund_id=fid, project_id=pid, **fields)
    return execute(info, data, build, _project_payload(info))


@strawberry.type(description="Change funds, projects and inspections.")
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
        description="Close the fiscal year: carry the balance into next year's fund or return it, atomically.")
    async def close_fiscal_year(self, info: Info, input: CloseFiscalYearInput) -> CloseYearResult:
        return await execute(info, input, lambda: CloseFiscalYear(
            fund_id=parse_id(input.fund_id, "fundId"), closed_on=input.closed_on,
            disposition=input.year_end, reason=input.reason), _fund_payload(info))

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
                                   payee=input.payee, voucher_no=input.voucher_no)

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

    @strawberry.mutation(description="Open an inspection of a fund or an organization subtree (from above).")
    async def open_inspection(self, info: Info, input: OpenInspectionInput) -> OpenInspectionResult:
        return await execute(info, input, lambda: OpenInspection(
            title=input.title, organization_id=parse_opt_id(input.organization_id, "organizationId"),
            fund_id=parse_opt_id(input.fund_id, "fundId"), opened_on=input.opened_on), _inspection_payload(info))

    @strawberry.mutation(description="Record a finding that cites projects or payments.")
    async def record_inspection_finding(self, info: Info, input: RecordInspectionFindingInput) -> FindingResult:
        return await execute(info, input, lambda: RecordInspectionFinding(
            inspection_id=parse_id(input.inspection_id, "inspectionId"), description=input.description,
            severity=input.severity, fund_id=parse_opt_id(input.fund_id, "fundId"),
            project_ids=tuple(parse_id(x, "projectIds") for x in input.project_ids),
            payment_ids=tuple(parse_id(x, "paymentIds") for x in input.payment_ids)), _inspection_payload(info))

    @strawberry.mutation(description="Record how a finding was rectified.")
    async def record_rectification(self, info: Info, input: RecordRectificationInput) -> RectificationResult:
        return await execute(info, input, lambda: RecordRectification(
            inspection_id=parse_id(input.inspection_id, "inspectionId"),
            finding_id=parse_id(input.finding_id, "findingId"), description=input.description,
            rectified_on=input.rectified_on), _inspection_payload(info))

    @strawberry.mutation(description="Close an inspection once all findings are rectified.")
    async def close_inspection(self, info: Info, input: CloseInspectionInput) -> CloseInspectionResult:
        return await execute(info, input, lambda: CloseInspection(
            inspection_id=parse_id(input.inspection_id, "inspectionId"), conclusion=input.conclusion,
            closed_on=input.closed_on), _inspection_payload(info))
