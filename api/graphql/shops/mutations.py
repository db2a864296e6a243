"""Mutations of demonstration shops: each builds a command and hands it to the domain."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.shops.errors import (
    AlreadyRevoked,
    NotEligible,
    NoticePeriodRunning,
    PlaqueSerialTaken,
    QuotaExhausted,
    RoundNotAllowed,
    ShopNotAllowed,
)
from api.graphql.shops.queries import load_selection_round, load_shop
from api.graphql.shops.types import SelectionRound, Shop
from domain.shared.commands import Outcome
from domain.shops import commands as sc
from domain.shops.aggregate import Channel
from domain.shops.licence import Attestation, Attested

strawberry.enum(Attested, description="An eligibility condition an application attests: no criminal penalty, no"
                                      " administrative penalty, no serious credit record.")

_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")
_ON = "Defaults to today; not ahead of today, not before the step it follows."


@strawberry.type(description="The shop as the read model has it after the change.")
class ShopPayload:
    shop: Shop | None = strawberry.field(description="The changed shop.")
    objection_id: strawberry.ID | None = strawberry.field(description="The objection filed or resolved, if any.")
    complaint_id: strawberry.ID | None = strawberry.field(description="The complaint recorded or changed, if any.")
    outcome: str | None = strawberry.field(description="A yearly review's outcome: FIVE_STARS, THREE_STARS or"
                                                       " REVOKED.")
    position: int = strawberry.field(description="Log position of the change.")


@strawberry.type(description="The selection round as the read model has it after the change.")
class SelectionRoundPayload:
    round: SelectionRound | None = strawberry.field(description="The round.")
    position: int = strawberry.field(description="Log position of the change.")


_STEP = (ShopPayload, ShopNotAllowed)
OpenSelectionRoundResult = result_union("OpenSelectionRoundResult", SelectionRoundPayload, RoundNotAllowed)
RegisterShopResult = result_union("RegisterShopResult", ShopPayload, NotEligible)
ApplyShopResult = result_union("ApplyShopResult", *_STEP, NotEligible, RoundNotAllowed)
RecommendShopResult = result_union("RecommendShopResult", *_STEP)
PreReviewShopResult = result_union("PreReviewShopResult", *_STEP)
ApproveShopResult = result_union("ApproveShopResult", *_STEP, QuotaExhausted)
SignShopPledgeResult = result_union("SignShopPledgeResult", *_STEP)
FileShopObjectionResult = result_union("FileShopObjectionResult", *_STEP)
ResolveShopObjectionResult = result_union("ResolveShopObjectionResult", *_STEP)
RefuseShopResult = result_union("RefuseShopResult", *_STEP)
AwardShopPlaqueResult = result_union("AwardShopPlaqueResult", *_STEP, NoticePeriodRunning, PlaqueSerialTaken)
RevokeShopResult = result_union("RevokeShopResult", *_STEP, AlreadyRevoked)
RecoverShopPlaqueResult = result_union("RecoverShopPlaqueResult", *_STEP, AlreadyRevoked)
RecordShopComplaintResult = result_union("RecordShopComplaintResult", *_STEP)
InvestigateShopComplaintResult = result_union("InvestigateShopComplaintResult", *_STEP)
ConcludeShopComplaintResult = result_union("ConcludeShopComplaintResult", *_STEP, AlreadyRevoked)
ScoreShopQuarterResult = result_union("ScoreShopQuarterResult", *_STEP)
ReviewShopYearResult = result_union("ReviewShopYearResult", *_STEP, AlreadyRevoked)
EraseShopComplaintPersonalDataResult = result_union("EraseShopComplaintPersonalDataResult", *_STEP)
CloseSelectionRoundResult = result_union("CloseSelectionRoundResult", SelectionRoundPayload, RoundNotAllowed)
UpdateShopDetailsResult = result_union("UpdateShopDetailsResult", *_STEP)


@strawberry.input(description="Open the year's selection round of a business district, with its quota.")
class OpenSelectionRoundInput:
    organization_id: strawberry.ID = strawberry.field(description="The business-district committee (or subtree).")
    year: int = strawberry.field(description="The year it selects for.")
    quota: int = strawberry.field(description="The most shops it selects: 1–1000.")
    notice_days: int | None = strawberry.field(default=None, description="Days of public notice (1–60); default"
                                                                          " GRASSROOTS_SHOP_NOTICE_DAYS (5).")
    opened_on: date | None = strawberry.field(default=None, description="Defaults to today; in the round's year.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Close a selection round once no application in it is pending; it takes none after.")
class CloseSelectionRoundInput:
    round_id: strawberry.ID = strawberry.field(description="The round.")
    on: date | None = strawberry.field(default=None, description="Defaults to today; not before the round opened.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Update a shop's details: what is not given stays (at least one must change).")
class UpdateShopDetailsInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    licence_valid_until: date | None = strawberry.field(default=None, description="The renewed business licence's"
                                                                                  " last valid day.")
    address: str | None = strawberry.field(default=None, description="The new address: 1–200 characters.")
    category: str | None = strawberry.field(default=None, description="The new business category: 1–40 characters"
                                                                      " (stored upper case).")
    longitude: float | None = strawberry.field(default=None, description="A new map point (WGS-84), with latitude.")
    latitude: float | None = strawberry.field(default=None, description="A new map point (WGS-84), with longitude.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Register a shop run by a member (ownerMemberId), or by a named operator with a member"
                              " responsible for it; the member is full and in good standing.")
class RegisterShopInput:
    organization_id: strawberry.ID = strawberry.field(description="Its business-district committee or community.")
    name: str = strawberry.field(description="Business name: 1–100 characters.")
    credit_code: str = strawberry.field(description="Unified social credit code: 18 characters, check digit valid.")
    licence_valid_until: date = strawberry.field(description="The business licence's last valid day.")
    address: str = strawberry.field(description="Address: 1–200 characters.")
    category: str = strawberry.field(description="Business category: 1–40 characters (stored upper case).")
    owner_member_id: strawberry.ID | None = strawberry.field(default=None, description="The member who owns it...")
    operator_name: str | None = strawberry.field(default=None, description="...or the operator's name (at most 120"
                                                                    " characters)...")
    responsible_member_id: strawberry.ID | None = strawberry.field(default=None, description="...with the member"
                                                                                             " responsible.")
    operator_account: str | None = strawberry.field(default=None, description="The operator's token subject, 1–200"
                                                                              " characters (a SHOP_OPERATOR reads"
                                                                              " its shop); a shop operator"
                                                                              " registering sets its own.")
    longitude: float | None = strawberry.field(default=None, description="Map point (WGS-84), within China.")
    latitude: float | None = strawberry.field(default=None, description="Map point (WGS-84), within China.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="One eligibility condition as declared, with the document it rests on.")
class AttestationInput:
    condition: Attested = strawberry.field(description="The condition.")
    holds: bool = strawberry.field(description="true: met (no penalty found); false: the document shows one.")
    source_document: str = strawberry.field(description="The document's number: 1–60 characters.")


@strawberry.input(description="Apply for a selection round, attesting each eligibility condition.")
class ApplyShopInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    round_id: strawberry.ID = strawberry.field(description="The round (of the shop's business district).")
    attestations: list[AttestationInput] = strawberry.field(description="Each condition once (at most 3).")
    on: date | None = strawberry.field(default=None, description=_ON)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="A step of a shop's application.")
class _ShopStep:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    on: date | None = strawberry.field(default=None, description=_ON)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="A step of a shop's application with a note.")
class _NotedStep(_ShopStep):
    note: str | None = strawberry.field(default=None, description="A note: at most 2000 characters.")


@strawberry.input(description="Recommend a shop's application (the community or business-district committee).")
class RecommendShopInput(_NotedStep):
    pass


@strawberry.input(description="Pre-review a recommended application (the street).")
class PreReviewShopInput(_NotedStep):
    pass


@strawberry.input(description="Approve a pre-reviewed application: it takes a place of the round's quota.")
class ApproveShopInput(_ShopStep):
    pass


@strawberry.input(description="Record the signed integrity pledge: the public notice starts that day.")
class SignShopPledgeInput(_ShopStep):
    pass


@strawberry.input(description="File an objection during the shop's public notice.")
class FileShopObjectionInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    text: str = strawberry.field(description="The objection: 1–2000 characters.")
    on: date | None = strawberry.field(default=None, description="Defaults to today; within the notice.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Resolve an objection: upheld refuses the application; dismissed, the notice goes on.")
class ResolveShopObjectionInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    objection_id: strawberry.ID = strawberry.field(description="The objection.")
    upheld: bool = strawberry.field(description="Whether the objection is upheld.")
    resolution: str = strawberry.field(description="The resolution: 1–2000 characters.")
    on: date | None = strawberry.field(default=None, description=_ON)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="A step with a reason.")
class _ReasonedStep:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    reason: str = strawberry.field(description="Why: 1–500 characters.")
    on: date | None = strawberry.field(default=None, description=_ON)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Refuse the shop's open application at its step, with a reason.")
class RefuseShopInput(_ReasonedStep):
    pass


@strawberry.input(description="Revoke the shop's plaque (摘牌) by decision, with a reason.")
class RevokeShopInput(_ReasonedStep):
    pass


@strawberry.input(description="Award the plaque once the notice has run and its objections are resolved.")
class AwardShopPlaqueInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    plaque_serial: str = strawberry.field(description="The plaque's serial: 3–32 of A–Z, 0–9, dashes; never reused.")
    on: date | None = strawberry.field(default=None, description="Defaults to today; after the notice's last day.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record the recovery (收回) of a revoked shop's plaque.")
class RecoverShopPlaqueInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    recovered_by: str = strawberry.field(description="Who recovered it: 1–100 characters.")
    on: date | None = strawberry.field(default=None, description=_ON)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record a complaint about a shop (the complainant's name and phone are personal data:"
                              " sealed in the log under the complaint's own keys, masked for roles that do not see"
                              " personal data, erasable with eraseShopComplaintPersonalData).")
class RecordShopComplaintInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    channel: Channel = strawberry.field(description="How it came in.")
    summary: str = strawberry.field(description="What it is about: 1–2000 characters.")
    complainant_name: str | None = strawberry.field(default=None, description="The complainant, if named: at most 100"
                                                                                " characters.")
    phone: str | None = strawberry.field(default=None, description="The complainant's phone, if given: at"
                                                                     " most 20 characters.")
    received_on: date | None = strawberry.field(default=None, description="Defaults to today; not ahead of it.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Start investigating a complaint.")
class InvestigateShopComplaintInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    complaint_id: strawberry.ID = strawberry.field(description="The complaint.")
    investigator: str = strawberry.field(description="Who investigates: 1–100 characters.")
    on: date | None = strawberry.field(default=None, description=_ON)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Conclude a complaint; verified and serious, it revokes the plaque at once (一票否决).")
class ConcludeShopComplaintInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    complaint_id: strawberry.ID = strawberry.field(description="The complaint.")
    verified: bool = strawberry.field(description="Whether it was found true.")
    serious: bool = strawberry.field(description="Whether it is serious (only a verified one is).")
    conclusion: str = strawberry.field(description="The conclusion: 1–2000 characters.")
    on: date | None = strawberry.field(default=None, description=_ON)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Erase a complainant's name and phone on a lawful request (the complaint stays).")
class EraseShopComplaintPersonalDataInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    complaint_id: strawberry.ID = strawberry.field(description="The complaint whose complainant is erased.")
    reason: str = strawberry.field(description="The lawful request: 1–500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Points for one criterion of a quarterly score.")
class CriterionScoreInput:
    criterion: str = strawberry.field(description="A configured criterion (at most 40 characters):"
                                                  " SERVICE_QUALITY (30), INTEGRITY (30), MEMBER_DUTIES (20),"
                                                  " COMPLAINTS (20) by default.")
    points: int = strawberry.field(description="0 to the criterion's most.")


@strawberry.input(description="Score a plaque-holding shop's quarter on every configured criterion.")
class ScoreShopQuarterInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    year: int = strawberry.field(description="The year: from the award's, not ahead of the current quarter.")
    quarter: int = strawberry.field(description="1–4; each quarter once.")
    scores: list[CriterionScoreInput] = strawberry.field(description="Every criterion once (at most 20).")
    on: date | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Confirm a year's stars from its quarterly scores (or revoke below three stars).")
class ReviewShopYearInput:
    shop_id: strawberry.ID = strawberry.field(description="The shop.")
    year: int = strawberry.field(description="The year reviewed (at least one quarter scored).")
    on: date | None = strawberry.field(default=None, description="Defaults to today.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


def _shop_payload(info: Info) -> Any:
    async def present(o: Outcome) -> ShopPayload:
        objection, complaint = o.extra.get("objection_id"), o.extra.get("complaint_id")
        return ShopPayload(shop=await load_shop(info, o.id), position=o.position,
                           objection_id=strawberry.ID(objection) if objection else None,
                           complaint_id=strawberry.ID(complaint) if complaint else None,
                           outcome=o.extra.get("outcome"))
    return present


def _round_payload(info: Info) -> Any:
    async def present(o: Outcome) -> SelectionRoundPayload:
        return SelectionRoundPayload(round=await load_selection_round(info, o.id), position=o.position)
    return present


def _shop(value: strawberry.ID) -> Any:
    return parse_id(value, "shopId")


@strawberry.type(description="Change demonstration shops and their selection rounds.")
class ShopMutations:
    @strawberry.mutation(description="Open the year's selection round of a business district (the district).")
    async def open_selection_round(self, info: Info, input: OpenSelectionRoundInput) -> OpenSelectionRoundResult:
        return await execute(info, input, lambda: sc.OpenSelectionRound(
            parse_id(input.organization_id, "organizationId"), input.year, input.quota, input.notice_days,
            input.opened_on), _round_payload(info))

    @strawberry.mutation(description="Register a shop (its committee, the admins above, or its operator).")
    async def register_shop(self, info: Info, input: RegisterShopInput) -> RegisterShopResult:
        return await execute(info, input, lambda: sc.RegisterShop(
            parse_id(input.organization_id, "organizationId"), input.name, input.credit_code,
            input.licence_valid_until, input.address, input.category,
            owner_member_id=None if input.owner_member_id is None else parse_id(input.owner_member_id,
                                                                                "ownerMemberId"),
            operator_name=input.operator_name,
            responsible_member_id=None if input.responsible_member_id is None else parse_id(
                input.responsible_member_id, "responsibleMemberId"),
            operator_account=input.operator_account, longitude=input.longitude, latitude=input.latitude),
            _shop_payload(info))

    @strawberry.mutation(description="Apply for a selection round (the committee or the shop's operator).")
    async def apply_shop(self, info: Info, input: ApplyShopInput) -> ApplyShopResult:
        return await execute(info, input, lambda: sc.ApplyShop(
            _shop(input.shop_id), parse_id(input.round_id, "roundId"),
            tuple(Attestation(a.condition, a.holds, a.source_document) for a in input.attestations), input.on),
            _shop_payload(info))

    @strawberry.mutation(description="Recommend the application (the community or business-district committee).")
    async def recommend_shop(self, info: Info, input: RecommendShopInput) -> RecommendShopResult:
        return await execute(info, input, lambda: sc.RecommendShop(_shop(input.shop_id), input.note, input.on),
                             _shop_payload(info))

    @strawberry.mutation(description="Pre-review the recommended application (the street).")
    async def pre_review_shop(self, info: Info, input: PreReviewShopInput) -> PreReviewShopResult:
        return await execute(info, input, lambda: sc.PreReviewShop(_shop(input.shop_id), input.note, input.on),
                             _shop_payload(info))

    @strawberry.mutation(description="Approve the application, taking a place of the round's quota (the district).")
    async def approve_shop(self, info: Info, input: ApproveShopInput) -> ApproveShopResult:
        return await execute(info, input, lambda: sc.ApproveShop(_shop(input.shop_id), input.on),
                             _shop_payload(info))

    @strawberry.mutation(description="Record the signed integrity pledge (承诺): the public notice starts that day.")
    async def sign_shop_pledge(self, info: Info, input: SignShopPledgeInput) -> SignShopPledgeResult:
        return await execute(info, input, lambda: sc.SignShopPledge(_shop(input.shop_id), input.on),
                             _shop_payload(info))

    @strawberry.mutation(description="File an objection during the public notice.")
    async def file_shop_objection(self, info: Info, input: FileShopObjectionInput) -> FileShopObjectionResult:
        return await execute(info, input, lambda: sc.FileShopObjection(_shop(input.shop_id), input.text, input.on),
                             _shop_payload(info))

    @strawberry.mutation(description="Resolve an objection (the district): upheld refuses the application.")
    async def resolve_shop_objection(self, info: Info,
                                     input: ResolveShopObjectionInput) -> ResolveShopObjectionResult:
        return await execute(info, input, lambda: sc.ResolveShopObjection(
            _shop(input.shop_id), parse_id(input.objection_id, "objectionId"), input.upheld, input.resolution,
            input.on), _shop_payload(info))

    @strawberry.mutation(description="Refuse the open application at its step, with a reason.")
    async def refuse_shop(self, info: Info, input: RefuseShopInput) -> RefuseShopResult:
        return await execute(info, input, lambda: sc.RefuseShop(_shop(input.shop_id), input.reason, input.on),
                             _shop_payload(info))

    @strawberry.mutation(description="Award the plaque with its serial (the district).")
    async def award_shop_plaque(self, info: Info, input: AwardShopPlaqueInput) -> AwardShopPlaqueResult:
        return await execute(info, input, lambda: sc.AwardShopPlaque(_shop(input.shop_id), input.plaque_serial,
                                                                     input.on), _shop_payload(info))

    @strawberry.mutation(description="Revoke the shop's plaque (摘牌) by decision, with a reason (the district).")
    async def revoke_shop(self, info: Info, input: RevokeShopInput) -> RevokeShopResult:
        return await execute(info, input, lambda: sc.RevokeShop(_shop(input.shop_id), input.reason, input.on),
                             _shop_payload(info))

    @strawberry.mutation(description="Record the recovery of a revoked shop's plaque (the street or district).")
    async def recover_shop_plaque(self, info: Info, input: RecoverShopPlaqueInput) -> RecoverShopPlaqueResult:
        return await execute(info, input, lambda: sc.RecoverShopPlaque(_shop(input.shop_id), input.recovered_by,
                                                                       input.on), _shop_payload(info))

    @strawberry.mutation(description="Record a complaint about a shop (its committee, the admins above, or an"
                                     " integration: the 12345 hotline).")
    async def record_shop_complaint(self, info: Info, input: RecordShopComplaintInput) -> RecordShopComplaintResult:
        return await execute(info, input, lambda: sc.RecordShopComplaint(
            _shop(input.shop_id), input.channel, input.summary, input.complainant_name, input.phone,
            input.received_on), _shop_payload(info))

    @strawberry.mutation(description="Start investigating a complaint (the street or district).")
    async def investigate_shop_complaint(self, info: Info, input: InvestigateShopComplaintInput,
                                         ) -> InvestigateShopComplaintResult:
        return await execute(info, input, lambda: sc.InvestigateShopComplaint(
            _shop(input.shop_id), parse_id(input.complaint_id, "complaintId"), input.investigator, input.on),
            _shop_payload(info))

    @strawberry.mutation(description="Conclude a complaint (the district); verified and serious revokes at once.")
    async def conclude_shop_complaint(self, info: Info, input: ConcludeShopComplaintInput,
                                      ) -> ConcludeShopComplaintResult:
        return await execute(info, input, lambda: sc.ConcludeShopComplaint(
            _shop(input.shop_id), parse_id(input.complaint_id, "complaintId"), input.verified, input.serious,
            input.conclusion, input.on), _shop_payload(info))

    @strawberry.mutation(description="Score a quarter on the configured criteria (the committee or street).")
    async def score_shop_quarter(self, info: Info, input: ScoreShopQuarterInput) -> ScoreShopQuarterResult:
        return await execute(info, input, lambda: sc.ScoreShopQuarter(
            _shop(input.shop_id), input.year, input.quarter,
            tuple((s.criterion, s.points) for s in input.scores), input.on), _shop_payload(info))

    @strawberry.mutation(description="Confirm the year's stars from its quarterly scores (the district).")
    async def review_shop_year(self, info: Info, input: ReviewShopYearInput) -> ReviewShopYearResult:
        return await execute(info, input, lambda: sc.ReviewShopYear(_shop(input.shop_id), input.year, input.on),
                             _shop_payload(info))

    @strawberry.mutation(description="Erase a complainant's name and phone on a lawful request, with the reason (the"
                                     " district): the complaint's keys are destroyed, so they read as null everywhere"
                                     " (read models, history, feed) while the log and its proofs stay valid.")
    async def erase_shop_complaint_personal_data(self, info: Info, input: EraseShopComplaintPersonalDataInput,
                                                 ) -> EraseShopComplaintPersonalDataResult:
        return await execute(info, input, lambda: sc.EraseShopComplaintPersonalData(
            _shop(input.shop_id), parse_id(input.complaint_id, "complaintId"), input.reason), _shop_payload(info))

    @strawberry.mutation(description="Close a selection round (the district): refused (RoundNotAllowed) while any"
                                     " application in it is pending; award or refuse each first. It takes no"
                                     " application after.")
    async def close_selection_round(self, info: Info, input: CloseSelectionRoundInput) -> CloseSelectionRoundResult:
        return await execute(info, input, lambda: sc.CloseSelectionRound(parse_id(input.round_id, "roundId"),
                                                                         input.on), _round_payload(info))

    @strawberry.mutation(description="Update a shop's details: a renewed licence, its address or map point, its"
                                     " category (the shop's committee secretary).")
    async def update_shop_details(self, info: Info, input: UpdateShopDetailsInput) -> UpdateShopDetailsResult:
        return await execute(info, input, lambda: sc.UpdateShopDetails(
            _shop(input.shop_id), input.licence_valid_until, input.address, input.category, input.longitude,
            input.latitude), _shop_payload(info))
