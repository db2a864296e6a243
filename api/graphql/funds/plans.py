"""A fund's yearly plan in the schema: its versions and steps, plan against actual, and the
mutations that decide it (``domain/funds/plans.py`` has the rules)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api import views
from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import argument_id
from api.graphql.core.scalars import Money
from api.graphql.funds.errors import ForbiddenPurpose, FundClosed
from api.graphql.funds.plan_errors import PlanExceedsFunds, PlanStepNotAllowed
from api.graphql.funds.queries import load_fund
from api.graphql.funds.types import Fund, Project, project
from domain.funds.aggregate import ProjectState, SpendingCategory
from domain.funds.plan_commands import (
    ApproveFundPlan,
    LinkProjectToPlan,
    ProposeFundPlan,
    RecordPlanAssembly,
    ReturnFundPlan,
)
from domain.funds.plans import LineInput, PlanState, PlanStep
from domain.shared.commands import Outcome
from domain.shared.money import ZERO, fmt

strawberry.enum(PlanState, description="Where a version of a fund's yearly plan stands: proposed by the two"
                                       " committees, resolved by the residents' assembly, approved or sent back"
                                       " by the street.")
strawberry.enum(PlanStep, description="A recorded step of a plan version.")

COUNTED = (ProjectState.APPROVED.value, ProjectState.ACCEPTED.value, ProjectState.DISCLOSED.value)
"""Project states whose approved amount still stands (a cancelled or rejected one's does not)."""


@strawberry.type(description="One planned project of a plan version.")
class FundPlanLine:
    line_id: strawberry.ID = strawberry.field(description="The line; kept by amendments that keep the line"
                                                          " (pass it as lineId), so linked projects stay linked.")
    title: str = strawberry.field(description="What is planned.")
    category: SpendingCategory = strawberry.field(description="Its spending category.")
    amount: Money = strawberry.field(description="The planned amount.")


@strawberry.type(description="One step of a plan version: who recorded it, when, and what was resolved.")
class FundPlanStepRecord:
    step: PlanStep = strawberry.field(description="Which step.")
    on: date = strawberry.field(description="The meeting's date (proposal, assembly); the decision's recording"
                                            " date (approval, return).")
    actor: str = strawberry.field(description="Who recorded it (token subject).")
    recorded_at: datetime = strawberry.field(description="When the log recorded it.")
    position: int = strawberry.field(description="Log position of the step's event.")
    attendees: int | None = strawberry.field(description="The assembly's attendance (assembly steps only).")
    resolution: str | None = strawberry.field(description="What the meeting resolved.")
    reason: str | None = strawberry.field(description="The reason stated (required when sent back).")


@strawberry.type(description="One version of a fund's yearly plan: its lines and its steps.")
class FundPlanVersion:
    row: strawberry.Private[asyncpg.Record]
    line_rows: strawberry.Private[list[asyncpg.Record]]
    number: int = strawberry.field(description="1 for the first proposal; each amendment the next.")
    state: PlanState = strawberry.field(description="Where this version stands.")
    total: Money = strawberry.field(description="The sum of its lines.")
    expected: Money = strawberry.field(description="The money the fund could count on when it was proposed.")
    proposed_by: str = strawberry.field(description="Who proposed it (token subject).")
    proposed_at: datetime = strawberry.field(description="When it was proposed.")

    @strawberry.field(description="Its planned projects, in the order proposed.")
    def lines(self) -> list[FundPlanLine]:
        return [_line(r) for r in self.line_rows]

    @strawberry.field(description="Its steps, in order.")
    def steps(self) -> list[FundPlanStepRecord]:
        return [FundPlanStepRecord(step=PlanStep(s["step"]), on=date.fromisoformat(s["on"]), actor=s["actor"],
                                   recorded_at=datetime.fromisoformat(s["recordedAt"]), position=s["position"],
                                   attendees=s.get("attendees"), resolution=s.get("resolution"),
                                   reason=s.get("reason"))
                for s in _json(self.row["steps"])]


@strawberry.type(description="A fund's yearly plan (年度计划): every version, the one in force, the latest's state.")
class FundPlan:
    row: strawberry.Private[asyncpg.Record]
    fund_id: strawberry.ID = strawberry.field(description="The fund planned.")
    year: int = strawberry.field(description="The fund's fiscal year.")
    state: PlanState | None = strawberry.field(description="The latest version's state.")
    latest_version: int = strawberry.field(description="The latest version's number.")
    approved_version: int | None = strawberry.field(description="The version in force (the last approved), if any.")
    version: int = strawberry.field(description="The plan stream's version; pass as expectedVersion.")

    @strawberry.field(description="Every version, oldest first; approved versions stay readable.")
    async def versions(self, info: Info) -> list[FundPlanVersion]:
        return await _versions(info, self.row["id"])

    @strawberry.field(description="The version in force: the last the street approved.")
    async def approved(self, info: Info) -> FundPlanVersion | None:
        number = self.row["approved_version"]
        return next((v for v in await _versions(info, self.row["id"]) if v.number == number), None)


@strawberry.type(description="A planned line against what was done: the projects linked to it, their approved"
                             " and paid amounts.")
class PlanLineActual:
    line: FundPlanLine = strawberry.field(description="The planned line.")
    projects: list[Project] = strawberry.field(description="The fund's projects linked to it.")
    approved: Money = strawberry.field(description="Approved for those projects (cancelled or rejected ones count"
                                                   " nothing).")
    paid: Money = strawberry.field(description="Paid for them, net of reversals.")
    unapproved: Money = strawberry.field(description="Planned − approved (negative: approved above plan).")


@strawberry.type(description="A fund's approved plan against its actual projects: per line, and the projects no"
                             " line names.")
class PlanVsActual:
    fund_id: strawberry.ID = strawberry.field(description="The fund.")
    approved_version: int | None = strawberry.field(description="The plan version compared (in force); null: no"
                                                                " approved plan, every project is unplanned.")
    planned: Money = strawberry.field(description="The approved version's total.")
    lines: list[PlanLineActual] = strawberry.field(description="Each planned line, in the plan's order.")
    unplanned: list[Project] = strawberry.field(description="Projects of the fund linked to no line of the version"
                                                            " in force.")
    approved: Money = strawberry.field(description="Approved for planned projects.")
    paid: Money = strawberry.field(description="Paid for planned projects.")
    unplanned_approved: Money = strawberry.field(description="Approved for unplanned projects.")
    unplanned_paid: Money = strawberry.field(description="Paid for unplanned projects.")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _line(r: asyncpg.Record) -> FundPlanLine:
    return FundPlanLine(line_id=strawberry.ID(str(r["line_id"])), title=r["title"],
                        category=SpendingCategory(r["category"]), amount=Money(fmt(r["amount"])))


def _plan(r: asyncpg.Record) -> FundPlan:
    return FundPlan(row=r, fund_id=strawberry.ID(str(r["fund_id"])), year=r["year"],
                    state=PlanState(r["state"]) if r["state"] else None, latest_version=r["latest_version"],
                    approved_version=r["approved_version"], version=r["version"])


async def _versions(info: Info, plan: UUID) -> list[FundPlanVersion]:
    versions = await info.context.loaders.versions_of_plan.load(plan)
    lines = await info.context.loaders.lines_of_plan.load(plan)
    return [FundPlanVersion(row=v, line_rows=[x for x in lines if x["number"] == v["number"]], number=v["number"],
                            state=PlanState(v["state"]), total=Money(fmt(v["total"])),
                            expected=Money(fmt(v["expected"])), proposed_by=v["proposed_by"],
                            proposed_at=v["proposed_at"]) for v in versions]


async def load_plan(info: Info, fund_id: UUID) -> FundPlan | None:
    """The fund's plan, if the fund's organization lies within the caller's scope."""
    c = views.Conditions()
    c.add("fund_id = ?", fund_id)
    views.scope_condition(c, info.context.actor, "organization_id")
    row = await info.context.pool.fetchrow(f"SELECT * FROM fund_plans WHERE {c.where}", *c.args)
    return _plan(row) if row is not None else None


async def plan_vs_actual(info: Info, fund_id: UUID) -> PlanVsActual | None:
    """Plan against actual: the approved version's lines, the links and the projects' own figures."""
    fund = await load_fund(info, fund_id)
    if fund is None:
        return None
    plan = await info.context.pool.fetchrow("SELECT * FROM fund_plans WHERE fund_id = $1", fund_id)
    number = plan["approved_version"] if plan is not None else None
    lines = [] if number is None else await info.context.pool.fetch(
        "SELECT * FROM fund_plan_lines WHERE plan_id = $1 AND number = $2 ORDER BY ordinal", plan["id"], number)
    links = {} if plan is None else {r["project_id"]: r["line_id"] for r in await info.context.pool.fetch(
        "SELECT project_id, line_id FROM fund_plan_links WHERE plan_id = $1", plan["id"])}
    projects = await info.context.loaders.projects_of_fund.load(fund_id)
    in_plan = {line["line_id"] for line in lines}
    by_line: dict[UUID, list[asyncpg.Record]] = {}
    unplanned = []
    for p in projects:
        line = links.get(p["id"])
        if line in in_plan:
            by_line.setdefault(line, []).append(p)
        else:
            unplanned.append(p)

    def approved(rows: list[asyncpg.Record]) -> Decimal:
        return sum((r["approved_amount"] for r in rows if r["state"] in COUNTED and r["approved_amount"]), ZERO)

    def paid(rows: list[asyncpg.Record]) -> Decimal:
        return sum((r["paid"] for r in rows), ZERO)

    actual = []
    for line in lines:
        rows = by_line.get(line["line_id"], [])
        actual.append(PlanLineActual(line=_line(line), projects=[project(r) for r in rows],
                                     approved=Money(fmt(approved(rows))), paid=Money(fmt(paid(rows))),
                                     unapproved=Money(fmt(line["amount"] - approved(rows)))))
    planned_rows = [r for rows in by_line.values() for r in rows]
    return PlanVsActual(
        fund_id=strawberry.ID(str(fund_id)), approved_version=number,
        planned=Money(fmt(sum((line["amount"] for line in lines), ZERO))), lines=actual,
        unplanned=[project(r) for r in unplanned], approved=Money(fmt(approved(planned_rows))),
        paid=Money(fmt(paid(planned_rows))), unplanned_approved=Money(fmt(approved(unplanned))),
        unplanned_paid=Money(fmt(paid(unplanned))))


@strawberry.type(description="Fields of a fund that come from its plan.")
class FundPlanFields:
    @strawberry.field(description="The fund's yearly plan, if one was proposed.")
    async def plan(self, info: Info) -> FundPlan | None:
        rows = await info.context.loaders.plan_of_fund.load(self.row["id"])  # type: ignore[attr-defined]
        return _plan(rows[0]) if rows else None

    @strawberry.field(description="Its approved plan against its actual projects.")
    async def plan_vs_actual(self, info: Info) -> PlanVsActual | None:
        return await plan_vs_actual(info, self.row["id"])  # type: ignore[attr-defined]


@strawberry.type(description="Read funds' yearly plans.")
class PlanQueries:
    @strawberry.field(description="A fund's yearly plan with its versions and steps; null if there is none or the"
                                  " fund lies outside your scope.")
    async def fund_plan(self, info: Info, fund_id: strawberry.ID) -> FundPlan | None:
        return await load_plan(info, argument_id(fund_id, "fundId"))

    @strawberry.field(description="A fund's approved plan against its actual projects: per planned line the"
                                  " projects linked to it with their approved and paid amounts, and the"
                                  " unplanned projects apart; null if the fund lies outside your scope.")
    async def plan_vs_actual(self, info: Info, fund_id: strawberry.ID) -> PlanVsActual | None:
        return await plan_vs_actual(info, argument_id(fund_id, "fundId"))


# -- mutations ------------------------------------------------------------------------------

_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")
_VERSION = "The plan stream's version you last saw (FundPlan.version); if it moved on you get VersionConflict."
_STEP_VERSION = "The plan version this step is for: the latest (a superseded one is PlanStepNotAllowed)."


@strawberry.type(description="A fund's plan as the read model has it after the change.")
class FundPlanPayload:
    fund_id: strawberry.Private[UUID]
    position: int = strawberry.field(description="Log position of the change.")

    @strawberry.field(description="The plan, with the change.")
    async def plan(self, info: Info) -> FundPlan | None:
        return await load_plan(info, self.fund_id)

    @strawberry.field(description="The fund planned.")
    async def fund(self, info: Info) -> Fund | None:
        return await load_fund(info, self.fund_id)


_STEP = (FundPlanPayload, PlanStepNotAllowed)
ProposeFundPlanResult = result_union("ProposeFundPlanResult", *_STEP, PlanExceedsFunds, ForbiddenPurpose, FundClosed)
RecordPlanAssemblyResult = result_union("RecordPlanAssemblyResult", *_STEP)
ApproveFundPlanResult = result_union("ApproveFundPlanResult", *_STEP)
ReturnFundPlanResult = result_union("ReturnFundPlanResult", *_STEP)
LinkProjectToPlanResult = result_union("LinkProjectToPlanResult", *_STEP)


@strawberry.input(description="A planned project of a plan version.")
class FundPlanLineInput:
    title: str = strawberry.field(description="What is planned: 1–200 characters.")
    category: SpendingCategory = strawberry.field(description="Its category: one the fund's kind pays for.")
    amount: Money = strawberry.field(description='The planned amount, e.g. "30000.00".')
    line_id: strawberry.ID | None = strawberry.field(
        default=None, description="Keep this line of an earlier version (its linked projects stay linked); omit"
                                  " for a new line.")


@strawberry.input(description="The two committees' proposal (两委提议) of a fund's yearly plan, or of an amendment"
                             " (a new version once the latest is approved or sent back).")
class ProposeFundPlanInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund planned.")
    lines: list[FundPlanLineInput] = strawberry.field(description="The planned projects: 1–100; their total at most"
                                                                  " what the fund can count on this year.")
    meeting_on: date = strawberry.field(description="The committees' joint meeting: not ahead of today.")
    resolution: str = strawberry.field(description="What the committees resolved: 1–2000 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="The residents' (representative) assembly's resolution (居民(代表)会议) on a version.")
class RecordPlanAssemblyInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund planned.")
    version: int = strawberry.field(description=_STEP_VERSION)
    meeting_on: date = strawberry.field(description="The assembly's date: on or after the committees' meeting, not"
                                                    " ahead of today.")
    attendees: int = strawberry.field(description="How many attended: 1–100000.")
    resolution: str = strawberry.field(description="What the assembly resolved: 1–2000 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="The street approves a plan version the assembly resolved (strictly above the"
                             " community, never the proposer).")
class ApproveFundPlanInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund planned.")
    version: int = strawberry.field(description=_STEP_VERSION)
    reason: str | None = strawberry.field(default=None, description="Optional note: at most 500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="The street sends a plan version back, with a reason; an amendment follows.")
class ReturnFundPlanInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund planned.")
    version: int = strawberry.field(description=_STEP_VERSION)
    reason: str = strawberry.field(description="Why it is sent back: 1–500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="Name the plan line a project of the fund carries out (or none).")
class LinkProjectToPlanInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund of the project and the plan.")
    project_id: strawberry.ID = strawberry.field(description="A project of that fund.")
    line_id: strawberry.ID | None = strawberry.field(
        default=None, description="A line of the approved version; omit to unlink (the project becomes unplanned).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


def _payload(info: Info) -> Any:
    async def present(o: Outcome) -> FundPlanPayload:
        return FundPlanPayload(fund_id=UUID(o.extra["fund_id"]), position=o.position)
    return present


@strawberry.type(description="Decide funds' yearly plans.")
class PlanMutations:
    @strawberry.mutation(description="Record the two committees' proposal of a fund's yearly plan (the first"
                                     " version, or an amendment as a new version).")
    async def propose_fund_plan(self, info: Info, input: ProposeFundPlanInput) -> ProposeFundPlanResult:
        return await execute(info, input, lambda: ProposeFundPlan(
            fund_id=parse_id(input.fund_id, "fundId"),
            lines=tuple(LineInput(x.title, x.category, x.amount, parse_opt_id(x.line_id, "lines.lineId"))
                        for x in input.lines),
            meeting_on=input.meeting_on, resolution=input.resolution), _payload(info))

    @strawberry.mutation(description="Record the residents' (representative) assembly's resolution on the latest"
                                     " version.")
    async def record_plan_assembly(self, info: Info, input: RecordPlanAssemblyInput) -> RecordPlanAssemblyResult:
        return await execute(info, input, lambda: RecordPlanAssembly(
            fund_id=parse_id(input.fund_id, "fundId"), version=input.version, meeting_on=input.meeting_on,
            attendees=input.attendees, resolution=input.resolution), _payload(info))

    @strawberry.mutation(description="Approve the latest version after its assembly: it becomes the plan in force.")
    async def approve_fund_plan(self, info: Info, input: ApproveFundPlanInput) -> ApproveFundPlanResult:
        return await execute(info, input, lambda: ApproveFundPlan(
            fund_id=parse_id(input.fund_id, "fundId"), version=input.version, reason=input.reason), _payload(info))

    @strawberry.mutation(description="Send the latest version back with a reason (the version in force, if any,"
                                     " stays in force).")
    async def return_fund_plan(self, info: Info, input: ReturnFundPlanInput) -> ReturnFundPlanResult:
        return await execute(info, input, lambda: ReturnFundPlan(
            fund_id=parse_id(input.fund_id, "fundId"), version=input.version, reason=input.reason), _payload(info))

    @strawberry.mutation(description="Link a project of the fund to a line of its approved plan, or unlink it.")
    async def link_project_to_plan(self, info: Info, input: LinkProjectToPlanInput) -> LinkProjectToPlanResult:
        return await execute(info, input, lambda: LinkProjectToPlan(
            fund_id=parse_id(input.fund_id, "fundId"), project_id=parse_id(input.project_id, "projectId"),
            line_id=parse_opt_id(input.line_id, "lineId")), _payload(info))
