"""The plans' and reports' cases of ``tests/integration/core/test_mutation_statements.py``: the
world each mutation needs, its two runs (warm, then measured) and the pinned statement counts.

Kept beside the area's tests; the core test takes them in (``PLAN_CASES``, ``PLAN_EXPECTED``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.funds.plans import LineInput
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from tests.integration.support import FINANCE
from tests.usecases import UseCases

SECRETARY = Actor(subject="counted-secretary", name="书记", roles=frozenset({Role.COMMUNITY_SECRETARY}), scope=None)
STREET = Actor(subject="counted-street", name="街道", roles=frozenset({Role.STREET_ADMIN}), scope=None)

PLAN_EXPECTED: dict[str, int] = {
    # fund stream, path, the organization's stream (its tier's minimum), the plan's stream, append, plan row
    "proposeFundPlan": 6,
    # fund stream, path, plan stream, append, plan row
    "recordPlanAssembly": 5,
    "approveFundPlan": 5,
    "returnFundPlan": 5,
    "linkProjectToPlan": 5,
    # fund stream, path, the reports' stream, append, fund row (scope) and report row
    "recordFundBriefing": 6,
    "recordHalfYearCheck": 6,
    "recordYearlyEvaluation": 6,
}
SELECTIONS = {"FundPlanPayload": "plan { state latestVersion approvedVersion }",
              "FundReportPayload": "report { kind period }"}
Run = tuple[Any, ...]
"""(actor, the warming document, the measured document, whether the payload shows the change[, clock])."""
PLAN_CASES: dict[str, Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Run]]] = {}
LINES = (LineInput("老年助餐点", SpendingCategory.PUBLIC_SERVICE, "40000.00"),)


def case(mutation: str) -> Callable[[Any], Any]:
    def add(setup: Any) -> Any:
        PLAN_CASES[mutation] = setup
        return setup
    return add


def literal(value: Any) -> str:
    if isinstance(value, Bare):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    return '"' + str(value) + '"'


class Bare(str):
    """An enum value, written bare."""


def doc(mutation: str, **fields: Any) -> str:
    payload = "FundReportPayload" if mutation.startswith("record") and mutation != "recordPlanAssembly" \
        else "FundPlanPayload"
    args = ", ".join(f"{k}: {literal(v)}" for k, v in fields.items())
    return (f"mutation {{ {mutation}(input: {{{args}}}) {{ __typename ... on {payload} {{ {SELECTIONS[payload]} }}"
            " ... on Error { code message } } }")


def r(who: Actor) -> Request:
    return Request(who, uuid.uuid4())


async def _funds(cmds: UseCases, ids: dict[str, uuid.UUID]) -> tuple[uuid.UUID, uuid.UUID]:
    """Two funds of the east community, each with money for a plan."""
    found = []
    for kind in (FundKind.SERVICE_FUND, FundKind.AREA_FUND):
        fund = (await cmds.open_fund(r(FINANCE), ids["east"], 2026, kind)).id
        await cmds.allocate_funds(r(FINANCE), fund, "100000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 10),
                                  "文1")
        found.append(fund)
    return found[0], found[1]


async def _assembled(cmds: UseCases, ids: dict[str, uuid.UUID]) -> tuple[uuid.UUID, uuid.UUID]:
    funds = await _funds(cmds, ids)
    for fund in funds:
        await cmds.propose_fund_plan(r(SECRETARY), fund, LINES, date(2026, 2, 20), "两委同意")
        await cmds.record_plan_assembly(r(SECRETARY), fund, 1, date(2026, 2, 25), 30, "通过")
    return funds


def _plan(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p["plan"] is not None and p["plan"]["state"] == state


@case("proposeFundPlan")
async def _propose(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    a, b = await _funds(cmds, ids)

    def propose(fund: uuid.UUID) -> str:
        return doc("proposeFundPlan", fundId=fund, meetingOn="2026-02-20", resolution="两委同意",
                   lines=[{"title": "老年助餐点", "category": Bare("PUBLIC_SERVICE"), "amount": "40000.00"}])
    # Measured on the service fund, whose plan may count on its tier's minimum (the organization's stream).
    return SECRETARY, propose(b), propose(a), _plan("PROPOSED")


@case("recordPlanAssembly")
async def _assembly(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    funds = await _funds(cmds, ids)
    for fund in funds:
        await cmds.propose_fund_plan(r(SECRETARY), fund, LINES, date(2026, 2, 20), "两委同意")

    def assembly(fund: uuid.UUID) -> str:
        return doc("recordPlanAssembly", fundId=fund, version=1, meetingOn="2026-02-25", attendees=30,
                   resolution="通过")
    return SECRETARY, assembly(funds[0]), assembly(funds[1]), _plan("ASSEMBLED")


@case("approveFundPlan")
async def _approve(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    a, b = await _assembled(cmds, ids)
    return (STREET, doc("approveFundPlan", fundId=a, version=1), doc("approveFundPlan", fundId=b, version=1),
            _plan("APPROVED"))


@case("returnFundPlan")
async def _return(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    a, b = await _assembled(cmds, ids)
    return (STREET, doc("returnFundPlan", fundId=a, version=1, reason="依据不足"),
            doc("returnFundPlan", fundId=b, version=1, reason="依据不足"), _plan("RETURNED"))


@case("linkProjectToPlan")
async def _link(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    funds = await _assembled(cmds, ids)
    runs = []
    for fund in funds:
        await cmds.approve_fund_plan(r(STREET), fund, 1)
        project = (await cmds.propose_project(r(FINANCE), fund, SpendingCategory.PUBLIC_SERVICE, "助餐设备",
                                              "9000.00", "购置餐具", "独居老人")).extra["project_id"]
        plan = await cmds.store.pool.fetchval(  # type: ignore[attr-defined]
            "SELECT payload FROM events WHERE event_type = 'FundPlan.VersionProposed' AND stream_id ="
            " (SELECT stream_id FROM events WHERE event_type = 'FundPlan.Started' AND payload->>'fund_id' = $1)",
            str(fund))
        line = (plan if isinstance(plan, dict) else json.loads(plan))["lines"][0]["line_id"]
        runs.append(doc("linkProjectToPlan", fundId=fund, projectId=project, lineId=line))
    return SECRETARY, runs[0], runs[1], _plan("APPROVED")


@case("recordFundBriefing")
async def _briefing(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    a, b = await _funds(cmds, ids)

    def briefing(fund: uuid.UUID) -> str:
        return doc("recordFundBriefing", fundId=fund, month=1, doneOn="2026-02-05", summary="1月通报",
                   documents=[{"url": "https://xs.example.cn/1.pdf", "sha256": "ab" * 32}])
    return SECRETARY, briefing(a), briefing(b), lambda p: p["report"] is not None


@case("recordHalfYearCheck")
async def _half_year(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    a, b = await _funds(cmds, ids)
    july = datetime(2026, 7, 10, tzinfo=UTC)
    return (STREET, doc("recordHalfYearCheck", fundId=a, doneOn="2026-07-08", summary="检查"),
            doc("recordHalfYearCheck", fundId=b, doneOn="2026-07-08", summary="检查"),
            lambda p: p["report"] is not None, lambda: july)


@case("recordYearlyEvaluation")
async def _yearly(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    a, b = await _funds(cmds, ids)
    december = datetime(2026, 12, 20, tzinfo=UTC)

    def evaluation(fund: uuid.UUID) -> str:
        return doc("recordYearlyEvaluation", fundId=fund, doneOn="2026-12-18", rating=Bare("GOOD"), summary="良好")
    return (STREET, evaluation(a), evaluation(b), lambda p: p["report"] is not None, lambda: december)
