"""The requests read models on real PostgreSQL: the overdue lists by the clock, the escalation
sweep (once per deadline, whatever the read model's lag), ``grassroots requests escalate``, the
departments a street reaches and who sees a resident's phone."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from api.areas import PROJECTIONS
from api.config import Settings
from api.escalation import sweep
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.grids.commands import RegisterGrid
from domain.organizations.aggregate import OrganizationKind
from domain.requests import commands as rc
from domain.requests.aggregate import Source
from domain.requests.rules import Urgency
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from tests.integration.core.test_page_queries import CountingPool
from tests.integration.support import catch_up, commands
from tests.usecases import UseCases

ROOT = Path(__file__).resolve().parents[3]
ADMIN = Actor("requests-admin", "区委", frozenset({Role.DISTRICT_ADMIN}), None)
WORKER = Actor("worker-zhao", "网格员", frozenset({Role.GRID_WORKER}), None)
LISTS = ("{ overdueRequests { edges { node { id dueStep overdue } } }"
         " requests(filter: {overdue: true, urgency: URGENT}) { edges { node { id } } } }")


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 3, 1, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Town:
    cmds: UseCases
    clock: Clock
    district: uuid.UUID
    street: uuid.UUID
    community: uuid.UUID
    grid: uuid.UUID
    traffic: uuid.UUID
    urban: uuid.UUID

    async def report(self, urgency: Urgency = Urgency.NORMAL, **kw: Any) -> uuid.UUID:
        return (await self.cmds.run(rc.ReportRequest(self.grid, "ROADS", "井盖缺失", Source.GRID_REPORT, urgency,
                                                     **kw), Request(WORKER, uuid.uuid4()))).id


async def town(pool: asyncpg.Pool) -> Town:
    clock = Clock()
    cmds = commands(pool, clock)
    r, k = Request(ADMIN, uuid.uuid4()), OrganizationKind
    d = (await cmds.establish_organization(r, k.DISTRICT_COMMITTEE, "铁东区委", None)).id
    s = (await cmds.establish_organization(r, k.STREET_WORKING_COMMITTEE, "新华街道党工委", d, "210302001000")).id
    c = (await cmds.establish_organization(r, k.COMMUNITY_COMMITTEE, "光明社区党委", s, "210302001001")).id
    g = (await cmds.run(RegisterGrid(c, "210302001001001", "光明一网格", "RESIDENTIAL"), r)).id
    traffic = (await cmds.run(rc.RegisterDepartment(s, "新华街道交通办", "交通", ("ROADS",)), r)).id
    urban = (await cmds.run(rc.RegisterDepartment(d, "铁东区城管局", "城管", ("ROADS", "ENVIRONMENT")), r)).id
    return Town(cmds, clock, d, s, c, g, traffic, urban)


async def settle(dsn: str) -> None:
    for name in ("organizations", "grids", "departments", "requests"):
        await catch_up(dsn, PROJECTIONS[name])


class Settled:
    async def position(self) -> int:
        return 0


async def query(pool: asyncpg.Pool, document: str, actor: Actor, now: datetime, **variables: Any) -> dict[str, Any]:
    context = Context(actor=actor, pool=pool, commands=None, supervisor=Settled(),  # type: ignore[arg-type]
                      settings=Settings(), correlation_id=uuid.uuid4(), loaders=Loaders(pool), clock=lambda: now)
    result = await schema.execute(document, variable_values=variables, context_value=context)
    assert not result.errors, result.errors
    assert result.data is not None
    return result.data


async def test_overdue_requests_are_listed_by_the_clock_and_a_sweep_escalates_each_deadline_once(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    t = await town(pool)
    urgent, normal = await t.report(Urgency.URGENT), await t.report()
    await settle(dsn)
    assert (await query(pool, LISTS, ADMIN, t.clock.now))["overdueRequests"]["edges"] == []
    t.clock.now += timedelta(hours=3)  # past the urgent request's 2 h, within the normal one's 24 h
    lists = await query(pool, LISTS, ADMIN, t.clock.now)
    assert [e["node"] for e in lists["overdueRequests"]["edges"]] == [
        {"id": str(urgent), "dueStep": "respond", "overdue": True}]
    assert lists["requests"]["edges"] == [{"node": {"id": str(urgent)}}]

    assert await sweep(pool, t.cmds.handling, t.clock.now) == 1
    assert await sweep(pool, t.cmds.handling, t.clock.now) == 0  # the read model still lags: the log decides
    await settle(dsn)
    assert await sweep(pool, t.cmds.handling, t.clock.now) == 0
    escalated = await pool.fetch("SELECT stream_id, actor, reason FROM events WHERE event_type = 'Request.Escalated'")
    assert [(r["stream_id"], r["actor"]) for r in escalated] == [(urgent, "system:request-escalation")]
    row = await pool.fetchrow("SELECT state, level, due_step, escalations FROM requests WHERE id = $1", urgent)
    assert dict(row) == {"state": "ESCALATED", "level": "STREET", "due_step": "dispatch", "escalations": 1}
    assert await pool.fetchval("SELECT state FROM requests WHERE id = $1", normal) == "REPORTED"


async def test_grassroots_requests_escalate_runs_one_sweep(dsn: str, pool: asyncpg.Pool, tmp_path: Path) -> None:
    t = await town(pool)
    rid = await t.report()
    later = (t.clock.now + timedelta(hours=25)).isoformat()
    env = {**os.environ, "DATABASE_URL": dsn, "GRASSROOTS_DATA_DIR": str(tmp_path),
           "GRASSROOTS_JWT_SECRET": "cli-secret-" + "y" * 40}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "api.cli.main", "requests", "escalate",
                                                "--now", later, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "1"
    reason = await pool.fetchval("SELECT reason FROM events WHERE event_type = 'Request.Escalated' AND"
                                 " stream_id = $1", rid)
    assert reason == "overdue: NORMAL requests: respond within 24h"


async def test_a_street_reaches_its_districts_departments_and_only_the_handling_department_sees_the_phone(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    t = await town(pool)
    rid = await t.report(resident_name="赵敏", phone="13940009876")
    await t.cmds.run(rc.EscalateRequest(rid, "需街道协调"), Request(
        Actor("sec", "书记", frozenset({Role.COMMUNITY_SECRETARY}), t.community), uuid.uuid4()))
    await t.cmds.run(rc.DispatchRequest(rid, t.urban), Request(ADMIN, uuid.uuid4()))
    await settle(dsn)
    street_admin = Actor("street", "街道", frozenset({Role.STREET_ADMIN}), t.street)
    found = await query(pool, "{ departments { edges { node { code } } } }", street_admin, t.clock.now)
    assert [e["node"]["code"] for e in found["departments"]["edges"]] == ["交通", "城管"]

    read = "query($id: ID!) { request(id: $id) { phone residentName department { code } } }"
    urban = Actor(str(t.urban), "城管", frozenset({Role.DEPARTMENT_HANDLER}), t.district)
    traffic = Actor(str(t.traffic), "交通", frozenset({Role.DEPARTMENT_HANDLER}), t.street)
    assert (await query(pool, read, urban, t.clock.now, id=str(rid)))["request"] == {
        "phone": "13940009876", "residentName": "赵敏", "department": {"code": "城管"}}
    assert (await query(pool, read, traffic, t.clock.now, id=str(rid)))["request"]["phone"] == "*******9876"


async def test_a_page_of_requests_with_its_grids_communities_departments_and_steps_costs_five_statements(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    t = await town(pool)
    for _ in range(3):
        rid = await t.report()
        await t.cmds.run(rc.EscalateRequest(rid, "需街道协调"), Request(
            Actor("sec", "书记", frozenset({Role.COMMUNITY_SECRETARY}), t.community), uuid.uuid4()))
        await t.cmds.run(rc.DispatchRequest(rid, t.traffic), Request(ADMIN, uuid.uuid4()))
    await settle(dsn)
    counting = CountingPool(pool)
    page = ("{ requests(first: 50) { edges { node { grid { code } community { name } department { code }"
            " steps { type } } } } }")
    data = await query(counting, page, ADMIN, t.clock.now)  # type: ignore[arg-type]
    nodes = [e["node"] for e in data["requests"]["edges"]]
    assert len(nodes) == 3 and all(n["department"] == {"code": "交通"} and len(n["steps"]) == 3 for n in nodes)
    assert {n["grid"]["code"] for n in nodes} == {"210302001001001"}
    assert counting.total == 5, counting.statements  # the page, then one batch per loader
