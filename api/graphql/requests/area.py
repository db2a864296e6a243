"""Residents' requests' part of the schema."""

import strawberry

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.requests.errors import ERRORS
from api.graphql.requests.mutations import RequestMutations
from api.graphql.requests.orders import ServiceOrder, ServiceOrderMutations, ServiceOrderQueries, load_service_order
from api.graphql.requests.queries import RequestQueries, load_department, load_request
from api.graphql.requests.statistics import MAX_GROUPS, RequestStatisticsQueries
from api.graphql.requests.types import Department, Request


@strawberry.type(description="Report residents' requests, take them through the loop, keep the departments, and"
                             " publish the service orders members grab.")
class Mutations(RequestMutations, ServiceOrderMutations):
    """The requests area's mutations, composed from its modules (fields keep their order)."""


@strawberry.type(description="Read residents' requests, the overdue lists, the departments, the service orders and"
                             " the command centre's statistics.")
class Queries(RequestQueries, ServiceOrderQueries, RequestStatisticsQueries):
    """The requests area's queries, composed from its modules."""


AREA = ApiArea("requests", query=Queries, mutation=Mutations, types=(Request, Department, ServiceOrder),
               errors=ERRORS,
               nodes={"Request": load_request, "Department": load_department, "ServiceOrder": load_service_order},
               loaders={
                   "department": by_id("SELECT * FROM departments WHERE id = ANY($1::uuid[])"),
                   "request": by_id("SELECT * FROM requests WHERE id = ANY($1::uuid[])"),
                   "steps_of_request": grouped(
                       "SELECT * FROM request_steps WHERE request_id = ANY($1::uuid[]) ORDER BY position",
                       "request_id"),
               },
               list_costs={
                   "Request.steps": 100,
                   "Request.attachments": 10,
                   "Department.categories": 40,
                   "RequestStep.actorRoles": 20,
                   "Query.requestStatistics": MAX_GROUPS,
                   "RequestStatistics.steps": 6,  # respond, handle, dispatch, accept, resolve, feedback
               },
               depends_on=("organizations", "grids", "members"))
