"""Inspections' use cases: authorize → load → decide (``Handling`` appends)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.funds.aggregate import Fund
from domain.inspections.aggregate import Inspection, check_cited, check_opened_on
from domain.inspections.commands import (
    CloseInspection,
    InspectionCommand,
    OpenInspection,
    RecordInspectionFinding,
    RecordRectification,
    RejectRectification,
    VerifyRectification,
)
from domain.organizations.aggregate import Organization
from domain.shared import events as ev
from domain.shared.commands import required_reason
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.handling import Decision, Handler, Unit, changed


async def open_inspection(cmd: OpenInspection, unit: Unit) -> Decision:
    if (cmd.organization_id is None) == (cmd.fund_id is None):
        raise InvalidInput("an inspection covers either a fund or an organization subtree", field="fundId")
    title = Inspection.check_title(cmd.title)
    target = cmd.organization_id
    fund_year = None
    if cmd.fund_id is not None:
        fund = await unit.load(Fund, cmd.fund_id, "fund")
        target, fund_year = fund.organization_id, fund.year
    assert target is not None
    await unit.authorize(target, field="organizationId")
    org = await unit.load(Organization, target, "organization")
    not_before = max(org.established_on, date(fund_year, 1, 1)) if fund_year else org.established_on
    opened_on = check_opened_on(cmd.opened_on or unit.today(), unit.today(), not_before)
    inspection = Inspection(organization_id=org.id, fund_id=cmd.fund_id, title=title, opened_on=opened_on)
    return Decision(inspection.id, ev.to_new_events(inspection))


async def _inspection(unit: Unit, cmd: InspectionCommand) -> Inspection:
    inspection = await unit.load(Inspection, cmd.inspection_id, "inspection")
    await unit.authorize(inspection.organization_id)
    return inspection


async def record_inspection_finding(cmd: RecordInspectionFinding, unit: Unit) -> Decision:
    check_cited(cmd.project_ids, cmd.payment_ids)
    inspection = await _inspection(unit, cmd)
    projects, payments = list(cmd.project_ids), list(cmd.payment_ids)
    known_projects: set[UUID] = set()
    known_payments: set[UUID] = set()
    if projects or payments:
        cited = cmd.fund_id or inspection.fund_id
        if cited is None:
            raise InvalidInput("name the fund whose projects or payments the finding cites", field="fundId")
        fund = await unit.load(Fund, cited, "fund")
        path = await unit.directory.path_of(fund.organization_id) or []
        if inspection.organization_id not in path:
            raise NotFound("the fund lies outside the inspected organization", field="fundId")
        known_projects, known_payments = set(fund.projects), set(fund.payments)
    finding = inspection.record_finding(cmd.description, cmd.severity, projects, payments,
                                        known_projects, known_payments, cmd.category, cmd.rectify_by,
                                        unit.today())
    return changed(inspection, result={"finding_id": str(finding)})


async def record_rectification(cmd: RecordRectification, unit: Unit) -> Decision:
    inspection = await _inspection(unit, cmd)
    inspection.record_rectification(cmd.finding_id, cmd.description, cmd.rectified_on or unit.today(),
                                    unit.today())
    return changed(inspection, result={"finding_id": str(cmd.finding_id)})


async def verify_rectification(cmd: VerifyRectification, unit: Unit) -> Decision:
    inspection = await _inspection(unit, cmd)
    inspection.verify_rectification(cmd.finding_id, cmd.verified_on or unit.today(), unit.today())
    return changed(inspection, result={"finding_id": str(cmd.finding_id)})


async def reject_rectification(cmd: RejectRectification, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    inspection = await _inspection(unit, cmd)
    inspection.reject_rectification(cmd.finding_id, reason, cmd.rejected_on or unit.today(), unit.today(),
                                    cmd.rectify_by)
    return changed(inspection, reason=reason, result={"finding_id": str(cmd.finding_id)})


async def close_inspection(cmd: CloseInspection, unit: Unit) -> Decision:
    inspection = await _inspection(unit, cmd)
    inspection.close(cmd.closed_on or unit.today(), cmd.conclusion, unit.today())
    return changed(inspection)


HANDLERS: dict[type, Handler] = {
    OpenInspection: open_inspection,
    RecordInspectionFinding: record_inspection_finding,
    RecordRectification: record_rectification,
    VerifyRectification: verify_rectification,
    RejectRectification: reject_rectification,
    CloseInspection: close_inspection,
}
