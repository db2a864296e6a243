"""Queries of grids: one by id or code, lists with filters, a person's assignments, the map.

A point lookup (``containing``) has no spatial index to lean on (PostGIS is not in the
embedded PostgreSQL): the bounding-box columns of ``grids`` prefilter in SQL (an index on
them), and the few grids whose box holds the point are tested exactly against their
boundary with shapely (``api.geometry``); the page is then read among
those that pass.

A grid-scoped token (``Actor.grid``) reads its own grid only (``views.grid_condition``): every
query here answers that grid or nothing.
"""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api import views
from api.geometry import SHAPELY
from api.graphql.core.bounds import NAME_SEARCH, name_search
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, argument_id, connection, subtree_condition
from api.graphql.grids.households import CentralHouseholdQueries
from api.graphql.grids.types import Grid, GridStaff, _json, grid, staff
from domain.grids.handlers import member_key, phone_key
from domain.members.aggregate import check_phone
from domain.shared.errors import InvalidInput

MAX_MAP = 5000
"""The most grids one map answers (Panjin's 1,056 fit five times): narrow ``within`` for more."""
MAX_CANDIDATES = 1000


async def _scoped(info: Info, condition: str, value: Any) -> Grid | None:
    c = views.Conditions()
    c.add(condition, value)
    views.grid_condition(c, info.context.actor, "organization_id", "id")
    row = await info.context.pool.fetchrow(f"SELECT * FROM grids WHERE {c.where}", *c.args)
    return grid(row) if row is not None else None


async def load_grid(info: Info, gid: UUID) -> Grid | None:
    return await _scoped(info, "id = ?", gid)


@strawberry.input(description="A point in WGS-84 degrees.")
class GridPoint:
    lat: float = strawberry.field(description="Latitude, −90 to 90.")
    lng: float = strawberry.field(description="Longitude, −180 to 180.")


@strawberry.input(description="Narrow a list of grids.")
class GridFilter:
    within: strawberry.ID | None = strawberry.field(default=None, description="Grids of this organization's subtree.")
    kind: str | None = strawberry.field(default=None, description="Only this kind: at most 40 characters.")
    retired: bool | None = strawberry.field(default=None, description="true: only retired grids; false: only active"
                                                                      " ones; null (the default): both.")
    understaffed: bool | None = strawberry.field(default=None, description="true: only active grids without a"
                                                                           " current leader or worker.")
    containing: GridPoint | None = strawberry.field(default=None, description="Only grids whose boundary holds this"
                                                                              " point (edges included).")
    name_contains: str | None = strawberry.field(default=None, description=f"Case-insensitive name match:"
                                                                           f" {NAME_SEARCH}.")
    branch_id: strawberry.ID | None = strawberry.field(default=None, description="Only the grids this grid Party"
                                                                                 " branch covers.")
    without_branch: bool | None = strawberry.field(default=None, description="true: only grids no Party branch"
                                                                             " covers; false: only covered ones.")


def _conditions(info: Info, f: GridFilter) -> views.Conditions:
    c = views.Conditions()
    views.grid_condition(c, info.context.actor, "organization_id", "id")
    if f.within is not None:
        subtree_condition(c, "organization_id", f.within, "within")
    if f.kind is not None:
        if len(f.kind) > 40:
            raise ValueError("kind has at most 40 characters")
        c.add("kind = ?", f.kind)
    if f.retired is not None:
        c.add("status = ?", "RETIRED" if f.retired else "ACTIVE")
    if f.understaffed is not None:
        c.add("understaffed = ?", f.understaffed)
    if f.name_contains:
        c.add("name ILIKE '%' || ? || '%'", name_search(f.name_contains))
    if f.branch_id is not None:
        c.add("branch_id = ?", argument_id(f.branch_id, "branchId"))
    if f.without_branch is not None:
        c.add("branch_id IS NULL" if f.without_branch else "branch_id IS NOT NULL")
    return c


def _point(p: GridPoint) -> tuple[float, float]:
    if not (math.isfinite(p.lat) and math.isfinite(p.lng) and -90 <= p.lat <= 90 and -180 <= p.lng <= 180):
        raise ValueError("containing: lat is −90 to 90 and lng −180 to 180 degrees")
    return p.lng, p.lat


async def _containing(info: Info, f: GridFilter, point: GridPoint) -> list[UUID]:
    lng, lat = _point(point)
    c = _conditions(info, f)
    c.add("boundary IS NOT NULL AND west <= ? AND east >= ? AND south <= ? AND north >= ?", lng, lng, lat, lat)
    rows = await info.context.pool.fetch(
        f"SELECT id, boundary FROM grids WHERE {c.where} LIMIT {MAX_CANDIDATES}", *c.args)
    return [r["id"] for r in rows if SHAPELY.covers(_json(r["boundary"]), lng, lat)]


@strawberry.type(description="Read grids, their staff and the grid map.")
class GridQueries(CentralHouseholdQueries):
    @strawberry.field(description="One grid, if its community lies within your scope.")
    async def grid(self, info: Info, id: strawberry.ID) -> Grid | None:
        return await load_grid(info, argument_id(id, "id"))

    @strawberry.field(description="The grid with this 15-digit unit-grid code (a retired one too), if within your"
                                  " scope.")
    async def grid_by_code(self, info: Info, code: str) -> Grid | None:
        if len(code) > 15:
            return None
        return await _scoped(info, "code = ?", code)

    @strawberry.field(description="Grids within your scope, by code.")
    async def grids(self, info: Info, filter: GridFilter | None = None, first: int | None = None,
                    after: str | None = None) -> Connection[Grid]:
        f = filter or GridFilter()
        c = _conditions(info, f)
        if f.containing is not None:
            c.add("id = ANY(?::uuid[])", await _containing(info, f, f.containing))
        page = await views.page(info.context.pool, "SELECT * FROM grids", c, ("code",),
                                views.decode_cursor(after, 1), info.context.page_size(first))
        return connection(page, grid, lambda r: (r["code"],))

    @strawberry.field(description="A person's assignments across the grids within your scope, newest first: a member"
                                  " (memberId) or a person by phone. Current ones only unless `includeEnded`.")
    async def staff_assignments(self, info: Info, member_id: strawberry.ID | None = None, phone: str | None = None,
                                include_ended: bool = False) -> list[GridStaff]:
        if (member_id is None) == (phone is None):
            raise ValueError("name the person by memberId or by phone")
        try:
            checked = check_phone(phone) if phone is not None else None
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        key = member_key(argument_id(member_id, "memberId")) if member_id is not None else phone_key(checked or "")
        c = views.Conditions()
        c.add("person = ?", key)
        views.grid_condition(c, info.context.actor, "organization_id", "grid_id")
        if not include_ended:
            c.add("ended_on IS NULL")
        rows = await info.context.pool.fetch(
            f"SELECT * FROM grid_staff WHERE {c.where} ORDER BY position DESC LIMIT 200", *c.args)
        return [staff(r) for r in rows]

    @strawberry.field(description="The grids within your scope (and `within`) as a GeoJSON FeatureCollection, ready"
                                  " for a map component: one Feature per grid with a boundary, its properties the"
                                  f" grid's id, code, name, kind, status, counts, understaffed and communityId. At most"
                                  f" {MAX_MAP} grids: narrow `within` for more.")
    async def grid_map(self, info: Info, within: strawberry.ID | None = None,
                       include_retired: bool = False) -> JSON:
        c = _conditions(info, GridFilter(within=within, retired=None if include_retired else False))
        c.add("boundary IS NOT NULL")
        rows = await info.context.pool.fetch(
            "SELECT id, organization_id, code, name, kind, status, households, population, understaffed, boundary"
            f" FROM grids WHERE {c.where} ORDER BY code LIMIT {MAX_MAP + 1}", *c.args)
        if len(rows) > MAX_MAP:
            raise ValueError(f"the map holds at most {MAX_MAP} grids: narrow `within`")
        return {"type": "FeatureCollection", "features": [{
            "type": "Feature", "id": str(r["id"]), "geometry": _json(r["boundary"]),
            "properties": {"id": str(r["id"]), "code": r["code"], "name": r["name"], "kind": r["kind"],
                           "status": r["status"], "households": r["households"], "population": r["population"],
                           "understaffed": r["understaffed"], "communityId": str(r["organization_id"])},
        } for r in rows]}
