"""Queries of demonstration shops: one by id, lists with filters, rounds, the red map and the
yearly reconciliation (``api.graphql.shops.reconciliation``).

Every read is scoped as the other areas' are (``views.scope_condition`` on the shop's or
round's organization); a shop operator's token (SHOP_OPERATOR and no other role) reads
nothing by scope (``permissions.reads_by_scope``) but its own shop, within its scope: the
one whose operator account is the token's subject (no rounds, members or organizations).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api import views
from api.graphql.core.bounds import NAME_SEARCH, name_search
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, argument_id, connection, subtree_condition
from api.graphql.shops.reconciliation import ShopReconciliation, reconcile
from api.graphql.shops.types import (
    SelectionRound,
    Shop,
    ShopState,
    operator_only,
    overdue_since,
    selection_round,
    shop,
)

MAX_MAP = 5000
"""The most shops one map answers (Taijiang's 353 fit many times over): narrow ``within`` for more."""


def shop_conditions(info: Info) -> views.Conditions:
    """The read rule of shops: the actor's subtree, and an operator's own shop only."""
    c = views.Conditions()
    actor = info.context.actor
    if operator_only(actor):
        views.within_scope_condition(c, actor, "organization_id")
        c.add("operator_subject = ?", actor.subject)
    else:
        views.scope_condition(c, actor, "organization_id")
    return c


async def load_shop(info: Info, sid: UUID) -> Shop | None:
    c = shop_conditions(info)
    c.add("id = ?", sid)
    row = await info.context.pool.fetchrow(f"SELECT * FROM shops WHERE {c.where}", *c.args)
    return shop(row) if row is not None else None


async def load_selection_round(info: Info, rid: UUID) -> SelectionRound | None:
    c = views.Conditions()
    views.scope_condition(c, info.context.actor, "organization_id")
    c.add("id = ?", rid)
    row = await info.context.pool.fetchrow(f"SELECT * FROM selection_rounds WHERE {c.where}", *c.args)
    return selection_round(row) if row is not None else None


@strawberry.input(description="Narrow a list of shops.")
class ShopFilter:
    within: strawberry.ID | None = strawberry.field(default=None, description="Shops of this organization's subtree.")
    round_id: strawberry.ID | None = strawberry.field(default=None, description="Shops whose latest application is in"
                                                                                " this round.")
    state: ShopState | None = strawberry.field(default=None, description="Only shops in this state.")
    stars: int | None = strawberry.field(default=None, description="Only shops the latest review gave 3 or 5 stars.")
    category: str | None = strawberry.field(default=None, description="Only this business category (at most 40"
                                                                      " characters).")
    plaque_overdue: bool | None = strawberry.field(default=None, description="true: only revoked shops whose plaque"
                                                                             " is not recovered past the configured"
                                                                             " days.")
    name_contains: str | None = strawberry.field(default=None, description=f"Case-insensitive name match:"
                                                                           f" {NAME_SEARCH}.")


def _filtered(info: Info, f: ShopFilter) -> views.Conditions:
    c = shop_conditions(info)
    if f.within is not None:
        subtree_condition(c, "organization_id", f.within, "within")
    if f.round_id is not None:
        c.add("round_id = ?", argument_id(f.round_id, "roundId"))
    if f.state is not None:
        c.add("state = ?", f.state.value)
    if f.stars is not None:
        c.add("stars = ?", f.stars)
    if f.category is not None:
        if len(f.category) > 40:
            raise ValueError("category has at most 40 characters")
        c.add("category = ?", f.category.upper())
    if f.plaque_overdue is not None:
        sql = ("id IN (SELECT shop_id FROM shop_tenures WHERE revoked_on IS NOT NULL AND recovered_on IS NULL"
               " AND revoked_on < ?)")
        c.add(sql if f.plaque_overdue else f"NOT {sql}", overdue_since(info))
    if f.name_contains:
        c.add("name ILIKE '%' || ? || '%'", name_search(f.name_contains))
    return c


@strawberry.type(description="Read demonstration shops, their selection rounds, the red map and reconciliations.")
class ShopQueries:
    @strawberry.field(description="One shop, if it lies within your scope (a shop operator: its own shop).")
    async def shop(self, info: Info, id: strawberry.ID) -> Shop | None:
        return await load_shop(info, argument_id(id, "id"))

    @strawberry.field(description="Shops within your scope, in the order they were registered.")
    async def shops(self, info: Info, filter: ShopFilter | None = None, first: int | None = None,
                    after: str | None = None) -> Connection[Shop]:
        c = _filtered(info, filter or ShopFilter())
        page = await views.page(info.context.pool, "SELECT * FROM shops", c, ("registered_position",),
                                views.decode_cursor(after, 1), info.context.page_size(first))
        return connection(page, shop, lambda r: (r["registered_position"],))

    @strawberry.field(description="One selection round, if its organization lies within your scope.")
    async def selection_round(self, info: Info, id: strawberry.ID) -> SelectionRound | None:
        return await load_selection_round(info, argument_id(id, "id"))

    @strawberry.field(description="Selection rounds within your scope (and `within`), newest year first.")
    async def selection_rounds(self, info: Info, within: strawberry.ID | None = None, year: int | None = None,
                               first: int | None = None, after: str | None = None) -> Connection[SelectionRound]:
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "organization_id")
        if within is not None:
            subtree_condition(c, "organization_id", within, "within")
        if year is not None:
            c.add("year = ?", year)
        page = await views.page(info.context.pool, "SELECT * FROM selection_rounds", c, ("opened_position",),
                                views.decode_cursor(after, 1), info.context.page_size(first), descending=True)
        return connection(page, selection_round, lambda r: (r["opened_position"],))

    @strawberry.field(description="Shops with a map point within your scope (and `filter`) as a GeoJSON"
                                  " FeatureCollection for the red map: one Point Feature per shop, its properties"
                                  f" the shop's id, name, category, state, stars, plaqueSerial and organizationId."
                                  f" At most {MAX_MAP} shops: narrow the filter for more.")
    async def shop_map(self, info: Info, filter: ShopFilter | None = None) -> JSON:
        c = _filtered(info, filter or ShopFilter(state=ShopState.AWARDED))
        c.add("longitude IS NOT NULL")
        rows = await info.context.pool.fetch(
            "SELECT id, organization_id, name, category, state, stars, plaque_serial, longitude, latitude"
            f" FROM shops WHERE {c.where} ORDER BY registered_position LIMIT {MAX_MAP + 1}", *c.args)
        if len(rows) > MAX_MAP:
            raise ValueError(f"the map holds at most {MAX_MAP} shops: narrow the filter")
        features: list[dict[str, Any]] = [{
            "type": "Feature", "id": str(r["id"]),
            "geometry": {"type": "Point", "coordinates": [r["longitude"], r["latitude"]]},
            "properties": {"id": str(r["id"]), "name": r["name"], "category": r["category"], "state": r["state"],
                           "stars": r["stars"], "plaqueSerial": r["plaque_serial"],
                           "organizationId": str(r["organization_id"])},
        } for r in rows]
        return {"type": "FeatureCollection", "features": features}

    @strawberry.field(description="The year's count of demonstration shops within `within` (default: your scope):"
                                  " held at the start of the year, awarded in it, revoked in it, held at its end,"
                                  " each with its shops, computed from the plaques' dated events; `balanced` checks"
                                  " start + awarded − revoked = end.")
    async def shop_reconciliation(self, info: Info, year: int, within: strawberry.ID | None = None,
                                  ) -> ShopReconciliation:
        return await reconcile(info, year, within)
