"""A grid-scoped token on real PostgreSQL: it reads its grid, the grid's staff and the members who
live in it, and nothing else of its community (the neighbouring grid, the community's members and
organizations, transfers); the feed shows it only its grid's events."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from api import views
from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.grids.aggregate import StaffRole
from domain.members.aggregate import Gender, Standing
from domain.organizations.aggregate import OrganizationKind
from domain.shared.permissions import Actor, Role, bound_grid, bound_subject
from projections.feed.reading import EventFilter, may_read_event, read_events, read_page
from tests.integration.grids.test_grids_read_model import CODE, Settled, register, square, world
from tests.integration.support import NOW, catch_up, commands, id_number, req

READ = ("organizations", "members", "transfers", "grids", "member_residences", "event_scopes")


async def ask(pool: asyncpg.Pool, actor: Actor, document: str, **variables: Any) -> Any:
    context = Context(actor=actor, pool=pool, commands=None, supervisor=Settled(),  # type: ignore[arg-type]
                      settings=Settings(), correlation_id=uuid.uuid4(), loaders=Loaders(pool), clock=lambda: NOW)
    return await schema.execute(document, variable_values=variables, context_value=context)


async def data(pool: asyncpg.Pool, actor: Actor, document: str, **variables: Any) -> dict[str, Any]:
    result = await ask(pool, actor, document, **variables)
    assert not result.errors, result.errors
    assert result.data is not None
    return result.data


async def test_a_grid_scoped_worker_reads_its_grid_and_its_residents_and_nothing_else(
        dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    mine = await register(cmds, ids["east"], CODE + "001", "兴盛一网格", square(122.00, 41.10), ("1栋", "2栋"))
    neighbour = await register(cmds, ids["east"], CODE + "002", "兴盛二网格", square(122.01, 41.10))
    elsewhere = await register(cmds, ids["west"], "211102004002001", "惠宾一网格", square(122.02, 41.10))
    await cmds.appoint_grid_staff(req(), mine, StaffRole.WORKER, "专职网格员", name="周敏", phone="13840005555")
    await cmds.appoint_grid_staff(req(), neighbour, StaffRole.WORKER, "专职网格员", name="吴刚", phone="13840006666")
    resident = (await cmds.register_member(
        req(), "钱学军", Gender.MALE, date(1975, 5, 6), "汉族", id_number("21110219750506011"), None,
        Standing.FULL, date(2003, 7, 1), ids["street"])).id  # in service: home is the street's branch
    homebody = (await cmds.register_member(
        req(), "冯丽", Gender.FEMALE, date(1982, 8, 9), "汉族", id_number("21110219820809022"), None,
        Standing.FULL, date(2008, 7, 1), ids["east"])).id
    await cmds.assign_member_residence(req(), resident, mine, "在职党员到居住地报到")
    for name in READ:
        await catch_up(dsn, PROJECTIONS[name])

    worker = Actor(subject="gw-zhou", name="周敏", roles=frozenset({Role.GRID_WORKER}), scope=ids["east"], grid=mine)
    seen = await data(pool, worker, """query($mine: ID!, $neighbour: ID!, $east: ID!, $homebody: ID!) {
      me { scope grid }
      mine: grid(id: $mine) { code staff { name } community { id }
                              residents { edges { node { startedOn reason member { name } } } } }
      neighbour: grid(id: $neighbour) { code }
      grids { edges { node { code } } }
      gridMap
      byCode: gridByCode(code: "211102004001002") { code }
      east: organization(id: $east) { id }
      member(id: $homebody) { id }
      members { edges { node { id } } }
      transfers { edges { node { id } } }
      history(streamId: $mine) { edges { node { type } } }
    }""", mine=str(mine), neighbour=str(neighbour), east=str(ids["east"]), homebody=str(homebody))
    assert seen["me"] == {"scope": str(ids["east"]), "grid": str(mine)}
    assert seen["mine"]["code"] == CODE + "001" and seen["mine"]["staff"] == [{"name": "周敏"}]
    assert seen["mine"]["community"] is None  # the community itself is not specific to the grid
    assert seen["mine"]["residents"]["edges"] == [{"node": {"startedOn": NOW.date().isoformat(),
                                                            "reason": "在职党员到居住地报到",
                                                            "member": {"name": "钱学军"}}}]
    assert seen["neighbour"] is None and seen["byCode"] is None and seen["east"] is None
    assert [e["node"]["code"] for e in seen["grids"]["edges"]] == [CODE + "001"]
    assert [f["properties"]["code"] for f in seen["gridMap"]["features"]] == [CODE + "001"]
    assert seen["member"] is None and seen["members"]["edges"] == [] and seen["transfers"]["edges"] == []
    assert [e["node"]["type"] for e in seen["history"]["edges"]] == ["Grid.Registered", "Grid.StaffAppointed"]
    refused = await ask(pool, worker, "query($id: ID!) { history(streamId: $id) { edges { node { type } } } }",
                        id=str(neighbour))
    assert refused.errors and "within your scope" in refused.errors[0].message

    # The feed (GET /events and the events subscription read through read_page): its grid only.
    events = await read_events(pool, 0, 1000, EventFilter(), worker.scope, roles=worker.roles,
                               bound_to=bound_subject(worker), grid=bound_grid(worker))
    assert [(e.stream_id, e.event_type) for e in events] == [
        (mine, "Grid.Registered"), (mine, "Grid.StaffAppointed"),
        (events[-1].stream_id, "Residence.GridAssigned")]
    assert events[-1].payload["member_id"] == str(resident)

    # A grid claim naming another community's grid reads nothing (the claim is judged at use).
    stray = Actor(subject="gw-stray", name="x", roles=frozenset({Role.GRID_LEADER}), scope=ids["east"],
                  grid=elsewhere)
    nothing = await data(pool, stray, "query($id: ID!) { grid(id: $id) { code } grids { edges { node { code } } } }",
                         id=str(elsewhere))
    assert nothing == {"grid": None, "grids": {"edges": []}}
    assert await read_events(pool, 0, 1000, EventFilter(), stray.scope, roles=stray.roles, grid=stray.grid) == []

    # The community's secretary reads the resident's name through the grid, not the member (its home, the
    # street's branch, lies outside her scope, and a secretary sees ID numbers whole); the street admin both.
    secretary = Actor(subject="sec", name="书记", roles=frozenset({Role.COMMUNITY_SECRETARY}), scope=ids["east"])
    street = Actor(subject="st", name="街道", roles=frozenset({Role.STREET_ADMIN}), scope=ids["street"])
    residents = ("query($id: ID!) { grid(id: $id) { residents { edges { node { name"
                 " member { name residenceGrid { code } } } } } } }")
    (edge,) = (await data(pool, secretary, residents, id=str(mine)))["grid"]["residents"]["edges"]
    assert edge["node"] == {"name": "钱学军", "member": None}
    (edge,) = (await data(pool, street, residents, id=str(mine)))["grid"]["residents"]["edges"]
    assert edge["node"]["member"] == {"name": "钱学军", "residenceGrid": {"code": CODE + "001"}}


async def test_covers_grid_and_its_sql_form_agree_and_households_and_moves_follow_the_grid(
        dsn: str, pool: asyncpg.Pool) -> None:
    cmds = commands(pool)
    ids = await world(cmds)
    mine = await register(cmds, ids["east"], CODE + "011", "兴盛十一网格", None, ("9栋", "10栋"))
    neighbour = await register(cmds, ids["east"], CODE + "012", "兴盛十二网格", None, ("11栋",))
    west = await register(cmds, ids["west"], "211102004002011", "惠宾十一网格", None, ("1栋",))
    group = (await cmds.establish_organization(req(), OrganizationKind.BUILDING_GROUP, "9栋党小组", ids["east"])).id
    await cmds.assign_building_group(req(), group, mine, ("9栋",), "党小组建在楼栋上")
    mover = (await cmds.register_member(
        req(), "褚红梅", Gender.FEMALE, date(1986, 3, 4), "汉族", id_number("21110219860304033"), None,
        Standing.FULL, date(2012, 7, 1), ids["street"])).id
    await cmds.designate_central_household(req(), mover, mine, "10栋", "党员中心户", doors=("1-101", "1-102"))
    await cmds.designate_central_household(req(), (await cmds.register_member(
        req(), "蒋伟", Gender.MALE, date(1969, 1, 2), "汉族", id_number("21110219690102044"), None,
        Standing.FULL, date(1992, 7, 1), ids["east"])).id, neighbour, "11栋", households=5)
    await cmds.assign_member_residence(req(), mover, mine, "居住地报到")
    await cmds.assign_member_residence(req(), mover, west, "搬家到惠宾社区")
    for name in (*READ, "building_group_grids", "central_households"):
        await catch_up(dsn, PROJECTIONS[name])

    # The SQL form (views.grid_condition) admits exactly the grids Actor.covers_grid admits.
    grids = await pool.fetch("SELECT g.id, o.path FROM grids g JOIN organizations o ON o.id = g.organization_id")
    for scope, grid in ((ids["east"], mine), (ids["east"], west), (ids["street"], None), (ids["west"], None),
                        (ids["east"], None)):
        roles = frozenset({Role.GRID_WORKER})
        actor = Actor("r", "R", roles, scope, grid=grid)
        c = views.Conditions()
        views.grid_condition(c, actor, "organization_id", "id")
        in_sql = {r["id"] for r in await pool.fetch(f"SELECT id FROM grids WHERE {c.where}", *c.args)}
        assert in_sql == {r["id"] for r in grids if actor.covers_grid(r["id"], list(r["path"]))}, (scope, grid)

    worker = Actor(subject="gw-11", name="网格员", roles=frozenset({Role.GRID_WORKER}), scope=ids["east"], grid=mine)
    seen = await data(pool, worker, """query($mine: ID!) {
      centralHouseholds { edges { node { building doors households member { name } grid { code } } } }
      grid(id: $mine) { buildingGroups { buildings organization { id } } residents(includeEnded: true) {
        edges { node { endedOn } } } }
    }""", mine=str(mine))
    assert seen["centralHouseholds"]["edges"] == [{"node": {
        "building": "10栋", "doors": ["1-101", "1-102"], "households": 2, "member": {"name": "褚红梅"},
        "grid": {"code": CODE + "011"}}}]
    assert seen["grid"]["buildingGroups"] == [{"buildings": ["9栋"], "organization": None}]
    assert seen["grid"]["residents"]["edges"] == [{"node": {"endedOn": NOW.date().isoformat()}}]

    # The move is in the feed of both communities, and of the grid it left.
    def residence_events(events: list[Any]) -> list[str]:
        return [e.event_type for e in events if e.stream_type == "Residence"]
    for scope in (ids["east"], ids["west"]):
        events = await read_events(pool, 0, 1000, EventFilter(), scope)
        assert residence_events(events) == (["Residence.GridAssigned", "Residence.GridReassigned"]
                                            if scope == ids["east"] else ["Residence.GridReassigned"])
    left = await read_events(pool, 0, 1000, EventFilter(), worker.scope, roles=worker.roles, grid=mine)
    assert [e.event_type for e in left] == [
        "Grid.Registered", "BuildingGroupGrid.Assigned", "CentralHousehold.Designated", "Residence.GridAssigned",
        "Residence.GridReassigned"]
    # The live ring (projections.feed.live) applies the same rule in Python to what it read once.
    page, _ = await read_page(pool, 0, 1000, EventFilter(), None)
    assert [fe.position for fe in page if may_read_event(fe, worker.scope, frozenset(), None, mine)] == [
        e.position for e in left]
