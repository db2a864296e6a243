"""Service orders and the command centre's statistics on real PostgreSQL: two members claim one
order at the same moment and exactly one wins; the winner's confirmed hours reach the volunteer
record; the statistics of a street follow the steps taken, and a rebuild of their tables from
the log gives the same rows and the same answers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from api.areas import PROJECTIONS
from api.escalation import sweep
from domain.members.aggregate import Gender, Standing
from domain.members.commands import RegisterMember
from domain.organizations.directory import AggregateDirectory
from domain.requests import commands as rc
from domain.requests.aggregate import Rating, Source
from domain.requests.order_commands import (
    ClaimServiceOrder,
    ConfirmServiceOrder,
    PublishServiceOrder,
    ReportServiceOrderCompletion,
)
from domain.requests.orders import AlreadyClaimed
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from domain.shared.ports import Append, AppendResult
from eventstore.postgres import PostgresEventStore
from projections.runtime.rebuild import rebuild
from tests.idnumbers import id_number
from tests.integration.core.test_page_queries import CountingPool
from tests.integration.requests.test_requests_read_model import ADMIN, Town, query, settle, town
from tests.integration.support import catch_up, rows
from tests.usecases import UseCases


class Gate(PostgresEventStore):
    """Holds the first ``n`` appends until all ``n`` have arrived: every claim has read the open
    order and decided before any commits, so they truly meet at the store."""

    def __init__(self, pool: asyncpg.Pool, n: int) -> None:
        super().__init__(pool)
        self.waiting, self.ready = n, asyncio.Event()

    async def append(self, request: Append) -> AppendResult:
        if self.waiting > 0:
            self.waiting -= 1
            if self.waiting == 0:
                self.ready.set()
            await asyncio.wait_for(self.ready.wait(), 10)
        return await super().append(request)


def who(subject: str, role: Role, scope: uuid.UUID | None) -> Request:
    return Request(Actor(subject, subject, frozenset({role}), scope), uuid.uuid4())


async def member(t: Town, name: str, serial: int) -> uuid.UUID:
    return (await t.cmds.run(RegisterMember(name, Gender.MALE, date(1980, 5, 4), "汉族",
                                            id_number("210302198005040", serial), None, Standing.FULL,
                                            date(2005, 7, 1), t.community), Request(ADMIN, uuid.uuid4()))).id


async def test_two_members_claim_one_order_at_the_same_moment_and_exactly_one_wins(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    t = await town(pool)
    first, second = await member(t, "周建国", 21), await member(t, "吴振华", 22)
    secretary = who("sec", Role.COMMUNITY_SECRETARY, t.community)
    rid = (await t.cmds.run(rc.ReportRequest(t.grid, "ELDERLY_CARE", "独居老人需要送餐", Source.WALK_IN),
                            secretary)).id
    oid = (await t.cmds.run(PublishServiceOrder(rid, "为独居老人送餐", t.clock.now + timedelta(hours=2), "光明社区5栋",
                                                "1.5"), secretary)).id
    for name in ("organizations", "members", "service_orders"):
        await catch_up(dsn, PROJECTIONS[name])
    open_to_first = await query(pool, "{ serviceOrders(filter: {state: OPEN}) { edges { node { id title } } } }",
                                Actor(str(first), "m", frozenset({Role.MEMBER}), t.community), t.clock.now)
    assert open_to_first["serviceOrders"]["edges"] == [{"node": {"id": str(oid), "title": "为独居老人送餐"}}]
    gate = Gate(pool, 2)
    racing = UseCases.build(gate, AggregateDirectory(gate), t.clock)

    async def claim(m: uuid.UUID) -> Any:
        try:
            return await racing.run(ClaimServiceOrder(oid), who(str(m), Role.MEMBER, t.community))
        except AlreadyClaimed as exc:
            return exc

    results = await asyncio.gather(claim(first), claim(second))
    errors = [r for r in results if isinstance(r, AlreadyClaimed)]
    assert len(errors) == 1 and errors[0].field == "orderId"
    claims = await pool.fetch("SELECT payload FROM events WHERE stream_id = $1 AND event_type ="
                              " 'ServiceOrder.Claimed'", oid)
    assert len(claims) == 1
    winner = uuid.UUID(claims[0]["payload"]["member_id"])
    assert winner in (first, second)

    await t.cmds.run(ReportServiceOrderCompletion(oid, "2.5", "已送达"), who(str(winner), Role.MEMBER, t.community))
    await t.cmds.run(ConfirmServiceOrder(oid), secretary)
    for name in ("organizations", "grids", "members", "requests", "service_orders", "volunteer_entries",
                 "residence_reports", "member_residences"):
        await catch_up(dsn, PROJECTIONS[name])
    entry = await pool.fetchrow("SELECT member_id, hours, state, source, reference, activity FROM volunteer_entries")
    assert dict(entry) == {"member_id": winner, "hours": pytest.approx(2.5), "state": "CONFIRMED",
                           "source": "SERVICE_ORDER", "reference": str(oid), "activity": "为独居老人送餐"}
    read = "{ serviceOrders { edges { node { id state hours member { id } request { state } } } } }"
    mine = await query(pool, read, Actor(str(winner), "m", frozenset({Role.MEMBER}), t.community), t.clock.now)
    assert mine["serviceOrders"]["edges"] == [{"node": {"id": str(oid), "state": "CONFIRMED", "hours": "2.5",
                                                        "member": {"id": str(winner)}, "request": None}}]
    loser = second if winner == first else first
    theirs = await query(pool, read, Actor(str(loser), "m", frozenset({Role.MEMBER}), t.community), t.clock.now)
    assert theirs["serviceOrders"]["edges"] == []  # no longer open, and not theirs

    for n in range(2):  # a page of three orders with their requests and members: no query per order
        more = (await t.cmds.run(rc.ReportRequest(t.grid, "ELDERLY_CARE", f"代购药品{n}", Source.WALK_IN),
                                 secretary)).id
        extra = (await t.cmds.run(PublishServiceOrder(more, "代购药品", t.clock.now, "光明社区7栋", "1.0"),
                                  secretary)).id
        await t.cmds.run(ClaimServiceOrder(extra), who(str(loser), Role.MEMBER, t.community))
    for name in ("requests", "service_orders"):
        await catch_up(dsn, PROJECTIONS[name])
    counting = CountingPool(pool)
    page = await query(counting, read.replace("serviceOrders", "serviceOrders(filter: {gridId: $g})")
                       .replace("{ serviceOrders", "query($g: ID) { serviceOrders"), ADMIN, t.clock.now,
                       g=str(t.grid))  # type: ignore[arg-type]
    nodes = [e["node"] for e in page["serviceOrders"]["edges"]]
    assert [n["state"] for n in nodes] == ["CLAIMED", "CLAIMED", "CONFIRMED"]
    assert all(n["request"] == {"state": "TAKEN"} and n["member"] is not None for n in nodes)
    assert counting.total == 4, counting.statements  # the page, then one batch each: requests, members, organizations


STATS = """query($within: ID!, $from: DateTime!, $to: DateTime!, $by: RequestStatisticsGroup!) {
  requestStatistics(within: $within, from: $from, to: $to, groupBy: $by) {
    key name received resolved onTime overdueNow reopened rated satisfied merged satisfactionRate onTimeRate
    steps { step count averageHours p90Hours } } }"""


async def _walk(t: Town, pool: asyncpg.Pool, dsn: str) -> datetime:
    """The road request of the walkthrough, one left to the sweep, one the community resolves."""
    start = t.clock.now
    secretary, street = who("sec", Role.COMMUNITY_SECRETARY, t.community), who("st", Role.STREET_ADMIN, t.street)
    traffic = who(str(t.traffic), Role.DEPARTMENT_HANDLER, t.street)
    urban = who(str(t.urban), Role.DEPARTMENT_HANDLER, t.district)
    road, idle = await t.report(), await t.report()
    care = (await t.cmds.run(rc.ReportRequest(t.grid, "ENVIRONMENT", "楼道堆物", Source.WALK_IN), secretary)).id

    async def at(hours: float, command: object, actor: Request) -> None:
        t.clock.now = start + timedelta(hours=hours)
        await t.cmds.run(command, actor)  # type: ignore[arg-type]

    await at(1, rc.TakeRequest(care), secretary)
    await at(2, rc.EscalateRequest(road, "需街道协调"), secretary)
    await at(3, rc.DispatchRequest(road, t.traffic), street)
    await at(3, rc.ResolveRequest(care, "已清理"), secretary)
    await at(4, rc.SendBackRequest(road, "属城管职责"), traffic)
    await at(5, rc.DispatchRequest(road, t.urban), street)
    await at(6, rc.AcceptRequest(road), urban)
    t.clock.now = start + timedelta(hours=25)
    await settle(dsn)
    assert await sweep(pool, t.cmds.handling, t.clock.now) == 1  # the idle one, past its 24 h to respond
    await at(30, rc.ResolveRequest(road, "已修补"), urban)
    await at(31, rc.FeedBackRequest(road), urban)
    await at(32, rc.RateRequest(road, Rating.NOT_SATISFIED, "不平整"), secretary)
    await at(40, rc.ResolveRequest(road, "重新铺设"), urban)
    await at(41, rc.FeedBackRequest(road), urban)
    await at(42, rc.RateRequest(road, Rating.SATISFIED), secretary)
    await at(43, rc.CloseRequest(road), secretary)
    assert idle
    return start


async def test_the_street_statistics_follow_the_steps_and_a_rebuild_from_the_log_gives_the_same(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    t = await town(pool)
    start = await _walk(t, pool, dsn)
    await catch_up(dsn, PROJECTIONS["request_facts"])
    now = start + timedelta(hours=50)  # the idle request's dispatch (due 24 h after the sweep) is overdue now
    period = {"within": str(t.district), "from": (start - timedelta(days=1)).isoformat(),
              "to": (start + timedelta(days=1)).isoformat()}

    async def stats(by: str) -> list[dict[str, Any]]:
        return (await query(pool, STATS, ADMIN, now, by=by, **period))["requestStatistics"]  # type: ignore[no-any-return]

    (street,) = await stats("STREET")
    steps = {s["step"]: (s["count"], s["averageHours"], s["p90Hours"]) for s in street.pop("steps")}
    assert street == {"key": str(t.street), "name": "新华街道党工委", "received": 3, "resolved": 2, "onTime": 2,
                      "overdueNow": 1, "reopened": 1, "rated": 1, "satisfied": 1, "merged": 0,
                      "satisfactionRate": 1.0, "onTimeRate": 1.0}
    assert steps == {"respond": (3, pytest.approx(28 / 3, abs=1e-3), pytest.approx(20.4)),  # 1 h, 2 h, 25 h (swept)
                     "handle": (1, 2.0, 2.0), "dispatch": (2, 1.0, 1.0), "accept": (2, 1.0, 1.0),
                     "resolve": (2, 16.0, pytest.approx(22.4)), "feedback": (2, 1.0, 1.0)}
    departments = await stats("DEPARTMENT")
    assert [(d["name"], d["received"], d["resolved"], [s["step"] for s in d["steps"]]) for d in departments] == [
        ("铁东区城管局", 1, 1, ["accept", "resolve"])]
    assert {c["key"]: c["received"] for c in await stats("CATEGORY")} == {"ROADS": 2, "ENVIRONMENT": 1}
    (grid,) = await stats("GRID")
    assert (grid["key"], grid["name"], grid["received"]) == (str(t.grid), "光明一网格", 3)
    empty = {**period, "from": (start + timedelta(days=2)).isoformat(), "to": (start + timedelta(days=3)).isoformat()}
    assert (await query(pool, STATS, ADMIN, now, by="COMMUNITY", **empty))["requestStatistics"] == []
    outsider = Actor("other", "其他街道", frozenset({Role.STREET_ADMIN}), uuid.uuid4())
    assert (await query(pool, STATS, outsider, now, by="STREET", **period))["requestStatistics"] == []

    live = {table: await rows(pool, table) for table in ("request_facts", "request_segments")}
    answers = {by: await stats(by) for by in ("STREET", "COMMUNITY", "DEPARTMENT", "CATEGORY")}
    await rebuild(dsn, PROJECTIONS["request_facts"])
    assert {table: await rows(pool, table) for table in live} == live
    assert {by: await stats(by) for by in answers} == answers

