"""Queries of inspections."""

from __future__ import annotations

from uuid import UUID

import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, argument_id, connection, subtree_condition
from api.graphql.funds.queries import _scoped_row
from api.graphql.inspections.types import Finding, Inspection, InspectionState, finding, inspection


async def load_inspection(info: Info, iid: UUID) -> Inspection | None:
    row = await _scoped_row(info, "inspections", iid)
    return inspection(row) if row is not None else None


@strawberry.input(description="Narrow a list of inspections.")
class InspectionFilter:
    within: strawberry.ID | None = strawberry.field(default=None, description="Inspections of this subtree.")
    fund_id: strawberry.ID | None = strawberry.field(default=None, description="Only inspections of this fund.")
    state: InspectionState | None = strawberry.field(default=None, description="Open or closed.")


@strawberry.type(description="Read inspections and their findings.")
class InspectionQueries:
    @strawberry.field(description="One inspection, if it lies within your scope.")
    async def inspection(self, info: Info, id: strawberry.ID) -> Inspection | None:
        return await load_inspection(info, argument_id(id, "id"))

    @strawberry.field(description="Inspections within your scope, newest first.")
    async def inspections(self, info: Info, filter: InspectionFilter | None = None,
                          first: int | None = None, after: str | None = None,
                          ) -> Connection[Inspection]:
        f = filter or InspectionFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "organization_id")
        if f.within is not None:
            subtree_condition(c, "organization_id", f.within, "within")
        if f.fund_id is not None:
            c.add("fund_id = ?", argument_id(f.fund_id, "fundId"))
        if f.state is not None:
            c.add("state = ?", f.state.value)
        page = await views.page(info.context.pool, "SELECT * FROM inspections", c,
                                ("opened_position",), views.decode_cursor(after, 1),
                                info.context.page_size(first), descending=True)
        return connection(page, inspection, lambda r: (r["opened_position"],))

    @strawberry.field(description="Findings of open inspections in your scope whose rectification is past its"
                                  " deadline and not recorded (or rejected and not recorded again), most overdue"
                                  " first.")
    async def overdue_rectifications(self, info: Info, within: strawberry.ID | None = None,
                                     first: int | None = None, after: str | None = None) -> Connection[Finding]:
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "i.organization_id")
        if within is not None:
            subtree_condition(c, "i.organization_id", within, "within")
        c.add("i.state = 'OPEN' AND f.state IN ('OPEN', 'REJECTED') AND f.rectify_by < ?",
              info.context.clock().date())
        page = await views.page(info.context.pool,
                                "SELECT f.* FROM inspection_findings f JOIN inspections i ON i.id = f.inspection_id",
                                c, ("f.rectify_by", "f.position"), views.decode_cursor(after, 2),
                                info.context.page_size(first))
        return connection(page, finding, lambda r: (r["rectify_by"].isoformat(), r["position"]))
