"""Service orders members grab (抢单) on the in-memory store: given members around a community,
when they publish, claim, report and confirm, then the events (the hours on the member's
volunteer record) or a typed error and nothing recorded."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from domain.members.volunteering import year_total
from domain.requests.aggregate import Request, RequestState
from domain.requests.errors import NotYourStep
from domain.requests.order_commands import (
    CancelServiceOrder,
    ClaimServiceOrder,
    ConfirmServiceOrder,
    PublishServiceOrder,
    ReportServiceOrderCompletion,
)
from domain.requests.orders import AlreadyClaimed, NotEligibleToClaim, ServiceOrderExists, entry_id
from domain.shared import events as ev
from domain.shared.errors import InvalidInput, NotAuthorized
from tests.unit.requests.orders_support import STARTS, neighbours


async def test_an_order_is_claimed_done_and_confirmed_and_its_hours_count_as_the_members_volunteer_hours() -> None:
    n = await neighbours()
    p = n.p
    oid = await n.order()
    published = p.w.store.events[-2:]
    assert [e.event_type for e in published] == ["Request.Taken", "ServiceOrder.Published"]
    rid = published[0].stream_id
    request = ev.replay(Request, await p.w.store.read_stream(rid))
    assert isinstance(request, Request) and request.state is RequestState.TAKEN

    await p.run(n.token(n.belongs, scope=p.w.east), ClaimServiceOrder(oid))
    await p.run(n.token(n.belongs, scope=p.w.east), ReportServiceOrderCompletion(oid, "2.5", "已陪同就医"))
    assert year_total((await n.member(n.belongs)).volunteering, 2026).hours == Decimal("0.0")
    before = len(p.w.store.events)
    await p.run(p.secretary, ConfirmServiceOrder(oid))
    confirmed, hours = p.w.store.events[before:]
    assert (confirmed.event_type, hours.event_type) == ("ServiceOrder.Confirmed", "Member.VolunteerHoursConfirmed")
    assert confirmed.correlation_id == hours.correlation_id  # one command, one atomic append
    assert hours.stream_id == n.belongs and hours.payload["source"] == "SERVICE_ORDER"
    assert (hours.payload["reference"], hours.payload["entry_id"]) == (str(oid), str(entry_id(oid)))
    assert hours.payload["activity"] == "陪同王奶奶就医"
    total = year_total((await n.member(n.belongs)).volunteering, 2026)
    assert (total.hours, total.projects) == (Decimal("2.5"), 1)
    with pytest.raises(NotYourStep):
        await p.run(p.secretary, ConfirmServiceOrder(oid))


async def test_the_second_claim_is_already_claimed_and_records_nothing() -> None:
    n = await neighbours()
    oid = await n.order()
    await n.p.run(n.token(n.nearby), ClaimServiceOrder(oid))
    before = len(n.p.w.store.events)
    with pytest.raises(AlreadyClaimed) as exc:
        await n.p.run(n.token(n.reported), ClaimServiceOrder(oid))
    assert exc.value.field == "orderId" and "another member" in exc.value.message
    with pytest.raises(AlreadyClaimed):
        await n.p.run(n.token(n.nearby), ClaimServiceOrder(oid))
    assert len(n.p.w.store.events) == before


async def test_members_who_live_in_reported_to_or_belong_to_the_community_may_claim_and_no_one_else() -> None:
    n = await neighbours()
    for member in (n.belongs, n.nearby, n.reported):
        oid = await n.order()
        await n.p.run(n.token(member), ClaimServiceOrder(oid))
    oid = await n.order()
    with pytest.raises(NotEligibleToClaim):
        await n.p.run(n.token(n.outsider), ClaimServiceOrder(oid))
    with pytest.raises(NotEligibleToClaim):  # a token scoped to the member's own home: authorized, not eligible
        await n.p.run(n.token(n.outsider, scope=n.p.w.west), ClaimServiceOrder(oid))
    with pytest.raises(NotAuthorized):
        await n.p.run(n.p.secretary, ClaimServiceOrder(oid))


async def test_only_the_claimer_reports_it_done_and_only_a_completed_order_is_confirmed() -> None:
    n = await neighbours()
    oid = await n.order()
    with pytest.raises(NotYourStep):
        await n.p.run(n.p.secretary, ConfirmServiceOrder(oid))
    await n.p.run(n.token(n.reported), ClaimServiceOrder(oid))
    with pytest.raises(NotYourStep):
        await n.p.run(n.token(n.belongs), ReportServiceOrderCompletion(oid, "1.0"))
    with pytest.raises(InvalidInput) as exc:
        await n.p.run(n.token(n.reported), ReportServiceOrderCompletion(oid, "2.55"))
    assert exc.value.field == "hours"
    with pytest.raises(NotAuthorized):
        await n.p.run(n.token(n.reported), ConfirmServiceOrder(oid))


async def test_a_request_is_published_once_while_the_community_holds_it_with_a_zoned_start_and_hours() -> None:
    n = await neighbours()
    p = n.p
    rid = await p.report(category="ELDERLY_CARE", description="帮助搬运")
    with pytest.raises(InvalidInput) as exc:
        await p.run(p.secretary, PublishServiceOrder(rid, "搬运家具", datetime(2026, 3, 3, 9), "5栋", "1.0"))
    assert exc.value.field == "startsAt"
    with pytest.raises(InvalidInput) as exc:
        await p.run(p.secretary, PublishServiceOrder(rid, "搬运家具", STARTS, "5栋", "30"))
    assert exc.value.field == "hours"
    await p.run(p.secretary, PublishServiceOrder(rid, "搬运家具", STARTS, "5栋", "1.0"))
    with pytest.raises(ServiceOrderExists):
        await p.run(p.secretary, PublishServiceOrder(rid, "搬运家具", STARTS, "5栋", "1.0"))
    escalated = await p.at_street()
    with pytest.raises(NotYourStep):
        await p.run(p.secretary, PublishServiceOrder(escalated, "搬运家具", STARTS, "5栋", "1.0"))
    with pytest.raises(NotAuthorized):
        await p.run(p.street_admin, PublishServiceOrder(await p.report(), "搬运家具", STARTS, "5栋", "1.0"))


async def test_a_cancelled_order_cannot_be_claimed() -> None:
    n = await neighbours()
    oid = await n.order()
    await n.p.run(n.p.secretary, CancelServiceOrder(oid, "居民已自行解决"))
    assert n.p.w.store.events[-1].reason == "居民已自行解决"
    with pytest.raises(NotYourStep):
        await n.p.run(n.token(n.belongs), ClaimServiceOrder(oid))
