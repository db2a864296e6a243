"""Queries: organizations, members, transfers, histories, Relay node, projection status."""

from __future__ import annotations

from uuid import UUID

import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.types import (
    Connection,
    HistoryEvent,
    Member,
    Node,
    Organization,
    Transfer,
    connection,
    history_event,
)
from domain.members.aggregate import Standing, TransferState
from domain.organizations.aggregate import OrganizationKind


def argument_id(value: str, field: str) -> UUID:
    """A query argument as a UUID (a bad one is a GraphQL error naming the argument)."""
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise ValueError(f"{field} is not a UUID: {value!r}") from exc


@strawberry.input(description="Narrow a list of organizations.")
class OrganizationFilter:
    kind: OrganizationKind | None = strawberry.field(default=None, description="Only this kind.")
    within: strawberry.ID | None = strawberry.field(
        default=None, description="Only this organization and everything below it."
    )
    name_contains: str | None = strawberry.field(default=None, description="Case-insensitive name match.")
    include_dissolved: bool = strawberry.field(default=False, description="Also list dissolved ones.")


@strawberry.input(description="Narrow a list of members.")
class MemberFilter:
    within: strawberry.ID | None = strawberry.field(
        default=None, description="Members whose home lies in this organization's subtree."
    )
    standing: Standing | None = strawberry.field(default=None, description="Full or probationary.")
    name_contains: str | None = strawberry.field(default=None, description="Case-insensitive name match.")


@strawberry.input(description="Narrow a list of transfers.")
class TransferFilter:
    state: TransferState | None = strawberry.field(default=None, description="Only this state.")
    from_within: strawberry.ID | None = strawberry.field(
        default=None, description="Sending organization lies in this subtree."
    )
    to_within: strawberry.ID | None = strawberry.field(
        default=None, description="Receiving organization lies in this subtree."
    )
    overdue_receipt: bool | None = strawberry.field(
        default=None, description="Accepted, receipt past its due date (true) or not."
    )
    pocket: bool | None = strawberry.field(
        default=None, description="Pocket members: letter issued, never accepted, past validity."
    )


def subtree_condition(c: views.Conditions, column: str, root: strawberry.ID, field: str) -> None:
    """Limit ``column`` (an organization id) to the subtree at ``root``."""
    c.add(f"{column} IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid])", argument_id(root, field))


def _org(r) -> Organization:  # type: ignore[no-untyped-def]
    return Organization(id=strawberry.ID(str(r["id"])), row=r)


def _member(r) -> Member:  # type: ignore[no-untyped-def]
    return Member(id=strawberry.ID(str(r["id"])), row=r)


def _transfer(r) -> Transfer:  # type: ignore[no-untyped-def]
    return Transfer(id=strawberry.ID(str(r["id"])), row=r)


async def load_organization(info: Info, oid: UUID) -> Organization | None:
    row = await info.context.loaders.organization.load(oid)
    return _org(row) if row is not None and info.context.actor.sees(row["path"]) else None


async def load_member(info: Info, mid: UUID, *, fresh: bool = False) -> Member | None:
    if fresh:
        info.context.loaders.forget(mid)
    row = await info.context.loaders.member.load(mid)
    if row is None:
        return None
    home = await info.context.loaders.organization.load(row["home_organization_id"])
    if home is not None and info.context.actor.sees(home["path"]):
        return _member(row)
    # The receiving side of an open transfer may see the member it is about to accept.
    for t in await info.context.loaders.transfers_of_member.load(mid):
        if t["state"] in ("REQUESTED", "LETTER_ISSUED", "EXPIRED"):
            to = await info.context.loaders.organization.load(t["to_organization_id"])
            if to is not None and info.context.actor.sees(to["path"]):
                return _member(row)
    return None


async def load_transfer(info: Info, tid: UUID) -> Transfer | None:
    row = await views.transfer(info.context.pool, tid)
    if row is None:
        return None
    for side in ("from_organization_id", "to_organization_id"):
        org = await info.context.loaders.organization.load(row[side])
        if org is not None and info.context.actor.sees(org["path"]):
            return _transfer(row)
    return None


async def load_node(info: Info, oid: UUID) -> Node | None:
    kind = await views.stream_type(info.context.pool, oid)
    if kind == "Organization":
        return await load_organization(info, oid)
    if kind == "Member":
        return await load_member(info, oid)
    if kind in ("Fund", "Inspection"):
        from api.graphql.funds import load_fund, load_inspection

        return await (load_fund if kind == "Fund" else load_inspection)(info, oid)
    if kind is None:
        # Transfers and projects live inside their member's or fund's stream.
        from api.graphql.funds import load_project

        return await load_transfer(info, oid) or await load_project(info, oid)
    return None


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


@strawberry.type(description="Read the organization tree, members, transfers and the log.")
class OrganizationQueries:
    @strawberry.field(description="Any object by id (Relay).")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await load_node(info, argument_id(id, "id"))

    @strawberry.field(description="The token's identity, roles and scope.")
    def me(self, info: Info) -> Viewer:
        a = info.context.actor
        return Viewer(subject=a.subject, name=a.name, roles=list(a.role_names),
                      scope=strawberry.ID(str(a.scope)) if a.scope else None)

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
            c.add("name ILIKE '%' || ? || '%'", f.name_contains)
        if not f.include_dissolved:
            c.add("status = 'ACTIVE'")
        page = await views.page(info.context.pool, "SELECT * FROM organizations", c,
                                ("name", "id"), views.decode_cursor(after, 2),
                                info.context.page_size(first))
        return connection(page, _org, lambda r: (r["name"], str(r["id"])))

    @strawberry.field(description="One member, if your scope holds the member's home or an incoming transfer.")
    async def member(self, info: Info, id: strawberry.ID) -> Member | None:
        return await load_member(info, argument_id(id, "id"))

    @strawberry.field(description="Members whose home lies within your scope, by name.")
    async def members(
        self, info: Info, filter: MemberFilter | None = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[Member]:
        f = filter or MemberFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "home_organization_id")
        if f.within is not None:
            subtree_condition(c, "home_organization_id", f.within, "within")
        if f.standing is not None:
            c.add("standing = ?", f.standing.value)
        if f.name_contains:
            c.add("name ILIKE '%' || ? || '%'", f.name_contains)
        page = await views.page(info.context.pool, "SELECT * FROM members", c, ("name", "id"),
                                views.decode_cursor(after, 2), info.context.page_size(first))
        return connection(page, _member, lambda r: (r["name"], str(r["id"])))

    @strawberry.field(description="One transfer, if either side lies within your scope.")
    async def transfer(self, info: Info, id: strawberry.ID) -> Transfer | None:
        return await load_transfer(info, argument_id(id, "id"))

    @strawberry.field(description="Transfers with either side within your scope, newest first.")
    async def transfers(
        self, info: Info, filter: TransferFilter | None = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[Transfer]:
        f = filter or TransferFilter()
        c = views.Conditions()
        actor = info.context.actor
        if actor.scope is not None:
            c.add("(from_organization_id IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid])"
                  " OR to_organization_id IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid]))",
                  actor.scope, actor.scope)
        if f.state is not None:
            c.add("state = ?", f.state.value)
        if f.from_within is not None:
            subtree_condition(c, "from_organization_id", f.from_within, "fromWithin")
        if f.to_within is not None:
            subtree_condition(c, "to_organization_id", f.to_within, "toWithin")
        today = info.context.today()
        for flag, (sql, value) in ((f.overdue_receipt, views.overdue_receipt_sql(today)),
                                   (f.pocket, views.pocket_sql(today))):
            if flag is True:
                c.add(sql, value)
            elif flag is False:
                c.add(f"NOT coalesce({sql}, false)", value)
        page = await views.page(info.context.pool, "SELECT * FROM transfers", c,
                                ("requested_position",), views.decode_cursor(after, 1),
                                info.context.page_size(first), descending=True)
        return connection(page, _transfer, lambda r: (r["requested_position"],))

    @strawberry.field(description="Every event of one stream (organization or member), oldest first.")
    async def history(
        self, info: Info, stream_id: strawberry.ID, first: int | None = None, after: str | None = None,
    ) -> Connection[HistoryEvent]:
        sid = argument_id(stream_id, "streamId")
        if await load_node(info, sid) is None:
            raise ValueError("no such stream within your scope")
        c = views.Conditions()
        c.add("stream_id = ?", sid)
        page = await views.page(info.context.pool, "SELECT * FROM events", c, ("version",),
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
