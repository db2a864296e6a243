"""Queries of the organization tree."""

from __future__ import annotations

from uuid import UUID

import strawberry

from api import views
from api.graphql.core.bounds import NAME_SEARCH, name_search
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, argument_id, connection, subtree_condition
from api.graphql.organizations.types import Organization
from domain.organizations.aggregate import OrganizationKind
from domain.shared.permissions import may_read


@strawberry.input(description="Narrow a list of organizations.")
class OrganizationFilter:
    kind: OrganizationKind | None = strawberry.field(default=None, description="Only this kind.")
    within: strawberry.ID | None = strawberry.field(
        default=None, description="Only this organization and everything below it."
    )
    name_contains: str | None = strawberry.field(
        default=None, description=f"Case-insensitive name match: {NAME_SEARCH}.")
    include_dissolved: bool = strawberry.field(default=False, description="Also list dissolved ones.")


def _org(r) -> Organization:  # type: ignore[no-untyped-def]
    return Organization(id=strawberry.ID(str(r["id"])), row=r)


async def load_organization(info: Info, oid: UUID) -> Organization | None:
    row = await info.context.loaders.organization.load(oid)
    return _org(row) if row is not None and may_read(info.context.actor, row["path"]) else None


@strawberry.type(description="Read the organization tree.")
class OrganizationQueries:
    @strawberry.field(description="One organization, if it lies within your scope.")
    async def organization(self, info: Info, id: strawberry.ID) -> Organization | None:
        return await load_organization(info, argument_id(id, "id"))

    @strawberry.field(description="Organizations within your scope, by name.")
    async def organizations(
        self, info: Info, filter: OrganizationFilter | None = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[Organization]:
        f = filter or OrganizationFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "id")
        if f.kind is not None:
            c.add("kind = ?", f.kind.value)
        if f.within is not None:
            subtree_condition(c, "id", f.within, "within")
        if f.name_contains:
            c.add("name ILIKE '%' || ? || '%'", name_search(f.name_contains))
        if not f.include_dissolved:
            c.add("status = 'ACTIVE'")
        page = await views.page(info.context.pool, "SELECT * FROM organizations", c,
                                ("name", "id"), views.decode_cursor(after, 2),
                                info.context.page_size(first))
        return connection(page, _org, lambda r: (r["name"], str(r["id"])))
