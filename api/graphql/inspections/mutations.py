"""Mutations of inspections: each builds a command and hands it to the domain."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.inspections.errors import InspectionNotAllowed
from api.graphql.inspections.queries import load_inspection
from api.graphql.inspections.types import Inspection
from domain.inspections.aggregate import FindingCategory, Severity
from domain.inspections.commands import (
    CloseInspection,
    OpenInspection,
    RecordInspectionFinding,
    RecordRectification,
    RejectRectification,
    VerifyRectification,
)
from domain.shared.commands import Outcome


@strawberry.type(description="The inspection as the read model has it after the change.")
class InspectionPayload:
    inspection: Inspection | None = strawberry.field(description="The changed inspection.")
    finding_id: strawberry.ID | None = strawberry.field(description="The finding recorded or rectified, if any.")
    position: int = strawberry.field(description="Log position of the change.")


_INSPECTION = (InspectionPayload, InspectionNotAllowed)


OpenInspectionResult = result_union("OpenInspectionResult", *_INSPECTION)


FindingResult = result_union("RecordInspectionFindingResult", *_INSPECTION)


RectificationResult = result_union("RecordRectificationResult", *_INSPECTION)


CloseInspectionResult = result_union("CloseInspectionResult", *_INSPECTION)


VerifyResult = result_union("VerifyRectificationResult", *_INSPECTION)


RejectRectificationResult = result_union("RejectRectificationResult", *_INSPECTION)


_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")


@strawberry.input(description="Open an inspection of one fund or of an organization subtree.")
class OpenInspectionInput:
    title: str = strawberry.field(description="Title: 1–200 characters.")
    fund_id: strawberry.ID | None = strawberry.field(default=None, description="Inspect this fund...")
    organization_id: strawberry.ID | None = strawberry.field(default=None, description="...or this subtree.")
    opened_on: date | None = strawberry.field(
        default=None, description="Defaults to today; not ahead of today, not before the organization or the fund's"
                                  " year began.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record an inspection finding citing projects or payments.")
class RecordInspectionFindingInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection.")
    description: str = strawberry.field(description="What was found: 1–2000 characters.")
    severity: Severity = strawberry.field(description="How serious it is.")
    fund_id: strawberry.ID | None = strawberry.field(
        default=None, description="The fund whose projects or payments it cites (defaults to the inspected fund).")
    project_ids: list[strawberry.ID] = strawberry.field(default_factory=list,
                                                        description="Projects cited: at most 100.")
    payment_ids: list[strawberry.ID] = strawberry.field(default_factory=list,
                                                        description="Payments cited: at most 100.")
    category: FindingCategory = strawberry.field(default=FindingCategory.OTHER,
                                                 description="What misuse it names.")
    rectify_by: date | None = strawberry.field(
        default=None, description="When the rectification is due: after today and within 366 days; defaults to"
                                  " 30 days from today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record the rectification of a finding.")
class RecordRectificationInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection.")
    finding_id: strawberry.ID = strawberry.field(description="The finding.")
    description: str = strawberry.field(description="What was done: 1–2000 characters.")
    rectified_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Accept a finding's recorded rectification (the inspectors or an auditor).")
class VerifyRectificationInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection.")
    finding_id: strawberry.ID = strawberry.field(description="The finding whose rectification awaits verification.")
    verified_on: date | None = strawberry.field(
        default=None, description="Defaults to today; not ahead of today, not before the rectification.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Reject a finding's recorded rectification, saying why: it is due again.")
class RejectRectificationInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection.")
    finding_id: strawberry.ID = strawberry.field(description="The finding whose rectification awaits verification.")
    reason: str = strawberry.field(description="Why it is rejected: 1–500 characters.")
    rectify_by: date | None = strawberry.field(
        default=None, description="A new deadline (after the rejection, within 366 days); defaults to the"
                                  " finding's deadline.")
    rejected_on: date | None = strawberry.field(
        default=None, description="Defaults to today; not ahead of today, not before the rectification.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Close an inspection once every finding's rectification is verified.")
class CloseInspectionInput:
    inspection_id: strawberry.ID = strawberry.field(description="The inspection.")
    conclusion: str = strawberry.field(description="The conclusion: 1–2000 characters.")
    closed_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


def _inspection_payload(info: Info) -> Any:
    async def present(o: Outcome) -> InspectionPayload:
        finding = o.extra.get("finding_id")
        return InspectionPayload(inspection=await load_inspection(info, o.id), position=o.position,
                                 finding_id=strawberry.ID(finding) if finding else None)
    return present


@strawberry.type(description="Change inspections.")
class InspectionMutations:
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
            payment_ids=tuple(parse_id(x, "paymentIds") for x in input.payment_ids), category=input.category,
            rectify_by=input.rectify_by), _inspection_payload(info))

    @strawberry.mutation(description="Record how a finding was rectified (the inspected community's secretary or"
                                     " finance officer); the inspectors then verify it.")
    async def record_rectification(self, info: Info, input: RecordRectificationInput) -> RectificationResult:
        return await execute(info, input, lambda: RecordRectification(
            inspection_id=parse_id(input.inspection_id, "inspectionId"),
            finding_id=parse_id(input.finding_id, "findingId"), description=input.description,
            rectified_on=input.rectified_on), _inspection_payload(info))

    @strawberry.mutation(description="Accept a finding's rectification (from above, or an auditor).")
    async def verify_rectification(self, info: Info, input: VerifyRectificationInput) -> VerifyResult:
        return await execute(info, input, lambda: VerifyRectification(
            inspection_id=parse_id(input.inspection_id, "inspectionId"),
            finding_id=parse_id(input.finding_id, "findingId"), verified_on=input.verified_on),
            _inspection_payload(info))

    @strawberry.mutation(description="Reject a finding's rectification with a reason (from above, or an auditor).")
    async def reject_rectification(self, info: Info, input: RejectRectificationInput) -> RejectRectificationResult:
        return await execute(info, input, lambda: RejectRectification(
            inspection_id=parse_id(input.inspection_id, "inspectionId"),
            finding_id=parse_id(input.finding_id, "findingId"), reason=input.reason, rectify_by=input.rectify_by,
            rejected_on=input.rejected_on), _inspection_payload(info))

    @strawberry.mutation(description="Close an inspection once every finding's rectification is verified.")
    async def close_inspection(self, info: Info, input: CloseInspectionInput) -> CloseInspectionResult:
        return await execute(info, input, lambda: CloseInspection(
            inspection_id=parse_id(input.inspection_id, "inspectionId"), conclusion=input.conclusion,
            closed_on=input.closed_on), _inspection_payload(info))
