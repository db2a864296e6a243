"""Transfers into the system, the approval step before the letter, and revocation
(given events, when a command, then new events or a typed error; in-memory store)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.members.aggregate import Gender, Standing, TransferRules, TransferScope
from domain.members.errors import ApprovalRequired, MemberExited, RevocationNotAllowed
from domain.members.revocation import TransferApproval
from domain.members.transfers import ExternalOrganization
from domain.shared.errors import AlreadyExists, InvalidInput, NotAuthorized, TransferNotAllowed
from domain.shared.permissions import Role
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req, world
from tests.unit.members.test_members_and_transfers import register

NANSHAN = ExternalOrganization("深圳市南山区粤海街道科技园社区党委", "广东省", "深圳市", "440305007001")


async def incoming(w: World, serial: int = 61, **kw: object) -> tuple[UUID, UUID]:
    fields: dict[str, object] = dict(
        to_organization_id=w.west, from_external=NANSHAN, scope=TransferScope.ACROSS_PROVINCES,
        letter_serial="粤组转〔2026〕0417", issued_on=date(2026, 2, 20), valid_until=date(2026, 5, 20),
        name="黄嘉欣", gender=Gender.FEMALE, birth_date=date(1991, 4, 12), ethnicity="汉族",
        id_number=id_number("440305199104120", serial), phone="13800138000", standing=Standing.FULL,
        joined_on=date(2015, 6, 30), dues_paid_through=date(2026, 2, 1))
    fields.update(kw)
    out = await w.commands.register_incoming_transfer(req(w.admin), **fields)
    return out.id, UUID(out.extra["transfer_id"])


async def test_an_incoming_letter_registers_the_member_and_accepting_it_completes_the_transfer() -> None:
    w = await world()
    member, tid = await incoming(w)
    registered, letter = w.store.events[-2:]
    assert (registered.event_type, letter.event_type) == ("Member.Registered", "Member.IncomingTransferRegistered")
    assert letter.payload["from_name"] == NANSHAN.name and letter.payload["from_code"] == "440305007001"
    assert letter.payload["to_organization_id"] == str(w.west)
    assert letter.payload["letter_serial"] == "粤组转〔2026〕0417"
    assert w.store.claims[("member.home", str(member))] == w.west
    await w.commands.accept_member_transfer(req(w.admin), member, tid, None, "粤组转〔2026〕0417")
    accepted = w.store.events[-1]
    assert accepted.event_type == "Member.TransferAccepted"
    assert accepted.payload["from_organization_id"] is None and accepted.payload["to_organization_id"] == str(w.west)


async def test_a_member_already_in_the_system_answers_already_exists() -> None:
    w = await world()
    await register(w, w.east, serial=62, id_number=id_number("440305199104120", 62))
    before = len(w.store.events)
    with pytest.raises(AlreadyExists) as refused:
        await incoming(w, serial=62)
    assert refused.value.field == "idNumber" and len(w.store.events) == before


@pytest.mark.parametrize(("field", "value", "error_field"), [
    ("id_number", "44030519910412001X", "idNumber"),
    ("valid_until", date(2026, 9, 1), "validUntil"),
    ("issued_on", date(2026, 3, 3), "issuedOn"),
    ("scope", TransferScope.WITHIN_CITY, "scope"),
    ("letter_serial", " ", "letterSerial"),
])
async def test_an_incoming_letter_is_checked_like_a_registration(field: str, value: object,
                                                                 error_field: str) -> None:
    w = await world()
    before = len(w.store.events)
    with pytest.raises(InvalidInput) as refused:
        await incoming(w, serial=63, **{field: value})
    assert refused.value.field == error_field and len(w.store.events) == before


async def test_a_returned_incoming_letter_takes_the_member_out_and_frees_the_id_number() -> None:
    w = await world()
    member, tid = await incoming(w, serial=64)
    with pytest.raises(TransferNotAllowed):
        await w.commands.withdraw_member_transfer(req(w.admin), member, tid)
    with pytest.raises(TransferNotAllowed):
        await w.commands.reissue_transfer_letter(req(w.admin), member, tid, "遗失")
    await w.commands.return_member_transfer(req(w.admin), member, tid, "介绍信姓名有误")
    returned = w.store.events[-1]
    assert returned.event_type == "Member.IncomingTransferReturned" and returned.payload["returned_on"] == "2026-03-02"
    assert ("member.home", str(member)) not in w.store.claims
    with pytest.raises(MemberExited):
        await w.commands.convert_member_to_full(req(w.admin), member)
    again, _ = await incoming(w, serial=64, letter_serial="粤组转〔2026〕0502")
    assert again != member


def _approval_on(w: World) -> None:
    w.commands.handling.services[TransferRules] = TransferRules(
        approval=TransferApproval(districts=frozenset({w.district})))


async def _requested(w: World, serial: int) -> tuple[UUID, UUID]:
    member = await register(w, w.west, serial=serial)
    out = await w.commands.request_member_transfer(req(w.admin), member, w.east, TransferScope.WITHIN_CITY, "搬家")
    return member, UUID(out.extra["transfer_id"])


async def test_with_the_approval_step_on_the_letter_waits_for_the_level_above() -> None:
    w = await world()
    _approval_on(w)
    member, tid = await _requested(w, 65)
    before = len(w.store.events)
    with pytest.raises(ApprovalRequired):
        await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    assert len(w.store.events) == before  # and no serial was drawn
    secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.west, subject="west-secretary")
    with pytest.raises(NotAuthorized):  # the sender does not approve its own request
        await w.commands.approve_member_transfer(req(secretary), member, tid)
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    await w.commands.approve_member_transfer(req(street), member, tid, date(2026, 3, 1))
    assert w.store.events[-1].event_type == "Member.TransferApproved"
    with pytest.raises(TransferNotAllowed):
        await w.commands.approve_member_transfer(req(street), member, tid)
    await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    assert w.store.events[-1].payload["letter_serial"] == "2026-000001"


async def test_approval_in_another_district_only_leaves_this_one_free() -> None:
    w = await world()
    w.commands.handling.services[TransferRules] = TransferRules(
        approval=TransferApproval(districts=frozenset({w.east})))  # not a district: never matches
    member, tid = await _requested(w, 66)
    await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    assert w.store.events[-1].event_type == "Member.TransferLetterIssued"


async def test_a_rejected_request_ends_the_transfer() -> None:
    w = await world()
    _approval_on(w)
    member, tid = await _requested(w, 67)
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    with pytest.raises(InvalidInput):
        await w.commands.reject_member_transfer(req(street), member, tid, " ")
    await w.commands.reject_member_transfer(req(street), member, tid, "手续不全")
    assert w.store.events[-1].event_type == "Member.TransferRejected"
    with pytest.raises(TransferNotAllowed):
        await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    await w.commands.request_member_transfer(req(w.admin), member, w.east, TransferScope.WITHIN_CITY, "补齐手续")


async def _accepted(w: World, serial: int) -> tuple[UUID, UUID]:
    member, tid = await _requested(w, serial)
    await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    await w.commands.accept_member_transfer(req(w.admin), member, tid)
    return member, tid


async def test_a_revocation_approved_from_above_both_sides_restores_the_previous_home() -> None:
    w = await world()
    member, tid = await _accepted(w, 68)
    east_secretary = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="east-secretary")
    await w.commands.propose_transfer_revocation(req(east_secretary), member, tid, w.east, "错转: 应转仙山社区第二支部")
    proposed = w.store.events[-1]
    assert proposed.event_type == "Member.TransferRevocationProposed"
    assert proposed.payload["proposed_by_organization_id"] == str(w.east)
    with pytest.raises(NotAuthorized):  # the receiving side does not approve its own proposal
        await w.commands.approve_transfer_revocation(req(east_secretary), member, tid)
    with pytest.raises(TransferNotAllowed):  # nor request anything while it waits
        await w.commands.request_member_transfer(req(w.admin), member, w.west, TransferScope.WITHIN_CITY, "再调")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    await w.commands.approve_transfer_revocation(req(street), member, tid)
    revoked = w.store.events[-1]
    assert revoked.event_type == "Member.TransferRevoked"
    assert revoked.payload["home_organization_id"] == str(w.west) and revoked.payload["reason"].startswith("错转")
    assert w.store.claims[("member.home", str(member))] == w.west
    with pytest.raises(RevocationNotAllowed):
        await w.commands.propose_transfer_revocation(req(w.admin), member, tid, w.west, "再撤销")


async def test_a_revocation_is_proposed_only_by_a_side_and_only_of_the_latest_completed_transfer() -> None:
    w = await world()
    member, tid = await _requested(w, 69)
    with pytest.raises(RevocationNotAllowed):  # not completed
        await w.commands.propose_transfer_revocation(req(w.admin), member, tid, w.west, "错转")
    await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    await w.commands.accept_member_transfer(req(w.admin), member, tid)
    with pytest.raises(InvalidInput) as refused:
        await w.commands.propose_transfer_revocation(req(w.admin), member, tid, w.street, "错转")
    assert refused.value.field == "byOrganizationId"
    back = await w.commands.request_member_transfer(req(w.admin), member, w.west, TransferScope.WITHIN_CITY, "回迁")
    with pytest.raises(RevocationNotAllowed):  # a later transfer is open
        await w.commands.propose_transfer_revocation(req(w.admin), member, tid, w.west, "错转")
    await w.commands.withdraw_member_transfer(req(w.admin), member, UUID(back.extra["transfer_id"]))
    with pytest.raises(RevocationNotAllowed):  # and no longer the latest
        await w.commands.propose_transfer_revocation(req(w.admin), member, tid, w.west, "错转")


async def test_a_rejected_revocation_leaves_the_transfer_standing() -> None:
    w = await world()
    member, tid = await _accepted(w, 70)
    await w.commands.propose_transfer_revocation(req(w.admin), member, tid, w.west, "错转")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    await w.commands.reject_transfer_revocation(req(street), member, tid, "转接无误")
    assert w.store.events[-1].event_type == "Member.TransferRevocationRejected"
    with pytest.raises(RevocationNotAllowed):
        await w.commands.approve_transfer_revocation(req(street), member, tid)
    assert w.store.claims[("member.home", str(member))] == w.east


async def test_revoking_a_transfer_out_of_the_system_brings_the_member_back() -> None:
    w = await world()
    member = await register(w, w.west, serial=71)
    out = await w.commands.request_member_transfer(req(w.admin), member, None, TransferScope.ACROSS_PROVINCES,
                                                   "工作调动", NANSHAN)
    tid = UUID(out.extra["transfer_id"])
    await w.commands.issue_transfer_letter(req(w.admin), member, tid)
    await w.commands.confirm_transfer_receipt(req(w.admin), member, tid, date(2026, 3, 2))
    assert ("member.home", str(member)) not in w.store.claims
    await w.commands.propose_transfer_revocation(req(w.admin), member, tid, None, "对方回执系误寄")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    await w.commands.approve_transfer_revocation(req(street), member, tid)
    assert w.store.events[-1].payload["left_organization_id"] is None
    assert w.store.claims[("member.home", str(member))] == w.west
    await w.commands.convert_member_to_full(req(w.admin), member)  # a member again


async def test_a_member_who_died_is_not_brought_back_by_a_revocation() -> None:
    w = await world()
    member, tid = await _accepted(w, 72)
    await w.commands.record_member_death(req(w.admin), member, date(2026, 3, 1))
    with pytest.raises(MemberExited):
        await w.commands.propose_transfer_revocation(req(w.admin), member, tid, w.west, "错转")
