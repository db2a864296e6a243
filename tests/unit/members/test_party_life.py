"""Party life (组织生活): recording a meeting, its attendance, the periods and the required counts
(given events, when a command, then new events or a typed error; in-memory store)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.members.errors import MemberExited
from domain.members.party_life import (
    Cadence,
    MeetingKind,
    PartyLifeRules,
    Requirement,
    parse_period,
    parse_requirements,
    required_in,
)
from domain.organizations.aggregate import OrganizationKind
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Role
from tests.idnumbers import id_number
from tests.unit.fakes import actor, req, world
from tests.unit.members.test_members_and_transfers import register

K = MeetingKind


async def test_a_meeting_is_recorded_with_its_attendance() -> None:
    w = await world()
    group = (await w.commands.establish_organization(req(w.admin), OrganizationKind.BUILDING_GROUP, "3号楼党小组",
                                                     w.west)).id
    a = await register(w, w.west, serial=81)
    b = await register(w, w.west, serial=82, id_number=id_number("211403196809031", 82))
    c = await register(w, w.west, serial=83, id_number=id_number("211403196809032", 83))
    out = await w.commands.record_party_life_meeting(req(w.admin), group, K.GROUP_MEETING, date(2026, 2, 26),
                                                     " 学习二十届三中全会精神 ", (a, b), (c,))
    recorded = w.store.events[-1]
    assert recorded.event_type == "PartyLifeMeeting.Recorded" and recorded.stream_id == out.id
    assert recorded.payload["organization_id"] == str(group) and recorded.payload["topic"] == "学习二十届三中全会精神"
    assert recorded.payload["attended"] == [str(a), str(b)] and recorded.payload["absent_with_leave"] == [str(c)]
    assert recorded.payload["absent_without_leave"] == []


async def test_only_the_organizations_members_are_named_each_once() -> None:
    w = await world()
    west_member = await register(w, w.west, serial=84)
    east_member = await register(w, w.east, serial=85, id_number=id_number("211403196809033", 85))
    before = len(w.store.events)
    cases = [((east_member,), (), "attended", InvalidInput),
             ((west_member,), (west_member,), "attended", InvalidInput),
             ((uuid4(),), (), "attended", InvalidInput),
             ((), (west_member,), "attended", InvalidInput)]
    for attended, with_leave, field, error in cases:
        with pytest.raises(error) as refused:
            await w.commands.record_party_life_meeting(req(w.admin), w.west, K.THEME_DAY, date(2026, 2, 27),
                                                       "主题党日", attended, with_leave)
        assert refused.value.field == field
    await w.commands.record_member_death(req(w.admin), west_member, date(2026, 2, 1))
    with pytest.raises(MemberExited):
        await w.commands.record_party_life_meeting(req(w.admin), w.west, K.THEME_DAY, date(2026, 2, 27),
                                                   "主题党日", (west_member,))
    assert len(w.store.events) == before + 1  # the death only


async def test_a_meeting_in_the_future_or_outside_the_scope_is_refused() -> None:
    w = await world()
    member = await register(w, w.west, serial=86)
    with pytest.raises(InvalidInput) as refused:
        await w.commands.record_party_life_meeting(req(w.admin), w.west, K.PARTY_LECTURE, date(2026, 3, 3),
                                                   "党课", (member,))
    assert refused.value.field == "heldOn"
    east = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="east-secretary")
    with pytest.raises(NotAuthorized):
        await w.commands.record_party_life_meeting(req(east), w.west, K.PARTY_LECTURE, date(2026, 3, 1),
                                                   "党课", (member,))


def test_a_period_is_a_month_or_a_quarter() -> None:
    q1, march = parse_period("2026-Q1"), parse_period("2026-03")
    assert (q1.start, q1.end, q1.quarter) == (date(2026, 1, 1), date(2026, 3, 31), True)
    assert (march.start, march.end, march.quarter) == (date(2026, 3, 1), date(2026, 3, 31), False)
    assert parse_period("2025-Q4").end == date(2025, 12, 31)
    for bad in ("2026-Q5", "2026-13", "2026-3", "26-03", "2026Q1"):
        with pytest.raises(InvalidInput):
            parse_period(bad)


def test_a_quarter_requires_the_quarterly_kinds_and_the_monthly_ones_three_times() -> None:
    rules = PartyLifeRules()
    assert required_in(rules, parse_period("2026-Q1")) == {
        K.BRANCH_GENERAL_MEETING: 1, K.BRANCH_COMMITTEE_MEETING: 3, K.GROUP_MEETING: 3, K.PARTY_LECTURE: 1,
        K.THEME_DAY: 3}
    assert required_in(rules, parse_period("2026-02")) == {
        K.BRANCH_COMMITTEE_MEETING: 1, K.GROUP_MEETING: 1, K.THEME_DAY: 1}


def test_the_required_counts_are_configured_per_kind() -> None:
    assert parse_requirements("theme_day:monthly:2, PARTY_LECTURE:QUARTERLY:0") == (
        Requirement(K.THEME_DAY, Cadence.MONTHLY, 2), Requirement(K.PARTY_LECTURE, Cadence.QUARTERLY, 0))
    for bad in ("THEME_DAY:MONTHLY", "THEME_DAY:WEEKLY:1", "THEME_DAY:MONTHLY:1,THEME_DAY:MONTHLY:2",
                "THEME_DAY:MONTHLY:40"):
        with pytest.raises(ValueError):
            parse_requirements(bad)


async def test_a_mobile_member_takes_part_at_the_inflow_organization_while_the_card_is_open() -> None:
    w = await world()
    mobile = await register(w, w.west, serial=87)
    await w.commands.issue_mobile_card(req(w.admin), mobile, "LD-2026-0087", date(2026, 2, 1),
                                       inflow_organization_id=w.east)
    with pytest.raises(InvalidInput) as before_the_card:
        await w.commands.record_party_life_meeting(req(w.admin), w.east, K.THEME_DAY, date(2026, 1, 30),
                                                   "主题党日", (mobile,))
    assert before_the_card.value.field == "attended"
    out = await w.commands.record_party_life_meeting(req(w.admin), w.east, K.THEME_DAY, date(2026, 2, 27),
                                                     "主题党日", (mobile,))
    assert w.store.events[-1].stream_id == out.id and w.store.events[-1].payload["attended"] == [str(mobile)]
    await w.commands.close_mobile_card(req(w.admin), mobile, date(2026, 2, 28))
    with pytest.raises(InvalidInput):
        await w.commands.record_party_life_meeting(req(w.admin), w.east, K.THEME_DAY, date(2026, 3, 1),
                                                   "主题党日", (mobile,))
