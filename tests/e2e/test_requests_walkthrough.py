"""Issue 14's "done means" (without service orders and statistics), over real HTTP and a WebSocket.

A grid worker reports a broken road with a photo reference; the community escalates it; the
street dispatches it to 交通, which sends it back (wrong department); the street dispatches it
to the district's 城管, which accepts and resolves it; the resident, told the result, is not
satisfied and it reopens with 城管, which resolves it again; rated, it is closed. A second
request sits until its deadline passes (an injected clock moved a day on) and the server's
escalation sweeper escalates it by itself, as the system actor, with the rule as its reason;
The command centre (an integration token over the
district) subscribed to the street's request events and received every step, in order.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn

from api.app import create_app
from api.config import RequestSettings, Settings
from domain.shared.permissions import Role
from tests.e2e.conftest import SECRET, Server
from tests.e2e.test_grids_walkthrough import mutate
from tests.e2e.test_transfer_walkthrough import build_tree
from tests.e2e.ws import EVENTS, connect

STEP = "... on RequestPayload { request { id state level version department { code } } } ... on Error { code message }"
DEPARTMENT = "... on DepartmentPayload { department { id code } } ... on Error { code message field }"
PHOTO = {"url": "https://oss.example.cn/suishoupai/2026/03/02/road-12.jpg", "sha256": "5e" * 32}


@dataclass
class Clock:
    """The server's clock, moved on by the test."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # Monday 09:00 CST

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def serve(dsn: str, data_dir: Path, clock: Clock) -> AsyncIterator[Server]:
    settings = Settings(database_url=dsn, data_dir=data_dir, jwt_secret=SECRET)
    settings = settings.model_copy(update={"requests": RequestSettings(sweep_interval=0.1)})
    app = create_app(settings, dsn, clock=clock)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    while not srv.started:
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            yield Server(f"http://127.0.0.1:{sock.getsockname()[1]}", client)
    finally:
        srv.should_exit = True
        await task
        sock.close()


async def attempt(server: Server, token: str, mutation: str, selection: str, **fields: Any) -> dict[str, Any]:
    """The mutation's answer, a payload or a typed error."""
    kind = mutation[0].upper() + mutation[1:]
    data = await server.ok(token, f"mutation($input: {kind}Input!) {{ {mutation}(input: $input) {{ __typename"
                                  f" {selection} }} }}", {"input": fields})
    return data[mutation]  # type: ignore[no-any-return]


async def step(server: Server, token: str, mutation: str, **fields: Any) -> dict[str, Any]:
    result = await mutate(server, token, mutation, STEP, **fields)
    assert result["__typename"] == "RequestPayload", result
    return result["request"]  # type: ignore[no-any-return]


async def test_a_broken_road_goes_round_the_loop_and_an_overdue_request_escalates_by_itself(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    clock = Clock()
    async with serve(dsn, tmp_path, clock) as server:
        admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
        district, street, east, _ = await build_tree(server, admin)
        street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")
        secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
        worker = server.token(Role.GRID_WORKER, scope=east, subject="grid-worker-li")
        centre = server.token(Role.INTEGRATION, scope=district, subject="grid-command-centre")
        grid = (await server.ok(secretary, "mutation($i: RegisterGridInput!) { registerGrid(input: $i) {"
                                " ... on GridPayload { grid { id } } } }",
                                {"i": {"communityId": east, "code": "320508019001001", "name": "平江一网格",
                                       "kind": "RESIDENTIAL"}}))["registerGrid"]["grid"]["id"]
        traffic = (await mutate(server, street_admin, "registerDepartment", DEPARTMENT, organizationId=street,
                                name="平江街道交通办", code="交通", categories=["ROADS"]))["department"]["id"]
        urban = (await mutate(server, admin, "registerDepartment", DEPARTMENT, organizationId=district,
                              name="姑苏区城市管理局", code="城管",
                              categories=["ROADS", "ENVIRONMENT"]))["department"]["id"]
        taken = await attempt(server, admin, "registerDepartment", DEPARTMENT, organizationId=district,
                              name="城管二队", code="城管", categories=["ROADS"])
        assert taken["code"] == "DEPARTMENT_CODE_TAKEN" and taken["field"] == "code", taken
        traffic_desk = server.token(Role.DEPARTMENT_HANDLER, scope=street, subject=traffic)
        urban_desk = server.token(Role.DEPARTMENT_HANDLER, scope=district, subject=urban)
        start = await pool.fetchval("SELECT max(position) FROM events")

        async with connect(server, centre) as feed:
            await feed.subscribe(EVENTS, {"after": start, "filter": {"streamTypes": ["Request"], "within": street}})

            report = await mutate(server, worker, "reportRequest", STEP + " ... on RequestPayload { position }",
                                  gridId=grid, category="ROADS", description="人民路12号门前路面塌陷，约一平方米",
                                  source="GRID_REPORT", latitude=31.305, longitude=120.61, address="人民路12号",
                                  attachments=[PHOTO], residentName="王丽", phone="13940005678")
            first = report["request"]["id"]
            assert report["request"]["state"] == "REPORTED"
            await step(server, secretary, "escalateRequest", requestId=first, reason="路面塌陷需街道协调维修")
            await step(server, street_admin, "dispatchRequest", requestId=first, departmentId=traffic)
            wrong = await attempt(server, urban_desk, "acceptRequest", STEP, requestId=first)
            assert wrong["code"] == "NOT_YOUR_STEP", wrong
            back = await step(server, traffic_desk, "sendBackRequest", requestId=first, reason="人行道属城管职责")
            assert (back["state"], back["department"]) == ("ESCALATED", None)
            dispatched = await step(server, street_admin, "dispatchRequest", requestId=first, departmentId=urban)
            assert dispatched["department"]["code"] == "城管"
            await step(server, urban_desk, "acceptRequest", requestId=first)
            await step(server, urban_desk, "resolveRequest", requestId=first, result="已修补塌陷路面")
            await step(server, secretary, "feedBackRequest", requestId=first, note="电话告知王丽")
            reopened = await step(server, secretary, "rateRequest", requestId=first, rating="NOT_SATISFIED",
                                  note="修补处不平整")
            assert (reopened["state"], reopened["department"]["code"]) == ("ACCEPTED", "城管")
            await step(server, urban_desk, "resolveRequest", requestId=first, result="重新铺设沥青并压实")
            await step(server, urban_desk, "feedBackRequest", requestId=first)
            await step(server, secretary, "rateRequest", requestId=first, rating="SATISFIED")
            closed = await step(server, secretary, "closeRequest", requestId=first)
            assert closed["state"] == "CLOSED"

            second = (await step(server, worker, "reportRequest", gridId=grid, category="ENVIRONMENT",
                                 description="3幢楼下垃圾堆积", source="GRID_REPORT"))["id"]
            overdue = "{ overdueRequests(within: $s) { edges { node { id dueStep overdue } } } }"
            listed = await server.ok(street_admin, "query($s: ID) " + overdue, {"s": street})
            assert listed["overdueRequests"]["edges"] == []
            clock.now += timedelta(hours=25)  # the community did not respond within 24 h: the sweeper acts

            events = await feed.events(16)
        assert [(e["streamId"], e["type"]) for e in events] == [
            (first, "Request.Reported"), (first, "Request.Escalated"), (first, "Request.Dispatched"),
            (first, "Request.SentBack"), (first, "Request.Dispatched"), (first, "Request.Accepted"),
            (first, "Request.Resolved"), (first, "Request.FedBack"), (first, "Request.Rated"),
            (first, "Request.Reopened"), (first, "Request.Resolved"), (first, "Request.FedBack"),
            (first, "Request.Rated"), (first, "Request.Closed"),
            (second, "Request.Reported"), (second, "Request.Escalated")]
        swept = events[-1]
        assert (swept["actor"], swept["payload"]["automatic"]) == ("system:request-escalation", True)
        assert swept["reason"] == "overdue: NORMAL requests: respond within 24h"
        assert [e["position"] for e in events] == sorted(e["position"] for e in events)

        read = ("query($id: ID!) { request(id: $id) { state level phone residentName attachments { url sha256 }"
                " steps { type actor reason } } }")
        seen = (await server.ok(worker, read, {"id": first}))["request"]
        assert (seen["phone"], seen["residentName"]) == ("*******5678", "****")
        assert seen["attachments"] == [PHOTO]
        assert [s["type"] for s in seen["steps"]][:4] == ["Reported", "Escalated", "Dispatched", "SentBack"]
        assert seen["steps"][3] == {"type": "SentBack", "actor": traffic, "reason": "人行道属城管职责"}
        assert (await server.ok(street_admin, read, {"id": first}))["request"]["phone"] == "13940005678"
        later = (await server.ok(centre, read, {"id": second}))["request"]
        assert (later["state"], later["level"]) == ("ESCALATED", "STREET")
        assert later["steps"][-1]["actor"] == "system:request-escalation"
