"""A grid Party branch keeps a code of its own, shaped like a unit-grid code under its community."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.organizations.aggregate import Organization, OrganizationKind
from domain.organizations.errors import InvalidGridBranchCode
from domain.shared import events as ev
from domain.shared.errors import InvalidInput
from domain.shared.ports import Append, Metadata
from tests.unit.fakes import req, world

EAST = "211403002001"
K = OrganizationKind


@pytest.mark.parametrize(("code", "why"), [
    ("abc-not-a-grid-code", "exactly 15 digits"),
    ("21140300200101", "exactly 15 digits"),
    ("2114030020010011", "exactly 15 digits"),
    (EAST + "000", "must not be 000"),
    ("211403002002001", f"its community's division code {EAST}"),
])
async def test_establish_grid_branch_refuses_a_code_not_under_its_community(code: str, why: str) -> None:
    w = await world()
    before = len(w.store.events)
    with pytest.raises(InvalidGridBranchCode) as err:
        await w.commands.establish_organization(req(w.admin), K.GRID_BRANCH, "第一网格党支部", w.east, code)
    assert err.value.field == "code" and why in err.value.message
    assert err.value.code == "INVALID_GRID_BRANCH_CODE" and isinstance(err.value, InvalidInput)
    assert len(w.store.events) == before


async def test_establish_grid_branch_takes_a_code_under_its_community_or_none() -> None:
    w = await world()
    coded = await w.commands.establish_organization(req(w.admin), K.GRID_BRANCH, "第一网格党支部", w.east,
                                                    "２１１４０３００２００１００７")  # fullwidth digits read as such
    uncoded = await w.commands.establish_organization(req(w.admin), K.GRID_BRANCH, "第二网格党支部", w.east)
    assert w.store.claims[("organization.code", EAST + "007")] == coded.id
    assert [e.payload["code"] for e in w.store.events if e.stream_id in (coded.id, uncoded.id)] == [EAST + "007", None]


async def test_other_kinds_keep_free_codes() -> None:
    w = await world()
    joint = await w.commands.establish_organization(req(w.admin), K.JOINT_BRANCH, "联合支部", w.east, "LH-2026-01")
    assert w.store.claims[("organization.code", "LH-2026-01")] == joint.id


async def test_a_grid_branch_recorded_before_the_rule_stays_readable_and_usable() -> None:
    w = await world()
    # An event as the log holds it from before the rule: replay does not check codes.
    legacy = Organization(kind=K.GRID_BRANCH, name="老网格党支部", code="abc-not-a-grid-code", parent_id=w.east,
                          established_on=date(2020, 5, 4))
    await w.store.append(Append(ev.to_new_events(legacy), Metadata("admin", ("DISTRICT_ADMIN",), uuid4())))
    await w.commands.rename_organization(req(w.admin), legacy.id, "老网格党支部（更名）")
    renamed = [e for e in w.store.events if e.stream_id == legacy.id]
    assert [e.event_type for e in renamed] == ["Organization.Established", "Organization.Renamed"]
    assert renamed[0].payload["code"] == "abc-not-a-grid-code"
