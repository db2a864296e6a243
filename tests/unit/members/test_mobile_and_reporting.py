"""Mobile members, dual reporting, volunteer hours, the appraisal and the MEMBER role's
commands (given events, when a command, then events or a typed error; in-memory store, the
clock at 2 March 2026)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain.members.aggregate import Member
from domain.members.appraisal import AppraisalRating
from domain.members.dues import DuesCategory
from domain.members.errors import (
    AppraisalNotAllowed,
    MobileCardNotAllowed,
    MobileCardNumberTaken,
    ReportNotAllowed,
    VolunteerHoursNotAllowed,
)
from domain.members.reporting import parse_deadline
from domain.members.transfers import ExternalOrganization
from domain.members.volunteering import parse_hours
from domain.organizations.aggregate import OrganizationKind
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.events import replay
from domain.shared.permissions import Role
from tests.unit.fakes import World, actor, req, world
from tests.unit.members.test_members_and_transfers import register

SHENZHEN = ExternalOrganization(name="深圳市南山区粤海街道流动党员党支部", province="广东省", city="深圳市",
                                code="440305007000")


def types(w: World, prefix: str = "Member.") -> list[str]:
    return [e.event_type for e in w.store.events if e.event_type.startswith(prefix)]


def member_token(w: World, member: UUID) -> object:
    return actor(Role.MEMBER, scope=w.street, subject=str(member))


async def in_service(w: World, serial: int) -> UUID:
    """A member of the west community, in service (dues assessed as EMPLOYED for 2026)."""
    member = await register(w, w.west, serial=serial, dues_paid_through=date(2025, 12, 1))
    await w.commands.assess_member_dues(req(w.admin), member, 2026, DuesCategory.EMPLOYED, "6000.00")
    return member


async def test_a_card_names_an_inflow_organization_outside_the_system_and_keeps_the_home() -> None:
    w = await world()
    member = await register(w, w.west, serial=61)
    await w.commands.issue_mobile_card(req(w.admin), member, " ld-2026-0001 ", date(2026, 2, 1),
                                       inflow_external=SHENZHEN)
    (issued,) = [e for e in w.store.events if e.event_type == "Member.MobileCardIssued"]
    assert issued.payload["number"] == "LD-2026-0001"  # one spelling: the claim sees it
    assert issued.payload["outflow_organization_id"] == str(w.west)
    assert issued.payload["inflow_name"] == SHENZHEN.name and issued.payload["inflow_organization_id"] is None
    with pytest.raises(MobileCardNotAllowed):  # one open card at a time
        await w.commands.issue_mobile_card(req(w.admin), member, "LD-2026-0002", date(2026, 2, 2),
                                           inflow_organization_id=w.east)


async def test_card_numbers_are_unique_for_ever_and_bounded() -> None:
    w = await world()
    first, second = await register(w, w.west, serial=62), await register(w, w.west, serial=63)
    await w.commands.issue_mobile_card(req(w.admin), first, "LD-7", date(2026, 2, 1), inflow_organization_id=w.east)
    await w.commands.close_mobile_card(req(w.admin), first, date(2026, 2, 20))
    with pytest.raises(MobileCardNumberTaken) as taken:  # a closed card's number too
        await w.commands.issue_mobile_card(req(w.admin), second, "ld-7", date(2026, 2, 1),
                                           inflow_organization_id=w.east)
    assert taken.value.field == "number"
    for bad in ("x", "LD 7!", "流动-0001", "L" * 33):
        with pytest.raises(InvalidInput):
            await w.commands.issue_mobile_card(req(w.admin), second, bad, date(2026, 2, 1),
                                               inflow_organization_id=w.east)
    with pytest.raises(InvalidInput):  # exactly one inflow organization
        await w.commands.issue_mobile_card(req(w.admin), second, "LD-8", date(2026, 2, 1))
    with pytest.raises(InvalidInput):  # away from home
        await w.commands.issue_mobile_card(req(w.admin), second, "LD-8", date(2026, 2, 1),
                                           inflow_organization_id=w.west)


async def test_a_card_is_reviewed_once_a_year_and_closed_on_return() -> None:
    w = await world()
    member = await register(w, w.west, serial=64, joined_on=date(2020, 7, 1))
    await w.commands.issue_mobile_card(req(w.admin), member, "LD-2025-0100", date(2025, 1, 10),
                                       inflow_organization_id=w.east)
    await w.commands.review_mobile_card(req(w.admin), member, date(2026, 1, 15))
    with pytest.raises(MobileCardNotAllowed):
        await w.commands.review_mobile_card(req(w.admin), member, date(2026, 2, 15))
    with pytest.raises(InvalidInput):
        await w.commands.close_mobile_card(req(w.admin), member, date(2026, 3, 9))  # ahead of today
    await w.commands.close_mobile_card(req(w.admin), member, date(2026, 3, 1))
    with pytest.raises(MobileCardNotAllowed):
        await w.commands.review_mobile_card(req(w.admin), member, date(2026, 3, 2))
    assert types(w, "Member.MobileCard") == ["Member.MobileCardIssued", "Member.MobileCardReviewed",
                                             "Member.MobileCardClosed"]


async def test_a_member_reports_once_a_year_to_a_community_late_after_the_deadline() -> None:
    w = await world()
    member = await in_service(w, 65)
    with pytest.raises(ReportNotAllowed):  # a street is no community
        await w.commands.report_to_residence_community(req(w.admin), member, w.street, date(2026, 2, 1))
    await w.commands.report_to_residence_community(req(w.admin), member, w.east, date(2026, 2, 1),
                                                   (" 关爱空巢老人 ", "垃圾分类督导"))
    reported = w.store.events[-1]
    assert reported.payload["needs"] == ["关爱空巢老人", "垃圾分类督导"] and reported.payload["late"] is False
    with pytest.raises(ReportNotAllowed):
        await w.commands.report_to_residence_community(req(w.admin), member, w.east, date(2026, 3, 1))
    with pytest.raises(InvalidInput):
        await w.commands.report_to_residence_community(req(w.admin), await in_service(w, 66), w.east,
                                                       date(2026, 3, 1), ("同一件事", "同一件事"))
    assert parse_deadline("03-31") == (3, 31)
    for bad in ("3-31", "02-29", "13-01", "0331"):
        with pytest.raises(ValueError):
            parse_deadline(bad)


@pytest.mark.parametrize(("text", "hours"), [("2.5", "2.5"), ("24", "24.0"), ("0.1", "0.1"), ("08.0", "8.0")])
def test_hours_are_decimals_with_one_place_within_bounds(text: str, hours: str) -> None:
    assert parse_hours(text) == Decimal(hours)


@pytest.mark.parametrize("text", ["0", "0.0", "24.1", "2.55", "1e1", "-1", " 2", "２", "", "NaN"])
def test_malformed_hours_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_hours(text)


async def test_a_members_own_hours_wait_for_the_community_which_confirms_or_rejects_them() -> None:
    w = await world()
    member, other = await in_service(w, 67), await in_service(w, 68)
    own = member_token(w, member)
    entry, second = uuid4(), uuid4()
    await w.commands.log_volunteer_hours(req(own), member, entry, "社区清洁日", date(2026, 2, 7), "3.5")
    await w.commands.log_volunteer_hours(req(own), member, second, "社区清洁日", date(2026, 2, 14), "2.0")
    assert types(w, "Member.Volunteer") == ["Member.VolunteerHoursLogged"] * 2
    with pytest.raises(NotAuthorized):  # another member's hours
        await w.commands.log_volunteer_hours(req(own), other, uuid4(), "社区清洁日", date(2026, 2, 7), "1.0")
    with pytest.raises(NotAuthorized):  # a member confirms nothing
        await w.commands.confirm_volunteer_hours(req(own), member, entry)
    with pytest.raises(VolunteerHoursNotAllowed):  # the entry id once
        await w.commands.log_volunteer_hours(req(own), member, entry, "社区清洁日", date(2026, 2, 7), "3.5")
    # The community the member reported to confirms, though the home lies outside its scope.
    await w.commands.report_to_residence_community(req(w.admin), member, w.east, date(2026, 1, 20))
    east = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="east-secretary")
    await w.commands.confirm_volunteer_hours(req(east), member, entry)
    await w.commands.reject_volunteer_hours(req(east), member, second, "当天未参加")
    with pytest.raises(VolunteerHoursNotAllowed):
        await w.commands.confirm_volunteer_hours(req(east), member, second)
    with pytest.raises(NotAuthorized):  # the east community is not the other member's
        await w.commands.log_volunteer_hours(req(east), other, uuid4(), "社区清洁日", date(2026, 2, 7), "1.0")
    confirmed = [e for e in w.store.events if e.event_type == "Member.VolunteerHoursConfirmed"]
    assert [(e.payload["hours"], e.payload["source"], e.actor) for e in confirmed] == [
        ("3.5", "MEMBER", "east-secretary")]


async def test_another_area_contributes_confirmed_hours_through_the_member() -> None:
    w = await world()
    member = await in_service(w, 69)
    # The contract: the other area's handler loads the member and calls this method.
    m = replay(Member, await w.store.read_stream(member))
    assert isinstance(m, Member)
    m.contribute_volunteer_hours(uuid4(), "送餐服务", date(2026, 2, 8), Decimal("1.5"), "SERVICE_ORDER",
                                 "order-7731", date(2026, 3, 2))
    (event,) = m.collect_events()
    assert type(event).__name__ == "VolunteerHoursConfirmed" and event.source == "SERVICE_ORDER"  # type: ignore[attr-defined]
    for source in ("MEMBER", "service order", ""):
        with pytest.raises(InvalidInput):
            m.contribute_volunteer_hours(uuid4(), "送餐服务", date(2026, 2, 8), Decimal("1.5"), source, None,
                                         date(2026, 3, 2))


async def test_the_appraisal_refuses_qualified_below_the_volunteer_minimum_with_the_figures() -> None:
    w = await world()
    member = await in_service(w, 70)
    await w.commands.report_to_residence_community(req(w.admin), member, w.east, date(2026, 1, 20))
    for day, hours in ((3, "8.0"), (10, "8.0"), (17, "4.0")):
        await w.commands.log_volunteer_hours(req(w.admin), member, uuid4(), "文明交通劝导", date(2026, 1, day), hours)
    with pytest.raises(AppraisalNotAllowed) as refused:
        await w.commands.appraise_member(req(w.admin), member, 2026, AppraisalRating.QUALIFIED, date(2026, 3, 1))
    assert refused.value.rule == "VOLUNTEER_MINIMUM"
    assert "20.0 confirmed volunteer hours in 1 project(s)" in refused.value.message
    assert "24.0 hours" in refused.value.message
    await w.commands.appraise_member(req(w.admin), member, 2026, AppraisalRating.BASICALLY_QUALIFIED, date(2026, 3, 1))
    with pytest.raises(AppraisalNotAllowed) as again:
        await w.commands.appraise_member(req(w.admin), member, 2026, AppraisalRating.UNQUALIFIED, date(2026, 3, 2))
    assert again.value.rule == "ONCE_A_YEAR"


async def test_an_in_service_member_who_did_not_report_is_not_rated_qualified() -> None:
    w = await world()
    member = await in_service(w, 71)
    for day in (3, 10, 17):
        await w.commands.log_volunteer_hours(req(w.admin), member, uuid4(), "文明交通劝导", date(2026, 1, day), "8.0")
    with pytest.raises(AppraisalNotAllowed) as refused:
        await w.commands.appraise_member(req(w.admin), member, 2026, AppraisalRating.EXCELLENT, date(2026, 3, 1))
    assert refused.value.rule == "RESIDENCE_REPORT"
    await w.commands.report_to_residence_community(req(w.admin), member, w.east, date(2026, 3, 1))
    await w.commands.appraise_member(req(w.admin), member, 2026, AppraisalRating.EXCELLENT, date(2026, 3, 1))
    assert types(w)[-1] == "Member.Appraised"


async def test_a_retired_member_is_not_held_to_reporting() -> None:
    w = await world()
    member = await register(w, w.west, serial=72)
    await w.commands.assess_member_dues(req(w.admin), member, 2026, DuesCategory.RETIRED, "4000.00")
    await w.commands.log_volunteer_hours(req(w.admin), member, uuid4(), "读书角", date(2026, 2, 1), "24")
    await w.commands.appraise_member(req(w.admin), member, 2026, AppraisalRating.QUALIFIED, date(2026, 3, 1))
    assert w.store.events[-1].payload["in_service"] is False


async def test_a_resident_unit_reports_once_a_year_to_a_community() -> None:
    w = await world()
    k = OrganizationKind
    park = (await w.commands.establish_organization(req(w.admin), k.PARK_COMMITTEE, "智慧产业园党委", w.street)).id
    await w.commands.report_unit_to_residence_community(req(w.admin), park, w.east, date(2026, 2, 11),
                                                        ("共建文明楼道",))
    reported = w.store.events[-1]
    assert (reported.event_type, reported.payload["organization_id"], reported.payload["late"]) == (
        "UnitReport.Reported", str(park), False)
    with pytest.raises(ReportNotAllowed):  # once a year
        await w.commands.report_unit_to_residence_community(req(w.admin), park, w.west, date(2026, 2, 12))
    with pytest.raises(ReportNotAllowed):  # a community is no resident unit
        await w.commands.report_unit_to_residence_community(req(w.admin), w.west, w.east, date(2026, 2, 12))
    with pytest.raises(ReportNotAllowed):  # reported to a community only
        await w.commands.report_unit_to_residence_community(req(w.admin), park, w.street, date(2025, 2, 12))


async def test_a_mobile_member_may_be_appraised_at_the_inflow_organization() -> None:
    w = await world()
    member = await register(w, w.west, serial=73)
    east = actor(Role.COMMUNITY_SECRETARY, scope=w.east, subject="east-secretary")
    with pytest.raises(NotAuthorized):  # not a mobile member of the east community
        await w.commands.appraise_member(req(east), member, 2026, AppraisalRating.UNQUALIFIED, date(2026, 3, 1))
    await w.commands.issue_mobile_card(req(w.admin), member, "LD-2026-0300", date(2026, 1, 5),
                                       inflow_organization_id=w.east)
    await w.commands.appraise_member(req(east), member, 2026, AppraisalRating.UNQUALIFIED, date(2026, 3, 1))
    assert w.store.events[-1].actor == "east-secretary"
