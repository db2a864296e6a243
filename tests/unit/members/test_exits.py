"""Exits: death, removal in two steps, expulsion, withdrawal (given events, when a command,
then new events or a typed error; in-memory store)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.members.aggregate import TransferScope
from domain.members.errors import ExitNotAllowed, MemberExited
from domain.shared.errors import InvalidInput, NotAuthorized, OrganizationNotEmpty, TransferNotAllowed
from domain.shared.permissions import Role
from tests.unit.fakes import World, actor, req, world
from tests.unit.members.test_members_and_transfers import register


def member_events(w: World) -> list[str]:
    return [e.event_type for e in w.store.events if e.event_type.startswith("Member.")]


async def test_a_removal_takes_the_branch_decision_then_the_level_above() -> None:
    w = await world()
    member = await register(w, w.west, serial=31)
    branch = actor(Role.COMMUNITY_SECRETARY, scope=w.west, subject="west-secretary")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    await w.commands.propose_member_removal(req(branch), member, date(2026, 2, 20), "海月支委〔2026〕3号",
                                            "连续六个月不参加组织生活")
    assert w.store.claims[("member.home", str(member))] == w.west  # not exited yet
    with pytest.raises(NotAuthorized):  # the branch may not approve its own decision
        await w.commands.approve_member_removal(req(branch), member)
    await w.commands.approve_member_removal(req(street), member, date(2026, 3, 1))
    assert member_events(w)[-2:] == ["Member.RemovalProposed", "Member.RemovalApproved"]
    assert ("member.home", str(member)) not in w.store.claims
    approved = w.store.events[-1].payload
    assert approved["decision_reference"] == "海月支委〔2026〕3号"
    assert approved["approved_on"] == "2026-03-01"
    assert approved["home_organization_id"] == str(w.west)


async def test_approve_removal_without_a_proposal_is_refused() -> None:
    w = await world()
    member = await register(w, w.west, serial=32)
    with pytest.raises(ExitNotAllowed):
        await w.commands.approve_member_removal(req(w.admin), member)


async def test_a_rejected_removal_leaves_the_member_in_place() -> None:
    w = await world()
    member = await register(w, w.west, serial=33)
    await w.commands.propose_member_removal(req(w.admin), member, date(2026, 2, 21), "支委〔2026〕4号", "未交党费")
    with pytest.raises(ExitNotAllowed):  # one proposal at a time
        await w.commands.propose_member_removal(req(w.admin), member, date(2026, 2, 22), "支委〔2026〕5号", "再议")
    with pytest.raises(TransferNotAllowed):  # nor a transfer while the level above decides
        await w.commands.request_member_transfer(req(w.admin), member, w.east, TransferScope.WITHIN_CITY, "搬家")
    await w.commands.reject_member_removal(req(w.admin), member, "本人已补交党费")
    assert member_events(w)[-1] == "Member.RemovalRejected"
    assert w.store.claims[("member.home", str(member))] == w.west
    with pytest.raises(ExitNotAllowed):
        await w.commands.approve_member_removal(req(w.admin), member)


async def test_an_exited_member_no_longer_blocks_dissolving_the_home() -> None:
    w = await world()
    member = await register(w, w.west, serial=34)
    with pytest.raises(OrganizationNotEmpty):
        await w.commands.dissolve_organization(req(w.admin), w.west, "并入仙山社区")
    await w.commands.record_member_death(req(w.admin), member, date(2026, 2, 27))
    await w.commands.dissolve_organization(req(w.admin), w.west, "并入仙山社区")


@pytest.mark.parametrize("exit_kind", ["death", "withdrawal", "expulsion"])
async def test_an_exited_member_takes_no_transfer_conversion_or_second_exit(exit_kind: str) -> None:
    w = await world()
    member = await register(w, w.west, serial=35)
    if exit_kind == "death":
        await w.commands.record_member_death(req(w.admin), member, date(2026, 2, 1))
    elif exit_kind == "withdrawal":
        await w.commands.record_member_withdrawal(req(w.admin), member, date(2026, 2, 2), "本人申请退党")
    else:
        await w.commands.expel_member(req(w.admin), member, date(2026, 2, 3), "姑纪处〔2026〕7号")
    with pytest.raises(MemberExited):
        await w.commands.request_member_transfer(req(w.admin), member, w.east, TransferScope.WITHIN_CITY, "搬家")
    with pytest.raises(MemberExited):
        await w.commands.convert_member_to_full(req(w.admin), member)
    with pytest.raises(MemberExited):
        await w.commands.record_member_death(req(w.admin), member, date(2026, 2, 10))
    with pytest.raises(MemberExited):
        await w.commands.propose_member_removal(req(w.admin), member, date(2026, 2, 10), "x", "y")
    # the record still takes corrections: its history is kept
    await w.commands.correct_member_details(req(w.admin), member, {"name": "赵智强"}, "录入错误")


async def test_an_exit_waits_for_the_open_transfer() -> None:
    w = await world()
    member = await register(w, w.west, serial=36)
    out = await w.commands.request_member_transfer(req(w.admin), member, w.east, TransferScope.WITHIN_CITY, "搬家")
    with pytest.raises(ExitNotAllowed):
        await w.commands.record_member_death(req(w.admin), member, date(2026, 2, 27))
    await w.commands.withdraw_member_transfer(req(w.admin), member, UUID(out.extra["transfer_id"]))
    await w.commands.record_member_death(req(w.admin), member, date(2026, 2, 27))


async def test_exit_dates_and_references_are_checked() -> None:
    w = await world()
    member = await register(w, w.west, serial=37)
    with pytest.raises(InvalidInput) as future:
        await w.commands.record_member_death(req(w.admin), member, date(2026, 3, 3))
    assert future.value.field == "diedOn"
    with pytest.raises(InvalidInput) as before_joining:
        await w.commands.record_member_withdrawal(req(w.admin), member, date(2025, 6, 30))
    assert before_joining.value.field == "withdrewOn"
    with pytest.raises(InvalidInput) as blank:
        await w.commands.expel_member(req(w.admin), member, date(2026, 2, 3), "  ")
    assert blank.value.field == "decisionReference"
    await w.commands.propose_member_removal(req(w.admin), member, date(2026, 2, 20), "支委〔2026〕6号", "理由")
    with pytest.raises(InvalidInput) as early:
        await w.commands.approve_member_removal(req(w.admin), member, date(2026, 2, 19))
    assert early.value.field == "approvedOn"
