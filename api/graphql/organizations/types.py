"""Object types of the organization tree."""

from __future__ import annotations

import enum
from collections.abc import Awaitable
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api.graphql.core.context import Info
from api.graphql.core.loading import batch, via_loader
from api.graphql.core.relay import Node
from domain.organizations.aggregate import OrganizationKind
from domain.shared.permissions import may_read

strawberry.enum(OrganizationKind, description="The kinds of Party organization in the district tree.")


@strawberry.enum(description="Whether an organization is active or dissolved.")
class OrganizationStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    DISSOLVED = "DISSOLVED"


# Row value -> enum member by dict lookup: calling the enum class costs several times
# more, and rows are converted fifty at a time. (An unknown value is a KeyError.)
_KIND = {m.value: m for m in OrganizationKind}


_STATUS = {m.value: m for m in OrganizationStatus}


@strawberry.type(description="A Party organization in the district tree.")
class Organization(Node):
    row: strawberry.Private[asyncpg.Record]
    kind: OrganizationKind = strawberry.field(description="What kind of organization this is.")
    name: str = strawberry.field(description="The organization's name.")
    code: str | None = strawberry.field(
        description="12-digit division code for streets and communities; else optional.")
    status: OrganizationStatus = strawberry.field(description="Active, or dissolved.")
    established_on: date = strawberry.field(description="The date it was established.")
    dissolved_on: date | None = strawberry.field(
        description="The date it was dissolved, if it was.")
    version: int = strawberry.field(
        description="Its stream's version: state it as `expectedVersion` to guard an edit.")

    def __init__(self, *, id: strawberry.ID, row: asyncpg.Record) -> None:
        self.id, self.row = id, row
        self.kind = _KIND[row["kind"]]
        self.name = row["name"]
        self.code = row["code"]
        self.status = _STATUS[row["status"]]
        self.established_on = row["established_on"]
        self.dissolved_on = row["dissolved_on"]
        self.version = row["version"]

    @strawberry.field(description="The parent organization (null at a root or at your scope's edge).")
    def parent(self, info: Info) -> Organization | None:
        parent_id = self.row["parent_id"]
        if parent_id is None or not may_read(info.context.actor, self.row["path"][:-1]):
            return None
        return via_loader(info.context.loaders.organization, parent_id, organization_or_none)

    @strawberry.field(description="Organizations directly below this one, by name.")
    async def children(self, info: Info) -> list[Organization]:
        rows = await info.context.loaders.children.load(self.row["id"])
        actor = info.context.actor
        return [Organization(id=strawberry.ID(str(r["id"])), row=r) for r in rows if may_read(actor, r["path"])]

    @strawberry.field(description="Root-first chain of organizations above this one, within your scope.")
    async def ancestors(self, info: Info) -> list[Organization]:
        path: list[UUID] = list(self.row["path"][:-1])
        scope = info.context.actor.scope
        if scope is not None:
            path = path[path.index(scope):] if scope in path else []
        rows = await info.context.loaders.organization.load_many(path)
        return [Organization(id=strawberry.ID(str(r["id"])), row=r) for r in rows if r is not None]

    @strawberry.field(description="How many members have this organization as their home (members who"
                                  " left the Party do not count); null for an organization outside your"
                                  " scope (a transfer's other side).")
    def member_count(self, info: Info) -> int | None:
        if not may_read(info.context.actor, self.row["path"]):
            return None
        return via_loader(info.context.loaders.member_count, self.row["id"], int)

    @staticmethod
    def prefetch(nodes: list[Organization], fields: set[str], info: Info) -> list[Awaitable[Any]]:
        """Load what the selected fields need for a whole page, in one batch each."""
        loaders, pending = info.context.loaders, list[Awaitable[Any]]()
        if "parent" in fields:
            batch(loaders.organization, {o.row["parent_id"] for o in nodes} - {None}, pending)
        if "memberCount" in fields:
            batch(loaders.member_count, {o.row["id"] for o in nodes}, pending)
        return pending


def organization_or_none(row: asyncpg.Record | None) -> Organization | None:
    return None if row is None else Organization(id=strawberry.ID(str(row["id"])), row=row)
