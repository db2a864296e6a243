"""Shops on real PostgreSQL: the read models and queries, the quota and serial set rules under
concurrent commands, the red map, overdue plaques and the yearly reconciliation."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import asyncpg
import pytest

from domain.shared.errors import NotAuthorized
from domain.shared.permissions import Actor, Role
from domain.shops.aggregate import Channel
from domain.shops.errors import PlaqueSerialTaken, QuotaExhausted
from projections.feed.document import event_document
from projections.feed.reading import EventFilter, read_events
from tests.integration.shops.support import ATTESTED, district, query, settle

SHOP = """query($id: ID!) { shop(id: $id) { name state plaqueSerial noticeUntil openObjections refusedReason
  round { year quota taken remaining } objections { text upheld resolution }
  complaints { summary channel state complainantName phone } plaques { plaqueSerial revokedOn overdue } } }"""


async def test_the_read_model_follows_a_shop_through_notice_objection_and_award(dsn: str,
                                                                                  pool: asyncpg.Pool) -> None:
    d = await district(pool)
    r = await d.round(2026, 24)
    shop = await d.shop()
    await d.to_notice(shop, r)
    objection = await d.cmds.file_shop_objection(d.req(d.secretary), shop, "群众反映价格不实")
    await settle(dsn)
    seen = (await query(pool, SHOP, id=str(shop)))["shop"]
    assert (seen["state"], seen["noticeUntil"], seen["openObjections"]) == ("IN_NOTICE", "2026-03-06", 1)
    assert seen["round"] == {"year": 2026, "quota": 24, "taken": 1, "remaining": 23}
    objection_id = uuid.UUID(objection.extra["objection_id"])
    await d.cmds.resolve_shop_objection(d.req(), shop, objection_id, False, "经核实不属实")
    d.clock.advance(6)
    await d.cmds.award_shop_plaque(d.req(), shop, "JA-2026-001")
    await d.cmds.record_shop_complaint(d.req(d.secretary), shop, Channel.HOTLINE_12345, "服务态度差", "李女士",
                                       "13840009876")
    await settle(dsn)
    seen = (await query(pool, SHOP, id=str(shop)))["shop"]
    assert (seen["state"], seen["plaqueSerial"], seen["openObjections"]) == ("AWARDED", "JA-2026-001", 0)
    assert seen["objections"] == [{"text": "群众反映价格不实", "upheld": False, "resolution": "经核实不属实"}]
    assert seen["complaints"][0]["phone"] == "13840009876"  # a district admin sees personal data
    masked = (await query(pool, SHOP, d.secretary, id=str(shop)))["shop"]["complaints"][0]
    assert (masked["phone"], masked["complainantName"]) == ("*******9876", "****")
    stored = await pool.fetchval("SELECT payload->>'phone' FROM events WHERE event_type = 'Shop.ComplaintRecorded'")
    assert stored != "13840009876"  # sealed in the log like a member's phone

    history = await query(pool, "query($id: ID!) { history(streamId: $id) { edges { node { type } } } }",
                          d.secretary, id=str(shop))
    assert [e["node"]["type"] for e in history["history"]["edges"]][-2:] == ["Shop.PlaqueAwarded",
                                                                            "Shop.ComplaintRecorded"]


async def test_two_approvals_racing_for_the_last_place_take_it_once(dsn: str, pool: asyncpg.Pool) -> None:
    d = await district(pool)
    r = await d.round(2026, 1)
    shops = [await d.shop(), await d.shop()]
    for s in shops:
        await d.cmds.apply_shop(d.req(d.secretary), s, r, ATTESTED)
        await d.cmds.recommend_shop(d.req(d.secretary), s)
        await d.cmds.pre_review_shop(d.req(d.street_admin), s)
    results = await asyncio.gather(*(d.cmds.approve_shop(d.req(), s) for s in shops), return_exceptions=True)
    assert sorted(type(x).__name__ for x in results) == ["Outcome", "QuotaExhausted"]
    assert sum(isinstance(x, QuotaExhausted) for x in results) == 1
    taken = await pool.fetchval("SELECT count(*) FROM events WHERE event_type = 'SelectionRound.PlaceTaken'")
    assert taken == 1


async def test_two_awards_racing_for_one_serial_issue_it_once(dsn: str, pool: asyncpg.Pool) -> None:
    d = await district(pool)
    r = await d.round(2026, 5)
    shops = [await d.shop(), await d.shop()]
    for s in shops:
        await d.to_notice(s, r)
    d.clock.advance(6)
    results = await asyncio.gather(*(d.cmds.award_shop_plaque(d.req(), s, "JA-2026-777") for s in shops),
                                   return_exceptions=True)
    assert sum(isinstance(x, PlaqueSerialTaken) for x in results) == 1
    assert await pool.fetchval("SELECT count(*) FROM events WHERE event_type = 'Shop.PlaqueAwarded'") == 1


async def test_the_red_map_overdue_plaques_and_a_shop_operators_own_shop(dsn: str, pool: asyncpg.Pool) -> None:
    d = await district(pool)
    r = await d.round(2026, 5)
    mine = await d.shop(operator="shop-op-9")
    await d.awarded(r, "JA-2026-101", shop=mine)
    unmapped = await d.awarded(r, "JA-2026-102", shop=await d.shop(longitude=None))
    revoked = await d.awarded(r, "JA-2026-103")
    await d.cmds.revoke_shop(d.req(), revoked, "经营者违规")
    await settle(dsn)
    red = (await query(pool, "{ shopMap }"))["shopMap"]
    assert [f["properties"]["plaqueSerial"] for f in red["features"]] == ["JA-2026-101"]
    assert red["features"][0]["geometry"] == {"type": "Point", "coordinates": [122.07, 41.12]}

    overdue = "query { shops(filter: {plaqueOverdue: true}) { edges { node { id } } } }"
    assert (await query(pool, overdue, clock=d.clock))["shops"]["edges"] == []
    d.clock.advance(31)
    assert (await query(pool, overdue, clock=d.clock))["shops"]["edges"] == [{"node": {"id": str(revoked)}}]
    await d.cmds.recover_shop_plaque(d.req(d.street_admin), revoked, "街道组织办 王芳")
    await settle(dsn)
    assert (await query(pool, overdue, clock=d.clock))["shops"]["edges"] == []

    operator = Actor("shop-op-9", "店主", frozenset({Role.SHOP_OPERATOR}), d.committee)
    listed = await query(pool, "{ shops { edges { node { id } } } }", operator)
    assert listed["shops"]["edges"] == [{"node": {"id": str(mine)}}]
    assert (await query(pool, "query($id: ID!) { shop(id: $id) { id } }", operator, id=str(unmapped)))["shop"] is None


async def test_the_reconciliation_counts_each_number_from_the_plaques_events(dsn: str, pool: asyncpg.Pool) -> None:
    d = await district(pool)
    last_year = await d.round(2025, 10)
    held = [await d.awarded(last_year, f"JA-2025-{i:03d}", on=date(2025, 5, 6), award_on=date(2025, 6, 1))
            for i in range(3)]
    gone_last_year = held.pop()
    await d.cmds.revoke_shop(d.req(), gone_last_year, "2025 摘牌", date(2025, 11, 1))
    this_year = await d.round(2026, 10)
    new = await d.awarded(this_year, "JA-2026-001")
    await d.cmds.revoke_shop(d.req(), held[0], "一年内两次投诉")
    await settle(dsn)
    doc = """query($within: ID) { shopReconciliation(year: 2026, within: $within) { balanced
      start { count shops { id } } awarded { count shops { id } } revoked { count shops { id } }
      end { count shops { id } } } }"""
    rec = (await query(pool, doc, within=str(d.committee)))["shopReconciliation"]
    ids = {k: sorted(s["id"] for s in rec[k]["shops"]) for k in ("start", "awarded", "revoked", "end")}
    assert ids == {"start": sorted(map(str, held)), "awarded": [str(new)], "revoked": [str(held[0])],
                   "end": sorted([str(held[1]), str(new)])}
    assert [rec[k]["count"] for k in ("start", "awarded", "revoked", "end")] == [2, 1, 1, 2]
    assert rec["balanced"] is True
    stranger = Actor("stranger", "外区", frozenset({Role.STREET_ADMIN}), uuid.uuid4())
    empty = (await query(pool, doc, stranger, within=None))["shopReconciliation"]
    assert empty["end"]["count"] == 0 and empty["balanced"] is True


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.GRID_LEADER])
async def test_readers_in_scope_see_shops_but_change_none(dsn: str, pool: asyncpg.Pool, role: Role) -> None:
    d = await district(pool)
    shop = await d.shop()
    await settle(dsn)
    reader = Actor("reader", "读者", frozenset({role}), d.street)
    assert (await query(pool, "query($id: ID!) { shop(id: $id) { state } }", reader,
                        id=str(shop)))["shop"] == {"state": "REGISTERED"}
    with pytest.raises(NotAuthorized):
        await d.cmds.recommend_shop(d.req(reader), shop)


async def test_shop_events_reach_the_feed_within_their_district_and_the_hotline_files_complaints(
        dsn: str, pool: asyncpg.Pool) -> None:
    d = await district(pool)
    r = await d.round(2026, 3)
    shop = await d.awarded(r, "JA-2026-201")
    hotline = Actor("hotline-12345", "12345热线", frozenset({Role.INTEGRATION}), d.district)
    await d.cmds.record_shop_complaint(d.req(hotline), shop, Channel.HOTLINE_12345, "价格欺诈", "王先生",
                                       "13850001111")
    with pytest.raises(NotAuthorized):
        await d.cmds.revoke_shop(d.req(hotline), shop, "热线无权摘牌")
    await settle(dsn)
    shops = EventFilter(stream_types=frozenset({"Shop", "SelectionRound", "ShopComplainant"}))
    inside = await read_events(pool, 0, 100, shops, d.committee)
    assert inside[0].event_type == "SelectionRound.Opened"
    assert [e.event_type for e in inside[-2:]] == ["Shop.ComplaintRecorded", "ShopComplainant.Recorded"]
    auditor = Actor("auditor", "审计", frozenset({Role.AUDITOR}), d.district)
    assert event_document(inside[-1], auditor)["payload"]["phone"] == "*******1111"
    assert event_document(inside[-1], auditor)["payload"]["complainant_name"] == "****"
    assert await read_events(pool, 0, 100, shops, uuid.uuid4()) == []
    history = await query(pool, "query($id: ID!) { history(streamId: $id) { edges { node { type payload } } } }",
                          auditor, id=str(shop))
    complaint = history["history"]["edges"][-1]["node"]
    assert complaint["type"] == "Shop.ComplaintRecorded"
    assert "phone" not in complaint["payload"] and "complainant_name" not in complaint["payload"]
