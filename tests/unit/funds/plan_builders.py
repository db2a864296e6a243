"""A valid instance of every plan and reporting command with the world it needs, for the
cross-cutting tests over every command (``tests/unit/core/test_idempotency_every_command.py``
and ``test_ids_of_another_kind.py`` take them into their ``BUILDERS``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from uuid import UUID

from domain.funds import plan_commands as pc
from domain.funds.aggregate import FundKind, SpendingCategory
from domain.funds.plans import FundPlan, LineInput, plan_id
from domain.funds.reporting import DocumentRef, EvaluationRating
from domain.shared import events as ev
from domain.shared.commands import Command
from domain.shared.permissions import Actor, Role
from tests.unit.fakes import World, actor, req

Builder = Callable[[World], Awaitable[tuple[Actor, Command]]]
PLAN_BUILDERS: dict[type[Command], Builder] = {}
LINES = (LineInput("老年助餐点", SpendingCategory.PUBLIC_SERVICE, "40000.00"),)
DOC = (DocumentRef("https://xs.example.cn/tb/1.pdf", "ab" * 32),)


def builds(cls: type[Command]) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        PLAN_BUILDERS[cls] = fn
        return fn
    return add


def secretary(w: World) -> Actor:
    return actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="secretary-east")


def street_admin(w: World) -> Actor:
    return actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")


async def fund(w: World) -> UUID:
    fin = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    return (await w.commands.open_fund(req(fin), w.east, 2026, FundKind.SERVICE_FUND)).id


async def assembled(w: World) -> UUID:
    f = await fund(w)
    await w.commands.propose_fund_plan(req(secretary(w)), f, LINES, date(2026, 2, 20), "两委同意")
    await w.commands.record_plan_assembly(req(secretary(w)), f, 1, date(2026, 2, 25), 31, "通过")
    return f


@builds(pc.ProposeFundPlan)
async def _propose(w: World) -> tuple[Actor, Command]:
    return secretary(w), pc.ProposeFundPlan(await fund(w), LINES, date(2026, 2, 20), "两委同意")


@builds(pc.RecordPlanAssembly)
async def _assembly(w: World) -> tuple[Actor, Command]:
    f = await fund(w)
    await w.commands.propose_fund_plan(req(secretary(w)), f, LINES, date(2026, 2, 20), "两委同意")
    return secretary(w), pc.RecordPlanAssembly(f, 1, date(2026, 2, 25), 31, "通过")


@builds(pc.ApproveFundPlan)
async def _approve(w: World) -> tuple[Actor, Command]:
    return street_admin(w), pc.ApproveFundPlan(await assembled(w), 1, "同意")


@builds(pc.ReturnFundPlan)
async def _return(w: World) -> tuple[Actor, Command]:
    return street_admin(w), pc.ReturnFundPlan(await assembled(w), 1, "依据不足")


@builds(pc.LinkProjectToPlan)
async def _link(w: World) -> tuple[Actor, Command]:
    f = await assembled(w)
    await w.commands.approve_fund_plan(req(street_admin(w)), f, 1)
    fin = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    project = UUID((await w.commands.propose_project(req(fin), f, SpendingCategory.PUBLIC_SERVICE, "助餐设备",
                                                     "9000.00", "购置餐具", "独居老人")).extra["project_id"])
    plan = ev.replay(FundPlan, await w.store.read_stream(plan_id(f)))
    return secretary(w), pc.LinkProjectToPlan(f, project, plan.versions[0].lines[0].id)  # type: ignore[union-attr]


@builds(pc.RecordFundBriefing)
async def _briefing(w: World) -> tuple[Actor, Command]:
    return secretary(w), pc.RecordFundBriefing(await fund(w), 2, date(2026, 3, 1), "2月通报", DOC)


@builds(pc.RecordHalfYearCheck)
async def _half_year(w: World) -> tuple[Actor, Command]:
    f = await fund(w)
    w.clock.now = datetime(2026, 7, 10, 9, 0, tzinfo=UTC)
    return street_admin(w), pc.RecordHalfYearCheck(f, date(2026, 7, 8), "半年检查", DOC)


@builds(pc.RecordYearlyEvaluation)
async def _yearly(w: World) -> tuple[Actor, Command]:
    f = await fund(w)
    w.clock.now = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
    return street_admin(w), pc.RecordYearlyEvaluation(f, date(2026, 12, 18), EvaluationRating.GOOD, "年度评估", DOC)

