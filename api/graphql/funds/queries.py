"""Queries of funds, projects and compliance."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, argument_id, connection, subtree_condition
from api.graphql.core.scalars import Money
from api.graphql.funds.types import Fund, FundShortfall, Project, disclosure_cutoff, fund, project
from api.graphql.organizations.queries import _org
from domain.funds.aggregate import FundKind, ProjectState, SpendingCategory
from domain.organizations.aggregate import COMMUNITY_KINDS
from domain.shared.money import fmt


async def _scoped_row(info: Info, table: str, row_id: UUID) -> Any:
    """The row of ``table`` with this id, if its organization lies within the caller's scope."""
    c = views.Conditions()
    c.add("id = ?", row_id)
    views.scope_condition(c, info.context.actor, "organization_id")
    return await info.context.pool.fetchrow(f"SELECT * FROM {table} WHERE {c.where}", *c.args)


async def load_fund(info: Info, fid: UUID) -> Fund | None:
    row = await _scoped_row(info, "funds", fid)
    return fund(row) if row is not None else None


async def load_project(info: Info, pid: UUID) -> Project | None:
    row = await _scoped_row(info, "projects", pid)
    return project(row) if row is not None else None


@strawberry.input(description="Narrow a list of funds.")
class FundFilter:
    within: strawberry.ID | None = strawberry.field(default=None, description="Funds of this organization's subtree.")
    year: int | None = strawberry.field(default=None, description="Only this fiscal year.")
    kind: FundKind | None = strawberry.field(default=None, description="Only this kind.")


@strawberry.input(description="Narrow a list of projects.")
class ProjectFilter:
    within: strawberry.ID | None = strawberry.field(default=None, description="Projects of this subtree's funds.")
    fund_id: strawberry.ID | None = strawberry.field(default=None, description="Only this fund's projects.")
    year: int | None = strawberry.field(default=None, description="Only this fiscal year.")
    state: ProjectState | None = strawberry.field(default=None, description="Only this state.")
    category: SpendingCategory | None = strawberry.field(default=None, description="Only this category.")
    disclosure_overdue: bool | None = strawberry.field(
        default=None, description="Accepted projects whose disclosure deadline passed without one.")


@strawberry.type(description="Read funds, their ledgers and projects, and compliance.")
class FundQueries:
    @strawberry.field(description="One fund, if its organization lies within your scope.")
    async def fund(self, info: Info, id: strawberry.ID) -> Fund | None:
        return await load_fund(info, argument_id(id, "id"))

    @strawberry.field(description="Funds within your scope, newest year first.")
    async def funds(self, info: Info, filter: FundFilter | None = None, first: int | None = None,
                    after: str | None = None) -> Connection[Fund]:
        f = filter or FundFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "organization_id")
        if f.within is not None:
            subtree_condition(c, "organization_id", f.within, "within")
        if f.year is not None:
            c.add("year = ?", f.year)
        if f.kind is not None:
            c.add("kind = ?", f.kind.value)
        page = await views.page(info.context.pool, "SELECT * FROM funds", c, ("year", "id"),
                                views.decode_cursor(after, 2), info.context.page_size(first),
                                descending=True)
        return connection(page, fund, lambda r: (r["year"], str(r["id"])))

    @strawberry.field(description="One project, if its fund lies within your scope.")
    async def project(self, info: Info, id: strawberry.ID) -> Project | None:
        return await load_project(info, argument_id(id, "id"))

    @strawberry.field(description="Projects within your scope, newest first.")
    async def projects(self, info: Info, filter: ProjectFilter | None = None,
                       first: int | None = None, after: str | None = None) -> Connection[Project]:
        f = filter or ProjectFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "organization_id")
        if f.within is not None:
            subtree_condition(c, "organization_id", f.within, "within")
        if f.fund_id is not None:
            c.add("fund_id = ?", argument_id(f.fund_id, "fundId"))
        if f.year is not None:
            c.add("year = ?", f.year)
        if f.state is not None:
            c.add("state = ?", f.state.value)
        if f.category is not None:
            c.add("category = ?", f.category.value)
        if f.disclosure_overdue is True:
            c.add("state = 'ACCEPTED' AND accepted_on < ?", disclosure_cutoff(info))
        elif f.disclosure_overdue is False:
            c.add("NOT (state = 'ACCEPTED' AND accepted_on < ?)", disclosure_cutoff(info))
        page = await views.page(info.context.pool, "SELECT * FROM projects", c,
                                ("proposed_position",), views.decode_cursor(after, 1),
                                info.context.page_size(first), descending=True)
        return connection(page, project, lambda r: (r["proposed_position"],))

    @strawberry.field(description="Active communities in your scope whose service fund for the year "
                                  "received less than the configured minimum (carry-over not counted).")
    async def fund_shortfalls(self, info: Info, year: int,
                              within: strawberry.ID | None = None) -> list[FundShortfall]:
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "o.id")
        if within is not None:
            subtree_condition(c, "o.id", within, "within")
        c.add("o.kind = ANY(?::text[])", sorted(k.value for k in COMMUNITY_KINDS))
        c.add("o.status = 'ACTIVE'")
        minimum = info.context.settings.funds.minimum
        year_arg = c.next_arg(year)
        min_arg = c.next_arg(minimum)
        rows = await info.context.pool.fetch(
            f"""
            SELECT o.*, f.id AS fund_id, coalesce(a.total, 0) AS allocated_total
              FROM organizations o
              LEFT JOIN funds f ON f.organization_id = o.id AND f.year = {year_arg}
                               AND f.kind = 'SERVICE_FUND'
              LEFT JOIN LATERAL (SELECT sum(amount) AS total FROM fund_movements m
                                  WHERE m.fund_id = f.id AND m.movement = 'ALLOCATION') a ON true
             WHERE {c.where} AND coalesce(a.total, 0) < {min_arg}
             ORDER BY o.name, o.id
            """,
            *c.args,
        )
        return [FundShortfall(organization=_org(r), year=year,
                              fund_id=strawberry.ID(str(r["fund_id"])) if r["fund_id"] else None,
                              allocated=Money(fmt(r["allocated_total"])), minimum=Money(fmt(minimum)),
                              shortfall=Money(fmt(minimum - r["allocated_total"])))
                for r in rows]
