"""Mutations and queries of dues (党费) and of the review's evidence (``domain.members.dues``)."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import argument_id
from api.graphql.core.scalars import Money
from api.graphql.members.dues_types import DuesMonth
from api.graphql.members.errors import DuesLate, DuesNotAllowed, MemberExited
from api.graphql.members.mutations import _KEY, _VERSION, MemberPayload, _member_payload
from domain.members.commands import (
    ApproveDuesReduction,
    AssessMemberDues,
    ProposeDuesReduction,
    RecordDuesPayment,
    RecordMemberActivity,
    RejectDuesReduction,
)
from domain.members.dues import ActivityKind, DuesCategory
from domain.shared.money import fmt
from domain.shared.permissions import may_read

AssessResult = result_union("AssessMemberDuesResult", MemberPayload, DuesNotAllowed, MemberExited)
ProposeReductionResult = result_union("ProposeDuesReductionResult", MemberPayload, DuesNotAllowed, MemberExited)
ApproveReductionResult = result_union("ApproveDuesReductionResult", MemberPayload, DuesNotAllowed, MemberExited)
RejectReductionResult = result_union("RejectDuesReductionResult", MemberPayload, DuesNotAllowed, MemberExited)
PaymentResult = result_union("RecordDuesPaymentResult", MemberPayload, DuesNotAllowed, DuesLate, MemberExited)
ActivityResult = result_union("RecordMemberActivityResult", MemberPayload, MemberExited)

_YEAR = "The year the dues are for."
_REFERENCE = "The decision's reference (文号 or minutes' number): 1–200 characters."


@strawberry.input(description="Fix a member's monthly dues for a year from the declared income, by band.")
class AssessMemberDuesInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    year: int = strawberry.field(description="From the year the member joined to next year; once a year.")
    category: DuesCategory = strawberry.field(description="Employed, retired, student or minimum allowance.")
    declared_income: Money | None = strawberry.field(
        default=None, description="Monthly after-tax income (or pension) in yuan: personal data, sealed in the"
                                  " log like the ID number. Required unless the category pays the flat amount.")
    reason: str | None = strawberry.field(default=None, description="Recorded; at most 500 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record the branch's decision to reduce (or exempt) a member's dues for a year.")
class ProposeDuesReductionInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    year: int = strawberry.field(description=_YEAR)
    monthly_amount: Money = strawberry.field(description="The reduced monthly amount, below the current; 0.00"
                                                         " exempts.")
    decided_on: date = strawberry.field(description="The branch's decision date: not ahead of today.")
    decision_reference: str = strawberry.field(description=_REFERENCE)
    reason: str = strawberry.field(description="The grounds (recorded; 1–500 characters).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Approve a branch's dues reduction, from the level above the member's home.")
class ApproveDuesReductionInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    year: int = strawberry.field(description=_YEAR)
    reason: str | None = strawberry.field(default=None, description="Recorded; at most 500 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Reject a branch's dues reduction, from the level above the member's home.")
class RejectDuesReductionInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    year: int = strawberry.field(description=_YEAR)
    reason: str = strawberry.field(description="Why not (recorded; 1–500 characters).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record dues handed in for the months after the paid-through month.")
class RecordDuesPaymentInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    months: int = strawberry.field(description="How many months it covers: 1–12 (1 monthly, 3 a quarter).")
    amount: Money = strawberry.field(description="Exactly what those months cost at their years' amounts.")
    paid_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of it.")
    late_reason: str | None = strawberry.field(
        default=None, description="Required (`DuesLate` without it) when the first month lies more than"
                                  " `GRASSROOTS_DUES_LATE_MONTHS` (6) months back; at most 500 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record Party life attended or assigned work carried out by a member.")
class RecordMemberActivityInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    kind: ActivityKind = strawberry.field(description="Party life or assigned work.")
    on: date = strawberry.field(description="The date: not ahead of today, not before joining.")
    description: str = strawberry.field(description="What it was (the meeting, the task): 1–200 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.type(description="Fix, reduce and collect members' dues; record the review's evidence.")
class DuesMutations:
    @strawberry.mutation(description="Fix a member's monthly dues for a year from the declared after-tax"
                                     " income by band (`GRASSROOTS_DUES_BANDS`), in exact fen; once a year.")
    async def assess_member_dues(self, info: Info, input: AssessMemberDuesInput) -> AssessResult:
        return await execute(info, input, lambda: AssessMemberDues(
            member_id=parse_id(input.id, "id"), year=input.year, category=input.category,
            declared_income=input.declared_income, reason=input.reason), _member_payload(info))

    @strawberry.mutation(description="Step one of a dues reduction or exemption: the branch's decision, at the"
                                     " member's home. The amount changes once the level above approves.")
    async def propose_dues_reduction(self, info: Info, input: ProposeDuesReductionInput,
                                     ) -> ProposeReductionResult:
        return await execute(info, input, lambda: ProposeDuesReduction(
            member_id=parse_id(input.id, "id"), year=input.year, monthly_amount=input.monthly_amount,
            decided_on=input.decided_on, decision_reference=input.decision_reference, reason=input.reason),
            _member_payload(info))

    @strawberry.mutation(description="Step two: the level above the member's home approves the reduction (only"
                                     " from strictly above it); the year's months cost the reduced amount.")
    async def approve_dues_reduction(self, info: Info, input: ApproveDuesReductionInput,
                                     ) -> ApproveReductionResult:
        return await execute(info, input, lambda: ApproveDuesReduction(
            member_id=parse_id(input.id, "id"), year=input.year, reason=input.reason), _member_payload(info))

    @strawberry.mutation(description="The level above rejects the reduction, with a reason: the amount stays.")
    async def reject_dues_reduction(self, info: Info, input: RejectDuesReductionInput) -> RejectReductionResult:
        return await execute(info, input, lambda: RejectDuesReduction(
            member_id=parse_id(input.id, "id"), year=input.year, reason=input.reason), _member_payload(info))

    @strawberry.mutation(description="Record a dues payment: it advances `duesPaidThrough` by `months`, never"
                                     " past the current month plus `GRASSROOTS_DUES_PREPAY_MONTHS`.")
    async def record_dues_payment(self, info: Info, input: RecordDuesPaymentInput) -> PaymentResult:
        return await execute(info, input, lambda: RecordDuesPayment(
            member_id=parse_id(input.id, "id"), months=input.months, amount=input.amount, paid_on=input.paid_on,
            late_reason=input.late_reason), _member_payload(info))

    @strawberry.mutation(description="Record Party life attended or assigned work carried out: evidence that"
                                     " keeps the six-month review flag down.")
    async def record_member_activity(self, info: Info, input: RecordMemberActivityInput) -> ActivityResult:
        return await execute(info, input, lambda: RecordMemberActivity(
            member_id=parse_id(input.id, "id"), kind=input.kind, on=input.on, description=input.description),
            _member_payload(info))


_COLLECTION = """
SELECT date_trunc('month', p.paid_on::timestamp)::date AS month, sum(p.amount) AS amount,
       count(*) AS payments, count(DISTINCT p.member_id) AS members
  FROM dues_payments p
 WHERE p.paid_on >= make_date($2, 1, 1) AND p.paid_on < make_date($2 + 1, 1, 1)
   AND (p.organization_id = $1 OR ($3 AND p.organization_id IN
        (SELECT id FROM organizations WHERE path @> ARRAY[$1::uuid])))
 GROUP BY 1 ORDER BY 1
"""


@strawberry.type(description="Read dues collections.")
class DuesQueries:
    @strawberry.field(description="Dues collected per month of `year` by the organization (with `subtree`, the"
                                  " default: by it and every organization under it), at the organization the"
                                  " member belonged to when paying; months without payments are left out."
                                  " Empty outside your scope.")
    async def dues_collection(self, info: Info, organization_id: strawberry.ID, year: int,
                              subtree: bool = True) -> list[DuesMonth]:
        oid = argument_id(organization_id, "organizationId")
        if not 1921 <= year <= 9999:
            raise ValueError(f"year is from 1921 to 9999: {year}")
        org = await info.context.loaders.organization.load(oid)
        if org is None or not may_read(info.context.actor, org["path"]):
            return []
        rows = await info.context.pool.fetch(_COLLECTION, oid, year, subtree)
        return [DuesMonth(month=r["month"], amount=Money(fmt(r["amount"])), payments=r["payments"],
                          members=r["members"]) for r in rows]
