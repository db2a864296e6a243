"""Use cases of a fund's yearly plan and reporting cycle: authorize → load → decide.

Each loads the fund (its organization authorizes the command; a plan's lines are checked
against the fund's kind and money) and then the plan's or the reports' own stream, which
the first command of each creates. Only that stream is written: the fund's stream is
read, never changed, so planning and reporting never race with the fund's payments.
"""

from __future__ import annotations

from domain.funds.aggregate import Fund, FundKind
from domain.funds.handlers import FundRules
from domain.funds.minimums import MinimumRules
from domain.funds.plan_commands import (
    ApproveFundPlan,
    LinkProjectToPlan,
    PlanCommand,
    ProposeFundPlan,
    RecordFundBriefing,
    RecordHalfYearCheck,
    RecordPlanAssembly,
    RecordYearlyEvaluation,
    ReturnFundPlan,
)
from domain.funds.plans import FundPlan, plan_id
from domain.funds.reporting import FundReports, reports_id
from domain.organizations.aggregate import Organization
from domain.shared import events as ev
from domain.shared.commands import optional_reason, required_reason
from domain.shared.errors import FundClosed, NotFound
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.money import parse_money


async def _fund(unit: Unit, cmd: PlanCommand) -> Fund:
    fund = await unit.load(Fund, cmd.fund_id, "fund")
    await unit.authorize(fund.organization_id, field="fundId")
    return fund


async def _plan(unit: Unit, cmd: PlanCommand, fund: Fund) -> FundPlan:
    plan = await unit.find(FundPlan, plan_id(fund.id))
    if plan is None:
        raise NotFound(f"the {fund.year} {fund.kind.value} has no plan yet", field="fundId")
    unit.expect(plan)
    return plan


async def propose_fund_plan(cmd: ProposeFundPlan, unit: Unit) -> Decision:
    """Propose a version. The money the fund can count on is what it received so far, or for a
    service fund the guaranteed minimum of its organization's tier if that is more (the base
    amount of the tier: what a district adds per grid branch is counted once allocated)."""
    lines = [(line.line_id, line.title, line.category, parse_money(line.amount, "lines.amount"))
             for line in cmd.lines]
    fund = await _fund(unit, cmd)
    if fund.closed:
        raise FundClosed(f"the {fund.year} fund is closed; its plan is history")
    kinds = unit.need(FundRules).kinds
    for _keep, _title, category, _amount in lines:
        kinds.check_category(fund.kind, category)
    expected = fund.allocated
    if fund.kind is FundKind.SERVICE_FUND:
        org = await unit.load(Organization, fund.organization_id, "organization")
        expected = max(expected, unit.need(MinimumRules).minimum_for(org.id, org.code).amount)
    plan = await unit.find(FundPlan, plan_id(fund.id))
    if plan is None:
        plan = FundPlan(fund_id=fund.id, organization_id=fund.organization_id, year=fund.year)
    else:
        unit.expect(plan)
    version = plan.propose(lines, unit.actor.subject, cmd.meeting_on, cmd.resolution, expected, unit.today())
    return Decision(plan.id, ev.to_new_events(plan), result={"fund_id": str(fund.id), "version": version})


async def record_plan_assembly(cmd: RecordPlanAssembly, unit: Unit) -> Decision:
    fund = await _fund(unit, cmd)
    plan = await _plan(unit, cmd, fund)
    plan.record_assembly(cmd.version, cmd.meeting_on, cmd.attendees, cmd.resolution, unit.today())
    return changed(plan, result={"fund_id": str(fund.id), "version": cmd.version})


async def approve_fund_plan(cmd: ApproveFundPlan, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    fund = await _fund(unit, cmd)
    plan = await _plan(unit, cmd, fund)
    plan.approve(cmd.version, unit.actor.subject)
    return changed(plan, reason=reason, result={"fund_id": str(fund.id), "version": cmd.version})


async def return_fund_plan(cmd: ReturnFundPlan, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    fund = await _fund(unit, cmd)
    plan = await _plan(unit, cmd, fund)
    plan.send_back(cmd.version, unit.actor.subject)
    return changed(plan, reason=reason, result={"fund_id": str(fund.id), "version": cmd.version})


async def link_project_to_plan(cmd: LinkProjectToPlan, unit: Unit) -> Decision:
    """Link one of the fund's own projects (as the fund's stream has it now: a project carried
    into next year's fund links to that fund's plan) to a line of the approved plan."""
    fund = await _fund(unit, cmd)
    if cmd.project_id not in fund.projects:
        raise NotFound(f"no project {cmd.project_id} in this fund", field="projectId")
    plan = await _plan(unit, cmd, fund)
    plan.link_project(cmd.project_id, cmd.line_id, unit.actor.subject)
    return changed(plan, result={"fund_id": str(fund.id), "project_id": str(cmd.project_id)})


async def _reports(unit: Unit, cmd: PlanCommand) -> tuple[Fund, FundReports]:
    fund = await _fund(unit, cmd)
    reports = await unit.find(FundReports, reports_id(fund.id))
    if reports is None:
        reports = FundReports(fund_id=fund.id, organization_id=fund.organization_id, year=fund.year)
    else:
        unit.expect(reports)
    return fund, reports


def _recorded(fund: Fund, reports: FundReports, report: object) -> Decision:
    return Decision(reports.id, ev.to_new_events(reports),
                    result={"fund_id": str(fund.id), "report_id": str(report)})


async def record_fund_briefing(cmd: RecordFundBriefing, unit: Unit) -> Decision:
    fund, reports = await _reports(unit, cmd)
    report = reports.record_briefing(cmd.month, cmd.done_on, cmd.summary, cmd.documents, unit.actor.subject,
                                     unit.today())
    return _recorded(fund, reports, report)


async def record_half_year_check(cmd: RecordHalfYearCheck, unit: Unit) -> Decision:
    fund, reports = await _reports(unit, cmd)
    report = reports.record_half_year_check(cmd.done_on, cmd.summary, cmd.documents, unit.actor.subject,
                                            unit.today())
    return _recorded(fund, reports, report)


async def record_yearly_evaluation(cmd: RecordYearlyEvaluation, unit: Unit) -> Decision:
    fund, reports = await _reports(unit, cmd)
    report = reports.record_yearly_evaluation(cmd.done_on, cmd.rating, cmd.summary, cmd.documents,
                                              unit.actor.subject, unit.today())
    return _recorded(fund, reports, report)


PLAN_HANDLERS: dict[type, Handler] = {
    ProposeFundPlan: propose_fund_plan,
    RecordPlanAssembly: record_plan_assembly,
    ApproveFundPlan: approve_fund_plan,
    ReturnFundPlan: return_fund_plan,
    LinkProjectToPlan: link_project_to_plan,
    RecordFundBriefing: record_fund_briefing,
    RecordHalfYearCheck: record_half_year_check,
    RecordYearlyEvaluation: record_yearly_evaluation,
}
