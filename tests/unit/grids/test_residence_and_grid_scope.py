"""A member's residence grid, and grid-scoped actors: given events, when a command, then events
or a typed error (in-memory store); the grid scope's rules as plain functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.grids.errors import GridNotAllowed
from domain.grids.residence import residence_id
from domain.members.aggregate import Gender, Standing
from domain.shared.errors import InvalidInput, NotAuthorized, NotFound
from domain.shared.permissions import (
    GRID_SCOPED,
    Actor,
    Role,
    authorize,
    bound_grid,
    bound_subject,
    may_read,
    reads_by_scope,
)
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req, world

EAST, WEST = "211403002001", "211403002002"


async def grid(w: World, community: UUID, code: str) -> UUID:
    return (await w.commands.register_grid(req(w.admin), community, code, f"网格{code[-3:]}", "RESIDENTIAL")).id


async def member(w: World, home: UUID) -> UUID:
    return (await w.commands.register_member(
        req(w.admin), "孙立新", Gender.MALE, date(1979, 4, 12), "汉族", id_number("211403197904120", 3), None,
        Standing.FULL, date(2004, 7, 1), home)).id


def payloads(w: World, event_type: str) -> list[dict[str, object]]:
    return [e.payload for e in w.store.events if e.event_type == event_type]


async def test_assign_member_residence_records_who_why_and_when_then_a_reassignment_names_both_grids() -> None:
    w = await world()
    first, second = await grid(w, w.east, EAST + "001"), await grid(w, w.west, WEST + "001")
    m = await member(w, w.street)  # an in-service member whose home is not where they live
    w.clock.advance(40)
    secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="east-secretary")
    out = await w.commands.assign_member_residence(req(secretary), m, first, "在职党员到居住地报到",
                                                   effective_on=date(2026, 3, 10))
    assert out.id == residence_id(m)
    (assigned,) = payloads(w, "Residence.GridAssigned")
    assert assigned["grid_id"] == str(first) and assigned["organization_id"] == str(w.east)
    assert w.store.events[-1].reason == "在职党员到居住地报到" and w.store.events[-1].actor == "east-secretary"

    mover = actor(Role.COMMUNITY_SECRETARY, scope=w.west, subject="west-secretary")
    await w.commands.assign_member_residence(req(mover), m, second, "搬家到海月社区", effective_on=date(2026, 4, 1))
    (moved,) = payloads(w, "Residence.GridReassigned")
    assert moved == {"grid_id": str(second), "organization_id": str(w.west), "previous_grid_id": str(first),
                     "previous_organization_id": str(w.east), "effective_on": "2026-04-01"}


async def test_assign_member_residence_is_the_grids_community_secretarys_and_refuses_what_cannot_be() -> None:
    w = await world()
    g, other = await grid(w, w.east, EAST + "001"), await grid(w, w.east, EAST + "002")
    m = await member(w, w.east)
    w.clock.advance(40)
    with pytest.raises(NotAuthorized):  # the neighbouring community's secretary
        await w.commands.assign_member_residence(req(actor(Role.COMMUNITY_SECRETARY, scope=w.west)), m, g, "报到")
    with pytest.raises(NotAuthorized):  # a grid worker with an organization scope runs no command
        await w.commands.assign_member_residence(req(actor(Role.GRID_WORKER, scope=w.east)), m, g, "报到")
    with pytest.raises(NotFound) as missing:
        await w.commands.assign_member_residence(req(w.admin), uuid4(), g, "报到")
    assert missing.value.field == "memberId"
    with pytest.raises(NotFound):
        await w.commands.assign_member_residence(req(w.admin), m, uuid4(), "报到")
    with pytest.raises(InvalidInput) as no_reason:
        await w.commands.assign_member_residence(req(w.admin), m, g, "  ")
    assert no_reason.value.field == "reason"
    with pytest.raises(InvalidInput):
        await w.commands.assign_member_residence(req(w.admin), m, g, "报到", effective_on=date(2026, 12, 1))
    await w.commands.assign_member_residence(req(w.admin), m, g, "报到", effective_on=date(2026, 3, 20))
    with pytest.raises(GridNotAllowed):
        await w.commands.assign_member_residence(req(w.admin), m, g, "再次报到")
    with pytest.raises(InvalidInput) as earlier:
        await w.commands.assign_member_residence(req(w.admin), m, other, "倒签", effective_on=date(2026, 3, 10))
    assert earlier.value.field == "effectiveOn"
    await w.commands.retire_grid(req(w.admin), other, "撤销")
    with pytest.raises(GridNotAllowed):
        await w.commands.assign_member_residence(req(w.admin), m, other, "搬到已撤销的网格")
    assert len(payloads(w, "Residence.GridAssigned")) == 1 and payloads(w, "Residence.GridReassigned") == []


@dataclass(frozen=True)
class _Command:
    action = "reportInGrid"
    allowed = frozenset({Role.GRID_WORKER})
    structural = False


def test_a_grid_scoped_actor_covers_its_own_grid_in_its_community_and_reads_nothing_by_scope() -> None:
    community, other_community, mine, neighbour = uuid4(), uuid4(), uuid4(), uuid4()
    path = [uuid4(), community]
    worker = Actor("gw", "网格员", frozenset({Role.GRID_WORKER}), community, grid=mine)
    assert worker.covers_grid(mine, path)
    assert not worker.covers_grid(neighbour, path)
    assert not worker.covers_grid(mine, [uuid4(), other_community])  # the claim names another community's grid
    assert not worker.covers_grid(mine, None)
    assert not reads_by_scope(worker) and not may_read(worker, path)  # the community's members, organizations
    assert bound_grid(worker) == mine and bound_subject(worker) is None
    authorize(worker, _Command, path, grid=mine)
    with pytest.raises(NotAuthorized):
        authorize(worker, _Command, path, grid=neighbour)
    with pytest.raises(NotAuthorized):
        authorize(worker, _Command, path)  # a command with no grid: fails closed

    scoped = Actor("ow", "网格员", frozenset({Role.GRID_WORKER}), community)
    assert scoped.covers_grid(mine, path) and scoped.covers_grid(neighbour, path)  # its subtree's grids
    assert not scoped.covers_grid(mine, [other_community])
    assert bound_grid(scoped) is None and may_read(scoped, path)
    authorize(scoped, _Command, path, grid=neighbour)
    assert {Role.GRID_LEADER, Role.GRID_WORKER} == GRID_SCOPED
