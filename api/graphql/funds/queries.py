"""Queries of funds, projects and compliance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, argument_id, connection, subtree_condition
from api.graphql.core.scalars import Money
from api.graphql.funds.types import (
    Fund,
    FundKindPolicy,
    FundShortfall,
    Project,
    RedFundTotals,
    RedFundYear,
    SourceTotal,
    disclosure_cutoff,
    fund,
    project,
)
from api.graphql.organizations.queries import _org, load_organization
from domain.funds.aggregate import RED_FUND_SOURCES, AllocationSource, FundKind, ProjectState, SpendingCategory
from domain.organizations.aggregate import COMMUNITY_KINDS
from domain.shared.money import ZERO, fmt


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

    @strawberry.field(description="The fund kinds that may be opened here, each with what it pays for and whether"
                                  " its balance carries over (configuration).")
    def fund_kinds(self, info: Info) -> list[FundKindPolicy]:
        rules = info.context.settings.funds.kind_rules
        return [FundKindPolicy(kind=k, allowed_categories=[c for c in SpendingCategory if c in p.allowed],
                               carries_over=p.carry_over) for k, p in rules.in_use.items()]

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

    @strawberry.field(description="An organization's red fund (红色基金): what each source gave it per year and to"
                                  " date (dues allocations, fiscal subsidies, unit sponsorship, donations) and what"
                                  " it granted; null if the organization lies outside your scope.")
    async def red_fund(self, info: Info, organization_id: strawberry.ID) -> RedFundTotals | None:
        org = await load_organization(info, argument_id(organization_id, "organizationId"))
        if org is None:
            return None
        rows = await info.context.pool.fetch(
            """
            SELECT f.id, f.year, f.balance, m.movement, m.source, coalesce(sum(m.amount), 0) AS amount
              FROM funds f
              LEFT JOIN fund_movements m ON m.fund_id = f.id AND m.movement IN ('ALLOCATION', 'GRANT_OUT')
             WHERE f.organization_id = $1 AND f.kind = 'RED_FUND'
             GROUP BY f.id, f.year, f.balance, m.movement, m.source
             ORDER BY f.year
            """,
            org.row["id"],
        )
        years: dict[int, tuple[Any, dict[AllocationSource, Any], list[Any]]] = {}
        for r in rows:
            _, by_source, granted = years.setdefault(r["year"], (r, {}, []))
            if r["movement"] == "ALLOCATION":
                by_source[AllocationSource(r["source"])] = r["amount"]
            elif r["movement"] == "GRANT_OUT":
                granted.append(-r["amount"])

        def totals(by_source: dict[AllocationSource, Any]) -> list[SourceTotal]:
            listed = [*RED_FUND_SOURCES, *(s for s in AllocationSource if s in by_source and s not in RED_FUND_SOURCES)]
            return [SourceTotal(source=s, amount=Money(fmt(by_source.get(s, ZERO)))) for s in listed]

        overall: dict[AllocationSource, Any] = {}
        found = []
        for year, (r, by_source, granted) in years.items():
            for k, v in by_source.items():
                overall[k] = overall.get(k, ZERO) + v
            found.append(RedFundYear(
                year=year, fund_id=strawberry.ID(str(r["id"])), sources=totals(by_source),
                received=Money(fmt(sum(by_source.values(), ZERO))), granted=Money(fmt(sum(granted, ZERO))),
                balance=Money(fmt(r["balance"]))))
        return RedFundTotals(
            organization=org, years=found, to_date=totals(overall),
            received=Money(fmt(sum(overall.values(), ZERO))),
            granted=Money(fmt(sum((Decimal(y.granted) for y in found), ZERO))))

    @strawberry.field(description="Active communities in your scope whose service fund for the year received"
                                  " less counted (fiscal) money than their tier's minimum; sponsorship, dues"
                                  " and carry-over do not count.")
    async def fund_shortfalls(self, info: Info, year: int,
                              within: strawberry.ID | None = None) -> list[FundShortfall]:
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "o.id")
        if within is not None:
            subtree_condition(c, "o.id", within, "within")
        c.add("o.kind = ANY(?::text[])", sorted(k.value for k in COMMUNITY_KINDS))
        c.add("o.status = 'ACTIVE'")
        rules = info.context.settings.funds.minimum_rules
        year_arg = c.next_arg(year)
        sources_arg = c.next_arg(sorted(s.value for s in rules.counted))
        # Grid branches are counted only where the policy pays per branch.
        branches = ("(SELECT count(*) FROM organizations g WHERE g.path @> ARRAY[o.id]"
                    " AND g.kind = 'GRID_BRANCH' AND g.status = 'ACTIVE')" if rules.per_grid_branch else "0")
        rows = await info.context.pool.fetch(
            f"""
            SELECT o.*, f.id AS fund_id, coalesce(a.total, 0) AS allocated_total,
                   coalesce(a.counted, 0) AS counted_total, {branches} AS grid_branches
              FROM organizations o
              LEFT JOIN funds f ON f.organization_id = o.id AND f.year = {year_arg}
                               AND f.kind = 'SERVICE_FUND'
              LEFT JOIN LATERAL (SELECT sum(amount) AS total,
                                        sum(amount) FILTER (WHERE source = ANY({sources_arg}::text[])) AS counted
                                   FROM fund_movements m
                                  WHERE m.fund_id = f.id AND m.movement IN ('ALLOCATION', 'GRANT_IN')) a ON true
             WHERE {c.where}
             ORDER BY o.name, o.id
            """,
            *c.args,
        )
        found = []
        for r in rows:
            minimum = rules.minimum_for(r["id"], r["code"], r["grid_branches"])
            if r["counted_total"] >= minimum.amount:
                continue
            found.append(FundShortfall(
                organization=_org(r), year=year, fund_id=strawberry.ID(str(r["fund_id"])) if r["fund_id"] else None,
                allocated=Money(fmt(r["allocated_total"])), counted=Money(fmt(r["counted_total"])),
                tier=minimum.tier, grid_branches=r["grid_branches"], minimum=Money(fmt(minimum.amount)),
                shortfall=Money(fmt(minimum.amount - r["counted_total"]))))
        return found
