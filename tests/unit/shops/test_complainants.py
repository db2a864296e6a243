"""A complainant's name and phone: sealed under the complaint's own keys, erased per complaint
(given an awarded shop, when complaints are recorded and one complainant's data is erased,
then only that complaint's keys are gone; in-memory store)."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.shared.errors import InvalidInput, NotAuthorized, NotFound
from domain.shared.permissions import Role
from domain.shared.personal import erases
from domain.shops.aggregate import Channel
from domain.shops.commands import EraseShopComplaintPersonalData, RecordShopComplaint
from eventstore.personal_keys import is_sealed
from tests.unit.fakes import actor, world
from tests.unit.shops.support import District, district


async def given() -> tuple[District, UUID]:
    d = await district(await world())
    return d, await d.to("awarded", await d.round())


async def complaint(d: District, shop: UUID, name: str | None = "李女士", phone: str | None = "13840009999") -> UUID:
    out = await d.run(d.secretary, RecordShopComplaint(shop, Channel.HOTLINE_12345, "短斤少两", name, phone))
    return UUID(out.extra["complaint_id"])


async def test_the_complainant_is_sealed_in_a_stream_of_the_complaint_not_in_the_shops() -> None:
    d, shop = await given()
    c = await complaint(d, shop)
    recorded, complainant = d.w.store.events[-2:]
    assert (recorded.event_type, recorded.stream_id) == ("Shop.ComplaintRecorded", shop)
    assert "complainant_name" not in recorded.payload and "phone" not in recorded.payload
    assert (complainant.event_type, complainant.stream_id) == ("ShopComplainant.Recorded", c)
    assert is_sealed(complainant.payload["complainant_name"]) and is_sealed(complainant.payload["phone"])
    assert complainant.payload["shop_id"] == str(shop)
    # The keys are the complaint's own: the shop's stream holds none.
    assert c in d.w.store.personal_keys and shop not in d.w.store.personal_keys
    (read,) = await d.w.store.read_stream(c)
    assert (read.payload["complainant_name"], read.payload["phone"]) == ("李女士", "13840009999")


async def test_a_complaint_without_a_name_or_phone_has_no_complainant_stream() -> None:
    d, shop = await given()
    c = await complaint(d, shop, name="  ", phone=None)
    assert d.w.store.events[-1].event_type == "Shop.ComplaintRecorded"
    assert await d.w.store.read_stream(c) == []
    with pytest.raises(InvalidInput) as nothing:
        await d.run(d.w.admin, EraseShopComplaintPersonalData(shop, c, "依本人申请"))
    assert nothing.value.field == "complaintId"


async def test_erasing_one_complainant_shreds_that_complaints_keys_alone() -> None:
    d, shop = await given()
    erased, kept = await complaint(d, shop), await complaint(d, shop, "王先生", "13940001111")
    await d.run(d.w.admin, EraseShopComplaintPersonalData(shop, erased, "依本人申请删除"))
    last = d.w.store.events[-1]
    assert (last.event_type, last.stream_id, last.payload) == (
        "ShopComplainant.PersonalDataErased", erased, {"fields": ["complainant_name", "phone"]})
    assert last.reason == "依本人申请删除"
    assert erases("ShopComplainant.PersonalDataErased")
    first = (await d.w.store.read_stream(erased))[0]
    assert (first.payload["complainant_name"], first.payload["phone"]) == (None, None)
    other = (await d.w.store.read_stream(kept))[0]
    assert (other.payload["complainant_name"], other.payload["phone"]) == ("王先生", "13940001111")
    assert [e.event_type for e in await d.w.store.read_stream(shop)][-2:] == ["Shop.ComplaintRecorded"] * 2
    with pytest.raises(InvalidInput):  # once
        await d.run(d.w.admin, EraseShopComplaintPersonalData(shop, erased, "再次申请"))


async def test_only_a_district_admin_erases_with_a_reason_a_complaint_of_that_shop() -> None:
    d, shop = await given()
    c = await complaint(d, shop)
    for who in (d.secretary, d.street_admin, actor(Role.AUDITOR, scope=d.committee)):
        with pytest.raises(NotAuthorized):
            await d.run(who, EraseShopComplaintPersonalData(shop, c, "依本人申请"))
    with pytest.raises(InvalidInput):
        await d.run(d.w.admin, EraseShopComplaintPersonalData(shop, c, "  "))
    other = await d.to("awarded", await d.round(2025))
    with pytest.raises(NotFound):  # the complaint is another shop's
        await d.run(d.w.admin, EraseShopComplaintPersonalData(other, c, "依本人申请"))
