"""Queries of no one area: the Relay node, who you are, a stream's history, read-model status."""

from __future__ import annotations

from uuid import UUID

import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.core.history import HistoryEvent, history_event
from api.graphql.core.relay import Connection, Node, argument_id, connection
from eventstore.postgres import EVENT_COLUMNS


async def load_node(info: Info, oid: UUID) -> Node | None:
    """Any object by id, within the caller's scope: each area looks up its own."""
    kind = await views.stream_type(info.context.pool, oid)
    node: Node | None = await info.schema.nodes.load(info, kind, oid)
    return node


@strawberry.type(description="Status of one read model.")
class ProjectionStatus:
    name: str = strawberry.field(description="Projection name (its table).")
    position: int = strawberry.field(description="Last log position applied.")
    lag: int = strawberry.field(description="Events in the log beyond that position.")
    status: str = strawberry.field(description="RUNNING, or FAILED (stopped on an event).")
    last_error: str | None = strawberry.field(description="Why it stopped, if it did.")
    failed_position: int | None = strawberry.field(description="The event it stopped at.")


@strawberry.type(description="Who the token says you are.")
class Viewer:
    subject: str = strawberry.field(description="Token subject.")
    name: str = strawberry.field(description="Display name.")
    roles: list[str] = strawberry.field(description="Roles held.")
    scope: strawberry.ID | None = strawberry.field(description="Root of your organization scope; null for all.")
    grid: strawberry.ID | None = strawberry.field(
        default=None, description="The grid a grid-scoped token works in (its community is `scope`); null otherwise.")


@strawberry.type(description="Read any object by id, who you are, a stream's history and the read models' status.")
class CoreQueries:
    @strawberry.field(description="Any object by id (Relay).")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await load_node(info, argument_id(id, "id"))

    @strawberry.field(description="The token's identity, roles and scope.")
    def me(self, info: Info) -> Viewer:
        a = info.context.actor
        return Viewer(subject=a.subject, name=a.name, roles=list(a.role_names),
                      scope=strawberry.ID(str(a.scope)) if a.scope else None,
                      grid=strawberry.ID(str(a.grid)) if a.grid else None)

    @strawberry.field(description="Every event of one stream (organization or member), oldest first.")
    async def history(
        self, info: Info, stream_id: strawberry.ID, first: int | None = None, after: str | None = None,
    ) -> Connection[HistoryEvent]:
        sid = argument_id(stream_id, "streamId")
        if await load_node(info, sid) is None:
            raise ValueError("no such stream within your scope")
        c = views.Conditions()
        c.add("stream_id = ?", sid)
        page = await views.page(info.context.pool, f"SELECT {EVENT_COLUMNS} FROM events", c, ("version",),
                                views.decode_cursor(after, 1), info.context.page_size(first))
        return connection(page, lambda r: history_event(r, info), lambda r: (r["version"],))

    @strawberry.field(description="Position, lag and errors of every read model.")
    async def projections(self, info: Info) -> list[ProjectionStatus]:
        rows = await info.context.pool.fetch(
            "SELECT t.*, (SELECT coalesce(max(position), 0) FROM events) - t.position AS lag"
            " FROM projection_tracking t ORDER BY name"
        )
        return [ProjectionStatus(name=r["name"], position=r["position"], lag=max(r["lag"], 0),
                                 status=r["status"], last_error=r["last_error"],
                                 failed_position=r["failed_position"]) for r in rows]
