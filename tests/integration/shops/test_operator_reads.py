"""A shop operator's token reads its own shop and nothing else of its scope, on every read path.

Given a business district with the operator's shops, another shop, members, a round and
a complaint; when the operator (SHOP_OPERATOR, scoped to the committee) reads: its shops
answer, every other area's queries answer null or nothing, and the feed (``read_page``:
``GET /events``, the subscription's catch-up; ``may_read_event``: the live ring) carries
only its shops' events. Before, every query but the shops' read by the organization scope,
so the operator saw the committee's members, rounds and organizations, and the feed every
event of the business district.
"""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from domain.shared.permissions import Actor, Role, bound_subject
from domain.shops.aggregate import Channel
from projections.feed.reading import EventFilter, FeedEvent, may_read_event, read_events, read_page
from tests.integration.shops.support import ATTESTED, credit_code, district, query, settle

OTHERS = """query($member: ID!, $committee: ID!, $round: ID!) {
  member(id: $member) { id } members { edges { node { id } } }
  organization(id: $committee) { id } organizations { edges { node { id } } }
  selectionRound(id: $round) { id } selectionRounds { edges { node { id } } }
  funds { edges { node { id } } } grids { edges { node { id } } } inspections { edges { node { id } } }
  node(id: $member) { id } }"""


async def test_a_shop_operator_reads_its_own_shops_and_nothing_else(dsn: str, pool: asyncpg.Pool) -> None:
    d = await district(pool)
    operator = Actor("shop-op-41", "店主", frozenset({Role.SHOP_OPERATOR}), d.committee)
    mine = await d.shop(operator="shop-op-41")
    other = await d.shop(operator="shop-op-42")
    r = await d.round(2026, 5)
    # It acts within its scope as before: applies, and registers a shop of its own.
    await d.cmds.apply_shop(d.req(operator), mine, r, ATTESTED)
    owner = await d.member()
    second = (await d.cmds.register_shop(d.req(operator), d.committee, "店主二号店", credit_code(941),
                                         date(2030, 12, 31), "建安路941号", "RETAIL", owner_member_id=owner)).id
    await d.cmds.record_shop_complaint(d.req(d.secretary), mine, Channel.VISIT, "服务态度", "赵女士", "13840004141")
    await settle(dsn)

    shops = await query(pool, "{ shops { edges { node { id } } } }", operator)
    assert {e["node"]["id"] for e in shops["shops"]["edges"]} == {str(mine), str(second)}
    seen = (await query(pool, """query($id: ID!) { shop(id: $id) { id round { id } organization { id }
      owner { id } } }""", operator, id=str(mine)))["shop"]
    assert seen == {"id": str(mine), "round": None, "organization": None, "owner": None}
    assert (await query(pool, "query($id: ID!) { shop(id: $id) { id } }", operator, id=str(other)))["shop"] is None
    history = await query(pool, "query($id: ID!) { history(streamId: $id) { edges { node { type } } } }",
                          operator, id=str(mine))
    assert [e["node"]["type"] for e in history["history"]["edges"]][:2] == ["Shop.Registered", "Shop.Applied"]

    others = await query(pool, OTHERS, operator, member=str(owner), committee=str(d.committee), round=str(r))
    assert others == {"member": None, "members": {"edges": []}, "organization": None,
                      "organizations": {"edges": []}, "selectionRound": None, "selectionRounds": {"edges": []},
                      "funds": {"edges": []}, "grids": {"edges": []}, "inspections": {"edges": []}, "node": None}
    # The same queries by a secretary of the same scope see them: the token, not the data, decides.
    secretary = await query(pool, OTHERS, d.secretary, member=str(owner), committee=str(d.committee), round=str(r))
    assert secretary["member"] == {"id": str(owner)} and secretary["selectionRound"] == {"id": str(r)}

    # The feed: only its shops' streams (not the round, the members, the complainant, the other shop).
    assert bound_subject(operator) == "shop-op-41" and bound_subject(d.secretary) is None
    feed = await read_events(pool, 0, 1000, EventFilter(), operator.scope, roles=operator.roles,
                             bound_to=bound_subject(operator))
    assert {e.stream_id for e in feed} == {mine, second}
    assert [e.event_type for e in feed if e.stream_id == mine] == [
        "Shop.Registered", "Shop.Applied", "Shop.ComplaintRecorded"]
    everything = await read_events(pool, 0, 1000, EventFilter(), operator.scope, roles=operator.roles)
    assert {e.stream_type for e in everything} >= {"Member", "SelectionRound", "ShopComplainant", "Shop"}
    # The live ring applies the same rule to the events it read once for every subscriber.
    page, _ = await read_page(pool, 0, 1000, EventFilter(), None)
    rules = {fe.event.stream_id: may_read_event(fe, operator.scope, frozenset(), "shop-op-41") for fe in page}
    assert {s for s, ok in rules.items() if ok} == {mine, second}
    assert next(fe for fe in page if fe.event.stream_id == other).bound == "shop-op-42"
    stranger = FeedEvent(feed[0], frozenset({uuid.uuid4()}), "shop-op-41")
    assert not may_read_event(stranger, operator.scope, frozenset(), "shop-op-41")  # and only within its scope
