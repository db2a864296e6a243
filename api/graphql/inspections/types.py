"""Object types of inspections and their findings."""

from __future__ import annotations

import enum
from datetime import date, datetime

import asyncpg
import strawberry

from api.graphql.core.context import Info
from api.graphql.core.relay import Node
from api.graphql.funds.types import _id
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from domain.inspections.aggregate import FindingCategory, FindingState, Severity

strawberry.enum(Severity, description="How serious an inspection finding is.")


strawberry.enum(FindingCategory, description="What misuse a finding names: false claims (虚报), fraudulent"
                                             " drawing (冒领), withholding (截留), diversion (挪用), or other.")


strawberry.enum(FindingState, description="Where a finding's rectification stands: due (OPEN), recorded and"
                                          " awaiting verification (RECTIFIED), rejected and due again (REJECTED),"
                                          " verified (VERIFIED).")


@strawberry.enum(description="Whether an inspection is open or closed.")
class InspectionState(enum.Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


@strawberry.type(description="A problem an inspection found, and its rectification.")
class Finding:
    id: strawberry.ID = strawberry.field(description="The finding's id.")
    description: str = strawberry.field(description="What was found.")
    severity: Severity = strawberry.field(description="How serious it is.")
    project_ids: list[strawberry.ID] = strawberry.field(description="Projects it cites.")
    payment_ids: list[strawberry.ID] = strawberry.field(description="Payments it cites.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    recorded_by: str = strawberry.field(description="Who recorded it.")
    rectified_on: date | None = strawberry.field(description="When it was (last) rectified.")
    rectification: str | None = strawberry.field(description="What was (last) done about it.")
    category: FindingCategory = strawberry.field(description="What misuse it names.")
    rectify_by: date | None = strawberry.field(
        description="When its rectification is due (none for findings recorded before deadlines existed).")
    state: FindingState = strawberry.field(description="Where its rectification stands.")
    rejections: int = strawberry.field(description="How many rectifications the inspectors rejected.")
    rejection_reason: str | None = strawberry.field(description="Why the last rectification was rejected.")
    verified_on: date | None = strawberry.field(description="When the inspectors verified the rectification.")
    inspection_id: strawberry.ID = strawberry.field(description="Its inspection.")


@strawberry.type(description="A special inspection (专项督查) of a fund or an organization subtree.")
class Inspection(Node):
    row: strawberry.Private[asyncpg.Record]
    title: str = strawberry.field(description="Title.")
    state: InspectionState = strawberry.field(description="Open or closed.")
    opened_on: date = strawberry.field(description="When it opened.")
    opened_by: str = strawberry.field(description="Who opened it.")
    closed_on: date | None = strawberry.field(description="When it closed.")
    conclusion: str | None = strawberry.field(description="Its conclusion.")
    open_findings: int = strawberry.field(description="Findings whose rectification is not verified yet.")
    fund_id: strawberry.ID | None = strawberry.field(description="The fund inspected, if it covers one fund.")

    @strawberry.field(description="The organization inspected (the fund's, or the subtree's root).")
    async def organization(self, info: Info) -> Organization | None:
        return await load_organization(info, self.row["organization_id"])

    @strawberry.field(description="Its findings, oldest first.")
    async def findings(self, info: Info) -> list[Finding]:
        rows = await info.context.loaders.findings_of_inspection.load(self.row["id"])
        return [finding(r) for r in rows]


def inspection(r: asyncpg.Record) -> Inspection:
    return Inspection(
        id=_id(r["id"]), row=r, title=r["title"], state=InspectionState(r["state"]),
        opened_on=r["opened_on"], opened_by=r["opened_by"], closed_on=r["closed_on"],
        conclusion=r["conclusion"], open_findings=r["open_findings"],
        fund_id=_id(r["fund_id"]) if r["fund_id"] else None,
    )


def finding(r: asyncpg.Record) -> Finding:
    return Finding(id=_id(r["id"]), description=r["description"], severity=Severity(r["severity"]),
                   project_ids=[_id(x) for x in r["project_ids"]], payment_ids=[_id(x) for x in r["payment_ids"]],
                   recorded_at=r["recorded_at"], recorded_by=r["recorded_by"], rectified_on=r["rectified_on"],
                   rectification=r["rectification"], category=FindingCategory(r["category"]),
                   rectify_by=r["rectify_by"], state=FindingState(r["state"]), rejections=r["rejections"],
                   rejection_reason=r["rejection_reason"], verified_on=r["verified_on"],
                   inspection_id=_id(r["inspection_id"]))
