"""Relay helpers every area uses: the Node interface, cursor connections, id arguments."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Generic, TypeVar
from uuid import UUID

import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.core.loading import node_fields


@strawberry.interface(description="An object with a globally unique id (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="The object's UUID.")


@strawberry.type(description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether another page follows.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


T = TypeVar("T")


@strawberry.type(description="One item of a page, with the cursor that points at it.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque cursor of this item.")


@strawberry.type(description="A page of items (Relay cursor connection).")
class Connection(Generic[T]):
    def __init__(self, *, edges: list[Edge[T]], page_info: PageInfo) -> None:
        self.items, self.page = edges, page_info

    @strawberry.field(description="The items of this page, in order.")
    def edges(self, info: Info) -> list[Edge[T]]:
        # A node type may load what the selected fields need for the whole page, one
        # batch per loader (``prefetch``); those fields then resolve synchronously.
        prefetch = getattr(type(self.items[0].node), "prefetch", None) if self.items else None
        if prefetch is None:
            return self.items
        pending = prefetch([e.node for e in self.items], node_fields(info), info)
        if not pending:
            return self.items
        return self._after(pending)  # type: ignore[return-value]

    @strawberry.field(description="Where this page ends.")
    def page_info(self) -> PageInfo:
        return self.page

    async def _after(self, pending: list[Awaitable[Any]]) -> list[Edge[T]]:
        await asyncio.gather(*pending)
        return self.items


def connection(page: views.Page, wrap: Any, key: Any) -> Connection[Any]:
    """A page of rows as a connection: ``wrap`` makes a node, ``key`` its cursor values."""
    edges = [Edge(node=wrap(r), cursor=views.encode_cursor(*key(r))) for r in page.rows]
    return Connection(edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


def argument_id(value: str, field: str) -> UUID:
    """A query argument as a UUID (a bad one is a GraphQL error naming the argument)."""
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise ValueError(f"{field} is not a UUID: {value!r}") from exc


def subtree_condition(c: views.Conditions, column: str, root: strawberry.ID, field: str) -> None:
    """Limit ``column`` (an organization id) to the subtree at ``root``."""
    c.add(f"{column} IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid])", argument_id(root, field))
