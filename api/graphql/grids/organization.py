"""``Organization.grids``: a community's grids, and the grids a grid Party branch covers.

The grids area adds this field to the organizations area's type (``ApiArea.fields``), so
the organization tree knows nothing of grids. A page of organizations asking for their
grids costs one statement for all of them: the loader's keys carry the page arguments,
and the keys that share them (a page of organizations asks the same) are read together,
each organization's page by a lateral subquery on the ``(organization_id, code)`` or
``branch_id`` index.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, connection
from api.graphql.grids.types import Grid, grid
from domain.organizations.aggregate import COMMUNITY_KINDS, OrganizationKind
from domain.shared.permissions import may_read

_COMMUNITIES = frozenset(k.value for k in COMMUNITY_KINDS)
_BRANCH = OrganizationKind.GRID_BRANCH.value

GridsKey = tuple[UUID, str, bool, str | None, int]
"""(organization id, column naming it in ``grids``, retired ones too, after this code, page size)."""


def grids_of_organization(pool: asyncpg.Pool) -> Callable[[list[GridsKey]], Awaitable[list[list[Any]]]]:
    """Pages of grids by organization: one statement per distinct page (retired, after, size),
    communities and branches together."""
    async def load(keys: list[GridsKey]) -> list[list[Any]]:
        groups: dict[tuple[bool, str | None, int], list[tuple[UUID, str]]] = {}
        for oid, column, retired, after, size in keys:
            if column not in ("organization_id", "branch_id"):
                raise ValueError(f"no grids by {column}")
            groups.setdefault((retired, after, size), []).append((oid, column))
        found: dict[GridsKey, list[Any]] = {}
        for (retired, after, size), owners in groups.items():
            extra, args = "", [[oid for oid, _ in owners], [column for _, column in owners]]
            if not retired:
                extra += " AND g.status = 'ACTIVE'"
            if after is not None:
                args.append(after)
                extra += " AND g.code > $3"
            # One arm per kind of owner, each on its own index (an OR of the two would scan).
            rows = await pool.fetch(
                "SELECT o.id AS of_organization, o.by AS of_column, g.*"
                " FROM unnest($1::uuid[], $2::text[]) AS o(id, by) CROSS JOIN LATERAL ("
                "SELECT * FROM (SELECT * FROM grids g WHERE o.by = 'organization_id'"
                f" AND g.organization_id = o.id{extra}"
                f" UNION ALL SELECT * FROM grids g WHERE o.by = 'branch_id' AND g.branch_id = o.id{extra}) g"
                f" ORDER BY g.code LIMIT {size + 1}) g", *args)
            for oid, column in owners:
                found[(oid, column, retired, after, size)] = []
            for r in rows:
                found[(r["of_organization"], r["of_column"], retired, after, size)].append(r)
        return [found[k] for k in keys]
    return load


def _community_path(row: asyncpg.Record) -> list[UUID] | None:
    """The path of the community whose grids ``row``'s organization lists (None: it lists none)."""
    if row["kind"] in _COMMUNITIES:
        return list(row["path"])
    if row["kind"] == _BRANCH:
        return list(row["path"][:-1])
    return None


@strawberry.type
class OrganizationGrids:
    """The grids area's fields of ``Organization``."""

    @strawberry.field(description="A community's grids; the grids a grid Party branch (GRID_BRANCH) covers; empty for"
                                  " other kinds and for a community outside your scope. By code; active ones unless"
                                  " `includeRetired`.")
    async def grids(self, info: Info, include_retired: bool = False, first: int | None = None,
                    after: str | None = None) -> Connection[Grid]:
        row: asyncpg.Record = self.row  # type: ignore[attr-defined]  # self is the Organization
        size = info.context.page_size(first)
        key = views.decode_cursor(after, 1)
        if key is not None and not isinstance(key[0], str):
            raise views.BadCursor()
        path = _community_path(row)
        if path is None or not may_read(info.context.actor, path):
            return connection(views.Page([], False), grid, lambda r: (r["code"],))
        column = "branch_id" if row["kind"] == _BRANCH else "organization_id"
        page_key: GridsKey = (row["id"], column, include_retired, None if key is None else key[0], size)
        rows = await info.context.loaders.grids_of_organization.load(page_key)  # type: ignore[arg-type]
        return connection(views.Page(rows[:size], len(rows) > size), grid, lambda r: (r["code"],))
