"""The reporting cycle (每月通报、半年检查、年度评估): records with due dates, who recorded them,
and what is overdue as of a date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from domain.funds.aggregate import FundKind
from domain.funds.reporting import (
    DocumentRef,
    EvaluationRating,
    FundReportAlreadyRecorded,
    FundReportingRules,
    ReportKind,
    reports_id,
)
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Role
from tests.unit.fakes import World, actor, req, world

B, H, Y = ReportKind.MONTHLY_BRIEFING, ReportKind.HALF_YEAR_CHECK, ReportKind.YEARLY_EVALUATION
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


async def fund(now: datetime = datetime(2026, 7, 20, 9, 0, tzinfo=UTC)) -> tuple[World, UUID]:
    w = await world()
    w.clock.now = now
    fin = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    return w, (await w.commands.open_fund(req(fin), w.east, 2026, FundKind.SERVICE_FUND)).id


def test_each_report_is_due_as_the_rules_say() -> None:
    rules = FundReportingRules(briefing_day=5, half_year_days=10, yearly_days=20)
    due = {(d.kind, d.period): d.due_on for d in rules.due(2026, date(2026, 3, 14))}
    assert (B, "2026-02") not in due  # its money arrived in March: briefed from March on
    assert due[(B, "2026-03")] == date(2026, 4, 5)
    assert due[(B, "2026-12")] == date(2027, 1, 5)
    assert due[(H, "2026-H1")] == date(2026, 7, 10)
    assert due[(Y, "2026")] == date(2027, 1, 20)
    assert len(due) == 12 - 2 + 2
    assert len(rules.due(2026, date(2025, 12, 20))) == 14  # funded ahead of its year: every month
    assert [d.kind for d in rules.due(2026, None)] == [H, Y]  # no money yet: nothing to brief on


def test_what_is_overdue_depends_on_the_date_asked_about() -> None:
    rules = FundReportingRules()  # briefings by the 10th, H1 by 15 July, the year by 31 January
    done = {(B, "2026-01"): date(2026, 2, 3), (B, "2026-02"): date(2026, 3, 20)}
    on_11_march = [(d.kind, d.period) for d in rules.overdue(2026, date(2026, 1, 5), done, date(2026, 3, 11))]
    assert on_11_march == [(B, "2026-02")]  # briefed on 20 March: still missing on the 11th
    on_10_march = rules.overdue(2026, date(2026, 1, 5), done, date(2026, 3, 10))
    assert on_10_march == []  # due by the 10th: not yet overdue on it
    on_16_july = [(d.kind, d.period) for d in rules.overdue(2026, date(2026, 1, 5), done, date(2026, 7, 16))]
    assert on_16_july == [(B, "2026-03"), (B, "2026-04"), (B, "2026-05"), (B, "2026-06"), (H, "2026-H1")]


def test_deadlines_are_bounded() -> None:
    with pytest.raises(ValueError):
        FundReportingRules(briefing_day=29)
    with pytest.raises(ValueError):
        FundReportingRules(yearly_days=-1)


async def test_a_briefing_is_recorded_once_per_month_by_the_community() -> None:
    w, f = await fund()
    secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="secretary-east")
    out = await w.commands.record_fund_briefing(req(secretary), f, 6, date(2026, 7, 3), "6月项目进展通报",
                                                (DocumentRef("https://xs.example.cn/tb/2026-06.pdf", DIGEST.upper()),))
    (started, recorded) = await w.store.read_stream(reports_id(f))
    assert (started.event_type, recorded.event_type) == ("FundReports.Started", "FundReports.BriefingRecorded")
    assert recorded.payload["period"] == "2026-06" and recorded.payload["recorded_by"] == "secretary-east"
    assert recorded.payload["documents"] == [{"url": "https://xs.example.cn/tb/2026-06.pdf", "sha256": DIGEST}]
    assert out.extra["report_id"] == recorded.payload["report_id"]
    with pytest.raises(FundReportAlreadyRecorded):
        await w.commands.record_fund_briefing(req(secretary), f, 6, date(2026, 7, 4), "再次通报")
    with pytest.raises(InvalidInput):  # a month's briefing is not dated before the month began
        await w.commands.record_fund_briefing(req(secretary), f, 7, date(2026, 6, 30), "7月通报")
    with pytest.raises(InvalidInput):
        await w.commands.record_fund_briefing(req(secretary), f, 13, date(2026, 7, 3), "通报")
    with pytest.raises(InvalidInput):  # not ahead of today
        await w.commands.record_fund_briefing(req(secretary), f, 7, date(2026, 7, 21), "7月通报")
    assert len(await w.store.read_stream(reports_id(f))) == 2


async def test_document_references_are_checked() -> None:
    w, f = await fund()
    secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="secretary-east")
    for doc in (DocumentRef("ftp://xs.example.cn/a.pdf", DIGEST), DocumentRef("https://xs.example.cn/a", "abc"),
                DocumentRef("https://", DIGEST)):
        with pytest.raises(InvalidInput):
            await w.commands.record_fund_briefing(req(secretary), f, 5, date(2026, 6, 2), "通报", (doc,))
    assert await w.store.read_stream(reports_id(f)) == []


async def test_the_half_year_check_is_the_streets_from_strictly_above() -> None:
    w, f = await fund()
    secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="secretary-east")
    with pytest.raises(NotAuthorized):
        await w.commands.record_half_year_check(req(secretary), f, date(2026, 7, 8), "自查")
    inside = actor(Role.STREET_ADMIN, scope=w.east, subject="street-admin-at-east")
    with pytest.raises(NotAuthorized):
        await w.commands.record_half_year_check(req(inside), f, date(2026, 7, 8), "检查")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    with pytest.raises(InvalidInput):  # looks back on the half year: not before June
        await w.commands.record_half_year_check(req(street), f, date(2026, 5, 31), "检查")
    await w.commands.record_half_year_check(req(street), f, date(2026, 7, 8), "半年检查：台账齐全")
    with pytest.raises(FundReportAlreadyRecorded):
        await w.commands.record_half_year_check(req(street), f, date(2026, 7, 9), "再查")


async def test_the_yearly_evaluation_carries_a_rating() -> None:
    w, f = await fund(datetime(2027, 1, 12, 9, 0, tzinfo=UTC))
    district = actor(Role.DISTRICT_ADMIN, scope=w.district, subject="district-admin")
    await w.commands.record_yearly_evaluation(req(district), f, date(2027, 1, 10), EvaluationRating.GOOD,
                                              "年度评估：良好")
    last = (await w.store.read_stream(reports_id(f)))[-1]
    assert (last.event_type, last.payload["rating"], last.payload["period"]) == (
        "FundReports.YearlyEvaluationRecorded", "GOOD", "2026")
    with pytest.raises(InvalidInput):  # not before the year's last month
        await w.commands.record_yearly_evaluation(req(district), f, date(2026, 11, 30), EvaluationRating.PASS,
                                                  "评估")
