"""Service orders members grab (抢单): the type, the list members and the community read, and the
mutations that publish, claim, report done, confirm and cancel them (``domain.requests.orders``).

Who reads which orders: whoever reads the request's community by scope (a grid-scoped token
its grid's), and a member's own token the orders open to that member: the open orders of the
communities the member may take orders in (lives in, reported to this year, belongs to: the
same rule as ``claimServiceOrder``), and the orders the member claimed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api import views
from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, Node, argument_id, connection, subtree_condition
from api.graphql.members.errors import MemberExited, VolunteerHoursNotAllowed
from api.graphql.members.types import Member, load_member
from api.graphql.requests.errors import (
    AlreadyClaimed,
    NotEligibleToClaim,
    NotYourStep,
    RequestNotFound,
    ServiceOrderExists,
    ServiceOrderNotFound,
)
from api.graphql.requests.types import Request, request
from domain.requests import order_commands as oc
from domain.requests.orders import OrderState
from domain.shared.commands import Outcome
from domain.shared.permissions import may_read, own_member

strawberry.enum(OrderState, name="ServiceOrderState",
                description="Where a service order stands: OPEN (to be claimed), CLAIMED (its completion awaited),"
                            " COMPLETED (the community's confirmation awaited), CONFIRMED (the hours count as"
                            " volunteer hours), CANCELLED.")

_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")
_VERSION = "The order's version you last saw; another is VersionConflict (default: retried on conflict)."

_OPEN_TO = """(organization_id IN (
    SELECT unnest(o.path) FROM organizations o JOIN members m ON m.home_organization_id = o.id WHERE m.id = ?
    UNION SELECT community_id FROM residence_reports WHERE member_id = ? AND year = ?
    UNION SELECT organization_id FROM member_residences WHERE member_id = ? AND ended_on IS NULL)
  AND state = 'OPEN' OR member_id = ?)"""
"""The orders a member's token reads: the open ones it may claim, and its own."""


def order_conditions(info: Info) -> views.Conditions:
    c = views.Conditions()
    actor, member = info.context.actor, own_member(info.context.actor)
    if member is not None:
        c.add(_OPEN_TO, member, member, info.context.clock().year, member, member)
    else:
        views.grid_condition(c, actor, "organization_id", "grid_id")
    return c


@strawberry.type(description="A request published as a service order that members grab (抢单): what, when, where,"
                             " the hours expected, who claimed it and the hours confirmed.")
class ServiceOrder(Node):
    row: strawberry.Private[asyncpg.Record]
    state: OrderState = strawberry.field(description="Where it stands.")
    title: str = strawberry.field(description="What is to be done (the volunteer activity once confirmed).")
    starts_at: datetime = strawberry.field(description="When.")
    place: str = strawberry.field(description="Where.")
    hours_expected: str = strawberry.field(description="The hours it is expected to take (`2.0`).")
    hours: str | None = strawberry.field(description="The hours the member reported (confirmed as volunteer hours).")
    completion_note: str | None = strawberry.field(description="What the member said when reporting it done.")
    member_id: strawberry.ID | None = strawberry.field(description="The member who claimed it.")
    claimed_at: datetime | None = strawberry.field(description="When it was claimed.")
    completed_at: datetime | None = strawberry.field(description="When the member reported it done.")
    confirmed_at: datetime | None = strawberry.field(description="When the community confirmed it.")
    volunteer_entry_id: strawberry.ID | None = strawberry.field(description="The member's volunteer entry of the"
                                                                            " confirmed hours.")
    cancelled_at: datetime | None = strawberry.field(description="When it was cancelled.")
    published_at: datetime = strawberry.field(description="When it was published.")
    published_by: str = strawberry.field(description="Who published it.")
    version: int = strawberry.field(description="Version of its stream.")

    @strawberry.field(description="The request it serves (if you read requests of its community).")
    async def request(self, info: Info) -> Request | None:
        row = await info.context.loaders.request.load(self.row["request_id"])  # one batch per page
        if row is None:
            return None
        community = await info.context.loaders.organization.load(row["organization_id"])
        # the read rule of requests (``views.scope_condition``, as ``load_request`` applies it)
        return request(row) if community is not None and may_read(info.context.actor, community["path"]) else None

    @strawberry.field(description="The member who claimed it, if you may read the member (their own token may).")
    async def member(self, info: Info) -> Member | None:
        mid = self.row["member_id"]
        return None if mid is None else await load_member(info, mid)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def service_order(r: asyncpg.Record) -> ServiceOrder:
    return ServiceOrder(
        id=strawberry.ID(str(r["id"])), row=r, state=OrderState(r["state"]), title=r["title"],
        starts_at=r["starts_at"], place=r["place"], hours_expected=str(r["hours_expected"]), hours=_text(r["hours"]),
        completion_note=r["completion_note"], member_id=strawberry.ID(str(r["member_id"])) if r["member_id"] else None,
        claimed_at=r["claimed_at"], completed_at=r["completed_at"], confirmed_at=r["confirmed_at"],
        volunteer_entry_id=strawberry.ID(str(r["entry_id"])) if r["entry_id"] else None,
        cancelled_at=r["cancelled_at"], published_at=r["published_at"], published_by=r["published_by"],
        version=r["version"])


async def load_service_order(info: Info, oid: UUID) -> ServiceOrder | None:
    c = order_conditions(info)
    c.add("id = ?", oid)
    row = await info.context.pool.fetchrow(f"SELECT * FROM service_orders WHERE {c.where}", *c.args)
    return service_order(row) if row is not None else None


@strawberry.input(description="Narrow a list of service orders.")
class ServiceOrderFilter:
    grid_id: strawberry.ID | None = strawberry.field(default=None, description="Orders of this grid.")
    within: strawberry.ID | None = strawberry.field(default=None, description="Orders of this organization's subtree"
                                                                              " (a community, a street).")
    state: OrderState | None = strawberry.field(default=None, description="Only orders in this state.")


@strawberry.type(description="Read service orders.")
class ServiceOrderQueries:
    @strawberry.field(description="One service order, if you read it.")
    async def service_order(self, info: Info, id: strawberry.ID) -> ServiceOrder | None:
        return await load_service_order(info, argument_id(id, "id"))

    @strawberry.field(description="Service orders newest first: those of your scope, or with a member's own token"
                                  " the open orders you may claim and those you claimed.")
    async def service_orders(self, info: Info, filter: ServiceOrderFilter | None = None, first: int | None = None,
                             after: str | None = None) -> Connection[ServiceOrder]:
        f = filter or ServiceOrderFilter()
        c = order_conditions(info)
        if f.grid_id is not None:
            c.add("grid_id = ?", argument_id(f.grid_id, "gridId"))
        if f.within is not None:
            subtree_condition(c, "organization_id", f.within, "within")
        if f.state is not None:
            c.add("state = ?", f.state.value)
        page = await views.page(info.context.pool, "SELECT * FROM service_orders", c, ("published_position",),
                                views.decode_cursor(after, 1), info.context.page_size(first), descending=True)
        return connection(page, service_order, lambda r: (r["published_position"],))


@strawberry.type(description="The service order as the read model has it after the change.")
class ServiceOrderPayload:
    order: ServiceOrder | None = strawberry.field(description="The order (null if you may not read it).")
    position: int = strawberry.field(description="Log position of the change.")


_STEP = (ServiceOrderPayload, ServiceOrderNotFound, NotYourStep)
PublishServiceOrderResult = result_union("PublishServiceOrderResult", ServiceOrderPayload, RequestNotFound,
                                         NotYourStep, ServiceOrderExists)
ClaimServiceOrderResult = result_union("ClaimServiceOrderResult", *_STEP, AlreadyClaimed, NotEligibleToClaim)
ReportServiceOrderCompletionResult = result_union("ReportServiceOrderCompletionResult", *_STEP,
                                                  NotEligibleToClaim)
ConfirmServiceOrderResult = result_union("ConfirmServiceOrderResult", *_STEP, MemberExited,
                                         VolunteerHoursNotAllowed)
CancelServiceOrderResult = result_union("CancelServiceOrderResult", *_STEP)


@strawberry.input(description="Publish a request the community holds as a service order members grab (a reported"
                              " request is taken by the community in the same step).")
class PublishServiceOrderInput:
    request_id: strawberry.ID = strawberry.field(description="The request (reported or taken by the community).")
    title: str = strawberry.field(description="What is to be done: 1–100 characters (the volunteer activity).")
    starts_at: datetime = strawberry.field(description="When (ISO-8601 with its offset).")
    place: str = strawberry.field(description="Where: 1–200 characters.")
    hours_expected: str = strawberry.field(description="Hours it should take: at most one decimal place, 0.1–24.")
    expected_version: int | None = strawberry.field(default=None, description="The request's version you last saw.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="A step of a service order.")
class _OrderStep:
    order_id: strawberry.ID = strawberry.field(description="The service order.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Grab an open order with a member's own token: exactly one claim wins.")
class ClaimServiceOrderInput(_OrderStep):
    pass


@strawberry.input(description="The member who claimed the order reports it done, with the hours worked.")
class ReportServiceOrderCompletionInput(_OrderStep):
    hours: str = strawberry.field(description="Hours worked: at most one decimal place, 0.1–24 (`2.5`).")
    note: str | None = strawberry.field(default=None, description="What was done: at most 500 characters.")


@strawberry.input(description="The community confirms a completed order: its hours count as the member's volunteer"
                              " hours.")
class ConfirmServiceOrderInput(_OrderStep):
    pass


@strawberry.input(description="The community withdraws an order not yet confirmed, with a reason.")
class CancelServiceOrderInput(_OrderStep):
    reason: str = strawberry.field(description="Why: 1–500 characters.")


def _payload(info: Info) -> Any:
    async def present(o: Outcome) -> ServiceOrderPayload:
        return ServiceOrderPayload(order=await load_service_order(info, o.id), position=o.position)
    return present


def _oid(input: Any) -> UUID:
    return parse_id(input.order_id, "orderId")


@strawberry.type(description="Publish service orders, grab them, report them done and confirm them.")
class ServiceOrderMutations:
    @strawberry.mutation(description="Publish a request as a service order (the community secretary).")
    async def publish_service_order(self, info: Info, input: PublishServiceOrderInput) -> PublishServiceOrderResult:
        return await execute(info, input, lambda: oc.PublishServiceOrder(
            parse_id(input.request_id, "requestId"), input.title, input.starts_at, input.place,
            input.hours_expected), _payload(info))

    @strawberry.mutation(description="Claim an open order (a member's own token); of simultaneous claims exactly one"
                                     " wins, the others answer AlreadyClaimed.")
    async def claim_service_order(self, info: Info, input: ClaimServiceOrderInput) -> ClaimServiceOrderResult:
        return await execute(info, input, lambda: oc.ClaimServiceOrder(_oid(input)), _payload(info))

    @strawberry.mutation(description="Report an order you claimed done, with the hours (a member's own token).")
    async def report_service_order_completion(self, info: Info, input: ReportServiceOrderCompletionInput,
                                              ) -> ReportServiceOrderCompletionResult:
        return await execute(info, input, lambda: oc.ReportServiceOrderCompletion(_oid(input), input.hours,
                                                                                  input.note), _payload(info))

    @strawberry.mutation(description="Confirm a completed order (the community secretary): the member's volunteer"
                                     " hours record it in the same step.")
    async def confirm_service_order(self, info: Info, input: ConfirmServiceOrderInput) -> ConfirmServiceOrderResult:
        return await execute(info, input, lambda: oc.ConfirmServiceOrder(_oid(input)), _payload(info))

    @strawberry.mutation(description="Cancel an order not yet confirmed (the community secretary).")
    async def cancel_service_order(self, info: Info, input: CancelServiceOrderInput) -> CancelServiceOrderResult:
        return await execute(info, input, lambda: oc.CancelServiceOrder(_oid(input), input.reason), _payload(info))
