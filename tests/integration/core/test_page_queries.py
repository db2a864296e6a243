"""Pages of a connection cost one query per level, whatever their nested fields ask.

The nodes' nested fields (a member's home organization, a transfer's member and sides,
an organization's parent and member count) are loaded for the whole page in one batch
per loader, then resolved without a coroutine per row. These tests pin the number of
SQL statements of the frontends' list queries, so an N+1 shows up as a failure.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import asyncpg

from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.grids.aggregate import StaffRole
from domain.shared.permissions import Actor, Role
from tests.integration.support import build_world, catch_up, commands, register, req


class CountingPool:
    """The pool, counting the statements sent through it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.statements: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.pool, name)
        if name not in ("fetch", "fetchrow", "fetchval", "execute"):
            return method

        async def counted(query: str, *args: Any) -> Any:
            self.statements[" ".join(query.split())[:60]] += 1
            return await method(query, *args)

        return counted

    @property
    def total(self) -> int:
        return sum(self.statements.values())


ADMIN = Actor(subject="page-reader", name="读者", roles=frozenset({Role.DISTRICT_ADMIN}),
              scope=None)


async def _run(pool: CountingPool, query: str, actor: Actor = ADMIN) -> dict[str, Any]:
    context = Context(
        actor=actor, pool=pool, commands=None, supervisor=None,  # type: ignore[arg-type]
        settings=Settings(), correlation_id=uuid.uuid4(),
        loaders=Loaders(pool),  # type: ignore[arg-type]
        clock=lambda: datetime.now(UTC), position=1,
    )
    result = await schema.execute(query, context_value=context)
    assert not result.errors, result.errors
    assert result.data is not None
    return result.data


async def _world(dsn: str, pool: asyncpg.Pool) -> dict[str, uuid.UUID]:
    cmds = commands(pool)
    ids = await build_world(cmds)
    for n in range(12):
        home = ids["grid" if n % 2 else "west"]
        await register(cmds, home, f"成员{n:02d}", f"320508198501{n:02d}003")
    for projection in PROJECTIONS.values():
        await catch_up(dsn, projection)
    return ids


async def test_a_members_page_with_home_organizations_costs_two_statements(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await _world(dsn, pool)
    counting = CountingPool(pool)
    data = await _run(counting, "{ members(first: 50) { edges { node { id name standing"
                                " homeOrganization { id name } } } } }")
    nodes = [e["node"] for e in data["members"]["edges"]]
    assert len(nodes) == 14
    homes = {r["id"]: r["home_organization_id"] for r in await pool.fetch("SELECT * FROM members")}
    names = {r["id"]: r["name"] for r in await pool.fetch("SELECT id, name FROM organizations")}
    for node in nodes:
        home = homes[uuid.UUID(node["id"])]
        assert node["homeOrganization"] == {"id": str(home), "name": names[home]}
    assert counting.total == 2, counting.statements


async def test_a_members_page_without_nested_fields_loads_no_organizations(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await _world(dsn, pool)
    counting = CountingPool(pool)
    await _run(counting, "{ members(first: 50) { edges { node { id name } } } }")
    assert counting.total == 1, counting.statements


async def test_nested_fields_of_every_list_cost_one_statement_per_loader(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await _world(dsn, pool)
    counting = CountingPool(pool)
    data = await _run(counting, """{
      organizations(first: 50) { edges { node { name parent { name } memberCount children { name } } } }
      transfers(first: 50) { edges { node { state member { name homeOrganization { name } }
                                             fromOrganization { name } toOrganization { name } } } }
      members(first: 50) { edges { node { name transfers { state } } } }
    }""")
    # Three pages; the organizations' parents, member counts and children; the transfers'
    # members and both sides; the members' transfers; the transfer members' homes: nine.
    assert counting.total == 9, counting.statements
    orgs = {e["node"]["name"]: e["node"] for e in data["organizations"]["edges"]}
    assert orgs["3幢党小组"]["parent"] == {"name": "第一网格党支部"}
    assert orgs["第一网格党支部"]["children"] == [{"name": "3幢党小组"}]
    counts = {r["home_organization_id"]: r["n"] for r in await pool.fetch(
        "SELECT home_organization_id, count(*) AS n FROM members GROUP BY 1")}
    by_name = {r["name"]: r["id"] for r in await pool.fetch("SELECT id, name FROM organizations")}
    for name, org in orgs.items():
        assert org["memberCount"] == counts.get(by_name[name], 0), name
    transfers = [e["node"] for e in data["transfers"]["edges"]]
    assert transfers and all(t["member"] and t["fromOrganization"] and t["toOrganization"]
                             for t in transfers)
    with_transfers = [e["node"] for e in data["members"]["edges"] if e["node"]["transfers"]]
    assert with_transfers


async def test_a_page_hides_home_organizations_outside_the_scope_as_before(
    dsn: str, pool: asyncpg.Pool
) -> None:
    ids = await _world(dsn, pool)
    grid_secretary = Actor(subject="grid", name="网格",
                           roles=frozenset({Role.COMMUNITY_SECRETARY}), scope=ids["grid"])
    data = await _run(CountingPool(pool), "{ members(first: 50) { edges { node { name"
                                          " homeOrganization { name } } } } }", grid_secretary)
    homes = {e["node"]["homeOrganization"]["name"] for e in data["members"]["edges"]}
    assert homes == {"第一网格党支部"}


async def test_fund_pages_load_projects_payments_and_findings_once_per_level(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await _world(dsn, pool)
    counting = CountingPool(pool)
    data = await _run(counting, """{
      funds(first: 50) { edges { node { year balance organization { name }
                                        projects { title paid payments { amount } fund { year } } } } }
      inspections(first: 50) { edges { node { title findings { description } } } }
    }""")
    # Two pages; the funds' organizations; their projects; the projects' payments and
    # funds; the inspections' findings: seven, however many rows each page holds.
    assert counting.total == 7, counting.statements
    funds = [e["node"] for e in data["funds"]["edges"]]
    assert {f["year"] for f in funds} == {2026, 2027}
    paid = [p for f in funds for p in f["projects"]]
    assert paid and paid[0]["payments"] and paid[0]["fund"] == {"year": 2026}
    assert data["inspections"]["edges"][0]["node"]["findings"]


async def test_a_communitys_grids_with_their_staff_cost_one_statement_per_level(
    dsn: str, pool: asyncpg.Pool
) -> None:
    cmds = commands(pool)
    ids = await build_world(cmds)
    for n in range(6):
        grid = (await cmds.register_grid(req(), ids["east"], f"320508019001{n + 1:03d}", f"网格{n}", "RESIDENTIAL")).id
        await cmds.appoint_grid_staff(req(), grid, StaffRole.LEADER, "任命", name=f"网格长{n}", phone=f"1386000{n:04d}")
        await cmds.appoint_grid_staff(req(), grid, StaffRole.WORKER, "任命", member_id=ids["m1"])
    for projection in PROJECTIONS.values():
        await catch_up(dsn, projection)
    counting = CountingPool(pool)
    within = ids["east"]
    data = await _run(counting, f"""{{
      grids(filter: {{within: "{within}"}}, first: 50) {{ edges {{ node {{ code understaffed community {{ name }}
        branch {{ name }} leader {{ name }} staff {{ role name member {{ name }} }} }} }} }}
    }}""")
    # The page; the organizations (communities, then branches); the staff; the members: one
    # each per level, however many grids the page holds.
    assert counting.total == 5, counting.statements
    grids = [e["node"] for e in data["grids"]["edges"]]
    assert len(grids) == 8 and all(g["community"]["name"] == "平江新村社区党委" for g in grids)
    assert [g["code"][-3:] for g in grids if g["leader"] is None] == ["902"]  # the world's second grid
    assert grids[0]["staff"][-1]["member"] == {"name": "李秀英"}


async def test_a_members_page_with_dues_costs_one_statement_per_level(dsn: str, pool: asyncpg.Pool) -> None:
    ids = await _world(dsn, pool)
    counting = CountingPool(pool)
    data = await _run(counting, "{ members(first: 50) { edges { node { id dues { paidThrough"
                                " years { year monthlyAmount } payments(year: 2026) { amount months }"
                                " older: payments(year: 2025) { amount } } } } } }")
    nodes = {e["node"]["id"]: e["node"]["dues"] for e in data["members"]["edges"]}
    assert len(nodes) == 14
    paying = nodes[str(ids["m2"])]
    assert paying["years"] == [{"year": 2026, "monthlyAmount": "120.00"}]
    assert paying["payments"] == [{"amount": "120.00", "months": 1}] and paying["older"] == []
    assert counting.total == 3, counting.statements  # members, assessments, payments
