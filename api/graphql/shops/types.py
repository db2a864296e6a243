"""Object types of demonstration shops, their rounds, plaques, objections, complaints and scores."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import strawberry
from strawberry.scalars import JSON

from api.graphql.core.context import Info
from api.graphql.core.relay import Node
from api.graphql.members.types import Member, load_member
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from domain.shared.permissions import Actor, Role, reads_by_scope
from domain.shared.privacy import visible
from domain.shops.aggregate import Channel, ComplaintState, ShopState

strawberry.enum(ShopState, description="Where a shop stands: its open application's step (APPLIED, RECOMMENDED,"
                                       " PRE_REVIEWED, APPROVED, IN_NOTICE), or REGISTERED, AWARDED (plaque on"
                                       " show), REVOKED (摘牌).")
strawberry.enum(Channel, description="How a complaint came in (the 12345 hotline, a visit, online, an inspection).")
strawberry.enum(ComplaintState, description="Where a complaint stands: received, under investigation, concluded.")


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


def operator_only(actor: Actor) -> bool:
    """A shop operator's token (and no other role): it reads its own shop only."""
    return Role.SHOP_OPERATOR in actor.roles and not reads_by_scope(actor)


def overdue_since(info: Info) -> date:
    """Plaques revoked before this day and not recovered are overdue."""
    return info.context.today() - timedelta(days=info.context.settings.shops.plaque_overdue_days)


@strawberry.type(description="A selection round (评选): one year of one business district, with its quota.")
class SelectionRound(Node):
    row: strawberry.Private[asyncpg.Record]
    year: int = strawberry.field(description="The year it selects for.")
    quota: int = strawberry.field(description="The most shops it selects.")
    taken: int = strawberry.field(description="Places held by approved shops (refusals give theirs back).")
    remaining: int = strawberry.field(description="Places left: quota − taken.")
    notice_days: int = strawberry.field(description="Days its public notices run.")
    opened_on: date = strawberry.field(description="When it opened (licences must be valid on that day).")
    opened_by: str = strawberry.field(description="Who opened it.")
    pending: int = strawberry.field(description="Applications in it neither awarded nor refused yet (a round closes"
                                                " only at 0).")
    closed_on: date | None = strawberry.field(description="When it was closed (`closeSelectionRound`): it takes no"
                                                          " application since; null while open.")
    closed_by: str | None = strawberry.field(description="Who closed it.")

    @strawberry.field(description="The business-district committee (or subtree) whose shops it selects.")
    async def organization(self, info: Info) -> Organization | None:
        return await load_organization(info, self.row["organization_id"])


def selection_round(r: asyncpg.Record) -> SelectionRound:
    return SelectionRound(id=_id(r["id"]), row=r, year=r["year"], quota=r["quota"], taken=r["taken"],
                          remaining=r["quota"] - r["taken"], notice_days=r["notice_days"], opened_on=r["opened_on"],
                          opened_by=r["opened_by"], pending=r["pending"], closed_on=r["closed_on"],
                          closed_by=r["closed_by"])


@strawberry.type(description="An objection filed during a public notice, and how it was resolved.")
class ShopObjection:
    id: strawberry.ID = strawberry.field(description="The objection's id (name it to resolve it).")
    filed_on: date = strawberry.field(description="When it was filed.")
    text: str = strawberry.field(description="What it says.")
    filed_by: str = strawberry.field(description="Who recorded it.")
    upheld: bool | None = strawberry.field(description="true: upheld (the application was refused); false:"
                                                       " dismissed; null: not resolved yet.")
    resolution: str | None = strawberry.field(description="The resolution.")
    resolved_on: date | None = strawberry.field(description="When it was resolved.")


@strawberry.type(description="A complaint about a shop: recorded, investigated, concluded. The complainant's name"
                             " and phone are personal data: sealed in the log under the complaint's own keys,"
                             " masked unless your role sees personal data, erasable per complaint.")
class ShopComplaint:
    row: strawberry.Private[asyncpg.Record]
    id: strawberry.ID = strawberry.field(description="The complaint's id.")
    channel: Channel = strawberry.field(description="How it came in.")
    received_on: date = strawberry.field(description="When it came in.")
    summary: str = strawberry.field(description="What it is about.")
    state: ComplaintState = strawberry.field(description="Where it stands.")
    investigator: str | None = strawberry.field(description="Who investigates it.")
    verified: bool | None = strawberry.field(description="Whether it was found true (once concluded).")
    serious: bool | None = strawberry.field(description="Whether it was serious: verified and serious revokes at"
                                                        " once (一票否决).")
    conclusion: str | None = strawberry.field(description="The conclusion.")
    concluded_on: date | None = strawberry.field(description="When it was concluded.")
    recorded_by: str = strawberry.field(description="Who recorded it (an integration: the 12345 hotline).")

    @strawberry.field(description="The complainant's name: `****` unless your role sees personal data; null"
                                  " once erased.")
    def complainant_name(self, info: Info) -> str | None:
        return visible("complainant_name", self.row["complainant_name"], info.context.actor)

    @strawberry.field(description="The complainant's phone: masked unless your role sees personal data; null once"
                                  " erased.")
    def phone(self, info: Info) -> str | None:
        return visible("phone", self.row["phone"], info.context.actor)

    @strawberry.field(description="When the complainant's name and phone were erased on a lawful request"
                                  " (`eraseShopComplaintPersonalData`); null if they never were.")
    def personal_data_erased_at(self) -> datetime | None:
        return self.row["personal_data_erased_at"]  # type: ignore[no-any-return]


@strawberry.type(description="One quarter's score of a shop on the configured criteria (a 100-point scale).")
class ShopScore:
    year: int = strawberry.field(description="The year.")
    quarter: int = strawberry.field(description="The quarter, 1–4.")
    scores: JSON = strawberry.field(description="Points by criterion, e.g. {\"SERVICE_QUALITY\": 28, ...}.")
    total: int = strawberry.field(description="Their sum, of 100.")
    scored_on: date = strawberry.field(description="When it was scored.")
    scored_by: str = strawberry.field(description="Who scored it.")


@strawberry.type(description="One plaque a shop held: from its award to its revocation and recovery.")
class ShopPlaque:
    plaque_serial: str = strawberry.field(description="The plaque's serial: unique, never reused.")
    year: int = strawberry.field(description="The round's year.")
    round_id: strawberry.ID = strawberry.field(description="The round that awarded it.")
    awarded_on: date = strawberry.field(description="When it was awarded.")
    revoked_on: date | None = strawberry.field(description="When it was revoked (摘牌), if it was.")
    revoked_reason: str | None = strawberry.field(description="Why.")
    complaint_id: strawberry.ID | None = strawberry.field(description="The verified serious complaint that revoked"
                                                                      " it, if one did.")
    recovered_on: date | None = strawberry.field(description="When the plaque was recovered (收回).")
    recovered_by: str | None = strawberry.field(description="Who recovered it.")
    overdue: bool = strawberry.field(description="Revoked, not recovered, past the configured days"
                                                 " (GRASSROOTS_PLAQUE_OVERDUE_DAYS).")


def plaque(r: asyncpg.Record, info: Info) -> ShopPlaque:
    overdue = r["revoked_on"] is not None and r["recovered_on"] is None and r["revoked_on"] < overdue_since(info)
    return ShopPlaque(plaque_serial=r["plaque_serial"], year=r["year"], round_id=_id(r["round_id"]),
                      awarded_on=r["awarded_on"], revoked_on=r["revoked_on"], revoked_reason=r["revoked_reason"],
                      complaint_id=_id(r["complaint_id"]) if r["complaint_id"] else None,
                      recovered_on=r["recovered_on"], recovered_by=r["recovered_by"], overdue=overdue)


@strawberry.type(description="A demonstration shop (党员示范店) run by a Party member, or by an operator with a member"
                             " responsible for it.")
class Shop(Node):
    row: strawberry.Private[asyncpg.Record]
    name: str = strawberry.field(description="The business name.")
    credit_code: str = strawberry.field(description="The unified social credit code (统一社会信用代码, GB 32100).")
    licence_valid_until: date = strawberry.field(description="The business licence's last valid day.")
    address: str = strawberry.field(description="The address.")
    longitude: float | None = strawberry.field(description="The map point's longitude (WGS-84), if given.")
    latitude: float | None = strawberry.field(description="The map point's latitude (WGS-84), if given.")
    category: str = strawberry.field(description="The business category (upper case, e.g. RETAIL, CATERING).")
    operator_name: str | None = strawberry.field(description="The named operator, for a shop a member does not own.")
    state: ShopState = strawberry.field(description="Where it stands.")
    notice_until: date | None = strawberry.field(description="The public notice's last day, while in notice.")
    open_objections: int = strawberry.field(description="Objections of the open application not resolved yet.")
    plaque_serial: str | None = strawberry.field(description="The plaque it holds now.")
    awarded_on: date | None = strawberry.field(description="When its current plaque was awarded.")
    revoked_on: date | None = strawberry.field(description="When its plaque was last revoked.")
    revoked_reason: str | None = strawberry.field(description="Why.")
    refused_reason: str | None = strawberry.field(description="Why its latest application was refused, if it was.")
    stars: int | None = strawberry.field(description="3 or 5, as the latest yearly review confirmed.")
    registered_by: str = strawberry.field(description="Who registered it.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(description="Its stream's version: state it as `expectedVersion` to guard a step.")

    @strawberry.field(description="The business-district committee or community it belongs to.")
    async def organization(self, info: Info) -> Organization | None:
        return await load_organization(info, self.row["organization_id"])

    @strawberry.field(description="The member who owns it, if your scope holds the member.")
    async def owner(self, info: Info) -> Member | None:
        mid = self.row["owner_member_id"]
        return None if mid is None else await load_member(info, mid)

    @strawberry.field(description="The member responsible for an operator's shop, if your scope holds the member.")
    async def responsible_member(self, info: Info) -> Member | None:
        mid = self.row["responsible_member_id"]
        return None if mid is None else await load_member(info, mid)

    @strawberry.field(description="The round of its latest application, if its organization lies within your"
                                  " scope (not for a shop operator's token, which reads its shop alone).")
    async def round(self, info: Info) -> SelectionRound | None:
        rid = self.row["round_id"]
        if rid is None or not reads_by_scope(info.context.actor):
            return None
        row = await info.context.loaders.selection_round.load(rid)
        if row is None or await load_organization(info, row["organization_id"]) is None:
            return None
        return selection_round(row)

    @strawberry.field(description="Objections filed in its public notices, oldest first.")
    async def objections(self, info: Info) -> list[ShopObjection]:
        rows = await info.context.loaders.objections_of_shop.load(self.row["id"])
        return [ShopObjection(id=_id(r["id"]), filed_on=r["filed_on"], text=r["text"], filed_by=r["filed_by"],
                              upheld=r["upheld"], resolution=r["resolution"], resolved_on=r["resolved_on"])
                for r in rows]

    @strawberry.field(description="Complaints about it, oldest first.")
    async def complaints(self, info: Info) -> list[ShopComplaint]:
        rows = await info.context.loaders.complaints_of_shop.load(self.row["id"])
        return [ShopComplaint(row=r, id=_id(r["id"]), channel=Channel(r["channel"]), received_on=r["received_on"],
                              summary=r["summary"], state=ComplaintState(r["state"]), investigator=r["investigator"],
                              verified=r["verified"], serious=r["serious"], conclusion=r["conclusion"],
                              concluded_on=r["concluded_on"], recorded_by=r["recorded_by"]) for r in rows]

    @strawberry.field(description="Its quarterly scores, oldest first.")
    async def scores(self, info: Info) -> list[ShopScore]:
        rows = await info.context.loaders.scores_of_shop.load(self.row["id"])
        return [ShopScore(year=r["year"], quarter=r["quarter"], scores=_json(r["scores"]), total=r["total"],
                          scored_on=r["scored_on"], scored_by=r["scored_by"]) for r in rows]

    @strawberry.field(description="Every plaque it held, oldest first (a shop selected again after revocation has"
                                  " several).")
    async def plaques(self, info: Info) -> list[ShopPlaque]:
        rows = await info.context.loaders.plaques_of_shop.load(self.row["id"])
        return [plaque(r, info) for r in rows]


def shop(r: asyncpg.Record) -> Shop:
    return Shop(
        id=_id(r["id"]), row=r, name=r["name"], credit_code=r["credit_code"],
        licence_valid_until=r["licence_valid_until"], address=r["address"], longitude=r["longitude"],
        latitude=r["latitude"], category=r["category"], operator_name=r["operator_name"],
        state=ShopState(r["state"]), notice_until=r["notice_until"], open_objections=r["open_objections"],
        plaque_serial=r["plaque_serial"], awarded_on=r["awarded_on"], revoked_on=r["revoked_on"],
        revoked_reason=r["revoked_reason"], refused_reason=r["refused_reason"], stars=r["stars"],
        registered_by=r["registered_by"], updated_at=r["updated_at"], version=r["version"],
    )


def _json(value: Any) -> Any:
    """jsonb as asyncpg hands it over (text, without a codec) as a JSON value."""
    return json.loads(value) if isinstance(value, str) else value
