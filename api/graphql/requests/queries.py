"""Queries of residents' requests and departments: one by id, lists with filters, overdue lists.

Every read is scoped as the other areas' are (``views.scope_condition`` on the request's
community or the department's owner). A department handler's token (scope: its department's
owner) reads the requests of that subtree; it sees a resident's name and phone only on the
requests with its own department (``types.handles``).
"""

from __future__ import annotations

from uuid import UUID

import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, argument_id, connection, subtree_condition
from api.graphql.requests.types import Department, Request, department, request
from domain.requests.aggregate import RequestState, Source
from domain.requests.rules import Urgency
from domain.shared.permissions import reads_by_scope


async def load_request(info: Info, rid: UUID) -> Request | None:
    c = views.Conditions()
    views.scope_condition(c, info.context.actor, "organization_id")
    c.add("id = ?", rid)
    row = await info.context.pool.fetchrow(f"SELECT * FROM requests WHERE {c.where}", *c.args)
    return request(row) if row is not None else None


_REACHES = ("(organization_id IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid])"
            " OR organization_id IN (SELECT unnest(path) FROM organizations WHERE id = ?))")
"""Departments a request within the subtree of ``?`` can be dispatched to: its own subtree's and
those of the street and district above it."""


def department_conditions(info: Info, within: UUID | None = None) -> views.Conditions:
    """The read rule of departments: those of your subtree and of the organizations above it (a
    street admin dispatches to its district's departments too)."""
    c = views.Conditions()
    actor = info.context.actor
    if not reads_by_scope(actor):
        c.add("false")
    elif actor.scope is not None:
        c.add(_REACHES, actor.scope, actor.scope)
    if within is not None:
        c.add(_REACHES, within, within)
    return c


async def load_department(info: Info, did: UUID) -> Department | None:
    c = department_conditions(info)
    c.add("id = ?", did)
    row = await info.context.pool.fetchrow(f"SELECT * FROM departments WHERE {c.where}", *c.args)
    return department(row) if row is not None else None


@strawberry.input(description="Narrow a list of requests.")
class RequestFilter:
    within: strawberry.ID | None = strawberry.field(default=None, description="Requests of this organization's"
                                                                              " subtree (a street, a community).")
    grid_id: strawberry.ID | None = strawberry.field(default=None, description="Requests of this grid.")
    state: RequestState | None = strawberry.field(default=None, description="Only requests in this state.")
    category: str | None = strawberry.field(default=None, description="Only this category (at most 40 characters).")
    overdue: bool | None = strawberry.field(default=None, description="true: only requests whose current step is"
                                                                      " past its deadline; false: only the others.")
    department_id: strawberry.ID | None = strawberry.field(default=None, description="Only requests with this"
                                                                                     " department now.")
    source: Source | None = strawberry.field(default=None, description="Only requests that came in this way.")
    urgency: Urgency | None = strawberry.field(default=None, description="Only requests of this urgency.")


def _filtered(info: Info, f: RequestFilter) -> views.Conditions:
    c = views.Conditions()
    views.scope_condition(c, info.context.actor, "organization_id")
    if f.within is not None:
        subtree_condition(c, "organization_id", f.within, "within")
    if f.grid_id is not None:
        c.add("grid_id = ?", argument_id(f.grid_id, "gridId"))
    if f.state is not None:
        c.add("state = ?", f.state.value)
    if f.category is not None:
        if len(f.category) > 40:
            raise ValueError("category has at most 40 characters")
        c.add("category = ?", f.category.strip().upper())
    if f.overdue is not None:
        c.add("due_at < ?" if f.overdue else "(due_at IS NULL OR due_at >= ?)", info.context.clock())
    if f.department_id is not None:
        c.add("department_id = ?", argument_id(f.department_id, "departmentId"))
    if f.source is not None:
        c.add("source = ?", f.source.value)
    if f.urgency is not None:
        c.add("urgency = ?", f.urgency.value)
    return c


@strawberry.type(description="Read residents' requests, the overdue lists and the departments.")
class RequestQueries:
    @strawberry.field(description="One request, with its steps, if it lies within your scope.")
    async def request(self, info: Info, id: strawberry.ID) -> Request | None:
        return await load_request(info, argument_id(id, "id"))

    @strawberry.field(description="Requests within your scope (and `filter`), newest first: the command centre's"
                                  " list (with `overdue: true`, its overdue list).")
    async def requests(self, info: Info, filter: RequestFilter | None = None, first: int | None = None,
                       after: str | None = None) -> Connection[Request]:
        c = _filtered(info, filter or RequestFilter())
        page = await views.page(info.context.pool, "SELECT * FROM requests", c, ("reported_position",),
                                views.decode_cursor(after, 1), info.context.page_size(first), descending=True)
        return connection(page, request, lambda r: (r["reported_position"],))

    @strawberry.field(description="Requests within your scope (and `within`) whose current step is past its"
                                  " deadline, the longest overdue first.")
    async def overdue_requests(self, info: Info, within: strawberry.ID | None = None, first: int | None = None,
                               after: str | None = None) -> Connection[Request]:
        c = _filtered(info, RequestFilter(within=within, overdue=True))
        page = await views.page(info.context.pool, "SELECT * FROM requests", c, ("due_at", "reported_position"),
                                views.decode_cursor(after, 2), info.context.page_size(first))
        return connection(page, request, lambda r: (r["due_at"].isoformat(), r["reported_position"]))

    @strawberry.field(description="One department of your subtree or of the street or district above it.")
    async def department(self, info: Info, id: strawberry.ID) -> Department | None:
        return await load_department(info, argument_id(id, "id"))

    @strawberry.field(description="Departments a request within your scope (and within `within`) can be"
                                  " dispatched to: those of its subtree and of the street and district above it,"
                                  " in the order they were registered.")
    async def departments(self, info: Info, within: strawberry.ID | None = None, include_retired: bool = False,
                          first: int | None = None, after: str | None = None) -> Connection[Department]:
        c = department_conditions(info, None if within is None else argument_id(within, "within"))
        if not include_retired:
            c.add("status = 'ACTIVE'")
        page = await views.page(info.context.pool, "SELECT * FROM departments", c, ("registered_position",),
                                views.decode_cursor(after, 1), info.context.page_size(first))
        return connection(page, department, lambda r: (r["registered_position"],))
