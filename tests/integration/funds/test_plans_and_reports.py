"""A community's yearly plan and its reporting cycle on PostgreSQL, read through GraphQL: the
plan proposed, resolved and approved; projects linked to its lines against what was approved
and paid; a briefing recorded and the overdue list as of an injected date."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from api import bootstrap
from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.funds.aggregate import AllocationSource, SpendingCategory
from domain.funds.plans import LineInput
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from projections.runtime.supervisor import Supervisor
from tests.integration.funds.support import approved, community, fin, query, service_fund, settle, street
from tests.integration.support import commands, req

C = SpendingCategory
PLAN = """query($fund: ID!) { fundPlan(fundId: $fund) { year state latestVersion approvedVersion
  versions { number state total lines { title amount } steps { step on actor attendees resolution } } } }"""
ACTUAL = """query($fund: ID!) { fund(id: $fund) { planVsActual { approvedVersion planned approved paid
  unplannedApproved unplannedPaid lines { line { title amount } approved paid unapproved projects { title } }
  unplanned { title } } reports { kind period doneOn recordedBy } } }"""
OVERDUE = """query($asOf: Date!) { fundReportsOverdue(asOf: $asOf) { kind period dueOn overdueSince daysOverdue
  organization { name } } }"""


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


async def test_a_plan_is_approved_and_read_against_what_was_approved_and_paid(dsn: str, pool: asyncpg.Pool) -> None:
    clock = Clock(datetime(2026, 3, 20, 9, 0, tzinfo=UTC))
    f = commands(pool, clock)
    ids = await street(f, "320508031")
    east = await community(f, ids["street"], "双塔社区党委", "320508031001")
    fund = await service_fund(f, east, ("120000.00", AllocationSource.FISCAL_BUDGET))
    secretary = Request(Actor("secretary-shuangta", "书记", frozenset({Role.COMMUNITY_SECRETARY}), east), uuid4())
    await f.propose_fund_plan(secretary, fund, (LineInput("老年助餐点", C.PUBLIC_SERVICE, "60000.00"),
                                                LineInput("党课进小区", C.PARTY_BUILDING, "20000.00")),
                              date(2026, 3, 2), "两委联席会议同意")
    await f.record_plan_assembly(secretary, fund, 1, date(2026, 3, 9), 42, "居民代表会议表决通过")
    await f.approve_fund_plan(req(), fund, 1, "同意")
    meal = await approved(f, fund, "25000.00", "助餐点餐具")
    await approved(f, fund, "3000.00", "楼道灯维修")  # planned nowhere
    await f.record_payment(fin(), fund, meal, "10000.00", date(2026, 3, 15), "苏州某餐具公司", "记-031")
    await settle(dsn, "organizations", "funds", "fund_movements", "fund_plans", "fund_reports")
    line = (await pool.fetchrow("SELECT line_id FROM fund_plan_lines WHERE title = '老年助餐点'"))["line_id"]
    await f.link_project_to_plan(fin(), fund, meal, line)
    await f.record_fund_briefing(secretary, fund, 2, date(2026, 3, 5), "2月项目进展")
    await settle(dsn, "fund_plans", "fund_reports")

    plan = (await query(pool, PLAN, fund=str(fund)))["fundPlan"]
    assert (plan["year"], plan["state"], plan["latestVersion"], plan["approvedVersion"]) == (2026, "APPROVED", 1, 1)
    (version,) = plan["versions"]
    assert (version["total"], [x["title"] for x in version["lines"]]) == ("80000.00", ["老年助餐点", "党课进小区"])
    assert [(s["step"], s["on"], s["attendees"]) for s in version["steps"]] == [
        ("COMMITTEES_PROPOSED", "2026-03-02", None), ("ASSEMBLY_RESOLVED", "2026-03-09", 42),
        ("STREET_APPROVED", version["steps"][2]["on"], None)]
    assert version["steps"][0]["actor"] == "secretary-shuangta"

    data = (await query(pool, ACTUAL, fund=str(fund)))["fund"]
    actual = data["planVsActual"]
    assert (actual["approvedVersion"], actual["planned"], actual["approved"], actual["paid"]) == (
        1, "80000.00", "25000.00", "10000.00")
    assert actual["lines"] == [
        {"line": {"title": "老年助餐点", "amount": "60000.00"}, "approved": "25000.00", "paid": "10000.00",
         "unapproved": "35000.00", "projects": [{"title": "助餐点餐具"}]},
        {"line": {"title": "党课进小区", "amount": "20000.00"}, "approved": "0.00", "paid": "0.00",
         "unapproved": "20000.00", "projects": []}]
    assert (actual["unplanned"], actual["unplannedApproved"], actual["unplannedPaid"]) == (
        [{"title": "楼道灯维修"}], "3000.00", "0.00")
    assert data["reports"] == [{"kind": "MONTHLY_BRIEFING", "period": "2026-02", "doneOn": "2026-03-05",
                                "recordedBy": "secretary-shuangta"}]

    # The fund's money arrived on 10 January: January's briefing was due by 10 February and
    # never recorded; February's was done on 5 March, March's is not due until 10 April.
    overdue = (await query(pool, OVERDUE, asOf="2026-03-20"))["fundReportsOverdue"]
    assert overdue == [{"kind": "MONTHLY_BRIEFING", "period": "2026-01", "dueOn": "2026-02-10",
                        "overdueSince": "2026-02-11", "daysOverdue": 38, "organization": {"name": "双塔社区党委"}}]
    # As of 4 March, February's briefing (due by the 10th) was not yet overdue either way.
    earlier = (await query(pool, OVERDUE, asOf="2026-02-28"))["fundReportsOverdue"]
    assert [(o["period"], o["daysOverdue"]) for o in earlier] == [("2026-01", 18)]
    # A community outside the auditor's scope: none of this is readable.
    outsider = Actor("auditor-elsewhere", "审计", frozenset({Role.AUDITOR}), UUID(int=7))
    assert (await query(pool, PLAN, actor=outsider, fund=str(fund)))["fundPlan"] is None
    assert (await query(pool, OVERDUE, actor=outsider, asOf="2026-03-20"))["fundReportsOverdue"] == []


PROPOSE = """mutation($f: ID!, $amount: Money!) { proposeFundPlan(input: {fundId: $f, meetingOn: "2026-03-02",
  resolution: "两委同意", lines: [{title: "社区食堂", category: PUBLIC_SERVICE, amount: $amount}]}) {
  __typename ... on Error { code field } ... on FundPlanPayload { plan { state latestVersion } } } }"""
STEP = """mutation($f: ID!) { %s(input: {fundId: $f, version: 1%s}) {
  __typename ... on Error { code } ... on FundPlanPayload { plan { state approvedVersion versions { steps { step } } }
  fund { balance } } } }"""
BRIEF = """mutation($f: ID!) { recordFundBriefing(input: {fundId: $f, month: 3, doneOn: "2026-03-18",
  summary: "3月通报", documents: [{url: "https://st.example.cn/3.pdf", sha256: "%s"}]}) {
  __typename ... on Error { code } ... on FundReportPayload { report { kind period documents { sha256 } } } } }"""


@pytest.fixture
async def supervisor(dsn: str, pool: asyncpg.Pool) -> AsyncIterator[Supervisor]:
    running = Supervisor(dsn, pool, PROJECTIONS)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_the_plans_mutations_answer_with_typed_errors_and_read_their_writes(
    pool: asyncpg.Pool, supervisor: Supervisor
) -> None:
    now = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    f = commands(pool, lambda: now)
    ids = await street(f, "320508032")
    org = await community(f, ids["street"], "沧浪社区党委", "320508032001")
    fund = await service_fund(f, org, ("90000.00", AllocationSource.FISCAL_BUDGET))
    secretary = Actor("secretary-canglang", "书记", frozenset({Role.COMMUNITY_SECRETARY}), org)
    street_admin = Actor("street-canglang", "街道", frozenset({Role.STREET_ADMIN}), ids["street"])

    async def run(actor: Actor, document: str, **variables: Any) -> Any:
        context = Context(actor=actor, pool=pool, commands=bootstrap.handling(Settings(), pool, lambda: now),
                          supervisor=supervisor, settings=Settings(), correlation_id=uuid4(), loaders=Loaders(pool),
                          clock=lambda: now)
        result = await schema.execute(document, variable_values=variables, context_value=context)
        assert not result.errors, result.errors
        (data,) = result.data.values()  # type: ignore[union-attr]
        return data

    head = await pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
    assert await supervisor.wait_for(head, 10) >= head  # the tree is in the read models (authorization)
    assert await run(secretary, PROPOSE, f=str(fund), amount="120000.01") == {
        "__typename": "PlanExceedsFunds", "code": "PLAN_EXCEEDS_FUNDS", "field": "lines"}
    assert (await run(secretary, PROPOSE, f=str(fund), amount="100000.00"))["plan"] == {
        "state": "PROPOSED", "latestVersion": 1}
    assert await run(street_admin, STEP % ("approveFundPlan", ""), f=str(fund)) == {
        "__typename": "PlanStepNotAllowed", "code": "PLAN_STEP_NOT_ALLOWED"}
    assembly = ', meetingOn: "2026-03-12", attendees: 51, resolution: "通过"'
    assert (await run(secretary, STEP % ("recordPlanAssembly", assembly), f=str(fund)))["plan"]["state"] == "ASSEMBLED"
    assert (await run(secretary, STEP % ("approveFundPlan", ""), f=str(fund)))["__typename"] == "NotAuthorized"
    approved_plan = await run(street_admin, STEP % ("approveFundPlan", ""), f=str(fund))
    assert approved_plan["plan"]["approvedVersion"] == 1 and approved_plan["fund"]["balance"] == "90000.00"
    assert [s["step"] for s in approved_plan["plan"]["versions"][0]["steps"]] == [
        "COMMITTEES_PROPOSED", "ASSEMBLY_RESOLVED", "STREET_APPROVED"]
    digest = "c" * 64
    assert (await run(secretary, BRIEF % digest, f=str(fund)))["report"] == {
        "kind": "MONTHLY_BRIEFING", "period": "2026-03", "documents": [{"sha256": digest}]}
    assert (await run(secretary, BRIEF % digest, f=str(fund)))["code"] == "FUND_REPORT_ALREADY_RECORDED"
    assert (await run(secretary, BRIEF % "not-a-digest", f=str(fund)))["code"] == "INVALID_INPUT"
