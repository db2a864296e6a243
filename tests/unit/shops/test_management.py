"""Given awarded shops, when plaques are revoked and recovered, complaints concluded, quarters
scored and years reviewed, then their events or a typed error (in-memory store)."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.shared.errors import InvalidInput
from domain.shops.commands import (
    AwardShopPlaque,
    ConcludeShopComplaint,
    InvestigateShopComplaint,
    RecoverShopPlaque,
    ReviewShopYear,
    RevokeShop,
    ScoreShopQuarter,
)
from domain.shops.errors import AlreadyRevoked, PlaqueSerialTaken, ShopNotAllowed
from tests.unit.fakes import world
from tests.unit.shops.support import District, district

FULL = (("SERVICE_QUALITY", 30), ("INTEGRITY", 28), ("MEMBER_DUTIES", 18), ("COMPLAINTS", 19))
LOW = (("SERVICE_QUALITY", 20), ("INTEGRITY", 20), ("MEMBER_DUTIES", 10), ("COMPLAINTS", 10))


async def given() -> tuple[District, UUID]:
    d = await district(await world())
    return d, await d.round()


def last(d: District, stream: UUID) -> str:
    return [e.event_type for e in d.w.store.events if e.stream_id == stream][-1]


async def test_a_revoked_plaque_is_recovered_once_and_revoked_once() -> None:
    d, r = await given()
    shop = await d.to("revoked", r)
    with pytest.raises(AlreadyRevoked):
        await d.run(d.w.admin, RevokeShop(shop, "再次摘牌"))
    await d.run(d.street_admin, RecoverShopPlaque(shop, "街道组织办 王芳"))
    recovered = d.w.store.events[-1]
    assert (recovered.event_type, recovered.payload["recovered_by"]) == ("Shop.PlaqueRecovered", "街道组织办 王芳")
    with pytest.raises(AlreadyRevoked):
        await d.run(d.street_admin, RecoverShopPlaque(shop, "王芳"))


async def test_a_plaque_serial_is_never_issued_twice_not_even_after_revocation() -> None:
    d, r = await given()
    first = await d.to("revoked", r)
    serial = next(e.payload["plaque_serial"] for e in d.w.store.events
                  if e.stream_id == first and e.event_type == "Shop.PlaqueAwarded")
    other = await d.to("in_notice", r)
    d.w.clock.advance(10)
    with pytest.raises(PlaqueSerialTaken) as exc:
        await d.run(d.w.admin, AwardShopPlaque(other, serial))
    assert exc.value.field == "plaqueSerial"


async def test_a_verified_serious_complaint_revokes_at_once() -> None:
    d, r = await given()
    shop = await d.to("awarded", r)
    complaint = await d.complaint(shop)
    await d.run(d.street_admin, InvestigateShopComplaint(shop, complaint, "商圈党委 调查组"))
    await d.run(d.w.admin, ConcludeShopComplaint(shop, complaint, True, True, "销售过期食品属实"))
    revoked = d.w.store.events[-1]
    assert revoked.event_type == "Shop.Revoked"
    assert revoked.payload["complaint_id"] == str(complaint)
    assert revoked.reason is not None and revoked.reason.startswith("一票否决")


async def test_an_unfounded_complaint_leaves_the_plaque() -> None:
    d, r = await given()
    shop = await d.to("awarded", r)
    complaint = await d.complaint(shop)
    with pytest.raises(InvalidInput):
        await d.run(d.w.admin, ConcludeShopComplaint(shop, complaint, False, True, "不属实"))
    await d.run(d.w.admin, ConcludeShopComplaint(shop, complaint, False, False, "不属实"))
    assert last(d, shop) == "Shop.ComplaintConcluded"
    with pytest.raises(ShopNotAllowed, match="concluded"):
        await d.run(d.w.admin, ConcludeShopComplaint(shop, complaint, True, True, "复查属实"))


async def test_the_yearly_review_confirms_five_stars_from_the_quarters_average() -> None:
    d, r = await given()
    shop = await d.to("awarded", r)
    await d.run(d.secretary, ScoreShopQuarter(shop, 2026, 1, FULL))
    with pytest.raises(ShopNotAllowed, match="scored already"):
        await d.run(d.secretary, ScoreShopQuarter(shop, 2026, 1, FULL))
    with pytest.raises(InvalidInput, match="ahead"):
        await d.run(d.secretary, ScoreShopQuarter(shop, 2026, 2, FULL))
    out = await d.run(d.w.admin, ReviewShopYear(shop, 2026))
    assert out.extra["outcome"] == "FIVE_STARS"


async def test_a_review_below_three_stars_revokes() -> None:
    d, r = await given()
    shop = await d.to("awarded", r)
    await d.run(d.secretary, ScoreShopQuarter(shop, 2026, 1, LOW))
    out = await d.run(d.w.admin, ReviewShopYear(shop, 2026))
    assert out.extra["outcome"] == "REVOKED"
    assert last(d, shop) == "Shop.Revoked"


@pytest.mark.parametrize("scores", [FULL[:3], (*FULL[:3], ("COMPLAINTS", 21)), (*FULL, ("LOOKS", 1))])
async def test_every_criterion_is_scored_within_its_points(scores: tuple[tuple[str, int], ...]) -> None:
    d, r = await given()
    shop = await d.to("awarded", r)
    with pytest.raises(InvalidInput) as exc:
        await d.run(d.secretary, ScoreShopQuarter(shop, 2026, 1, scores))
    assert exc.value.field == "scores"
