"""Issue 14's "done means", the service orders and the statistics, over real HTTP.

An elderly resident's request is published as a service order by the community secretary; two
members of the community click "claim" at the same moment: one gets the order, the other
``AlreadyClaimed``; the winner reports it done with 2.5 hours, the community confirms, and the
hours appear on the winner's volunteer record (source SERVICE_ORDER). The street's statistics
then show both requests of the morning, the road request round the department and the order's,
with their handling times per step. (The loop itself, the sweep and the command centre's
subscription are walked in ``test_requests_walkthrough.py``.)
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

from domain.shared.permissions import Role
from tests.e2e.test_grids_walkthrough import mutate
from tests.e2e.test_requests_walkthrough import DEPARTMENT, Clock, attempt, serve, step
from tests.e2e.test_transfer_walkthrough import build_tree, register

ORDER = "... on ServiceOrderPayload { order { id state hours member { id } } } ... on Error { code message field }"
RECORD = """query($m: ID!) { member(id: $m) { volunteerHours(year: 2026) { confirmedHours projects
  entries { activity hours state source reference } } } }"""
STATISTICS = """query($s: ID!, $from: DateTime!, $to: DateTime!) {
  requestStatistics(within: $s, from: $from, to: $to, groupBy: STREET) {
    name received resolved onTime overdueNow steps { step count averageHours } } }"""


async def test_two_members_click_at_once_one_wins_and_the_street_sees_both_requests_with_their_times(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    clock = Clock()
    start = clock.now
    async with serve(dsn, tmp_path, clock) as server:
        admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
        district, street, east, _ = await build_tree(server, admin)
        street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")
        secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
        grid = (await server.ok(secretary, "mutation($i: RegisterGridInput!) { registerGrid(input: $i) {"
                                " ... on GridPayload { grid { id } } } }",
                                {"i": {"communityId": east, "code": "320508019001001", "name": "平江一网格",
                                       "kind": "RESIDENTIAL"}}))["registerGrid"]["grid"]["id"]
        urban = (await mutate(server, admin, "registerDepartment", DEPARTMENT, organizationId=district,
                              name="姑苏区城市管理局", code="城管", categories=["ROADS"]))["department"]["id"]
        desk = server.token(Role.DEPARTMENT_HANDLER, scope=district, subject=urban)
        zhou = await register(server, admin, east, "周建国", 31)
        wu = await register(server, admin, east, "吴振华", 32)

        async def at(minutes: int, token: str, mutation: str, **fields: Any) -> dict[str, Any]:
            clock.now = start + timedelta(minutes=minutes)
            return await step(server, token, mutation, **fields)

        road = (await at(0, secretary, "reportRequest", gridId=grid, category="ROADS", description="人民路路面塌陷",
                         source="WALK_IN"))["id"]
        care = (await at(0, secretary, "reportRequest", gridId=grid, category="ELDERLY_CARE",
                         description="独居老人需陪同就医", source="WALK_IN"))["id"]
        await at(30, secretary, "escalateRequest", requestId=road, reason="需街道协调")
        await at(60, street_admin, "dispatchRequest", requestId=road, departmentId=urban)
        await at(90, desk, "acceptRequest", requestId=road)
        await at(210, desk, "resolveRequest", requestId=road, result="已修补")

        clock.now = start + timedelta(minutes=20)
        published = await mutate(server, secretary, "publishServiceOrder", ORDER, requestId=care,
                                 title="陪同王奶奶就医", startsAt=(start + timedelta(hours=4)).isoformat(),
                                 place="平江新村3幢", hoursExpected="2.0")
        order = published["order"]["id"]
        assert published["order"]["state"] == "OPEN", published
        tokens = {m: server.token(Role.MEMBER, scope=east, subject=m) for m in (zhou, wu)}
        clicks = await asyncio.gather(*(attempt(server, tokens[m], "claimServiceOrder", ORDER, orderId=order)
                                        for m in (zhou, wu)))
        winners = [c for c in clicks if c["__typename"] == "ServiceOrderPayload"]
        losers = [c for c in clicks if c["__typename"] == "AlreadyClaimed"]
        assert (len(winners), len(losers)) == (1, 1), clicks
        winner = winners[0]["order"]["member"]["id"]
        clock.now = start + timedelta(hours=7)
        done = await mutate(server, tokens[winner], "reportServiceOrderCompletion", ORDER, orderId=order,
                            hours="2.5", note="已陪同就医并送回家")
        assert done["order"]["state"] == "COMPLETED", done
        confirmed = await mutate(server, secretary, "confirmServiceOrder", ORDER, orderId=order)
        assert confirmed["order"] == {"id": order, "state": "CONFIRMED", "hours": "2.5", "member": {"id": winner}}
        record = (await server.ok(tokens[winner], RECORD, {"m": winner}))["member"]["volunteerHours"]
        assert record == {"confirmedHours": "2.5", "projects": 1, "entries": [
            {"activity": "陪同王奶奶就医", "hours": "2.5", "state": "CONFIRMED", "source": "SERVICE_ORDER",
             "reference": order}]}
        await at(8 * 60, secretary, "resolveRequest", requestId=care, result="党员已陪同就医")

        period = {"s": street, "from": (start - timedelta(days=1)).isoformat(),
                  "to": (start + timedelta(days=1)).isoformat()}
        (stats,) = (await server.ok(street_admin, STATISTICS, period))["requestStatistics"]
        steps = {s["step"]: (s["count"], s["averageHours"]) for s in stats.pop("steps")}
        assert stats == {"name": "平江街道党工委", "received": 2, "resolved": 2, "onTime": 2, "overdueNow": 0}
        assert steps == {"respond": (2, 0.4167), "handle": (1, 7.6667), "dispatch": (1, 0.5), "accept": (1, 0.5),
                         "resolve": (1, 2.0)}
