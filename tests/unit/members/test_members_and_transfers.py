"""Given events, when a command, then new events or a typed error (in-memory store)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.members.aggregate import Gender, Standing, TransferScope
from domain.members.transfers import ExternalOrganization
from domain.organizations.aggregate import OrganizationKind
from domain.shared.errors import (
    AlreadyExists,
    IdempotencyKeyReused,
    IllegalParent,
    InvalidInput,
    LetterExpired,
    OrganizationNotEmpty,
    TransferNotAllowed,
    VersionConflict,
)
from tests.idnumbers import id_number
from tests.unit.fakes import World, req, world


async def register(w: World, home, serial: int = 7, **kw):  # type: ignore[no-untyped-def]
    fields = dict(name="赵志强", gender=Gender.MALE, birth_date=date(1968, 9, 3), ethnicity="满族",
                  id_number=id_number("211403196809030", serial), phone="15840001234",
                  standing=Standing.PROBATIONARY, joined_on=date(2025, 7, 1),
                  home_organization_id=home)
    fields.update(kw)
    return (await w.commands.register_member(req(w.admin), **fields)).id  # type: ignore[arg-type]


async def issued_transfer(w: World, member, scope=TransferScope.WITHIN_CITY):  # type: ignore[no-untyped-def]
    out = await w.commands.request_member_transfer(req(w.admin), member, w.west, scope, "work moved")
    tid = out.extra["transfer_id"]
    from uuid import UUID

    tid = UUID(tid)
    await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    return tid


def types(w: World) -> list[str]:
    return [e.event_type for e in w.store.events]


async def test_accepting_moves_the_home_organization_only_at_acceptance() -> None:
    w = await world()
    member = await register(w, w.east)
    tid = await issued_transfer(w, member)
    assert w.store.claims[("member.home", str(member))] == w.east
    await w.commands.accept_member_transfer(req(w.admin), member, tid)
    assert w.store.claims[("member.home", str(member))] == w.west
    member_events = [t for t in types(w) if t.startswith("Member.")]  # (not the letter register's)
    assert member_events[-3:] == ["Member.TransferRequested", "Member.TransferLetterIssued",
                                  "Member.TransferAccepted"]


async def test_request_transfer_rejects_a_second_open_transfer() -> None:
    w = await world()
    member = await register(w, w.east)
    await w.commands.request_member_transfer(req(w.admin), member, w.west, TransferScope.WITHIN_CITY, "a")
    with pytest.raises(TransferNotAllowed):
        await w.commands.request_member_transfer(req(w.admin), member, w.street,
                                                 TransferScope.WITHIN_CITY, "b")


async def test_accept_transfer_rejects_expired_letter_without_justification() -> None:
    w = await world()
    member = await register(w, w.east)
    tid = await issued_transfer(w, member)  # within city: valid 10 days
    w.clock.advance(11)
    before = len(w.store.events)
    with pytest.raises(LetterExpired) as err:
        await w.commands.accept_member_transfer(req(w.admin), member, tid)
    assert err.value.field == "justification"
    assert len(w.store.events) == before
    await w.commands.accept_member_transfer(req(w.admin), member, tid, "letter delayed by illness")
    assert w.store.events[-1].payload["late_justification"] == "letter delayed by illness"


async def test_letter_validity_follows_the_scope() -> None:
    w = await world()
    member = await register(w, w.east)
    out = await w.commands.request_member_transfer(
        req(w.admin), member, None, TransferScope.ACROSS_PROVINCES, "work moved",
        ExternalOrganization("深圳市南山区粤海街道党工委", "广东省", "深圳市", "440305007000"))
    await w.commands.issue_transfer_letter(req(w.admin), member, UUID(out.extra["transfer_id"]))
    issued = w.store.events[-1].payload
    assert (date.fromisoformat(issued["valid_until"]) - date.fromisoformat(issued["issued_on"])).days == 90


async def test_a_returned_transfer_keeps_the_member_home_and_frees_a_new_request() -> None:
    w = await world()
    member = await register(w, w.east)
    tid = await issued_transfer(w, member)
    await w.commands.return_member_transfer(req(w.admin), member, tid, "档案材料不全")
    with pytest.raises(TransferNotAllowed):
        await w.commands.accept_member_transfer(req(w.admin), member, tid)
    assert w.store.claims[("member.home", str(member))] == w.east
    await w.commands.request_member_transfer(req(w.admin), member, w.west, TransferScope.WITHIN_CITY, "retry")


async def test_expire_is_refused_while_the_letter_is_valid() -> None:
    w = await world()
    member = await register(w, w.east)
    tid = await issued_transfer(w, member)
    with pytest.raises(TransferNotAllowed):
        await w.commands.expire_member_transfer(req(w.admin), member, tid)
    w.clock.advance(12)
    await w.commands.expire_member_transfer(req(w.admin), member, tid)
    assert types(w)[-1] == "Member.TransferExpired"


async def test_an_id_number_is_registered_once() -> None:
    w = await world()
    await register(w, w.east, serial=11)
    with pytest.raises(AlreadyExists) as err:
        await register(w, w.west, serial=11, name="另一个人")
    assert err.value.field == "idNumber"


async def test_register_rejects_a_wrong_check_digit() -> None:
    w = await world()
    good = id_number("211403196809030", 12)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as err:
        await register(w, w.east, id_number=bad)
    assert err.value.field == "idNumber"


async def test_dissolve_is_refused_while_members_or_children_remain() -> None:
    w = await world()
    member = await register(w, w.west)
    with pytest.raises(OrganizationNotEmpty):
        await w.commands.dissolve_organization(req(w.admin), w.west, "merged")
    with pytest.raises(OrganizationNotEmpty):
        await w.commands.dissolve_organization(req(w.admin), w.street, "merged")
    tid = (await w.commands.request_member_transfer(req(w.admin), member, w.east,
                                                    TransferScope.WITHIN_CITY, "merge")).extra["transfer_id"]
    from uuid import UUID

    await w.commands.issue_transfer_letter(req(w.admin), member, UUID(tid))
    await w.commands.accept_member_transfer(req(w.admin), member, UUID(tid))
    await w.commands.dissolve_organization(req(w.admin), w.west, "merged into 仙山")
    assert types(w)[-1] == "Organization.Dissolved"
    assert w.store.events[-1].reason == "merged into 仙山"


async def test_establish_checks_parent_kind_and_division_code() -> None:
    w = await world()
    k = OrganizationKind
    with pytest.raises(IllegalParent):
        await w.commands.establish_organization(req(w.admin), k.GRID_BRANCH, "一网格", w.street)
    with pytest.raises(InvalidInput) as err:
        await w.commands.establish_organization(req(w.admin), k.COMMUNITY_BRANCH, "外街社区", w.street,
                                                "211403003001")
    assert err.value.field == "code"
    with pytest.raises(AlreadyExists):
        await w.commands.establish_organization(req(w.admin), k.COMMUNITY_BRANCH, "重复社区", w.street,
                                                "211403002001")


async def test_move_refuses_an_illegal_parent_and_a_cycle() -> None:
    w = await world()
    k = OrganizationKind
    grid = (await w.commands.establish_organization(req(w.admin), k.GRID_BRANCH, "第一网格", w.east)).id
    with pytest.raises(IllegalParent):
        await w.commands.move_organization(req(w.admin), grid, w.street)
    await w.commands.move_organization(req(w.admin), grid, w.west)
    assert w.store.claims[("organization.parent", str(grid))] == w.west
    building = (await w.commands.establish_organization(req(w.admin), k.BUILDING_GROUP, "3号楼", grid)).id
    with pytest.raises((InvalidInput, IllegalParent)):
        await w.commands.move_organization(req(w.admin), grid, building)


async def test_idempotency_key_returns_the_first_result_and_refuses_other_input() -> None:
    w = await world()
    first = await w.commands.rename_organization(req(w.admin, idempotency_key="k-1"), w.east, "仙山社区")
    again = await w.commands.rename_organization(req(w.admin, idempotency_key="k-1"), w.east, "仙山社区")
    assert again.replayed and again.position == first.position
    assert types(w).count("Organization.Renamed") == 1
    with pytest.raises(IdempotencyKeyReused):
        await w.commands.rename_organization(req(w.admin, idempotency_key="k-1"), w.east, "别的名字")


async def test_a_stated_expected_version_that_moved_on_is_a_conflict() -> None:
    w = await world()
    with pytest.raises(VersionConflict):
        await w.commands.rename_organization(req(w.admin, expected_version=5), w.east, "新名字")


async def test_correct_details_records_only_what_changed() -> None:
    w = await world()
    member = await register(w, w.east)
    await w.commands.correct_member_details(req(w.admin), member, {"phone": "13700001111"}, "号码变更")
    event = w.store.events[-1]
    assert event.event_type == "Member.DetailsCorrected"
    assert event.payload["changed_fields"] == ["phone"]
    with pytest.raises(InvalidInput):
        await w.commands.correct_member_details(req(w.admin), member, {"phone": "13700001111"}, "again")


async def test_convert_to_full_only_once() -> None:
    w = await world()
    member = await register(w, w.east)
    await w.commands.convert_member_to_full(req(w.admin), member, date(2026, 3, 1))  # (not ahead of today)
    with pytest.raises(InvalidInput):
        await w.commands.convert_member_to_full(req(w.admin), member, date(2026, 3, 2))
