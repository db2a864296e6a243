"""Grids on real PostgreSQL: the read models, the queries over them, and the set rules
(codes, leaders) under concurrent commands."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest

from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.grids.aggregate import StaffRole
from domain.grids.commands import GridPart
from domain.grids.errors import GridCodeTaken, LeaderAlreadyAssigned
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from projections.feed.reading import EventFilter, read_events
from tests.integration.support import NOW, catch_up, commands, req
from tests.usecases import UseCases

ADMIN = Actor(subject="grid-admin", name="管理员", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
CODE = "211102004001"
"""The community's division code (盘锦 兴隆台区 ... ): its grids' codes start with it."""


def square(west: float, south: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def triangle(west: float, south: float, size: float = 0.01) -> dict[str, Any]:
    """The lower-left half of a square: its bounding box is the square's."""
    ring = [[west, south], [west + size, south], [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


async def world(cmds: UseCases) -> dict[str, uuid.UUID]:
    K = OrganizationKind
    ids = {"district": (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "兴隆台区委", None)).id}
    ids["street"] = (await cmds.establish_organization(req(), K.STREET_WORKING_COMMITTEE, "振兴街道党工委",
                                                        ids["district"], "211102004000")).id
    ids["east"] = (await cmds.establish_organization(req(), K.COMMUNITY_COMMITTEE, "兴盛社区党委", ids["street"],
                                                      CODE)).id
    ids["west"] = (await cmds.establish_organization(req(), K.COMMUNITY_COMMITTEE, "惠宾社区党委", ids["street"],
                                                      "211102004002")).id
    return ids


async def register(cmds: UseCases, community: uuid.UUID, code: str, name: str, boundary: dict[str, Any] | None,
                   buildings: tuple[str, ...] = ()) -> uuid.UUID:
    return (await cmds.register_grid(req(), community, code, name, "RESIDENTIAL", households=300,
                                     buildings=buildings, boundary=None if boundary is None else json.dumps(boundary),
                                     reason="网格普查")).id


async def settle(dsn: str) -> None:
    for name in ("organizations", "members", "grids"):
        await catch_up(dsn, PROJECTIONS[name])


class Settled:
    """The read models were caught up before the query (``settle``): what a supervisor reports."""

    async def position(self) -> int:
        return 0


async def query(pool: asyncpg.Pool, document: str, actor: Actor = ADMIN, **variables: Any) -> dict[str, Any]:
    context = Context(actor=actor, pool=pool, commands=None, supervisor=Settled(),  # type: ignore[arg-type]
                      settings=Settings(), correlation_id=uuid.uuid4(), loaders=Loaders(pool), clock=lambda: NOW)
    result = await schema.execute(document, variable_values=variables, context_value=context)
    assert not result.errors, result.errors
    assert result.data is not None
    return result.data


async def test_a_point_lookup_tests_the_boundary_exactly_after_the_bounding_box(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    await register(cmds, ids["east"], CODE + "001", "一网格", square(122.00, 41.10))
    await register(cmds, ids["east"], CODE + "002", "二网格", triangle(122.01, 41.10))
    await register(cmds, ids["east"], CODE + "003", "三网格", None)
    await settle(dsn)
    find = ("query($lat: Float!, $lng: Float!) { grids(filter: {containing: {lat: $lat, lng: $lng}})"
            " { edges { node { code } } } }")

    async def codes(lat: float, lng: float) -> list[str]:
        data = await query(pool, find, lat=lat, lng=lng)
        return [e["node"]["code"] for e in data["grids"]["edges"]]

    assert await codes(41.105, 122.005) == [CODE + "001"]
    assert await codes(41.102, 122.012) == [CODE + "002"]  # inside the triangle
    assert await codes(41.108, 122.018) == []  # inside its box, outside the triangle
    assert await codes(41.105, 122.010) == [CODE + "001", CODE + "002"]  # on the edge both share
    assert await codes(39.9, 116.4) == []


async def test_staff_history_understaffed_and_a_persons_assignments(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    grid = await register(cmds, ids["east"], CODE + "001", "一网格", square(122.00, 41.10))
    leader = await cmds.appoint_grid_staff(req(), grid, StaffRole.LEADER, "社区两委委员兼任", name="王建华",
                                           phone="13840001111")
    worker = await cmds.appoint_grid_staff(req(), grid, StaffRole.WORKER, "专职网格员", name="李娜",
                                           phone="13840002222")
    await settle(dsn)
    listed = "{ grids(filter: {understaffed: true}) { edges { node { code } } } }"
    assert (await query(pool, listed))["grids"]["edges"] == []
    await cmds.remove_grid_staff(req(), grid, uuid.UUID(worker.extra["assignment_id"]), "调离")
    await settle(dsn)
    assert [e["node"]["code"] for e in (await query(pool, listed))["grids"]["edges"]] == [CODE + "001"]

    staff = await query(pool, "query($id: ID!) { grid(id: $id) { leader { name phone } staff(includeEnded: true) {"
                              " role name endedOn endedReason appointedReason } } }", id=str(grid))
    assert staff["grid"]["leader"] == {"name": "王建华", "phone": "13840001111"}
    assert [(s["role"], s["endedReason"]) for s in staff["grid"]["staff"]] == [("LEADER", None), ("WORKER", "调离")]
    secretary = Actor("grid-secretary", "书记", frozenset({Role.GRID_LEADER}), ids["east"])
    masked = await query(pool, "query($id: ID!) { grid(id: $id) { leader { phone } } }", secretary, id=str(grid))
    assert masked["grid"]["leader"]["phone"] == "*******1111"

    mine = await query(pool, 'query { staffAssignments(phone: "138-4000-1111") { id role grid { code } } }')
    assert mine["staffAssignments"] == [{"id": leader.extra["assignment_id"], "role": "LEADER",
                                         "grid": {"code": CODE + "001"}}]


async def test_the_map_and_lists_keep_to_the_callers_scope(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    await register(cmds, ids["east"], CODE + "001", "一网格", square(122.00, 41.10))
    await register(cmds, ids["west"], "211102004002001", "惠宾一网格", square(122.05, 41.10))
    await settle(dsn)
    east = Actor("east-secretary", "书记", frozenset({Role.COMMUNITY_SECRETARY}), ids["east"])
    data = await query(pool, "{ gridMap grids { edges { node { code community { name } } } } }", east)
    features = data["gridMap"]["features"]
    assert [f["properties"]["code"] for f in features] == [CODE + "001"]
    assert features[0]["geometry"]["type"] == "Polygon" and data["gridMap"]["type"] == "FeatureCollection"
    assert [e["node"] for e in data["grids"]["edges"]] == [{"code": CODE + "001",
                                                             "community": {"name": "兴盛社区党委"}}]
    hidden = await query(pool, 'query { gridByCode(code: "211102004002001") { id } }', east)
    assert hidden["gridByCode"] is None


async def test_history_of_a_grid_and_its_code_after_a_move(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    grid = await register(cmds, ids["east"], CODE + "001", "一网格", None, ("1栋", "2栋"))
    street = Request(Actor("street-admin", "街道", frozenset({Role.STREET_ADMIN}), ids["street"]), uuid.uuid4())
    moved = await cmds.move_grid(street, grid, ids["west"], "211102004002007", "行政区划调整")
    await settle(dsn)
    data = await query(pool, "query($id: ID!) { history(streamId: $id) { edges { node { type actor reason } } }"
                             f' gridByCode(code: "{CODE}001") {{ status endedOn successorIds }} }}', id=str(grid))
    assert [e["node"]["type"] for e in data["history"]["edges"]] == ["Grid.Registered", "Grid.Retired"]
    assert data["history"]["edges"][1]["node"]["actor"] == "street-admin"
    assert data["history"]["edges"][1]["node"]["reason"] == "行政区划调整"
    assert data["gridByCode"]["status"] == "RETIRED"
    assert data["gridByCode"]["successorIds"] == moved.extra["grid_ids"]


async def test_concurrent_commands_keep_one_code_and_one_grid_per_leader(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    codes = await asyncio.gather(*(register(cmds, ids["east"], CODE + "009", f"网格{i}", None) for i in range(4)),
                                 return_exceptions=True)
    assert sum(isinstance(c, uuid.UUID) for c in codes) == 1
    assert all(isinstance(c, GridCodeTaken) for c in codes if not isinstance(c, uuid.UUID))
    grids = [await register(cmds, ids["east"], CODE + f"01{i}", f"网格{i}", None) for i in range(4)]
    appointed = await asyncio.gather(*(cmds.appoint_grid_staff(req(), g, StaffRole.LEADER, "任命", name="王建华",
                                                               phone="13840001111") for g in grids),
                                     return_exceptions=True)
    assert sum(not isinstance(a, BaseException) for a in appointed) == 1, appointed
    assert all(isinstance(a, LeaderAlreadyAssigned) for a in appointed if isinstance(a, BaseException))


async def test_a_split_commits_every_grid_or_none(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    grid = await register(cmds, ids["east"], CODE + "001", "一网格", None, ("1栋", "2栋"))
    await register(cmds, ids["east"], CODE + "003", "三网格", None)
    before = await pool.fetchval("SELECT count(*) FROM events")
    parts = (GridPart(CODE + "002", "西片", buildings=("1栋",)), GridPart(CODE + "003", "东片", buildings=("2栋",)))
    with pytest.raises(GridCodeTaken):  # the second part's code is taken: nothing of the split is recorded
        await cmds.split_grid(req(), grid, parts, "拆分")
    assert await pool.fetchval("SELECT count(*) FROM events") == before
    assert await pool.fetchval("SELECT owner FROM claims WHERE scope = 'grid.code' AND key = $1", CODE + "002") is None


async def test_grid_events_reach_the_feed_of_their_communitys_subtree_only(dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    east = await register(cmds, ids["east"], CODE + "001", "一网格", None, ("1栋",))
    await cmds.appoint_grid_staff(req(), east, StaffRole.LEADER, "任命", name="王建华", phone="13840001111")
    west = await register(cmds, ids["west"], "211102004002001", "惠宾一网格", None)
    for name in ("event_scopes", "organizations", "members", "transfers", "grids"):
        await catch_up(dsn, PROJECTIONS[name])
    grids = EventFilter(stream_types=frozenset({"Grid"}))
    seen = {root: [(e.stream_id, e.event_type) for e in await read_events(pool, 0, 100, grids, ids[root])]
            for root in ("east", "west", "street")}
    assert seen["east"] == [(east, "Grid.Registered"), (east, "Grid.StaffAppointed")]
    assert seen["west"] == [(west, "Grid.Registered")]
    assert seen["street"] == [*seen["east"], *seen["west"]]
