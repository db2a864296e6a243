"""Given events, when a grid command, then new events or a typed error (in-memory store)."""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

import pytest

from api.geometry import SHAPELY
from domain.grids.aggregate import Employment, StaffRole
from domain.grids.commands import GridPart
from domain.grids.errors import (
    BoundariesNotConserved,
    BuildingsNotConserved,
    GridCodeTaken,
    GridNotAllowed,
    GridNotInCommunity,
    InvalidBoundary,
    LeaderAlreadyAssigned,
)
from domain.grids.geometry import check_boundary
from domain.grids.handlers import phone_key
from domain.members.aggregate import Gender, Standing
from domain.organizations.aggregate import OrganizationKind
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Role
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req, world

EAST = "211403002001"


def square(west: float, south: float, size: float = 0.01) -> str:
    """A closed square ring as GeoJSON text, near Panjin (122°E, 41°N)."""
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


async def grid(w: World, seq: str = "001", buildings: tuple[str, ...] = ("1栋", "2栋"),
               boundary: str | None = None, community: UUID | None = None, code: str | None = None) -> UUID:
    out = await w.commands.register_grid(req(w.admin), community or w.east, code or EAST + seq, f"第{seq}网格",
                                         "RESIDENTIAL", households=320, population=900, buildings=buildings,
                                         boundary=boundary)
    return out.id


def types(w: World) -> list[str]:
    return [e.event_type for e in w.store.events]


async def test_register_grid_claims_its_code_which_is_never_reused_even_after_retirement() -> None:
    w = await world()
    first = await grid(w)
    assert w.store.claims[("grid.code", EAST + "001")] == first
    with pytest.raises(GridCodeTaken) as err:
        await grid(w)
    assert err.value.field == "code"
    await w.commands.retire_grid(req(w.admin), first, "并入新网格")
    with pytest.raises(GridCodeTaken):
        await grid(w)
    assert types(w)[-1] == "Grid.Retired"


async def test_register_grid_checks_the_code_against_its_community() -> None:
    w = await world()
    with pytest.raises(GridNotInCommunity):
        await grid(w, code="211403002002001")  # west's code, registered in east
    with pytest.raises(InvalidInput):
        await grid(w, code=EAST + "000")
    with pytest.raises(InvalidInput):
        await grid(w, code=EAST + "01")
    with pytest.raises(GridNotInCommunity):  # a street is no community
        await grid(w, community=w.street, code="211403002000001")


async def test_a_grid_kind_must_be_one_of_the_configured_kinds() -> None:
    w = await world()
    with pytest.raises(InvalidInput) as err:
        await w.commands.register_grid(req(w.admin), w.east, EAST + "001", "第一网格", "FARM")
    assert err.value.field == "kind"


def test_a_boundary_must_be_a_closed_valid_polygon_within_china() -> None:
    assert check_boundary(square(122.07, 41.12), SHAPELY) is not None
    open_ring = {"type": "Polygon", "coordinates": [[[122.0, 41.0], [122.1, 41.0], [122.1, 41.1], [122.0, 41.1]]]}
    bowtie = {"type": "Polygon", "coordinates": [[[122.0, 41.0], [122.1, 41.1], [122.1, 41.0], [122.0, 41.1],
                                                  [122.0, 41.0]]]}
    for bad, says in ((json.dumps(open_ring), "closed"), (json.dumps(bowtie), "valid"),
                      (square(2.35, 48.85), "outside China"), ('{"type": "Point", "coordinates": [122, 41]}',
                                                              "Polygon"), ("{", "JSON")):
        with pytest.raises(InvalidBoundary) as err:
            check_boundary(bad, SHAPELY)
        assert says in err.value.message, err.value.message
        assert err.value.field == "boundary"
    boundary = check_boundary(square(122.07, 41.12), SHAPELY)
    assert boundary is not None
    assert SHAPELY.covers(boundary, 122.075, 41.125) and not SHAPELY.covers(boundary, 122.2, 41.125)
    assert SHAPELY.covers(boundary, 122.07, 41.125)  # on the edge


async def test_one_leader_per_grid_and_one_grid_per_leader() -> None:
    w = await world()
    a, b = await grid(w, "001"), await grid(w, "002", buildings=("3栋",))
    await w.commands.appoint_grid_staff(req(w.admin), a, StaffRole.LEADER, "社区两委委员", name="王建华",
                                        phone="13840001111")
    with pytest.raises(GridNotAllowed):
        await w.commands.appoint_grid_staff(req(w.admin), a, StaffRole.LEADER, "再任命", name="李娜",
                                            phone="13840002222")
    with pytest.raises(LeaderAlreadyAssigned) as err:  # the same phone, however spaced
        await w.commands.appoint_grid_staff(req(w.admin), b, StaffRole.LEADER, "兼任", name="王建华",
                                            phone="138 4000 1111")
    assert err.value.field == "memberId"


async def test_removing_or_replacing_a_leader_frees_the_person_to_lead_elsewhere() -> None:
    w = await world()
    a, b = await grid(w, "001"), await grid(w, "002", buildings=("3栋",))
    out = await w.commands.appoint_grid_staff(req(w.admin), a, StaffRole.LEADER, "任命", name="王建华",
                                              phone="13840001111")
    replaced = await w.commands.replace_grid_staff(req(w.admin), a, UUID(out.extra["assignment_id"]), "工作调整",
                                                   name="李娜", phone="13840002222")
    await w.commands.appoint_grid_staff(req(w.admin), b, StaffRole.LEADER, "调任", name="王建华",
                                        phone="13840001111")
    assert types(w)[-3:] == ["Grid.StaffRemoved", "Grid.StaffAppointed", "Grid.StaffAppointed"]
    await w.commands.remove_grid_staff(req(w.admin), a, UUID(replaced.extra["assignment_id"]), "辞职")
    leaders = {k: owner for (scope, k), owner in w.store.claims.items() if scope == "grid.leader"}
    assert leaders == {phone_key("13840001111"): b}


async def test_a_member_of_the_system_may_be_appointed_by_id() -> None:
    w = await world()
    g = await grid(w)
    member = (await w.commands.register_member(
        req(w.admin), "赵志强", Gender.MALE, date(1968, 9, 3), "满族",
        id_number("211403196809030", 7), None, Standing.FULL, date(2001, 7, 1),
        w.east)).id
    await w.commands.appoint_grid_staff(req(w.admin), g, StaffRole.WORKER, "专职网格员", member_id=member,
                                        employment=Employment.PART_TIME)
    appointed = w.store.events[-1].payload
    assert (appointed["name"], appointed["member_id"], appointed["employment"]) == ("赵志强", str(member),
                                                                                      "PART_TIME")
    with pytest.raises(InvalidInput):  # neither a member nor a named person with a phone
        await w.commands.appoint_grid_staff(req(w.admin), g, StaffRole.WORKER, "x", name="无电话")


async def test_a_secretary_manages_only_her_own_communitys_grids() -> None:
    w = await world()
    g = await grid(w)
    west_secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.west, subject="west-secretary")
    east_secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="east-secretary")
    with pytest.raises(NotAuthorized):
        await w.commands.retire_grid(req(west_secretary), g, "越权")
    await w.commands.update_grid_details(req(east_secretary), g, "更名", name="仙山一网格")
    with pytest.raises(NotAuthorized):  # moves between communities: from the street
        await w.commands.move_grid(req(east_secretary), g, w.west, "211403002002001", "区划调整")


async def test_split_conserves_buildings_and_allocates_staff() -> None:
    w = await world()
    g = await grid(w, buildings=("1栋", "2栋", "3栋"), boundary=square(122.07, 41.12, 0.02))
    leader = UUID((await w.commands.appoint_grid_staff(req(w.admin), g, StaffRole.LEADER, "任命", name="王建华",
                                                       phone="13840001111")).extra["assignment_id"])
    worker = UUID((await w.commands.appoint_grid_staff(req(w.admin), g, StaffRole.WORKER, "任命", name="李娜",
                                                       phone="13840002222")).extra["assignment_id"])
    left = GridPart(EAST + "002", "西片", buildings=("1栋",), boundary=square(122.07, 41.12, 0.01),
                    staff_ids=(leader,))
    with pytest.raises(BuildingsNotConserved) as err:
        await w.commands.split_grid(req(w.admin), g, (left, GridPart(EAST + "003", "东片", buildings=("2栋",))),
                                    "拆分")
    assert "lost: 3栋" in err.value.message
    with pytest.raises(BoundariesNotConserved):
        await w.commands.split_grid(req(w.admin), g, (left, GridPart(
            EAST + "003", "东片", buildings=("2栋", "3栋"), boundary=square(122.075, 41.12, 0.01))), "拆分")
    before = len(w.store.events)
    out = await w.commands.split_grid(req(w.admin), g, (left, GridPart(
        EAST + "003", "东片", buildings=("2栋", "3栋"), boundary=square(122.08, 41.12, 0.01),
        staff_ids=(worker,))), "人口增长，拆分")
    new = out.extra["grid_ids"]
    assert out.extra["staff"][str(leader)] is not None and out.extra["staff"][str(worker)] is not None
    written = w.store.events[before:]
    assert [e.event_type for e in written] == [
        "Grid.StaffRemoved", "Grid.StaffRemoved", "Grid.Retired", "Grid.Registered", "Grid.StaffAppointed",
        "Grid.Registered", "Grid.StaffAppointed"]
    assert {str(e.stream_id) for e in written if e.event_type == "Grid.Registered"} == set(new)
    assert w.store.claims[("grid.code", EAST + "001")] == g  # the old code stays the old grid's
    assert [k for (s, k), owner in w.store.claims.items() if s == "grid.leader"] and all(
        str(owner) == new[0] for (s, _), owner in w.store.claims.items() if s == "grid.leader")


async def test_merge_joins_grids_of_one_community_only() -> None:
    w = await world()
    a, b = await grid(w, "001", buildings=("1栋",)), await grid(w, "002", buildings=("2栋",))
    other = await grid(w, community=w.west, code="211403002002001", buildings=("9栋",))
    with pytest.raises(GridNotInCommunity):
        await w.commands.merge_grids(req(w.admin), (a, other), GridPart(EAST + "003", "合并", buildings=("1栋", "9栋")),
                                     "合并")
    with pytest.raises(BuildingsNotConserved):
        await w.commands.merge_grids(req(w.admin), (a, b), GridPart(EAST + "003", "合并", buildings=("1栋",)), "合并")
    out = await w.commands.merge_grids(req(w.admin), (a, b), GridPart(EAST + "003", "合并",
                                                                        buildings=("1栋", "2栋")), "合并")
    assert types(w)[-3:] == ["Grid.Retired", "Grid.Retired", "Grid.Registered"]
    assert w.store.events[-1].payload["predecessor_ids"] == [str(a), str(b)]
    assert out.extra["retired_ids"] == [str(a), str(b)]


async def test_moving_a_grid_registers_it_under_a_new_code_and_retires_the_old() -> None:
    w = await world()
    g = await grid(w)
    await w.commands.appoint_grid_staff(req(w.admin), g, StaffRole.LEADER, "任命", name="王建华", phone="13840001111")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    with pytest.raises(GridNotInCommunity):
        await w.commands.move_grid(req(street), g, w.west, EAST + "009", "区划调整")
    out = await w.commands.move_grid(req(street), g, w.west, "211403002002005", "区划调整")
    (moved,) = out.extra["grid_ids"]
    registered = next(e for e in w.store.events if str(e.stream_id) == moved)
    assert registered.payload["organization_id"] == str(w.west)
    assert registered.payload["buildings"] == ["1栋", "2栋"]
    assert types(w)[-1] == "Grid.StaffAppointed"  # the leader goes along
    with pytest.raises(GridNotAllowed):
        await w.commands.update_grid_details(req(w.admin), g, "已撤销", name="x")


async def branch(w: World, community: UUID, name: str = "第一网格党支部") -> UUID:
    return (await w.commands.establish_organization(req(w.admin), OrganizationKind.GRID_BRANCH, name, community)).id


async def test_a_grid_branch_of_the_grids_community_covers_it_and_its_split_parts() -> None:
    w = await world()
    g = await grid(w, buildings=("1栋", "2栋"))
    with pytest.raises(GridNotInCommunity):
        await w.commands.link_grid_branch(req(w.admin), g, await branch(w, w.west, "海月网格党支部"))
    with pytest.raises(InvalidInput):  # a community is no grid branch
        await w.commands.link_grid_branch(req(w.admin), g, w.east)
    b = await branch(w, w.east)
    await w.commands.link_grid_branch(req(w.admin), g, b, "支部建在网格上")
    with pytest.raises(GridNotAllowed):
        await w.commands.link_grid_branch(req(w.admin), g, await branch(w, w.east, "第二网格党支部"))
    out = await w.commands.split_grid(req(w.admin), g, (GridPart(EAST + "002", "西片", buildings=("1栋",)),
                                                         GridPart(EAST + "003", "东片", buildings=("2栋",))), "拆分")
    linked = [e for e in w.store.events if e.event_type == "Grid.BranchLinked"]
    assert [str(e.stream_id) for e in linked[1:]] == out.extra["grid_ids"]
    assert {e.payload["branch_id"] for e in linked} == {str(b)}
    first = UUID(out.extra["grid_ids"][0])
    await w.commands.unlink_grid_branch(req(w.admin), first, "支部调整")
    with pytest.raises(GridNotAllowed):
        await w.commands.unlink_grid_branch(req(w.admin), first, "支部调整")


async def test_a_merge_of_grids_under_two_branches_leaves_the_new_grid_without_one() -> None:
    w = await world()
    a, b = await grid(w, "001", buildings=("1栋",)), await grid(w, "002", buildings=("2栋",))
    await w.commands.link_grid_branch(req(w.admin), a, await branch(w, w.east))
    await w.commands.link_grid_branch(req(w.admin), b, await branch(w, w.east, "第二网格党支部"))
    await w.commands.merge_grids(req(w.admin), (a, b), GridPart(EAST + "003", "合并", buildings=("1栋", "2栋")), "合并")
    assert types(w)[-1] == "Grid.Registered"


async def test_reassigning_a_building_records_both_grids_in_one_change() -> None:
    w = await world()
    a, b = await grid(w, "001", buildings=("1栋", "2栋")), await grid(w, "002", buildings=("3栋",))
    other = await grid(w, community=w.west, code="211403002002001", buildings=("9栋",))
    with pytest.raises(GridNotInCommunity):
        await w.commands.reassign_grid_building(req(w.admin), a, "1栋", other, "调整")
    with pytest.raises(GridNotAllowed):
        await w.commands.reassign_grid_building(req(w.admin), a, "3栋", b, "调整")
    before = len(w.store.events)
    await w.commands.reassign_grid_building(req(w.admin), a, "2栋", b, "道路改造后归属调整")
    moved = w.store.events[before:]
    assert [(e.event_type, e.stream_id) for e in moved] == [("Grid.BuildingReleased", a), ("Grid.BuildingReceived", b)]
    assert moved[0].reason == moved[1].reason == "道路改造后归属调整"


async def test_only_a_district_admin_corrects_a_code_and_the_old_one_is_never_reused() -> None:
    w = await world()
    g = await grid(w, "001")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    with pytest.raises(NotAuthorized):
        await w.commands.correct_grid_code(req(street), g, EAST + "011", "录入错误")
    with pytest.raises(GridNotInCommunity):
        await w.commands.correct_grid_code(req(w.admin), g, "211403002002011", "录入错误")
    await w.commands.correct_grid_code(req(w.admin), g, EAST + "011", "录入错误")
    assert w.store.events[-1].payload == {"code": EAST + "011", "previous_code": EAST + "001"}
    with pytest.raises(GridCodeTaken):
        await grid(w, "001")
