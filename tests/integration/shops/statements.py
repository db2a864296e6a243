"""The shops' cases of ``tests/integration/core/test_mutation_statements.py``: the world each
mutation needs, its two runs (warm, then measured) and the pinned statement counts.

Kept beside the area's tests; the core test takes them in (``SHOP_CASES``, ``SHOP_EXPECTED``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from domain.members.aggregate import Standing
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from domain.shops.aggregate import Channel
from domain.shops.licence import Attestation, Attested, credit_check_character
from tests.integration.support import register, req
from tests.usecases import UseCases

SECRETARY = Actor(subject="counted-bds", name="商圈书记", roles=frozenset({Role.BUSINESS_DISTRICT_SECRETARY}),
                  scope=None)
STREET = Actor(subject="counted-street", name="街道", roles=frozenset({Role.STREET_ADMIN}), scope=None)
ADMIN = Actor(subject="counted-admin", name="管理员", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
ATTESTED = tuple(Attestation(c, True, "证明1号") for c in Attested)
SCORES = (("SERVICE_QUALITY", 28), ("INTEGRITY", 27), ("MEMBER_DUTIES", 18), ("COMPLAINTS", 17))
FEB = date(2026, 2, 10)
"""The steps before the counted one are dated in February, so the notice has run by NOW (1 March)."""

SHOP_EXPECTED: dict[str, int] = {
    # the organization's path and stream (not dissolved), the round's stream (one per year), append, round row
    "openSelectionRound": 5,
    # path, organization stream, the member's stream and its home's path (readable, full, dues kept up),
    # append, shop row
    "registerShop": 6,
    # shop stream, path, the round's stream, the shop's path again (within the round's district), the
    # member's stream and its home's path (still in good standing), append, shop row
    "applyShop": 8,
    # shop stream, path, append, shop row
    "recommendShop": 4,
    # shop stream, path, append, shop row
    "preReviewShop": 4,
    # shop stream, path, the round's stream (a place of its quota), append (both streams), shop row
    "approveShop": 5,
    # shop stream, path, the round's stream (its notice days), append, shop row
    "signShopPledge": 5,
    # shop stream, path, append, shop row
    "fileShopObjection": 4,
    # shop stream, path, append, shop row
    "resolveShopObjection": 4,
    # shop stream, path, the round's stream (an approved application gives its place back), append, shop row
    "refuseShop": 5,
    # shop stream, path, the round's stream (its year), append (with the serial's claim), shop row
    "awardShopPlaque": 5,
    # shop stream, path, append, shop row
    "revokeShop": 4,
    # shop stream, path, append, shop row
    "recoverShopPlaque": 4,
    # shop stream, path, append, shop row
    "recordShopComplaint": 4,
    # shop stream, path, append, shop row
    "investigateShopComplaint": 4,
    # shop stream, path, append, shop row
    "concludeShopComplaint": 4,
    # shop stream, path, append, shop row
    "scoreShopQuarter": 4,
    # shop stream, path, append, shop row
    "reviewShopYear": 4,
    # shop stream, path, the complainant's stream, append (and the complaint's keys destroyed), shop row
    "eraseShopComplaintPersonalData": 5,
    # the round's stream, its organization's path, append, round row
    "closeSelectionRound": 4,
    # shop stream, path, append, shop row
    "updateShopDetails": 4,
}
SELECTIONS = {
    "ShopPayload": "objectionId complaintId outcome shop { id state }",
    "SelectionRoundPayload": "round { id taken }",
}
Run = tuple[Actor, str, str, Callable[[dict[str, Any]], bool]]
"""(actor, the warming document, the measured document, whether the payload shows the change)."""
SHOP_CASES: dict[str, Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Run]]] = {}
_serial = iter(range(1, 10_000))


def case(mutation: str) -> Callable[[Any], Any]:
    def add(setup: Any) -> Any:
        SHOP_CASES[mutation] = setup
        return setup
    return add


def literal(value: Any) -> str:
    if isinstance(value, Bare):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    return '"' + str(value) + '"'


class Bare(str):
    """An enum value, written bare."""

    @property
    def name(self) -> str:
        return str(self)


def doc(mutation: str, **fields: Any) -> str:
    payload = "SelectionRoundPayload" if mutation in ("openSelectionRound", "closeSelectionRound") else "ShopPayload"
    args = ", ".join(f"{k}: {literal(v)}" for k, v in fields.items())
    return (f"mutation {{ {mutation}(input: {{{args}}}) {{ __typename ... on {payload} {{ {SELECTIONS[payload]} }}"
            " ... on Error { code message } } }")


def r(who: Actor) -> Request:
    return Request(who, uuid.uuid4())


def _shop_done(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p["shop"] is not None and p["shop"]["state"] == state


async def _committee(cmds: UseCases, ids: dict[str, uuid.UUID]) -> uuid.UUID:
    return (await cmds.establish_organization(req(), OrganizationKind.BUSINESS_DISTRICT_COMMITTEE, "观前商圈党委",
                                              ids["street"])).id


async def _member(cmds: UseCases, home: uuid.UUID) -> uuid.UUID:
    n = next(_serial)
    return (await register(cmds, home, f"店主{n}", f"3205081975{n:07d}", Standing.FULL)).id  # type: ignore[no-any-return]


def _code(n: int) -> str:
    body = f"92320508MA{n:07d}"
    return body + credit_check_character(body)


async def _shops(cmds: UseCases, ids: dict[str, uuid.UUID], stage: str, n: int = 2) -> list[uuid.UUID]:
    """``n`` shops of a new business-district committee, taken to ``stage`` in its 2026 round."""
    committee = await _committee(cmds, ids)
    rid = (await cmds.open_selection_round(r(ADMIN), committee, 2026, 10, None, date(2026, 1, 5))).id
    steps = ["applied", "recommended", "pre_reviewed", "approved", "in_notice", "awarded", "revoked"]
    reached = steps.index(stage) + 1 if stage in steps else 0
    shops = []
    for _ in range(n):
        k = next(_serial)
        shop = (await cmds.register_shop(r(SECRETARY), committee, f"示范店{k}", _code(k), date(2030, 1, 1),
                                         f"观前街{k}号", "RETAIL", owner_member_id=await _member(cmds, committee))).id
        if reached >= 1:
            await cmds.apply_shop(r(SECRETARY), shop, rid, ATTESTED, FEB)
        if reached >= 2:
            await cmds.recommend_shop(r(SECRETARY), shop, None, FEB)
        if reached >= 3:
            await cmds.pre_review_shop(r(STREET), shop, None, FEB)
        if reached >= 4:
            await cmds.approve_shop(r(ADMIN), shop, FEB)
        if reached >= 5:
            await cmds.sign_shop_pledge(r(SECRETARY), shop, FEB)
        if reached >= 6:
            await cmds.award_shop_plaque(r(ADMIN), shop, f"GQ-{k:05d}", date(2026, 2, 20))
        if reached >= 7:
            await cmds.revoke_shop(r(ADMIN), shop, "违规", date(2026, 2, 21))
        shops.append(shop)
    return shops


@case("openSelectionRound")
async def _open(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _committee(cmds, ids), await _committee(cmds, ids)
    return (ADMIN, doc("openSelectionRound", organizationId=first, year=2026, quota=24),
            doc("openSelectionRound", organizationId=second, year=2026, quota=24),
            lambda p: p["round"] is not None and p["round"]["taken"] == 0)


@case("registerShop")
async def _register(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    committee = await _committee(cmds, ids)
    members = [await _member(cmds, committee), await _member(cmds, committee)]

    def register_(member: uuid.UUID, n: int) -> str:
        return doc("registerShop", organizationId=committee, name=f"新店{n}", creditCode=_code(9000 + n),
                   licenceValidUntil="2030-01-01", address="观前街1号", category="RETAIL", ownerMemberId=member)
    return SECRETARY, register_(members[0], 1), register_(members[1], 2), _shop_done("REGISTERED")


@case("applyShop")
async def _apply(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    shops = await _shops(cmds, ids, "registered")
    rid = await cmds.store.pool.fetchval(  # type: ignore[attr-defined]
        "SELECT stream_id FROM events WHERE event_type = 'SelectionRound.Opened' ORDER BY position DESC LIMIT 1")
    attested = [{"condition": Bare(c.value), "holds": True, "sourceDocument": "证明1号"} for c in Attested]
    return (SECRETARY, doc("applyShop", shopId=shops[0], roundId=rid, attestations=attested),
            doc("applyShop", shopId=shops[1], roundId=rid, attestations=attested), _shop_done("APPLIED"))


def _step(mutation: str, stage: str, who: Actor, state: str, **extra: Any) -> None:
    async def setup(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
        first, second = await _shops(cmds, ids, stage)
        return who, doc(mutation, shopId=first, **extra), doc(mutation, shopId=second, **extra), _shop_done(state)
    case(mutation)(setup)


_step("recommendShop", "applied", SECRETARY, "RECOMMENDED")
_step("preReviewShop", "recommended", STREET, "PRE_REVIEWED")
_step("approveShop", "pre_reviewed", ADMIN, "APPROVED")
_step("signShopPledge", "approved", SECRETARY, "IN_NOTICE")
_step("refuseShop", "in_notice", ADMIN, "REGISTERED", reason="放弃")
_step("revokeShop", "awarded", ADMIN, "REVOKED", reason="违规")
_step("recoverShopPlaque", "revoked", STREET, "REVOKED", recoveredBy="王芳")
_step("recordShopComplaint", "awarded", SECRETARY, "AWARDED", channel=Bare(Channel.HOTLINE_12345.value),
      summary="服务差", phone="13840001234")
_step("scoreShopQuarter", "awarded", SECRETARY, "AWARDED", year=2026, quarter=1,
      scores=[{"criterion": c, "points": p} for c, p in SCORES])


@case("fileShopObjection")
async def _object(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _shops(cmds, ids, "in_notice")
    return (SECRETARY, doc("fileShopObjection", shopId=first, text="异议", on="2026-02-12"),
            doc("fileShopObjection", shopId=second, text="异议", on="2026-02-12"),
            lambda p: p["objectionId"] is not None)


@case("awardShopPlaque")
async def _award(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _shops(cmds, ids, "in_notice")
    return (ADMIN, doc("awardShopPlaque", shopId=first, plaqueSerial=f"GQ-A{next(_serial):04d}"),
            doc("awardShopPlaque", shopId=second, plaqueSerial=f"GQ-A{next(_serial):04d}"), _shop_done("AWARDED"))


@case("resolveShopObjection")
async def _resolve(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    shops = await _shops(cmds, ids, "in_notice")
    objections = [(await cmds.file_shop_objection(r(SECRETARY), s, "异议", date(2026, 2, 12))).extra["objection_id"]
                  for s in shops]
    return (ADMIN, doc("resolveShopObjection", shopId=shops[0], objectionId=objections[0], upheld=False,
                       resolution="不属实"),
            doc("resolveShopObjection", shopId=shops[1], objectionId=objections[1], upheld=False, resolution="不属实"),
            _shop_done("IN_NOTICE"))


async def _complaints(cmds: UseCases, ids: dict[str, uuid.UUID], investigated: bool = False,
                      ) -> list[tuple[uuid.UUID, str]]:
    found = []
    for shop in await _shops(cmds, ids, "awarded"):
        out = await cmds.record_shop_complaint(r(SECRETARY), shop, Channel.VISIT, "缺斤少两", None, None,
                                               date(2026, 2, 22))
        if investigated:
            await cmds.investigate_shop_complaint(r(STREET), shop, uuid.UUID(out.extra["complaint_id"]), "调查组")
        found.append((shop, out.extra["complaint_id"]))
    return found


@case("investigateShopComplaint")
async def _investigate(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (a, ca), (b, cb) = await _complaints(cmds, ids)
    return (STREET, doc("investigateShopComplaint", shopId=a, complaintId=ca, investigator="调查组"),
            doc("investigateShopComplaint", shopId=b, complaintId=cb, investigator="调查组"),
            lambda p: p["complaintId"] is not None)


@case("concludeShopComplaint")
async def _conclude(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (a, ca), (b, cb) = await _complaints(cmds, ids, investigated=True)

    def conclude(shop: uuid.UUID, complaint: str) -> str:
        return doc("concludeShopComplaint", shopId=shop, complaintId=complaint, verified=True, serious=True,
                   conclusion="属实")
    return ADMIN, conclude(a, ca), conclude(b, cb), _shop_done("REVOKED")


@case("reviewShopYear")
async def _review(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    shops = await _shops(cmds, ids, "awarded")
    for shop in shops:
        await cmds.score_shop_quarter(r(SECRETARY), shop, 2026, 1, SCORES)
    return (ADMIN, doc("reviewShopYear", shopId=shops[0], year=2026), doc("reviewShopYear", shopId=shops[1], year=2026),
            lambda p: p["outcome"] == "FIVE_STARS")


@case("eraseShopComplaintPersonalData")
async def _erase_complainant(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    found = []
    for shop in await _shops(cmds, ids, "awarded"):
        out = await cmds.record_shop_complaint(r(SECRETARY), shop, Channel.HOTLINE_12345, "缺斤少两", "张女士",
                                               "13840002222", date(2026, 2, 22))
        found.append((shop, out.extra["complaint_id"]))
    (a, ca), (b, cb) = found
    return (ADMIN, doc("eraseShopComplaintPersonalData", shopId=a, complaintId=ca, reason="依本人申请删除"),
            doc("eraseShopComplaintPersonalData", shopId=b, complaintId=cb, reason="依本人申请删除"),
            lambda p: p["complaintId"] == cb)


@case("closeSelectionRound")
async def _close_round(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    rounds = []
    for _ in range(2):
        await _shops(cmds, ids, "awarded", n=1)
        rounds.append(await cmds.store.pool.fetchval(  # type: ignore[attr-defined]
            "SELECT stream_id FROM events WHERE event_type = 'SelectionRound.Opened' ORDER BY position DESC LIMIT 1"))
    return (ADMIN, doc("closeSelectionRound", roundId=rounds[0]), doc("closeSelectionRound", roundId=rounds[1]),
            lambda p: p["round"] is not None and p["round"]["taken"] == 1)


_step("updateShopDetails", "awarded", SECRETARY, "AWARDED", licenceValidUntil="2032-06-30", address="观前街99号")
