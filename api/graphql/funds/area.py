"""Funds' part of the schema."""

import strawberry

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.core.scalars import MONEY_SCALAR, Money
from api.graphql.funds.disclosure import FundDisclosureMutations, FundDisclosureQueries
from api.graphql.funds.dues import DuesMutations, DuesQueries
from api.graphql.funds.errors import ERRORS
from api.graphql.funds.mutations import FundMutations
from api.graphql.funds.plan_errors import PLAN_ERRORS
from api.graphql.funds.plans import FundPlanFields, PlanMutations, PlanQueries
from api.graphql.funds.queries import FundQueries, load_fund, load_project
from api.graphql.funds.reports import MAX_OVERDUE, FundReportFields, ReportMutations, ReportQueries
from api.graphql.funds.types import Fund, Project
from domain.funds.plans import MAX_LINES
from domain.funds.reporting import MAX_DOCUMENTS


@strawberry.type(description="Change funds and their projects, plans and reports.")
class Mutations(FundMutations, PlanMutations, ReportMutations, FundDisclosureMutations, DuesMutations):
    """The funds area's mutations, composed from its modules (fields keep their order)."""


@strawberry.type(description="Read funds, their ledgers, projects, plans and reports, and compliance.")
class Queries(FundQueries, PlanQueries, ReportQueries, FundDisclosureQueries, DuesQueries):
    """The funds area's queries, composed from its modules."""


@strawberry.type(description="A fund's plan and reports.")
class FundCycleFields(FundPlanFields, FundReportFields):
    """Fields of Fund from the plan and reporting modules (joined by ``extend_types``, so that
    ``types.py`` need not import them)."""


AREA = ApiArea("funds", query=Queries, mutation=Mutations, types=(Fund, Project), errors=ERRORS + PLAN_ERRORS,
               fields={Fund: FundCycleFields},
               nodes={"Fund": load_fund}, inner_nodes={"Project": load_project}, scalars={Money: MONEY_SCALAR},
               loaders={
                   "fund": by_id("SELECT * FROM funds WHERE id = ANY($1::uuid[])"),
                   "projects_of_fund": grouped("SELECT * FROM projects WHERE fund_id = ANY($1::uuid[])"
                                               " ORDER BY proposed_position", "fund_id"),
                   "plan_of_fund": grouped("SELECT * FROM fund_plans WHERE fund_id = ANY($1::uuid[])", "fund_id"),
                   "versions_of_plan": grouped("SELECT * FROM fund_plan_versions WHERE plan_id = ANY($1::uuid[])"
                                               " ORDER BY number", "plan_id"),
                   "lines_of_plan": grouped("SELECT * FROM fund_plan_lines WHERE plan_id = ANY($1::uuid[])"
                                            " ORDER BY number, ordinal", "plan_id"),
                   "reports_of_fund": grouped("SELECT * FROM fund_reports WHERE fund_id = ANY($1::uuid[])"
                                              " ORDER BY period, kind", "fund_id"),
                   "payments_of_project": grouped(
                       "SELECT * FROM fund_movements WHERE project_id = ANY($1::uuid[])"
                       " AND movement IN ('PAYMENT', 'REVERSAL') ORDER BY version", "project_id"),
               },
               list_costs={
                   "Fund.projects": 30,  # a community's projects of one year: a dozen or so
                   "FundAsOf.projects": 30,
                   "Project.payments": 12,  # paid at most monthly
                   "Project.attendees": 100,  # the domain's bound on a collective decision's attendees
                   "Project.reviewFlags": 50,  # near misses of the purpose screen: a few per project
                   "Query.fundShortfalls": 500,  # one per community in scope
                   "Query.fundKinds": 6,  # the FundKind vocabulary
                   "FundKindPolicy.allowedCategories": 4,  # the allowed spending categories
                   "RedFundTotals.years": 30,  # one red fund a year since the ledger began
                   "RedFundYear.sources": 7,  # the AllocationSource vocabulary
                   "RedFundTotals.toDate": 7,
                   "FundPlan.versions": 20,  # a first proposal and a few amendments a year
                   "FundPlanVersion.lines": MAX_LINES,
                   "FundPlanVersion.steps": 4,  # proposed, assembled, approved or returned
                   "PlanVsActual.lines": MAX_LINES,
                   "PlanVsActual.unplanned": 30,  # a fund's projects, as Fund.projects
                   "PlanLineActual.projects": 30,
                   "Fund.reports": 14,  # twelve briefings, a half-year check, a yearly evaluation
                   "FundReport.documents": MAX_DOCUMENTS,
                   "Query.fundReportsOverdue": MAX_OVERDUE,
                   "Query.fundDisclosures": 40,  # a fund's months, quarters, halves and year, a few twice
                   "DisclosureVerification.checks": 10,
                   "DuesAccount.entries": 200,  # remittances and allocations of one organization's year
                   "DuesAccount.collectedByMonth": 12,
                   "DuesAccountEntry.months": 12,  # one period's disclosures: once, or again after corrections
               },
               # members: a dues account shows its collections as the members area's DuesMonth
               depends_on=('organizations', 'members'))
