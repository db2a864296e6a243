"""Closing a selection round, and updating a shop's details (given a business district with a
round, when the district closes it or the committee updates a shop, then events or a typed
error; in-memory store, the clock at 2 March 2026)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.permissions import Role
from domain.shops.commands import ApplyShop, CloseSelectionRound, RefuseShop, RegisterShop, UpdateShopDetails
from domain.shops.errors import NotEligible, RoundNotAllowed
from tests.unit.fakes import actor, world
from tests.unit.shops.support import attestations, credit_code, district


def types(d, stream):  # type: ignore[no-untyped-def]
    return [e.event_type for e in d.w.store.events if e.stream_id == stream]


async def test_a_round_closes_only_once_nothing_is_pending_and_then_takes_no_application() -> None:
    d = await district(await world())
    r = await d.round(quota=3)
    awarded = await d.to("awarded", r)
    pending = await d.to("in_notice", r)
    with pytest.raises(RoundNotAllowed) as refused:
        await d.run(d.w.admin, CloseSelectionRound(r))
    assert "1 application(s)" in str(refused.value) and refused.value.field == "roundId"
    await d.run(d.w.admin, RefuseShop(pending, "公示期间发现无证经营"))
    assert types(d, r)[-2:] == ["SelectionRound.PlaceReleased", "SelectionRound.ApplicationEnded"]
    for who in (d.secretary, d.street_admin, actor(Role.DISTRICT_ADMIN, scope=d.w.west)):
        with pytest.raises(NotAuthorized):
            await d.run(who, CloseSelectionRound(r))
    with pytest.raises(InvalidInput):  # not before it opened (5 January)
        await d.run(d.w.admin, CloseSelectionRound(r, date(2026, 1, 4)))
    await d.run(d.w.admin, CloseSelectionRound(r, date(2026, 3, 1)))
    closed = d.w.store.events[-1]
    assert (closed.event_type, closed.payload) == ("SelectionRound.Closed", {"closed_on": "2026-03-01", "awarded": 1})
    late = await d.shop()
    with pytest.raises(RoundNotAllowed) as after:
        await d.run(d.secretary, ApplyShop(late, r, attestations()))
    assert "closed on 2026-03-01" in str(after.value)
    with pytest.raises(RoundNotAllowed):
        await d.run(d.w.admin, CloseSelectionRound(r))
    assert types(d, awarded)[-1] == "Shop.PlaqueAwarded"  # the awarded shop keeps its plaque


async def test_an_application_counts_as_pending_from_its_first_step() -> None:
    d = await district(await world())
    r = await d.round()
    applied = await d.to("applied", r)
    with pytest.raises(RoundNotAllowed):
        await d.run(d.w.admin, CloseSelectionRound(r))
    await d.run(d.secretary, RefuseShop(applied, "材料不全"))
    await d.run(d.w.admin, CloseSelectionRound(r))
    assert d.w.store.events[-1].payload["awarded"] == 0


async def test_a_renewed_licence_makes_the_shop_eligible_again() -> None:
    d = await district(await world())
    r = await d.round()
    shop = (await d.run(d.secretary, RegisterShop(d.committee, "老街面馆", credit_code(9071), date(2026, 1, 1),
                                                  "兴隆街7号", "RETAIL", owner_member_id=await d.member()))).id
    with pytest.raises(NotEligible):
        await d.run(d.secretary, ApplyShop(shop, r, attestations()))
    await d.run(d.secretary, UpdateShopDetails(shop, licence_valid_until=date(2031, 12, 31),
                                               address="兴隆街88号", category="catering"))
    updated = d.w.store.events[-1]
    assert (updated.event_type, updated.payload) == ("Shop.DetailsUpdated", {
        "licence_valid_until": "2031-12-31", "address": "兴隆街88号", "category": "CATERING", "point": None})
    await d.run(d.secretary, ApplyShop(shop, r, attestations()))


async def test_only_the_committee_updates_details_and_only_what_changes() -> None:
    d = await district(await world())
    shop = await d.shop()
    with pytest.raises(InvalidInput):  # nothing given
        await d.run(d.secretary, UpdateShopDetails(shop))
    with pytest.raises(InvalidInput):  # the same category
        await d.run(d.secretary, UpdateShopDetails(shop, category="retail"))
    with pytest.raises(InvalidInput):  # half a point
        await d.run(d.secretary, UpdateShopDetails(shop, longitude=122.1))
    with pytest.raises(InvalidInput):
        await d.run(d.secretary, UpdateShopDetails(shop, address="  "))
    for who in (d.street_admin, d.w.admin, actor(Role.SHOP_OPERATOR, scope=d.committee, subject="op")):
        with pytest.raises(NotAuthorized):
            await d.run(who, UpdateShopDetails(shop, category="CATERING"))
    await d.run(d.secretary, UpdateShopDetails(shop, longitude=122.1, latitude=41.2))
    assert d.w.store.events[-1].payload["point"] == [122.1, 41.2]
