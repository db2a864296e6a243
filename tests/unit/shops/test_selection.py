"""Given a business district, when a shop goes through a selection round, then its events or a
typed error (in-memory store)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.members.aggregate import Standing
from domain.organizations.aggregate import OrganizationKind
from domain.organizations.commands import EstablishOrganization
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Role
from domain.shops.commands import (
    ApplyShop,
    ApproveShop,
    AwardShopPlaque,
    FileShopObjection,
    OpenSelectionRound,
    RefuseShop,
    RegisterShop,
    ResolveShopObjection,
)
from domain.shops.errors import NotEligible, NoticePeriodRunning, QuotaExhausted, RoundNotAllowed, ShopNotAllowed
from tests.unit.fakes import actor, req, world
from tests.unit.shops.support import District, attestations, credit_code, district


async def given() -> tuple[District, UUID]:
    d = await district(await world())
    return d, await d.round()


def types(d: District, stream: UUID) -> list[str]:
    return [e.event_type for e in d.w.store.events if e.stream_id == stream]


async def test_a_shop_goes_from_application_through_notice_to_its_plaque() -> None:
    d, r = await given()
    shop = await d.to("awarded", r)
    assert types(d, shop) == ["Shop.Registered", "Shop.Applied", "Shop.Recommended", "Shop.PreReviewed",
                              "Shop.Approved", "Shop.PledgeSigned", "Shop.PlaqueAwarded"]
    assert types(d, r) == ["SelectionRound.Opened", "SelectionRound.ApplicationReceived", "SelectionRound.PlaceTaken",
                           "SelectionRound.ApplicationEnded"]
    pledge = next(e for e in d.w.store.events if e.event_type == "Shop.PledgeSigned")
    assert (pledge.payload["notice_from"], pledge.payload["notice_until"]) == ("2026-03-02", "2026-03-06")


async def test_the_quota_is_never_exceeded_and_a_refusal_gives_its_place_back() -> None:
    d, _ = await given()
    r = await d.round(2025, quota=1)
    first = await d.to("approved", r)
    second = await d.to("pre_reviewed", r)
    before = len(d.w.store.events)
    with pytest.raises(QuotaExhausted):
        await d.run(d.w.admin, ApproveShop(second))
    assert len(d.w.store.events) == before
    await d.run(d.w.admin, RefuseShop(first, "经营者放弃"))
    assert types(d, r)[-2:] == ["SelectionRound.PlaceReleased", "SelectionRound.ApplicationEnded"]
    await d.run(d.w.admin, ApproveShop(second))


async def test_an_attestation_that_does_not_hold_makes_the_shop_not_eligible_and_records_nothing() -> None:
    d, r = await given()
    shop = await d.shop()
    before = len(d.w.store.events)
    with pytest.raises(NotEligible) as exc:
        await d.run(d.secretary, ApplyShop(shop, r, attestations(holds=False)))
    assert "NO_CRIMINAL_PENALTY" in exc.value.message
    assert len(d.w.store.events) == before


async def test_a_licence_expired_at_the_rounds_date_is_not_eligible() -> None:
    d, r = await given()
    shop = (await d.run(d.secretary, RegisterShop(d.committee, "过期小店", credit_code(990001), date(2026, 1, 1),
                                                  "兴隆街1号", "CATERING", owner_member_id=await d.member()))).id
    with pytest.raises(NotEligible, match="licence expired"):
        await d.run(d.secretary, ApplyShop(shop, r, attestations()))


@pytest.mark.parametrize(("standing", "dues"), [(Standing.PROBATIONARY, date(2026, 2, 1)),
                                                (Standing.FULL, date(2025, 8, 1)), (Standing.FULL, None)])
async def test_only_a_full_member_in_good_standing_runs_a_demonstration_shop(standing: Standing,
                                                                             dues: date | None) -> None:
    d, _ = await given()
    member = await d.member(standing, dues)
    with pytest.raises(NotEligible):
        await d.shop(member)


async def test_an_operator_shop_needs_a_member_responsible() -> None:
    d, _ = await given()
    with pytest.raises(InvalidInput) as exc:
        await d.shop(member=None, owner_member_id=None, operator_name="周老板")
    assert exc.value.field == "responsibleMemberId"
    shop = await d.shop(owner_member_id=None, operator_name="周老板", responsible_member_id=await d.member())
    assert types(d, shop) == ["Shop.Registered"]


async def test_a_credit_code_with_a_wrong_check_digit_is_refused() -> None:
    d, _ = await given()
    code = credit_code(4711)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as exc:
        await d.run(d.secretary, RegisterShop(d.committee, "小店", wrong, date(2029, 1, 1), "街1号", "RETAIL",
                                              owner_member_id=await d.member()))
    assert exc.value.field == "creditCode"


async def test_the_plaque_waits_for_the_notice_and_its_objections() -> None:
    d, r = await given()
    shop = await d.to("in_notice", r)
    with pytest.raises(NoticePeriodRunning, match="runs until 2026-03-06"):
        await d.run(d.w.admin, AwardShopPlaque(shop, "JA-0001"))
    out = await d.run(d.secretary, FileShopObjection(shop, "群众反映存在价格欺诈"))
    d.w.clock.advance(10)
    with pytest.raises(NoticePeriodRunning, match="not resolved"):
        await d.run(d.w.admin, AwardShopPlaque(shop, "JA-0001"))
    await d.run(d.w.admin, ResolveShopObjection(shop, UUID(out.extra["objection_id"]), False, "经核实不属实"))
    await d.run(d.w.admin, AwardShopPlaque(shop, "JA-0001"))
    assert types(d, shop)[-1] == "Shop.PlaqueAwarded"


async def test_an_upheld_objection_refuses_the_application_and_frees_its_place() -> None:
    d, r = await given()
    shop = await d.to("in_notice", r)
    out = await d.run(d.secretary, FileShopObjection(shop, "存在行政处罚未申报"))
    await d.run(d.w.admin, ResolveShopObjection(shop, UUID(out.extra["objection_id"]), True, "经核实属实"))
    assert types(d, shop)[-2:] == ["Shop.ObjectionResolved", "Shop.Refused"]
    assert types(d, r)[-2:] == ["SelectionRound.PlaceReleased", "SelectionRound.ApplicationEnded"]
    refused = d.w.store.events[-2]  # the shop's refusal, then the round's release
    assert refused.reason == "objection upheld: 经核实属实"
    with pytest.raises(ShopNotAllowed, match="new round"):
        await d.run(d.secretary, ApplyShop(shop, r, attestations()))


async def test_each_step_is_refused_by_its_own_decider_or_one_above() -> None:
    d, r = await given()
    shop = await d.to("recommended", r)
    with pytest.raises(NotAuthorized):
        await d.run(d.secretary, RefuseShop(shop, "材料不全"))
    await d.run(d.street_admin, RefuseShop(shop, "材料不全"))
    assert types(d, shop)[-1] == "Shop.Refused"


async def test_a_round_is_opened_once_per_year_and_district() -> None:
    d, _ = await given()
    with pytest.raises(RoundNotAllowed):
        await d.run(d.w.admin, OpenSelectionRound(d.committee, 2026, 10))


async def test_a_shop_outside_the_rounds_district_cannot_apply() -> None:
    d, _ = await given()
    other = (await d.w.commands.run(EstablishOrganization(OrganizationKind.BUSINESS_DISTRICT_COMMITTEE, "另一商圈",
                                                          d.w.street), req(d.w.admin))).id
    r = (await d.run(d.w.admin, OpenSelectionRound(other, 2026, 5))).id
    shop = await d.shop()
    with pytest.raises(RoundNotAllowed):
        await d.run(d.secretary, ApplyShop(shop, r, attestations()))


async def test_a_shop_operator_registers_and_applies_for_its_own_shop_only() -> None:
    d, r = await given()
    operator = actor(Role.SHOP_OPERATOR, scope=d.committee, subject="shop-op-1")
    mine = (await d.run(operator, RegisterShop(d.committee, "党员面馆", credit_code(880001), date(2029, 1, 1),
                                               "兴隆街8号", "CATERING", owner_member_id=await d.member()))).id
    registered = next(e for e in d.w.store.events if e.stream_id == mine)
    assert registered.payload["operator_subject"] == "shop-op-1"
    await d.run(operator, ApplyShop(mine, r, attestations()))
    theirs = await d.shop()
    with pytest.raises(NotAuthorized, match="own shop"):
        await d.run(operator, ApplyShop(theirs, r, attestations()))
