"""Transfers, completed: out of the system, and a scope checked against the division codes
(given events, when a command, then new events or a typed error; in-memory store)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from api.config import ConfigError, Settings
from domain.members.aggregate import MAX_LETTER_REISSUES, TransferScope
from domain.members.errors import LetterVoided, MemberExited
from domain.members.transfers import ExternalOrganization
from domain.organizations.aggregate import OrganizationKind
from domain.shared.errors import InvalidInput, TransferNotAllowed
from tests.unit.fakes import World, req, world
from tests.unit.members.test_members_and_transfers import register

NANSHAN = ExternalOrganization("深圳市南山区粤海街道科技园社区党委", "广东省", "深圳市", "440305007001")
"""Another province (44 against the world's 21)."""
DALIAN = ExternalOrganization("大连市中山区人民路街道党工委", "辽宁省", "大连市", "210202001000")
"""Same province (21), another city (2102 against 2114)."""


async def request(w: World, member: UUID, scope: TransferScope, to: UUID | None = None,
                  external: ExternalOrganization | None = None) -> UUID:
    out = await w.commands.request_member_transfer(req(w.admin), member, to, scope, "工作调动", external)
    return UUID(out.extra["transfer_id"])


async def test_a_transfer_out_of_the_system_leaves_the_tree_when_the_receipt_is_recorded() -> None:
    w = await world()
    member = await register(w, w.west, serial=51)
    tid = await request(w, member, TransferScope.ACROSS_PROVINCES, external=NANSHAN)
    await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    with pytest.raises(TransferNotAllowed):  # nobody in the tree accepts for 南山
        await w.commands.accept_member_transfer(req(w.admin), member, tid)
    assert w.store.claims[("member.home", str(member))] == w.west
    w.clock.advance(9)
    await w.commands.confirm_transfer_receipt(req(w.admin), member, tid, date(2026, 3, 9))
    out = w.store.events[-1]
    assert out.event_type == "Member.TransferredOut"
    assert out.payload["received_on"] == "2026-03-09" and out.payload["letter_serial"] == "2026-000001"
    assert ("member.home", str(member)) not in w.store.claims
    with pytest.raises(MemberExited):
        await request(w, member, TransferScope.WITHIN_CITY, to=w.east)
    await w.commands.dissolve_organization(req(w.admin), w.west, "并入仙山社区")


async def test_the_request_names_the_external_organization_in_its_event() -> None:
    w = await world()
    member = await register(w, w.west, serial=52)
    await request(w, member, TransferScope.OUTSIDE_CITY, external=ExternalOrganization(
        " 大连市中山区人民路街道党工委 ", "辽宁省", "大连市", "210202001000"))
    requested = w.store.events[-1]
    assert requested.event_type == "Member.ExternalTransferRequested"
    assert {k: requested.payload[k] for k in ("to_name", "to_code", "to_province", "to_city", "scope")} == {
        "to_name": "大连市中山区人民路街道党工委", "to_code": "210202001000", "to_province": "辽宁省",
        "to_city": "大连市", "scope": "OUTSIDE_CITY"}


@pytest.mark.parametrize(("external", "declared"), [
    (NANSHAN, TransferScope.WITHIN_CITY), (NANSHAN, TransferScope.OUTSIDE_CITY),
    (DALIAN, TransferScope.ACROSS_PROVINCES), (DALIAN, TransferScope.WITHIN_CITY),
])
async def test_a_declared_scope_that_contradicts_the_codes_is_refused(
        external: ExternalOrganization, declared: TransferScope) -> None:
    w = await world()
    member = await register(w, w.west, serial=53)
    before = len(w.store.events)
    with pytest.raises(InvalidInput) as refused:
        await request(w, member, declared, external=external)
    assert refused.value.field == "scope" and len(w.store.events) == before


async def test_without_the_other_sides_code_the_declared_scope_stands() -> None:
    w = await world()
    member = await register(w, w.west, serial=54)
    await request(w, member, TransferScope.ACROSS_PROVINCES,
                  external=ExternalOrganization("某省直机关工委某支部", "某省", "某市", "党组织代码 AB-17"))
    assert w.store.events[-1].payload["scope"] == "ACROSS_PROVINCES"


async def test_inside_the_tree_the_scope_follows_the_nearest_coded_ancestors() -> None:
    w = await world()
    grid = (await w.commands.establish_organization(req(w.admin), OrganizationKind.GRID_BRANCH, "第三网格党支部",
                                                    w.east)).id
    member = await register(w, grid, serial=55)  # the grid has no code: its community's 211403002001 counts
    with pytest.raises(InvalidInput):
        await request(w, member, TransferScope.OUTSIDE_CITY, to=w.west)
    await request(w, member, TransferScope.WITHIN_CITY, to=w.west)


async def test_validity_is_capped_by_the_scopes_own_days() -> None:
    w = await world()
    member = await register(w, w.west, serial=56)
    tid = await request(w, member, TransferScope.WITHIN_CITY, to=w.east)
    with pytest.raises(InvalidInput) as capped:  # 30 days is another scope's, not this one's
        await w.commands.issue_transfer_letter(req(w.admin), member, tid, 30)
    assert capped.value.field == "validityDays"
    await w.commands.issue_transfer_letter(req(w.admin), member, tid, 7)
    issued = w.store.events[-1].payload
    assert (date.fromisoformat(issued["valid_until"]) - date.fromisoformat(issued["issued_on"])).days == 7


async def test_the_receiving_side_is_named_once() -> None:
    w = await world()
    member = await register(w, w.west, serial=57)
    for to, external in ((None, None), (w.east, NANSHAN)):
        with pytest.raises(InvalidInput) as refused:
            await request(w, member, TransferScope.WITHIN_CITY, to=to, external=external)
        assert refused.value.field == "toOrganizationId"
    with pytest.raises(InvalidInput) as blank:
        await request(w, member, TransferScope.ACROSS_PROVINCES,
                      external=ExternalOrganization(" ", "广东省", "深圳市"))
    assert blank.value.field == "toExternal.name"


def test_no_local_rule_makes_a_letter_valid_past_180_days() -> None:
    rules = Settings.from_env({"GRASSROOTS_TRANSFER_VALIDITY_DAYS": "ACROSS_PROVINCES=180"}).transfer_rules
    assert rules.validity_days[TransferScope.ACROSS_PROVINCES] == 180
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"GRASSROOTS_TRANSFER_VALIDITY_DAYS": "ACROSS_PROVINCES=181"})
    assert "at most 180 days" in str(caught.value)


async def test_a_lost_letter_is_reissued_and_the_voided_one_is_refused() -> None:
    w = await world()
    member = await register(w, w.west, serial=58)
    tid = await request(w, member, TransferScope.WITHIN_CITY, to=w.east)
    await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    w.clock.advance(3)
    with pytest.raises(InvalidInput) as unexplained:
        await w.commands.reissue_transfer_letter(req(w.admin), member, tid, "")
    assert unexplained.value.field == "reason"
    await w.commands.reissue_transfer_letter(req(w.admin), member, tid, "本人遗失介绍信")
    reissued = w.store.events[-1].payload
    assert (reissued["voided_serial"], reissued["letter_serial"]) == ("2026-000001", "2026-000002")
    assert (reissued["issued_on"], reissued["valid_until"]) == ("2026-03-05", "2026-03-15")  # a fresh validity
    with pytest.raises(LetterVoided) as voided:
        await w.commands.accept_member_transfer(req(w.admin), member, tid, None, "2026-000001")
    assert voided.value.field == "letterSerial"
    with pytest.raises(InvalidInput):
        await w.commands.accept_member_transfer(req(w.admin), member, tid, None, "2026-000009")
    await w.commands.accept_member_transfer(req(w.admin), member, tid, None, "2026-000002")
    assert w.store.claims[("member.home", str(member))] == w.east
    with pytest.raises(TransferNotAllowed):  # nothing left to re-issue once accepted
        await w.commands.reissue_transfer_letter(req(w.admin), member, tid, "又遗失")


async def test_a_letter_is_reissued_a_bounded_number_of_times_and_the_refusal_records_nothing() -> None:
    w = await world()
    member = await register(w, w.west, serial=59)
    tid = await request(w, member, TransferScope.WITHIN_CITY, to=w.east)
    await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    for _ in range(MAX_LETTER_REISSUES):
        await w.commands.reissue_transfer_letter(req(w.admin), member, tid, "本人遗失介绍信")
    last = w.store.events[-1].payload["letter_serial"]
    with pytest.raises(InvalidInput) as refused:
        await w.commands.reissue_transfer_letter(req(w.admin), member, tid, "又遗失")
    assert refused.value.field == "transferId" and "at most 5 times" in str(refused.value)
    assert w.store.events[-1].payload["letter_serial"] == last
