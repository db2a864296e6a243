"""``Organization.grids``: a community lists its grids, a grid Party branch those it covers,
a page of organizations costs one statement for all their grids (and one for their staff)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.grids.aggregate import StaffRole
from domain.organizations.aggregate import OrganizationKind
from domain.shared.permissions import Actor, Role
from tests.integration.core.test_page_queries import CountingPool
from tests.integration.support import catch_up, commands, req

ADMIN = Actor(subject="org-grids", name="管理员", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
EAST, WEST = "211102005001", "211102005002"


async def _run(pool: Any, query: str, actor: Actor = ADMIN) -> dict[str, Any]:
    context = Context(actor=actor, pool=pool, commands=None, supervisor=None,  # type: ignore[arg-type]
                      settings=Settings(), correlation_id=uuid.uuid4(), loaders=Loaders(pool),  # type: ignore[arg-type]
                      clock=lambda: datetime.now(UTC), position=1)
    result = await schema.execute(query, context_value=context)
    assert not result.errors, result.errors
    assert result.data is not None
    return result.data


async def _world(dsn: str, pool: asyncpg.Pool) -> dict[str, uuid.UUID]:
    cmds, K = commands(pool), OrganizationKind
    ids = {"district": (await cmds.establish_organization(req(), K.DISTRICT_COMMITTEE, "双台子区委", None)).id}
    ids["street"] = (await cmds.establish_organization(req(), K.STREET_WORKING_COMMITTEE, "红旗街道党工委",
                                                        ids["district"], "211102005000")).id
    ids["east"] = (await cmds.establish_organization(req(), K.COMMUNITY_COMMITTEE, "胜利社区党委", ids["street"],
                                                      EAST)).id
    ids["west"] = (await cmds.establish_organization(req(), K.COMMUNITY_BRANCH, "建设社区党支部", ids["street"],
                                                      WEST)).id
    ids["branch"] = (await cmds.establish_organization(req(), K.GRID_BRANCH, "胜利一网格党支部", ids["east"],
                                                        EAST + "001")).id
    for n in range(1, 6):
        grid = (await cmds.register_grid(req(), ids["east"], f"{EAST}{n:03d}", f"胜利{n}网格", "RESIDENTIAL")).id
        ids[f"east{n}"] = grid
        await cmds.appoint_grid_staff(req(), grid, StaffRole.LEADER, "任命", name=f"网格长{n}", phone=f"1387000{n:04d}")
    await cmds.link_grid_branch(req(), ids["east1"], ids["branch"], "支部建在网格上")
    await cmds.link_grid_branch(req(), ids["east4"], ids["branch"], "支部建在网格上")
    await cmds.retire_grid(req(), ids["east5"], "并入四网格")
    for n in range(1, 3):
        await cmds.register_grid(req(), ids["west"], f"{WEST}{n:03d}", f"建设{n}网格", "MIXED")
    for projection in PROJECTIONS.values():
        await catch_up(dsn, projection)
    return ids


async def test_a_community_lists_its_grids_and_a_branch_those_it_covers(dsn: str, pool: asyncpg.Pool) -> None:
    ids = await _world(dsn, pool)
    data = await _run(pool, f"""{{
      east: node(id: "{ids['east']}") {{ ... on Organization {{ grids {{ edges {{ node {{ code }} }} }}
        all: grids(includeRetired: true) {{ edges {{ node {{ code }} }} }} }} }}
      branch: node(id: "{ids['branch']}") {{ ... on Organization {{ code grids {{ edges {{ node {{ code }} }} }} }} }}
      street: node(id: "{ids['street']}") {{ ... on Organization {{ grids {{ edges {{ node {{ code }} }} }} }} }}
    }}""")
    codes = lambda c: [e["node"]["code"][-3:] for e in c["edges"]]  # noqa: E731
    assert codes(data["east"]["grids"]) == ["001", "002", "003", "004"]
    assert codes(data["east"]["all"]) == ["001", "002", "003", "004", "005"]
    assert data["branch"]["code"] == EAST + "001" and codes(data["branch"]["grids"]) == ["001", "004"]
    assert codes(data["street"]["grids"]) == []  # a street has no grids of its own: they are its communities'


async def test_organization_grids_pages_by_code(dsn: str, pool: asyncpg.Pool) -> None:
    ids = await _world(dsn, pool)
    def query(after: str) -> str:
        return (f'{{ node(id: "{ids["east"]}") {{ ... on Organization {{ grids(first: 2{after}) {{'
                ' edges { node { code } } pageInfo { hasNextPage endCursor } } } } }')

    first = (await _run(pool, query("")))["node"]["grids"]
    assert [e["node"]["code"][-3:] for e in first["edges"]] == ["001", "002"] and first["pageInfo"]["hasNextPage"]
    second = (await _run(pool, query(f', after: "{first["pageInfo"]["endCursor"]}"')))["node"]["grids"]
    assert [e["node"]["code"][-3:] for e in second["edges"]] == ["003", "004"]
    assert not second["pageInfo"]["hasNextPage"]


async def test_a_page_of_organizations_loads_all_their_grids_in_one_statement(dsn: str, pool: asyncpg.Pool) -> None:
    await _world(dsn, pool)
    counting = CountingPool(pool)
    data = await _run(counting, """{ organizations(first: 50) { edges { node { name
      grids(first: 10) { edges { node { code leader { name } } } } } } } }""")
    # The page of organizations; the grids of every one of them; the grids' staff: three.
    assert counting.total == 3, counting.statements
    by_name = {e["node"]["name"]: [g["node"] for g in e["node"]["grids"]["edges"]]
               for e in data["organizations"]["edges"]}
    assert [g["leader"]["name"] for g in by_name["胜利社区党委"]] == ["网格长1", "网格长2", "网格长3", "网格长4"]
    assert [g["code"][-3:] for g in by_name["胜利一网格党支部"]] == ["001", "004"]
    assert len(by_name["建设社区党支部"]) == 2 and by_name["双台子区委"] == []


async def test_organization_grids_follow_the_read_rule_of_the_grids_query(dsn: str, pool: asyncpg.Pool) -> None:
    ids = await _world(dsn, pool)
    # A branch's grids belong to its community: a reader scoped to the branch alone reads
    # the branch but not its community's grids, in this field as in `grids(filter: {branchId})`.
    branch_reader = Actor(subject="branch", name="支", roles=frozenset({Role.COMMUNITY_SECRETARY}), scope=ids["branch"])
    data = await _run(pool, f"""{{ branch: node(id: "{ids['branch']}") {{ ... on Organization {{ name
      grids {{ edges {{ node {{ code }} }} }} }} }}
      list: grids(filter: {{branchId: "{ids['branch']}"}}) {{ edges {{ node {{ code }} }} }} }}""", branch_reader)
    assert data["branch"]["name"] == "胜利一网格党支部"
    assert data["branch"]["grids"]["edges"] == [] == data["list"]["edges"]
    west_secretary = Actor(subject="west", name="西", roles=frozenset({Role.COMMUNITY_SECRETARY}), scope=ids["west"])
    data = await _run(pool, f"""{{ east: node(id: "{ids['east']}") {{ ... on Organization {{ name }} }}
      west: node(id: "{ids['west']}") {{ ... on Organization {{ grids {{ edges {{ node {{ code }} }} }} }} }} }}""",
                      west_secretary)
    assert data["east"] is None and len(data["west"]["grids"]["edges"]) == 2
