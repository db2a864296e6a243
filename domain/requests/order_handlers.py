"""Service orders' use cases (抢单): authorize → load → decide (``Handling`` appends).

The community secretary publishes, confirms and cancels, at the request's community. A member
claims and reports done with the member's own token (``permissions.own_member``): authorized at
the order's community when the token's scope holds it, else at the member's home (an in-service
member's token is scoped to the workplace), and then only if the member may take orders there
(``domain.requests.orders``: lives in, reported to or belongs to the community).

Exactly one claim wins: the claim appends to the order's stream at the version it read; a
concurrent claim meets the stream's unique version, ``Handling`` retries it against the claimed
order, and it answers ``AlreadyClaimed``. The confirmation appends the order's
``ServiceOrder.Confirmed`` and the member's ``Member.VolunteerHoursConfirmed`` (the members
area's contract) in one atomic append.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.grids.residence import Residence, residence_id
from domain.members.aggregate import Member
from domain.members.errors import MemberExited
from domain.members.volunteering import parse_hours
from domain.requests.aggregate import Request, RequestState
from domain.requests.errors import NotYourStep, RequestNotFound
from domain.requests.order_commands import (
    CancelServiceOrder,
    ClaimServiceOrder,
    ConfirmServiceOrder,
    OrderCommand,
    PublishServiceOrder,
    ReportServiceOrderCompletion,
)
from domain.requests.orders import (
    MAX_NOTE,
    VOLUNTEER_SOURCE,
    NotEligibleToClaim,
    ServiceOrder,
    ServiceOrderExists,
    ServiceOrderNotFound,
    check_place,
    check_title,
    entry_id,
    order_id,
)
from domain.requests.rules import RequestRules
from domain.shared import events as ev
from domain.shared.commands import required_reason
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.permissions import own_member
from domain.shared.text import clean


def _now(unit: Unit) -> datetime:
    return unit.handling.clock()


async def _order(unit: Unit, cmd: OrderCommand) -> ServiceOrder:
    found = await unit.find(ServiceOrder, cmd.order_id)
    if found is None:
        raise ServiceOrderNotFound(f"no service order {cmd.order_id}", field="orderId")
    return found


async def eligible(unit: Unit, member: Member, community: UUID, year: int) -> bool:
    """Whether ``member`` may take the orders of ``community`` (the rule of ``domain.requests.orders``)."""
    if member.exit is not None:
        return False
    home_path = await unit.directory.path_of(member.home_organization_id) or []
    if community in home_path:
        return True
    report = member.reports.get(year)
    if report is not None and report.community_id == community:
        return True
    residence = await unit.find(Residence, residence_id(member.id))
    return residence is not None and residence.organization_id == community


async def _claimer(unit: Unit, order: ServiceOrder) -> Member:
    """The member of the token, authorized at the order's community or at the member's home."""
    own = own_member(unit.actor)
    member = None if own is None else await unit.find(Member, own)
    try:
        await unit.authorize(order.organization_id)
    except NotAuthorized:
        if member is None:
            raise
        await unit.authorize(member.home_organization_id)
    if member is None:
        raise NotEligibleToClaim("orders are claimed with a member's own token (its subject is the member's id)",
                                 field="orderId")
    return member


async def publish_service_order(cmd: PublishServiceOrder, unit: Unit) -> Decision:
    request = await unit.find(Request, cmd.request_id)
    if request is None:
        raise RequestNotFound(f"no request {cmd.request_id}", field="requestId")
    await unit.authorize(request.organization_id, field="requestId")
    unit.expect(request)
    title, place = check_title(cmd.title), check_place(cmd.place)
    if cmd.starts_at.tzinfo is None:
        raise InvalidInput("the start time needs its zone (ISO-8601 with an offset)", field="startsAt")
    hours = parse_hours(cmd.hours_expected)
    if await unit.find(ServiceOrder, order_id(request.id)) is not None:
        raise ServiceOrderExists(f"request {request.id} was published as an order already", field="requestId")
    now = _now(unit)
    if request.state is RequestState.REPORTED:  # publishing is the community's response: it takes it
        request.take(now, unit.need(RequestRules).due(request.urgency, "handle", now))
    elif request.state is not RequestState.TAKEN:
        raise NotYourStep(f"the request is {request.state.value}: only a request the community holds (reported or"
                          " taken) is published as an order", field="requestId")
    order = ServiceOrder(organization_id=request.organization_id, request_id=request.id, grid_id=request.grid_id,
                         title=title, starts_at=cmd.starts_at, place=place, hours_expected=hours, published_at=now)
    return Decision(order.id, [*ev.to_new_events(request), *ev.to_new_events(order)],
                    result={"request_id": str(request.id)})


async def claim_service_order(cmd: ClaimServiceOrder, unit: Unit) -> Decision:
    order = await _order(unit, cmd)
    member = await _claimer(unit, order)
    now = _now(unit)
    if not await eligible(unit, member, order.organization_id, now.year):
        raise NotEligibleToClaim("you neither live in this community's grids, nor reported to it this year, nor"
                                 " belong to it: its orders are not yours to take", field="orderId")
    unit.expect(order)
    order.claim(member.id, now)
    return changed(order, result={"member_id": str(member.id)})


async def report_service_order_completion(cmd: ReportServiceOrderCompletion, unit: Unit) -> Decision:
    order = await _order(unit, cmd)
    member = await _claimer(unit, order)
    hours = parse_hours(cmd.hours)
    note = clean(cmd.note or "") or None
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"a note has at most {MAX_NOTE} characters", field="note")
    unit.expect(order)
    order.report_completion(member.id, hours, note, _now(unit))
    return changed(order)


async def confirm_service_order(cmd: ConfirmServiceOrder, unit: Unit) -> Decision:
    order = await _order(unit, cmd)
    await unit.authorize(order.organization_id)
    unit.expect(order)
    member_id, hours, on = order.confirm(_now(unit))
    member = await unit.find(Member, member_id)
    if member is None:  # a claim names a member: only a broken log gets here
        raise ServiceOrderNotFound(f"the order's member {member_id} is gone", field="orderId")
    if member.exit is not None:
        raise MemberExited(f"member {member.name} left the Party: cancel the order instead", field="orderId")
    member.contribute_volunteer_hours(entry_id(order.id), order.title, on, hours, VOLUNTEER_SOURCE, str(order.id),
                                      unit.today())
    return Decision(order.id, [*ev.to_new_events(order), *ev.to_new_events(member)],
                    result={"member_id": str(member.id), "entry_id": str(entry_id(order.id))})


async def cancel_service_order(cmd: CancelServiceOrder, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    order = await _order(unit, cmd)
    await unit.authorize(order.organization_id)
    unit.expect(order)
    order.cancel(_now(unit))
    return changed(order, reason=reason)


ORDER_HANDLERS: dict[type, Handler] = {
    PublishServiceOrder: publish_service_order,
    ClaimServiceOrder: claim_service_order,
    ReportServiceOrderCompletion: report_service_order_completion,
    ConfirmServiceOrder: confirm_service_order,
    CancelServiceOrder: cancel_service_order,
}
