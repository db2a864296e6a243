"""A valid instance of every requests command with the world it needs, for the cross-cutting
tests over every command (``tests/unit/core/test_idempotency_every_command.py`` takes them into
its ``BUILDERS``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from uuid import UUID

from api.escalation import SYSTEM_ACTOR
from domain.requests import commands as rc
from domain.requests import order_commands as oc
from domain.requests.aggregate import Rating, Source
from domain.shared.commands import Command
from domain.shared.permissions import Actor
from tests.unit.fakes import World
from tests.unit.requests.orders_support import STARTS, Neighbours, neighbours
from tests.unit.requests.support import PHOTO, place

Builder = Callable[[World], Awaitable[tuple[Actor, Command]]]
REQUEST_BUILDERS: dict[type[Command], Builder] = {}


def builds(cls: type[Command]) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        REQUEST_BUILDERS[cls] = fn
        return fn
    return add


@builds(rc.RegisterDepartment)
async def _register_department(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    return p.street_admin, rc.RegisterDepartment(w.street, "望海寺街道民政办", "民政", ("ELDERLY_CARE",))


@builds(rc.RetireDepartment)
async def _retire_department(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    return p.street_admin, rc.RetireDepartment(p.traffic, "机构改革")


@builds(rc.ReportRequest)
async def _report(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    return p.grid_worker, rc.ReportRequest(p.grid, "ROADS", "路面塌陷", Source.GRID_REPORT, latitude=41.12,
                                           longitude=122.07, address="人民路12号", attachments=(PHOTO,),
                                           resident_name="王丽", phone="13940005678", external_ref="GW-1")


@builds(rc.TakeRequest)
async def _take(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    return p.secretary, rc.TakeRequest(await p.report())


@builds(rc.EscalateRequest)
async def _escalate(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    return p.secretary, rc.EscalateRequest(await p.report(), "需要街道协调")


@builds(rc.DispatchRequest)
async def _dispatch(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    return p.street_admin, rc.DispatchRequest(await p.at_street(), p.urban, "请城管处理")


async def _dispatched(w: World) -> tuple[Actor, object, object]:
    p = await place(w)
    rid = await p.at_street()
    await p.run(p.street_admin, rc.DispatchRequest(rid, p.urban))
    return p.handler(p.urban), rid, p


@builds(rc.AcceptRequest)
async def _accept(w: World) -> tuple[Actor, Command]:
    who, rid, _ = await _dispatched(w)
    return who, rc.AcceptRequest(rid)  # type: ignore[arg-type]


@builds(rc.SendBackRequest)
async def _send_back(w: World) -> tuple[Actor, Command]:
    who, rid, _ = await _dispatched(w)
    return who, rc.SendBackRequest(rid, "不属本部门职责")  # type: ignore[arg-type]


@builds(rc.ResolveRequest)
async def _resolve(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    return p.handler(p.urban), rc.ResolveRequest(await p.accepted_by_urban(), "已修补")


async def _resolved(w: World) -> tuple[object, object]:
    p = await place(w)
    rid = await p.accepted_by_urban()
    await p.run(p.handler(p.urban), rc.ResolveRequest(rid, "已修补"))
    return p, rid


@builds(rc.FeedBackRequest)
async def _feed_back(w: World) -> tuple[Actor, Command]:
    p, rid = await _resolved(w)
    return p.secretary, rc.FeedBackRequest(rid, "电话告知")  # type: ignore[attr-defined, arg-type]


@builds(rc.RateRequest)
async def _rate(w: World) -> tuple[Actor, Command]:
    p, rid = await _resolved(w)
    await p.run(p.secretary, rc.FeedBackRequest(rid))  # type: ignore[attr-defined, arg-type]
    return p.secretary, rc.RateRequest(rid, Rating.BASICALLY, "基本满意")  # type: ignore[attr-defined, arg-type]


@builds(rc.CloseRequest)
async def _close(w: World) -> tuple[Actor, Command]:
    p, rid = await _resolved(w)
    await p.run(p.secretary, rc.FeedBackRequest(rid))  # type: ignore[attr-defined, arg-type]
    await p.run(p.secretary, rc.RateRequest(rid, Rating.SATISFIED))  # type: ignore[attr-defined, arg-type]
    return p.secretary, rc.CloseRequest(rid)  # type: ignore[attr-defined, arg-type]


@builds(rc.MergeRequests)
async def _merge(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    first, second = await p.report(), await p.report()
    return p.secretary, rc.MergeRequests(second, first, "同一问题")


@builds(rc.EraseRequestPersonalData)
async def _erase(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    return w.admin, rc.EraseRequestPersonalData(await p.report(resident_name="王丽", phone="13940005678"),
                                                "居民申请删除")


@builds(rc.EscalateOverdueRequest)
async def _escalate_overdue(w: World) -> tuple[Actor, Command]:
    p = await place(w)
    rid = await p.report()
    w.clock.now += timedelta(days=2)
    return SYSTEM_ACTOR, rc.EscalateOverdueRequest(rid)


# -- service orders (抢单) ------------------------------------------------------------------


@builds(oc.PublishServiceOrder)
async def _publish_order(w: World) -> tuple[Actor, Command]:
    n = await neighbours(w)
    return n.p.secretary, oc.PublishServiceOrder(await n.p.report(category="ELDERLY_CARE"), "陪同就医", STARTS,
                                                 "仙山社区3栋", "2.0")


@builds(oc.ClaimServiceOrder)
async def _claim_order(w: World) -> tuple[Actor, Command]:
    n = await neighbours(w)
    return n.token(n.belongs), oc.ClaimServiceOrder(await n.order())


async def _claimed(w: World) -> tuple[Neighbours, UUID]:
    n = await neighbours(w)
    oid = await n.order()
    await n.p.run(n.token(n.nearby), oc.ClaimServiceOrder(oid))
    return n, oid


@builds(oc.ReportServiceOrderCompletion)
async def _report_order_done(w: World) -> tuple[Actor, Command]:
    n, oid = await _claimed(w)
    return n.token(n.nearby), oc.ReportServiceOrderCompletion(oid, "2.5", "已陪同")


@builds(oc.ConfirmServiceOrder)
async def _confirm_order(w: World) -> tuple[Actor, Command]:
    n, oid = await _claimed(w)
    await n.p.run(n.token(n.nearby), oc.ReportServiceOrderCompletion(oid, "2.5"))
    return n.p.secretary, oc.ConfirmServiceOrder(oid)


@builds(oc.CancelServiceOrder)
async def _cancel_order(w: World) -> tuple[Actor, Command]:
    n = await neighbours(w)
    return n.p.secretary, oc.CancelServiceOrder(await n.order(), "居民已自行解决")
