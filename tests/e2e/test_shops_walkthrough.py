"""The demonstration shops' walk-through, over real HTTP, as issue 12's "Done means" has it.

A business district seeded (through the domain) with the year before's 32 shops; then,
over HTTP as its users would: the year's round with a quota of 24, 26 candidates of whom
one fails eligibility and one finds the quota taken, an objection in the notice period
that is resolved, 24 plaques, four quarters of scores, a verified serious complaint that
revokes one plaque at once (its plaque recovered) and seven revocations by decision, and
``shopReconciliation`` giving 32 + 24 − 8 = 48 with the shops behind each number.

The years are the two before the current one, so every step can be dated as it happened.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from domain.members.aggregate import Gender, Standing
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from domain.shops.licence import Attestation, Attested, credit_check_character
from tests.e2e.conftest import Server
from tests.idnumbers import id_number
from tests.integration.support import commands

YEAR = date.today().year - 1
"""The year reconciled; the shops of the year before it are seeded."""
SEEDED, QUOTA, REVOKED = 32, 24, 8
SEEDER = Actor("seed-admin", "组织部", frozenset({Role.DISTRICT_ADMIN}), None)
SHOP = "... on ShopPayload { objectionId complaintId outcome shop { id state plaqueSerial } }"
ROUND = "... on SelectionRoundPayload { round { id quota taken } }"


def code(n: int) -> str:
    body = f"92211403MA{n:07d}"
    return body + credit_check_character(body)


def day(month: int, d: int, year: int = YEAR) -> str:
    return date(year, month, d).isoformat()


ATTESTED = [{"condition": c.value, "holds": True, "sourceDocument": "建信证2号"} for c in Attested]


async def mutate(server: Server, token: str, mutation: str, **fields: Any) -> dict[str, Any]:
    name = mutation[0].upper() + mutation[1:]
    payload = ROUND if mutation == "openSelectionRound" else SHOP
    document = (f"mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ __typename {payload}"
                " ... on Error { code message field } } }")
    result: dict[str, Any] = (await server.ok(token, document, {"input": fields}))[mutation]
    return result


async def ok(server: Server, token: str, mutation: str, **fields: Any) -> dict[str, Any]:
    result = await mutate(server, token, mutation, **fields)
    assert "code" not in result, (mutation, result)
    return result


async def seed(pool: asyncpg.Pool) -> tuple[UUID, UUID, list[UUID]]:
    """The street, its business-district committee and the year before's 32 awarded shops,
    through the real command handling (as the district's data would have come in)."""
    cmds = commands(pool, lambda: datetime.now(UTC))
    shops: list[UUID] = []

    def r(who: Actor = SEEDER) -> Request:
        return Request(who, uuid4())

    K = OrganizationKind
    district = (await cmds.establish_organization(r(), K.DISTRICT_COMMITTEE, "建安区委", None)).id
    street = (await cmds.establish_organization(r(), K.STREET_WORKING_COMMITTEE, "建安街道党工委", district,
                                                "211403002000")).id
    committee = (await cmds.establish_organization(r(), K.BUSINESS_DISTRICT_COMMITTEE, "建安商圈党委", street)).id
    before = YEAR - 1
    round_id = (await cmds.open_selection_round(r(), committee, before, 40, None, date(before, 1, 5))).id
    attested = tuple(Attestation(c, True, "建信证1号") for c in Attested)
    dues = date.today().replace(day=1)
    for i in range(SEEDED):
        member = (await cmds.register_member(r(), f"老店主{i}", Gender.MALE, date(1975, 1, 2), "汉族",
                                             id_number("211403197501020", i), None, Standing.FULL,
                                             date(2000, 7, 1), committee, dues)).id
        shop = (await cmds.register_shop(r(), committee, f"老字号{i}", code(i), date(2035, 12, 31), f"建安路{i}号",
                                         "RETAIL", owner_member_id=member, longitude=122.0 + i / 1000,
                                         latitude=41.1)).id
        shops.append(shop)
    secretary = Actor("seed-bds", "书记", frozenset({Role.BUSINESS_DISTRICT_SECRETARY}), None)
    street_admin = Actor("seed-street", "街道", frozenset({Role.STREET_ADMIN}), None)
    on = date(before, 3, 1)
    for i, shop in enumerate(shops):
        await cmds.apply_shop(r(secretary), shop, round_id, attested, on)
        await cmds.recommend_shop(r(secretary), shop, None, on)
        await cmds.pre_review_shop(r(street_admin), shop, None, on)
        await cmds.approve_shop(r(), shop, on)
        await cmds.sign_shop_pledge(r(secretary), shop, on)
        await cmds.award_shop_plaque(r(), shop, f"JA-{before}-{i + 1:03d}", date(before, 4, 1))
    return street, committee, shops


async def test_a_year_of_demonstration_shops_reconciles_to_48(server: Server, pool: asyncpg.Pool) -> None:
    street, committee, seeded = await seed(pool)
    admin = server.token(Role.DISTRICT_ADMIN, subject="organization-department")
    secretary = server.token(Role.BUSINESS_DISTRICT_SECRETARY, scope=committee, subject="bd-secretary")
    street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")

    opened = await ok(server, admin, "openSelectionRound", organizationId=str(committee), year=YEAR, quota=QUOTA,
                      openedOn=day(1, 5))
    round_id = opened["round"]["id"]
    assert opened["round"] == {"id": round_id, "quota": QUOTA, "taken": 0}

    candidates = []
    for i in range(QUOTA + 2):
        member = (await server.ok(admin, "mutation($input: RegisterMemberInput!) { registerMember(input: $input) {"
                                         " ... on MemberPayload { member { id } } } }", {"input": {
            "name": f"新店主{i}", "gender": "FEMALE", "birthDate": "1985-06-07", "ethnicity": "汉族",
            "idNumber": id_number("211403198506070", i), "standing": "FULL", "joinedOn": "2010-07-01",
            "homeOrganizationId": str(committee), "duesPaidThrough": date.today().replace(day=1).isoformat()}},
        ))["registerMember"]["member"]["id"]
        registered = await ok(server, secretary, "registerShop", organizationId=str(committee), name=f"红心店{i}",
                              creditCode=code(100 + i), licenceValidUntil="2035-12-31", address=f"兴隆街{i}号",
                              category="CATERING" if i % 2 else "RETAIL", ownerMemberId=member,
                              longitude=122.1 + i / 1000, latitude=41.12)
        candidates.append(registered["shop"]["id"])

    # One declares an administrative penalty: not eligible, and nothing is recorded.
    refused = await mutate(server, secretary, "applyShop", shopId=candidates[-1], roundId=round_id, on=day(3, 1),
                           attestations=[{**a, "holds": a["condition"] != "NO_ADMINISTRATIVE_PENALTY",
                                          "sourceDocument": "建市监罚〔2024〕9号"} for a in ATTESTED])
    assert refused["__typename"] == "NotEligible", refused
    applicants = candidates[:-1]
    for shop in applicants:
        await ok(server, secretary, "applyShop", shopId=shop, roundId=round_id, attestations=ATTESTED, on=day(3, 1))
        await ok(server, secretary, "recommendShop", shopId=shop, note="社区推荐", on=day(3, 5))
        await ok(server, street_admin, "preReviewShop", shopId=shop, note="初审通过", on=day(3, 10))
    for shop in applicants[:QUOTA]:
        await ok(server, admin, "approveShop", shopId=shop, on=day(3, 15))
    full = await mutate(server, admin, "approveShop", shopId=applicants[QUOTA], on=day(3, 15))
    assert full["__typename"] == "QuotaExhausted", full
    selected = applicants[:QUOTA]
    for shop in selected:
        await ok(server, secretary, "signShopPledge", shopId=shop, on=day(3, 20))

    objection = await ok(server, secretary, "fileShopObjection", shopId=selected[0], text="群众反映价格不透明",
                         on=day(3, 22))
    blocked = await mutate(server, admin, "awardShopPlaque", shopId=selected[0], plaqueSerial=f"JA-{YEAR}-001",
                           on=day(3, 26))
    assert blocked["__typename"] == "NoticePeriodRunning", blocked
    await ok(server, admin, "resolveShopObjection", shopId=selected[0], objectionId=objection["objectionId"],
             upheld=False, resolution="经核查已明码标价", on=day(3, 25))
    for i, shop in enumerate(selected):
        awarded = await ok(server, admin, "awardShopPlaque", shopId=shop, plaqueSerial=f"JA-{YEAR}-{i + 1:03d}",
                           on=day(3, 26))
        assert awarded["shop"]["state"] == "AWARDED"
    taken = await mutate(server, admin, "awardShopPlaque", shopId=applicants[QUOTA], plaqueSerial=f"JA-{YEAR}-001")
    assert taken["__typename"] == "ShopNotAllowed", taken  # never approved: no plaque

    scores = [{"criterion": c, "points": p} for c, p in
              (("SERVICE_QUALITY", 28), ("INTEGRITY", 29), ("MEMBER_DUTIES", 18), ("COMPLAINTS", 17))]
    for shop in selected:
        for quarter in (1, 2, 3, 4):
            await ok(server, secretary, "scoreShopQuarter", shopId=shop, year=YEAR, quarter=quarter, scores=scores,
                     on=day(3 * quarter, 28))
    review = await ok(server, admin, "reviewShopYear", shopId=selected[0], year=YEAR, on=day(12, 30))
    assert review["outcome"] == "FIVE_STARS"

    # A verified serious complaint from the 12345 hotline revokes at once; the plaque comes back.
    vetoed = str(seeded[0])
    complaint = await ok(server, secretary, "recordShopComplaint", shopId=vetoed, channel="HOTLINE_12345",
                         summary="销售过期食品", complainantName="李女士", phone="13840001234", receivedOn=day(5, 10))
    await ok(server, street_admin, "investigateShopComplaint", shopId=vetoed, complaintId=complaint["complaintId"],
             investigator="街道市场监管所", on=day(5, 12))
    concluded = await ok(server, admin, "concludeShopComplaint", shopId=vetoed, complaintId=complaint["complaintId"],
                         verified=True, serious=True, conclusion="经查属实", on=day(5, 20))
    assert concluded["shop"]["state"] == "REVOKED"
    await ok(server, street_admin, "recoverShopPlaque", shopId=vetoed, recoveredBy="街道组织办 王芳", on=day(5, 25))
    for shop in seeded[1:REVOKED]:
        await ok(server, admin, "revokeShop", shopId=str(shop), reason="年度复核不合格", on=day(6, 30))
    again = await mutate(server, admin, "revokeShop", shopId=vetoed, reason="再次摘牌")
    assert again["__typename"] == "AlreadyRevoked", again

    reconciliation = (await server.ok(admin, """query($year: Int!, $within: ID) {
        shopReconciliation(year: $year, within: $within) { balanced start { count shops { id } }
        awarded { count shops { id } } revoked { count shops { id } } end { count shops { id } } } }""",
                                      {"year": YEAR, "within": str(committee)}))["shopReconciliation"]
    counts = {k: reconciliation[k]["count"] for k in ("start", "awarded", "revoked", "end")}
    assert counts == {"start": SEEDED, "awarded": QUOTA, "revoked": REVOKED, "end": SEEDED + QUOTA - REVOKED}
    assert counts["end"] == 48 and reconciliation["balanced"] is True
    ids = {k: {s["id"] for s in reconciliation[k]["shops"]} for k in counts}
    assert ids["start"] == {str(s) for s in seeded}
    assert ids["awarded"] == set(selected)
    assert ids["revoked"] == {str(s) for s in seeded[:REVOKED]}
    assert ids["end"] == ids["start"] - ids["revoked"] | ids["awarded"]

    # What the secretary sees: the complainant masked, the shop's history, the red map.
    seen = (await server.ok(secretary, """query($id: ID!) { shop(id: $id) { state revokedReason
        complaints { complainantName phone state verified } plaques { plaqueSerial recoveredBy } } }""",
                            {"id": vetoed}))["shop"]
    assert seen["revokedReason"].startswith("一票否决")
    assert seen["complaints"] == [{"complainantName": "****", "phone": "*******1234", "state": "CONCLUDED",
                                   "verified": True}]
    assert seen["plaques"] == [{"plaqueSerial": f"JA-{YEAR - 1}-001", "recoveredBy": "街道组织办 王芳"}]
    history = (await server.ok(secretary, "query($id: ID!) { history(streamId: $id) { edges { node { type } } } }",
                               {"id": vetoed}))["history"]["edges"]
    assert [e["node"]["type"] for e in history][-3:] == ["Shop.ComplaintConcluded", "Shop.Revoked",
                                                        "Shop.PlaqueRecovered"]
    red = (await server.ok(secretary, "{ shopMap }"))["shopMap"]
    assert red["type"] == "FeatureCollection" and len(red["features"]) == 48
