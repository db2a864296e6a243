"""Building groups' grids and member central households as designations (in-memory store)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.grids.building_groups import building_group_grid_id
from domain.grids.errors import BuildingNotInGrid, CentralHouseholdExists, GridNotAllowed, GridNotInCommunity
from domain.members.aggregate import Gender, Standing
from domain.organizations.aggregate import OrganizationKind
from domain.organizations.errors import CentralHouseholdNotAnOrganization
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Actor, Role
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req, world

EAST, WEST = "211403002001", "211403002002"
K = OrganizationKind


async def grid(w: World, community: UUID, code: str, buildings: tuple[str, ...] = ("5幢", "6幢", "7幢")) -> UUID:
    return (await w.commands.register_grid(req(w.admin), community, code, f"网格{code[-3:]}", "RESIDENTIAL",
                                           buildings=buildings)).id


async def group(w: World, parent: UUID, name: str = "5幢党小组") -> UUID:
    return (await w.commands.establish_organization(req(w.admin), K.BUILDING_GROUP, name, parent)).id


async def member(w: World) -> UUID:
    return (await w.commands.register_member(
        req(w.admin), "郑桂兰", Gender.FEMALE, date(1958, 11, 2), "汉族", id_number("211403195811020", 4), None,
        Standing.FULL, date(1985, 7, 1), w.east)).id


def payloads(w: World, event_type: str) -> list[dict[str, object]]:
    return [e.payload for e in w.store.events if e.event_type == event_type]


async def test_assign_building_group_links_a_group_to_buildings_of_its_communitys_grid_then_reassigns_it() -> None:
    w = await world()
    first, second = await grid(w, w.east, EAST + "001"), await grid(w, w.east, EAST + "002", ("8幢",))
    branch = (await w.commands.establish_organization(req(w.admin), K.GRID_BRANCH, "第一网格党支部", w.east)).id
    g = await group(w, branch)  # under the community's grid branch: still the community's
    secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="east-secretary")
    out = await w.commands.assign_building_group(req(secretary), g, first, ("5幢", "6幢"), "党小组建在楼栋上")
    assert out.id == building_group_grid_id(g)
    assert payloads(w, "BuildingGroupGrid.Assigned") == [
        {"organization_id": str(g), "grid_id": str(first), "buildings": ["5幢", "6幢"], "effective_on": "2026-03-02"}]
    await w.commands.assign_building_group(req(secretary), g, second, ("8幢",), "楼栋调整")
    (moved,) = payloads(w, "BuildingGroupGrid.Reassigned")
    assert moved["grid_id"] == str(second) and moved["previous_grid_id"] == str(first)
    with pytest.raises(GridNotAllowed):
        await w.commands.assign_building_group(req(secretary), g, second, ("8幢",), "再次")


async def test_assign_building_group_checks_the_buildings_the_kind_and_the_community() -> None:
    w = await world()
    g_east = await grid(w, w.east, EAST + "001")
    west_group = await group(w, w.west, "海月1幢党小组")
    east_group = await group(w, w.east)
    with pytest.raises(BuildingNotInGrid) as missing:
        await w.commands.assign_building_group(req(w.admin), east_group, g_east, ("5幢", "99幢"), "核对")
    assert missing.value.field == "buildings" and "99幢" in missing.value.message
    with pytest.raises(InvalidInput):
        await w.commands.assign_building_group(req(w.admin), east_group, g_east, (), "核对")
    with pytest.raises(GridNotInCommunity):
        await w.commands.assign_building_group(req(w.admin), west_group, g_east, ("5幢",), "核对")
    with pytest.raises(InvalidInput) as kind:
        await w.commands.assign_building_group(req(w.admin), w.east, g_east, ("5幢",), "核对")
    assert kind.value.field == "organizationId"
    with pytest.raises(NotAuthorized):
        await w.commands.assign_building_group(req(actor(Role.COMMUNITY_SECRETARY, scope=w.west)), east_group,
                                               g_east, ("5幢",), "越权")
    assert payloads(w, "BuildingGroupGrid.Assigned") == []


async def test_designate_central_household_records_the_member_building_and_doors_and_one_at_a_time() -> None:
    w = await world()
    g = await grid(w, w.east, EAST + "001")
    m = await member(w)
    out = await w.commands.designate_central_household(req(w.admin), m, g, "5幢", "党员中心户评定",
                                                       doors=("1单元101", "1单元102", "1单元201"))
    (designated,) = payloads(w, "CentralHousehold.Designated")
    assert designated["doors"] == ["1单元101", "1单元102", "1单元201"] and designated["households"] == 3
    assert designated["member_id"] == str(m) and designated["grid_id"] == str(g)
    assert w.store.claims[("grid.central_household", f"member:{m}")] == out.id
    with pytest.raises(CentralHouseholdExists) as twice:
        await w.commands.designate_central_household(req(w.admin), m, g, "6幢", "再评", households=4)
    assert twice.value.field == "memberId"
    w.clock.advance(30)
    await w.commands.end_central_household_designation(req(w.admin), out.id, "搬离本小区")
    assert payloads(w, "CentralHousehold.Ended") == [{"grid_id": str(g), "ended_on": "2026-04-01"}]
    with pytest.raises(GridNotAllowed):
        await w.commands.end_central_household_designation(req(w.admin), out.id, "再次结束")
    again = await w.commands.designate_central_household(req(w.admin), m, g, "6幢", "回迁后重新评定", households=6)
    assert again.id != out.id


async def test_designate_central_household_refuses_what_cannot_be_and_a_central_household_organization() -> None:
    w = await world()
    g = await grid(w, w.east, EAST + "001")
    m = await member(w)
    with pytest.raises(BuildingNotInGrid):
        await w.commands.designate_central_household(req(w.admin), m, g, "9幢", households=3)
    with pytest.raises(InvalidInput) as doubled:
        await w.commands.designate_central_household(req(w.admin), m, g, "5幢", doors=("101", "101"))
    assert doubled.value.field == "doors"
    with pytest.raises(InvalidInput) as fewer:
        await w.commands.designate_central_household(req(w.admin), m, g, "5幢", doors=("101", "102"), households=1)
    assert fewer.value.field == "households"
    with pytest.raises(InvalidInput):
        await w.commands.designate_central_household(req(w.admin), m, g, "5幢")  # no doors, no count
    with pytest.raises(NotAuthorized):
        leader = Actor("gl", "网格长", frozenset({Role.GRID_LEADER}), w.east, grid=g)  # reads its grid, decides nothing
        await w.commands.designate_central_household(req(leader), m, g, "5幢", households=3)
    east_group = await group(w, w.east)
    with pytest.raises(CentralHouseholdNotAnOrganization) as refused:
        await w.commands.establish_organization(req(w.admin), K.MEMBER_CENTRAL_HOUSEHOLD, "郑桂兰家", east_group)
    assert "designateCentralHousehold" in refused.value.message
    assert payloads(w, "CentralHousehold.Designated") == []
