"""Funds' part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.core.scalars import MONEY_SCALAR, Money
from api.graphql.funds.errors import ERRORS
from api.graphql.funds.mutations import FundMutations
from api.graphql.funds.queries import FundQueries, load_fund, load_project
from api.graphql.funds.types import Fund, Project

AREA = ApiArea("funds", query=FundQueries, mutation=FundMutations, types=(Fund, Project), errors=ERRORS,
               nodes={"Fund": load_fund}, inner_nodes={"Project": load_project}, scalars={Money: MONEY_SCALAR},
               loaders={
                   "fund": by_id("SELECT * FROM funds WHERE id = ANY($1::uuid[])"),
                   "projects_of_fund": grouped("SELECT * FROM projects WHERE fund_id = ANY($1::uuid[])"
                                               " ORDER BY proposed_position", "fund_id"),
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
               },
               depends_on=('organizations',))
