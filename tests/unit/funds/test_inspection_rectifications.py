"""Inspections with teeth: a finding's category and deadline, the inspected side's
rectification, the inspectors' verification or rejection, and the closing rule."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from domain.inspections.aggregate import FindingCategory, FindingState, Inspection, Severity
from domain.shared import events as ev
from domain.shared.errors import InspectionNotAllowed, InvalidInput, NotAuthorized
from domain.shared.permissions import Role
from domain.shared.upcasting import upcast
from tests.unit.fakes import actor, req
from tests.unit.funds.test_funds import Funds, approved_project, funds


async def _inspected(s: Funds) -> tuple[UUID, UUID, UUID]:
    pid = await approved_project(s)
    district = actor(Role.DISTRICT_ADMIN, scope=s.w.district, subject="inspector")
    insp = (await s.f.open_inspection(req(district), "2026 专项督查", fund_id=s.fund)).id
    out = await s.f.record_inspection_finding(req(district), insp, "虚报参加人数", Severity.MAJOR,
                                              project_ids=(pid,), category=FindingCategory.FALSE_CLAIM,
                                              rectify_by=date(2026, 3, 20))
    return insp, UUID(out.extra["finding_id"]), pid


async def _state(s: Funds, insp: UUID) -> Inspection:
    found = ev.replay(Inspection, await s.w.store.read_stream(insp))
    assert isinstance(found, Inspection)
    return found


async def test_a_false_claim_is_rectified_rejected_rectified_again_verified_and_only_then_closed() -> None:
    s = await funds()
    insp, finding, _ = await _inspected(s)
    inspector = actor(Role.DISTRICT_ADMIN, scope=s.w.district, subject="inspector")
    team = actor(Role.INSPECTOR, scope=s.w.district, subject="inspection-team")
    assert (await _state(s, insp)).findings[finding].rectify_by == date(2026, 3, 20)
    await s.f.record_rectification(req(s.finance), insp, finding, "退回多报的 600 元")
    with pytest.raises(InspectionNotAllowed, match="awaits the inspectors"):
        await s.f.record_rectification(req(s.finance), insp, finding, "再次说明")
    with pytest.raises(InvalidInput) as exc:
        await s.f.reject_rectification(req(team), insp, finding, "  ")
    assert exc.value.field == "reason"
    await s.f.reject_rectification(req(team), insp, finding, "未附退款凭证", date(2026, 3, 31))
    assert (await _state(s, insp)).findings[finding].state is FindingState.REJECTED
    with pytest.raises(InspectionNotAllowed, match="no verified rectification"):
        await s.f.close_inspection(req(inspector), insp, "结束")
    with pytest.raises(InspectionNotAllowed, match="REJECTED finding has no rectification to verify"):
        await s.f.verify_rectification(req(inspector), insp, finding)
    await s.f.record_rectification(req(s.finance), insp, finding, "补交退款凭证 PZ-R-01")
    await s.f.verify_rectification(req(team), insp, finding)
    await s.f.close_inspection(req(inspector), insp, "整改到位")
    assert [e.event_type for e in s.w.store.events if e.stream_id == insp] == [
        "Inspection.Opened", "Inspection.FindingRecorded", "Inspection.RectificationRecorded",
        "Inspection.RectificationRejected", "Inspection.RectificationRecorded", "Inspection.RectificationVerified",
        "Inspection.Closed"]
    rejected = next(e for e in s.w.store.events if e.event_type == "Inspection.RectificationRejected")
    assert rejected.payload["reason"] == "未附退款凭证" and rejected.payload["rectify_by"] == "2026-03-31"
    assert rejected.reason == "未附退款凭证"


async def test_the_inspected_side_rectifies_and_the_inspectors_verify() -> None:
    s = await funds()
    insp, finding, _ = await _inspected(s)
    inspector = actor(Role.DISTRICT_ADMIN, scope=s.w.district, subject="inspector")
    with pytest.raises(NotAuthorized):
        await s.f.record_rectification(req(inspector), insp, finding, "代为整改")
    await s.f.record_rectification(req(s.finance), insp, finding, "已整改")
    with pytest.raises(NotAuthorized):
        await s.f.verify_rectification(req(s.finance), insp, finding)


async def test_a_deadline_lies_ahead_and_defaults_to_thirty_days() -> None:
    s = await funds()
    pid = await approved_project(s)
    district = actor(Role.DISTRICT_ADMIN, scope=s.w.district, subject="inspector")
    insp = (await s.f.open_inspection(req(district), "督查", fund_id=s.fund)).id
    with pytest.raises(InvalidInput) as exc:
        await s.f.record_inspection_finding(req(district), insp, "截留", Severity.SEVERE, project_ids=(pid,),
                                            category=FindingCategory.WITHHOLDING, rectify_by=s.w.clock().date())
    assert exc.value.field == "rectifyBy"
    out = await s.f.record_inspection_finding(req(district), insp, "其他问题", Severity.MINOR)
    due = (await _state(s, insp)).findings[UUID(out.extra["finding_id"])].rectify_by
    assert due == s.w.clock().date() + timedelta(days=30)


def test_a_finding_recorded_before_categories_reads_as_other_without_a_deadline() -> None:
    version, payload = upcast("Inspection.FindingRecorded", 1, {"finding_id": "x", "description": "d"})
    assert version == 2 and payload["category"] == "OTHER" and payload["rectify_by"] is None
