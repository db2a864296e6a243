"""Shops' use cases: authorize → load → decide (``Handling`` appends).

Every shop command is authorized against the shop's organization (its business-district
committee or community); opening a round against the round's organization. Cross-area
facts are read the way the other areas read them, through the unit: the member behind a
shop is loaded from its stream (a full member in good standing, whom the actor's scope
holds), the organization from its own. Set rules commit with the change:

- the round's quota: ``Shop.Approved`` and ``SelectionRound.PlaceTaken`` in one append
  (``domain.shops.rounds``); a refusal after approval gives the place back in its append;
- plaque serials: the claim ``shop.plaque`` (serial → shop), never released, so a serial
  is issued once in the life of the system (``PlaqueSerialTaken``);
- a round's pending applications: an application enters the round's stream in its append
  and leaves it with the award or the refusal, so closing a round is decided on that stream
  alone (refused while anything is pending) and no application enters a closed round.

A complaint's complainant (a resident's name and phone) is written to the complaint's own
``ShopComplainant`` stream, never the shop's, so it is sealed and erased per complaint
(``domain.shops.complainants``).

A ``SHOP_OPERATOR`` acts only on the shop whose operator account is its token's subject.
"""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from domain.members.aggregate import Member, Standing, check_phone
from domain.organizations.aggregate import Organization, check_name
from domain.shared import events as ev
from domain.shared.commands import optional_reason, required_reason
from domain.shared.errors import InvalidInput, NotAuthorized, NotFound
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.permissions import Role, within_scope
from domain.shared.ports import Claim
from domain.shops.aggregate import MAX_ADDRESS, MAX_CATEGORY, MAX_NAME, MAX_TEXT, Shop, Step, check_text
from domain.shops.commands import (
    ApplyShop,
    ApproveShop,
    AwardShopPlaque,
    CloseSelectionRound,
    ConcludeShopComplaint,
    EraseShopComplaintPersonalData,
    FileShopObjection,
    InvestigateShopComplaint,
    OpenSelectionRound,
    PreReviewShop,
    RecommendShop,
    RecordShopComplaint,
    RecoverShopPlaque,
    RefuseShop,
    RegisterShop,
    ResolveShopObjection,
    ReviewShopYear,
    RevokeShop,
    ScoreShopQuarter,
    ShopCommand,
    SignShopPledge,
    UpdateShopDetails,
)
from domain.shops.complainants import ShopComplainant
from domain.shops.errors import NotEligible, PlaqueSerialTaken, RoundNotAllowed
from domain.shops.licence import check_attestations, check_credit_code
from domain.shops.rounds import SelectionRound, check_round, round_id
from domain.shops.rules import ShopRules, check_point, check_scores, review_outcome

PLAQUE = "shop.plaque"
_SERIAL = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}", re.ASCII)
_ACCOUNT = re.compile(r"[^\x00-\x1f]{1,200}")
A, S, C, BDS = Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY, Role.BUSINESS_DISTRICT_SECRETARY
REFUSERS: dict[Step, frozenset[Role]] = {
    Step.APPLIED: frozenset({BDS, C, S, A}),
    Step.RECOMMENDED: frozenset({S, A}),
    Step.PRE_REVIEWED: frozenset({A}),
    Step.APPROVED: frozenset({A}),
    Step.IN_NOTICE: frozenset({A}),
}
"""Who refuses an application at each step: the step's own decider, or one above it."""


def check_serial(value: str) -> str:
    serial = value.strip().upper()
    if not _SERIAL.fullmatch(serial):
        raise InvalidInput("a plaque serial has 3–32 characters: A–Z, 0–9 and dashes", field="plaqueSerial")
    return serial


def _note(value: str | None, field: str = "note") -> str | None:
    return None if value is None or not value.strip() else check_text(value, field, MAX_TEXT)


def _months_behind(paid_through: date, today: date) -> int:
    return (today.year - paid_through.year) * 12 + today.month - paid_through.month


async def _member_in_good_standing(unit: Unit, member_id: UUID, field: str, on: date) -> Member:
    """The member behind a shop: one the actor's scope holds, full (正式), dues kept up."""
    member = await unit.find(Member, member_id)
    # Within the actor's scope (a shop operator registers within its own, reading no member).
    if member is None or not within_scope(unit.actor, await unit.directory.path_of(member.home_organization_id)):
        raise NotFound(f"no member {member_id}", field=field)
    if member.standing is not Standing.FULL:
        raise NotEligible("the member behind a demonstration shop is a full member (正式党员)", field=field)
    grace = unit.need(ShopRules).dues_grace_months
    if member.dues_paid_through is None or _months_behind(member.dues_paid_through, on) >= grace:
        raise NotEligible(f"the member's dues are not kept up (paid through within the last {grace} months)",
                          field=field)
    return member


def _as_operator_only(unit: Unit) -> bool:
    """Whether the actor runs the command only by its SHOP_OPERATOR role."""
    roles = unit.actor.roles
    return Role.SHOP_OPERATOR in roles and not roles & (type(unit.command).allowed - {Role.SHOP_OPERATOR})


def _operator_check(unit: Unit, shop: Shop) -> None:
    """A shop operator acts only on its own shop (the other roles by scope alone)."""
    if _as_operator_only(unit) and shop.operator_subject != unit.actor.subject:
        raise NotAuthorized(f"a shop operator acts on its own shop only; you may not {unit.command.action}")


async def _shop(unit: Unit, cmd: ShopCommand) -> Shop:
    shop = await unit.find(Shop, cmd.shop_id)
    if shop is None:
        raise NotFound(f"no shop {cmd.shop_id}", field="shopId")
    await unit.authorize(shop.organization_id)
    _operator_check(unit, shop)
    unit.expect(shop)
    return shop


async def _round(unit: Unit, rid: UUID) -> SelectionRound:
    found = await unit.find(SelectionRound, rid)
    if found is None:
        raise NotFound(f"no selection round {rid}", field="roundId")
    return found


async def open_selection_round(cmd: OpenSelectionRound, unit: Unit) -> Decision:
    await unit.authorize(cmd.organization_id, field="organizationId")
    notice_days = cmd.notice_days if cmd.notice_days is not None else unit.need(ShopRules).notice_days
    check_round(cmd.year, cmd.quota, notice_days)
    org = await unit.load(Organization, cmd.organization_id, "organization")
    org.ensure_active()
    opened_on = cmd.opened_on or unit.today()
    if opened_on > unit.today() or opened_on.year != cmd.year:
        raise InvalidInput("a round opens in its year, not ahead of today", field="openedOn")
    if await unit.find(SelectionRound, round_id(org.id, cmd.year)) is not None:
        raise RoundNotAllowed(f"the {cmd.year} round of this organization is open already", field="year")
    selection = SelectionRound(organization_id=org.id, year=cmd.year, quota=cmd.quota, notice_days=notice_days,
                               opened_on=opened_on)
    return Decision(selection.id, ev.to_new_events(selection), guards={org.id: org.version})


async def close_selection_round(cmd: CloseSelectionRound, unit: Unit) -> Decision:
    """Close a round once nothing in it is pending (``SelectionRound.close`` says why it is
    refused rather than refusing what is pending)."""
    selection = await _round(unit, cmd.round_id)
    await unit.authorize(selection.organization_id)
    unit.expect(selection)
    selection.close(cmd.on or unit.today(), unit.today())
    return changed(selection)


async def update_shop_details(cmd: UpdateShopDetails, unit: Unit) -> Decision:
    """A licence renewed, the shop moved, its category changed: the details, never its identity
    (credit code, owner, operator) or where it stands."""
    address = None if cmd.address is None else check_text(cmd.address, "address", MAX_ADDRESS)
    category = None if cmd.category is None else check_text(cmd.category, "category", MAX_CATEGORY).upper()
    point = check_point(cmd.longitude, cmd.latitude)
    shop = await _shop(unit, cmd)
    shop.update_details(cmd.licence_valid_until, address, category, point)
    return changed(shop)


async def register_shop(cmd: RegisterShop, unit: Unit) -> Decision:
    await unit.authorize(cmd.organization_id, field="organizationId")
    org = await unit.load(Organization, cmd.organization_id, "organization")
    org.ensure_active()
    account = unit.actor.subject if _as_operator_only(unit) else cmd.operator_account
    if account is not None and not _ACCOUNT.fullmatch(account):
        raise InvalidInput("an operator account has 1–200 characters", field="operatorAccount")
    if (cmd.owner_member_id is None) == (cmd.operator_name is None):
        raise InvalidInput("name the owner (a member) or an operator with a member responsible", field="ownerMemberId")
    if cmd.operator_name is not None and cmd.responsible_member_id is None:
        raise InvalidInput("an operator's shop has a member responsible for it", field="responsibleMemberId")
    if cmd.owner_member_id is not None and cmd.responsible_member_id is not None:
        raise InvalidInput("a member's own shop needs no other member responsible", field="responsibleMemberId")
    member_id = cmd.owner_member_id or cmd.responsible_member_id
    assert member_id is not None
    member = await _member_in_good_standing(
        unit, member_id, "ownerMemberId" if cmd.owner_member_id else "responsibleMemberId", unit.today())
    shop = Shop(
        organization_id=org.id, name=check_text(cmd.name, "name", MAX_NAME), credit_code=check_credit_code(
            cmd.credit_code), licence_valid_until=cmd.licence_valid_until,
        address=check_text(cmd.address, "address", MAX_ADDRESS), point=check_point(cmd.longitude, cmd.latitude),
        category=check_text(cmd.category, "category", MAX_CATEGORY).upper(), owner_member_id=cmd.owner_member_id,
        operator_name=None if cmd.operator_name is None else check_name(cmd.operator_name),
        responsible_member_id=cmd.responsible_member_id, operator_subject=account,
    )
    return Decision(shop.id, ev.to_new_events(shop), guards={org.id: org.version, member.id: member.version})


async def apply_shop(cmd: ApplyShop, unit: Unit) -> Decision:
    attestations = check_attestations(cmd.attestations)
    shop = await _shop(unit, cmd)
    selection = await _round(unit, cmd.round_id)
    path = await unit.directory.path_of(shop.organization_id) or []
    if selection.organization_id not in path:
        raise RoundNotAllowed("the shop lies outside the round's business district", field="roundId")
    on = cmd.on or unit.today()
    if on > unit.today():
        raise InvalidInput("an application cannot be dated ahead of today", field="on")
    if on < selection.opened_on:
        raise InvalidInput(f"the round opened on {selection.opened_on.isoformat()}", field="on")
    if shop.licence_valid_until < selection.opened_on or shop.licence_valid_until < on:
        raise NotEligible(f"the business licence expired on {shop.licence_valid_until.isoformat()}",
                          field="shopId")
    failed = [a.condition.value for a in attestations if not a.holds]
    if failed:
        raise NotEligible(f"not eligible: {', '.join(failed)} not met", field="attestations")
    member = await _member_in_good_standing(unit, shop.member_id, "shopId", on)
    application = shop.apply(selection.id, attestations, on)
    selection.receive_application(shop.id)  # refused once the round is closed
    return Decision(shop.id, [*ev.to_new_events(shop), *ev.to_new_events(selection)],
                    guards={member.id: member.version}, result={"application_id": str(application)})


async def recommend_shop(cmd: RecommendShop, unit: Unit) -> Decision:
    shop = await _shop(unit, cmd)
    shop.recommend(cmd.on or unit.today(), unit.today(), _note(cmd.note))
    return changed(shop)


async def pre_review_shop(cmd: PreReviewShop, unit: Unit) -> Decision:
    shop = await _shop(unit, cmd)
    shop.pre_review(cmd.on or unit.today(), unit.today(), _note(cmd.note))
    return changed(shop)


async def approve_shop(cmd: ApproveShop, unit: Unit) -> Decision:
    shop = await _shop(unit, cmd)
    app = shop.open_application()
    selection = await _round(unit, app.round_id)
    shop.approve(cmd.on or unit.today(), unit.today())
    selection.take_place(shop.id)
    # The round's place first: a reader of the log meets the quota before the approval.
    return Decision(shop.id, [*ev.to_new_events(selection), *ev.to_new_events(shop)])


async def sign_shop_pledge(cmd: SignShopPledge, unit: Unit) -> Decision:
    shop = await _shop(unit, cmd)
    selection = await _round(unit, shop.open_application().round_id)
    shop.sign_pledge(cmd.on or unit.today(), unit.today(), selection.notice_days)
    return changed(shop)


async def file_shop_objection(cmd: FileShopObjection, unit: Unit) -> Decision:
    shop = await _shop(unit, cmd)
    objection = shop.file_objection(cmd.text, cmd.on or unit.today(), unit.today())
    return changed(shop, result={"objection_id": str(objection)})


async def _refusal(unit: Unit, shop: Shop, reason: str, on: date) -> Decision:
    """Refuse the open application: it leaves its round's pending ones, and an approved one
    gives its place back."""
    app = shop.refuse(reason, on, unit.today())
    selection = await _round(unit, app.round_id)
    if app.step in (Step.APPROVED, Step.IN_NOTICE):
        selection.release_place(shop.id)
    selection.end_application(shop.id, "REFUSED")
    return Decision(shop.id, [*ev.to_new_events(shop), *ev.to_new_events(selection)], reason=reason)


async def resolve_shop_objection(cmd: ResolveShopObjection, unit: Unit) -> Decision:
    shop = await _shop(unit, cmd)
    on = cmd.on or unit.today()
    shop.resolve_objection(cmd.objection_id, cmd.upheld, cmd.resolution, on, unit.today())
    if cmd.upheld:
        return await _refusal(unit, shop, required_reason(f"objection upheld: {cmd.resolution}"[:500]), on)
    return changed(shop, result={"objection_id": str(cmd.objection_id)})


async def refuse_shop(cmd: RefuseShop, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    shop = await _shop(unit, cmd)
    step = shop.open_application().step
    if not unit.actor.roles & REFUSERS[step]:
        raise NotAuthorized(f"an application at {step.value} is refused by"
                            f" {', '.join(sorted(r.value for r in REFUSERS[step]))}")
    return await _refusal(unit, shop, reason, cmd.on or unit.today())


async def award_shop_plaque(cmd: AwardShopPlaque, unit: Unit) -> Decision:
    serial = check_serial(cmd.plaque_serial)
    shop = await _shop(unit, cmd)
    selection = await _round(unit, shop.open_application().round_id)
    shop.award(serial, cmd.on or unit.today(), unit.today(), selection.year)
    selection.end_application(shop.id, "AWARDED")
    return Decision(shop.id, [*ev.to_new_events(shop), *ev.to_new_events(selection)],
                    claims=[Claim(PLAQUE, serial, shop.id)], claim_errors={PLAQUE: PlaqueSerialTaken},
                    claim_fields={PLAQUE: "plaqueSerial"})


async def revoke_shop(cmd: RevokeShop, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    shop = await _shop(unit, cmd)
    shop.revoke(reason, cmd.on or unit.today(), unit.today())
    return changed(shop, reason=reason)


async def recover_shop_plaque(cmd: RecoverShopPlaque, unit: Unit) -> Decision:
    shop = await _shop(unit, cmd)
    shop.recover_plaque(cmd.recovered_by, cmd.on or unit.today(), unit.today())
    return changed(shop)


async def record_shop_complaint(cmd: RecordShopComplaint, unit: Unit) -> Decision:
    """The complaint goes to the shop's stream; who made it, if named, to the complaint's
    own ``ShopComplainant`` stream in the same append (sealed under that complaint's keys)."""
    shop = await _shop(unit, cmd)
    phone = check_phone(cmd.phone)
    name = None if cmd.complainant_name is None or not cmd.complainant_name.strip() else check_text(
        cmd.complainant_name, "complainantName", MAX_NAME)
    complaint = shop.record_complaint(cmd.channel, cmd.summary, cmd.received_on or unit.today(), unit.today())
    events = ev.to_new_events(shop)
    if name is not None or phone is not None:
        events += ev.to_new_events(ShopComplainant.record(complaint, shop.organization_id, shop.id, name, phone))
    return Decision(shop.id, events, result={"complaint_id": str(complaint)})


async def erase_shop_complaint_personal_data(cmd: EraseShopComplaintPersonalData, unit: Unit) -> Decision:
    """The erasure is recorded with its reason in the complainant's stream; the store destroys
    that complaint's keys in the same transaction (the shop's and its member's stay)."""
    reason = required_reason(cmd.reason)
    shop = await _shop(unit, cmd)
    if cmd.complaint_id not in shop.complaints:
        raise NotFound(f"no complaint {cmd.complaint_id} about this shop", field="complaintId")
    complainant = await unit.find(ShopComplainant, cmd.complaint_id)
    if complainant is None:
        raise InvalidInput("the complaint recorded no complainant's name or phone: nothing to erase",
                           field="complaintId")
    complainant.erase_personal_data()
    return Decision(shop.id, ev.to_new_events(complainant), result={"complaint_id": str(cmd.complaint_id)},
                    reason=reason)


async def investigate_shop_complaint(cmd: InvestigateShopComplaint, unit: Unit) -> Decision:
    shop = await _shop(unit, cmd)
    shop.investigate_complaint(cmd.complaint_id, cmd.investigator, cmd.on or unit.today(), unit.today())
    return changed(shop, result={"complaint_id": str(cmd.complaint_id)})


async def conclude_shop_complaint(cmd: ConcludeShopComplaint, unit: Unit) -> Decision:
    shop = await _shop(unit, cmd)
    revoked = shop.conclude_complaint(cmd.complaint_id, cmd.verified, cmd.serious, cmd.conclusion,
                                      cmd.on or unit.today(), unit.today())
    reason = optional_reason(f"一票否决: {cmd.conclusion}"[:500]) if revoked else None
    return changed(shop, result={"complaint_id": str(cmd.complaint_id)}, reason=reason)


async def score_shop_quarter(cmd: ScoreShopQuarter, unit: Unit) -> Decision:
    scores = check_scores(cmd.scores, unit.need(ShopRules))
    shop = await _shop(unit, cmd)
    shop.score_quarter(cmd.year, cmd.quarter, scores, cmd.on or unit.today(), unit.today())
    return changed(shop)


async def review_shop_year(cmd: ReviewShopYear, unit: Unit) -> Decision:
    rules = unit.need(ShopRules)
    shop = await _shop(unit, cmd)
    outcome = shop.review_year(cmd.year, lambda average: review_outcome(average, rules), cmd.on or unit.today(),
                               unit.today())
    return changed(shop, result={"outcome": outcome.value})


HANDLERS: dict[type, Handler] = {
    OpenSelectionRound: open_selection_round,
    CloseSelectionRound: close_selection_round,
    RegisterShop: register_shop,
    UpdateShopDetails: update_shop_details,
    ApplyShop: apply_shop,
    RecommendShop: recommend_shop,
    PreReviewShop: pre_review_shop,
    ApproveShop: approve_shop,
    SignShopPledge: sign_shop_pledge,
    FileShopObjection: file_shop_objection,
    ResolveShopObjection: resolve_shop_objection,
    RefuseShop: refuse_shop,
    AwardShopPlaque: award_shop_plaque,
    RevokeShop: revoke_shop,
    RecoverShopPlaque: recover_shop_plaque,
    RecordShopComplaint: record_shop_complaint,
    InvestigateShopComplaint: investigate_shop_complaint,
    ConcludeShopComplaint: conclude_shop_complaint,
    EraseShopComplaintPersonalData: erase_shop_complaint_personal_data,
    ScoreShopQuarter: score_shop_quarter,
    ReviewShopYear: review_shop_year,
}
