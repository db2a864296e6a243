"""Object types of members and their transfers."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api.graphql.core.context import Info
from api.graphql.core.history import HistoryEvent, history_event
from api.graphql.core.loading import batch, via_loader
from api.graphql.core.relay import Node
from api.graphql.members.dues_types import DuesPayment, DuesYear, ReviewFlag, payment, review_flag
from api.graphql.organizations.types import Organization, organization_or_none
from domain.members.aggregate import Gender, Standing, TransferScope, TransferState
from domain.members.exits import ExitKind
from domain.shared.permissions import may_read, own_member, within_scope
from domain.shared.privacy import visible
from eventstore.postgres import EVENT_COLUMNS

strawberry.enum(Gender, description="Gender as recorded on the member's file.")


strawberry.enum(Standing, description="Full (正式) or probationary (预备) member.")


strawberry.enum(TransferScope, description="How far a transfer reaches; sets the letter's validity.")


strawberry.enum(TransferState, description="Where a transfer stands.")


strawberry.enum(ExitKind, description="How a member left the Party: death (死亡), removal (除名), expulsion"
                                      " (开除党籍) or withdrawal (退党).")


@strawberry.type(description="How and when a member left the Party. The member keeps the history but no"
                             " longer counts in rosters (`members`) and statistics (`memberCount`).")
class MemberExit:
    kind: ExitKind = strawberry.field(description="Death, removal, expulsion or withdrawal.")
    on: date = strawberry.field(description="The date of death or withdrawal, of the expulsion's decision,"
                                            " or of the level above's approval of a removal.")
    reference: str | None = strawberry.field(
        description="The decision's reference (expulsion, removal) or the letter's serial (transferred out of"
                    " the system); null for death and withdrawal.")


@strawberry.type(description="A Party organization outside the system, as a transfer's letter names it (not"
                             " personal data).")
class ExternalOrganization:
    name: str = strawberry.field(description="Its name.")
    code: str | None = strawberry.field(
        description="Its 12-digit division code or Party-organization code, where known.")
    province: str = strawberry.field(description="Its province.")
    city: str = strawberry.field(description="Its city.")


@strawberry.type(description="A revocation of a completed transfer that one side proposed, waiting for the level"
                             " above both sides (`approveTransferRevocation` or `rejectTransferRevocation`).")
class PendingRevocation:
    proposed_on: date = strawberry.field(description="The date it was proposed.")
    reason: str = strawberry.field(description="Why the transfer is wrong, as the proposing side stated it.")
    proposed_by: strawberry.Private[UUID]

    @strawberry.field(description="The side that proposed it (the sending or the receiving organization).")
    def proposed_by_organization(self, info: Info) -> Organization | None:
        return via_loader(info.context.loaders.organization, self.proposed_by, organization_or_none)


@strawberry.type(description="A removal (除名) the branch general meeting decided, waiting for the level"
                             " above to approve or reject it.")
class PendingRemoval:
    decided_on: date = strawberry.field(description="The date of the branch general meeting's decision.")
    decision_reference: str = strawberry.field(description="The decision's reference.")


_GENDER = {m.value: m for m in Gender}


_STANDING = {m.value: m for m in Standing}


_SCOPE = {m.value: m for m in TransferScope}


_STATE = {m.value: m for m in TransferState}


_EXIT = {m.value: m for m in ExitKind}


def member_or_none(row: asyncpg.Record | None) -> Member | None:
    return None if row is None else Member(id=strawberry.ID(str(row["id"])), row=row)


async def load_member(info: Info, mid: UUID, *, fresh: bool = False) -> Member | None:
    """The member, if your scope holds the member's home or the receiving side of an open
    transfer (the ``member`` query, ``node`` and ``Transfer.member`` all answer this)."""
    if fresh:
        info.context.loaders.forget(mid)
    row = await info.context.loaders.member.load(mid)
    if row is None:
        return None
    home = await info.context.loaders.organization.load(row["home_organization_id"])
    if home is not None and may_read(info.context.actor, home["path"]):
        return Member(id=strawberry.ID(str(row["id"])), row=row)
    # A member's own token (MEMBER) reads the member's own record, within its scope.
    if home is not None and own_member(info.context.actor) == mid and within_scope(info.context.actor, home["path"]):
        return Member(id=strawberry.ID(str(row["id"])), row=row)
    # The receiving side of an open transfer may see the member it is about to accept.
    for t in await info.context.loaders.transfers_of_member.load(mid):
        if t["state"] in ("REQUESTED", "LETTER_ISSUED", "EXPIRED") and t["to_organization_id"] is not None:
            to = await info.context.loaders.organization.load(t["to_organization_id"])
            if to is not None and may_read(info.context.actor, to["path"]):
                return Member(id=strawberry.ID(str(row["id"])), row=row)
    return None


@strawberry.type(description="A Party member. ID number and phone are masked unless your role needs them.")
class Member(Node):
    row: strawberry.Private[asyncpg.Record]
    name: str = strawberry.field(description="Full name.")
    gender: Gender = strawberry.field(description="Gender.")
    birth_date: date = strawberry.field(description="Date of birth.")
    ethnicity: str = strawberry.field(description="Ethnicity (民族).")
    standing: Standing = strawberry.field(description="Full or probationary.")
    joined_on: date = strawberry.field(description="The date the member joined the Party.")
    converted_on: date | None = strawberry.field(
        description="The date a probationary member became full, if recorded here.")
    dues_paid_through: date | None = strawberry.field(
        description="Dues are paid through this month (first day of the month).")
    version: int = strawberry.field(
        description="Its stream's version: state it as `expectedVersion` to guard an edit.")
    personal_data_erased_at: datetime | None = strawberry.field(
        description="When the member's personal data (ID number, phone) was erased on a lawful"
                    " request (`eraseMemberPersonalData`); null if it never was. Erased values"
                    " read as null everywhere, history and feed included.")

    def __init__(self, *, id: strawberry.ID, row: asyncpg.Record) -> None:
        self.id, self.row = id, row
        self.personal_data_erased_at = row["personal_data_erased_at"]
        self.name = row["name"]
        self.gender = _GENDER[row["gender"]]
        self.birth_date = row["birth_date"]
        self.ethnicity = row["ethnicity"]
        self.standing = _STANDING[row["standing"]]
        self.joined_on = row["joined_on"]
        self.converted_on = row["converted_on"]
        self.dues_paid_through = row["dues_paid_through"]
        self.version = row["version"]

    @strawberry.field(description="Resident ID number; masked for roles without need; null once the"
                                  " member's personal data was erased (`personalDataErasedAt`).")
    def id_number(self, info: Info) -> str | None:
        value = self.row["id_number"]
        return None if value is None else str(visible("id_number", str(value), info.context.actor))

    @strawberry.field(description="Phone number; masked for roles without need; null once erased.")
    def phone(self, info: Info) -> str | None:
        value = self.row["phone"]
        return visible("phone", value, info.context.actor)

    @strawberry.field(description="How and when the member left the Party; null while a member.")
    def exit(self) -> MemberExit | None:
        kind = self.row["exit_kind"]
        if kind is None:
            return None
        return MemberExit(kind=_EXIT[kind], on=self.row["exited_on"], reference=self.row["exit_reference"])

    @strawberry.field(description="A removal awaiting the level above's decision; null if none.")
    def pending_removal(self) -> PendingRemoval | None:
        if self.row["removal_proposed_on"] is None:
            return None
        return PendingRemoval(decided_on=self.row["removal_proposed_on"],
                              decision_reference=self.row["removal_reference"])

    @strawberry.field(description="The member's dues: each year's assessment and payments (党费).")
    def dues(self) -> MemberDues:
        return MemberDues(member_id=self.row["id"], paid_through=self.row["dues_paid_through"],
                          last_paid_on=self.row["last_dues_paid_on"])

    @strawberry.field(description="The six-month review flag (自行脱党 review) with its evidence, as of today;"
                                  " null while there is evidence within the last six full months"
                                  " (`GRASSROOTS_REVIEW_MONTHS`) and for members who have exited.")
    def review_flag(self, info: Info) -> ReviewFlag | None:
        return review_flag(self.row, info)

    @strawberry.field(description="The member's one home organization (for a member who has exited: the"
                                  " organization they left).")
    def home_organization(self, info: Info) -> Organization | None:
        def present(row: asyncpg.Record | None) -> Organization | None:
            visible = row is not None and may_read(info.context.actor, row["path"])
            return organization_or_none(row) if visible else None

        home = self.row["home_organization_id"]
        return via_loader(info.context.loaders.organization, home, present)

    @strawberry.field(description="Every transfer of this member, oldest first.")
    def transfers(self, info: Info) -> list[Transfer]:
        def present(rows: list[asyncpg.Record]) -> list[Transfer]:
            return [Transfer(id=strawberry.ID(str(r["id"])), row=r) for r in rows]

        return via_loader(info.context.loaders.transfers_of_member, self.row["id"], present)

    @staticmethod
    def prefetch(nodes: list[Member], fields: set[str], info: Info) -> list[Awaitable[Any]]:
        """Load what the selected fields need for a whole page, in one batch each."""
        loaders, pending = info.context.loaders, list[Awaitable[Any]]()
        if "homeOrganization" in fields:
            batch(loaders.organization, {m.row["home_organization_id"] for m in nodes}, pending)
        if "transfers" in fields:
            batch(loaders.transfers_of_member, {m.row["id"] for m in nodes}, pending)
        if "dues" in fields:
            batch(loaders.dues_of_member, {m.row["id"] for m in nodes}, pending)
        return pending


@strawberry.type(description="A member's dues (党费): paid through which month, each year's assessment, payments.")
class MemberDues:
    member_id: strawberry.Private[UUID]
    paid_through: date | None = strawberry.field(
        description="Dues are paid through this month (its first day); null if not known.")
    last_paid_on: date | None = strawberry.field(description="The last payment recorded here; null if none.")

    @strawberry.field(description="Each year's assessment, oldest first.")
    def years(self, info: Info) -> list[DuesYear]:
        return via_loader(info.context.loaders.dues_of_member, self.member_id,
                          lambda rows: [DuesYear(r) for r in rows])

    @strawberry.field(description="The payments whose first month lies in `year`, oldest first.")
    def payments(self, info: Info, year: int) -> list[DuesPayment]:
        # One batched query for a page of members (all their payments: at most twelve a year).
        return via_loader(info.context.loaders.dues_payments_of_member, self.member_id,
                          lambda rows: [payment(r) for r in rows if r["first_month"].year == year])


@strawberry.type(description="A transfer of a member's organizational relationship (组织关系转接).")
class Transfer(Node):
    row: strawberry.Private[asyncpg.Record]
    scope: TransferScope = strawberry.field(
        description="Within the city, outside it, or across provinces.")
    state: TransferState = strawberry.field(description="Current state.")
    reason: str | None = strawberry.field(
        description="Why the member moves, as stated in the request.")
    letter_serial: str | None = strawberry.field(
        description="Serial number of the introduction letter (介绍信), once issued.")
    issued_on: date | None = strawberry.field(description="The date the letter was issued.")
    valid_until: date | None = strawberry.field(description="The last day the letter is valid.")
    accepted_on: date | None = strawberry.field(
        description="The date the receiving organization accepted the member.")
    receipt_due_on: date | None = strawberry.field(
        description="The receipt (回执) is due back by this date.")
    receipt_confirmed_on: date | None = strawberry.field(
        description="The date the receipt came back.")
    late_justification: str | None = strawberry.field(
        description="Recorded justification for accepting an expired letter.")
    return_reason: str | None = strawberry.field(
        description="Why the receiving side returned the letter.")
    requested_at: datetime = strawberry.field(description="When the transfer was requested.")
    voided_serials: list[str] = strawberry.field(
        description="Serials of letters reported lost and re-issued (补转), oldest first: never accepted.")
    approved_on: date | None = strawberry.field(
        description="The date the level above the sender approved the request (the approval step, 审批).")
    rejection_reason: str | None = strawberry.field(
        description="Why the level above the sender rejected the request (state `REJECTED`).")
    revoked_on: date | None = strawberry.field(
        description="The date the level above approved the transfer's revocation (state `REVOKED`): the"
                    " previous home is the member's home again.")
    revocation_reason: str | None = strawberry.field(
        description="Why the transfer was revoked (or is proposed to be: `pendingRevocation`).")

    def __init__(self, *, id: strawberry.ID, row: asyncpg.Record) -> None:
        self.id, self.row = id, row
        self.scope = _SCOPE[row["scope"]]
        self.state = _STATE[row["state"]]
        self.reason = row["reason"]
        self.letter_serial = row["letter_serial"]
        self.issued_on = row["issued_on"]
        self.valid_until = row["valid_until"]
        self.accepted_on = row["accepted_on"]
        self.receipt_due_on = row["receipt_due_on"]
        self.receipt_confirmed_on = row["receipt_confirmed_on"]
        self.late_justification = row["late_justification"]
        self.return_reason = row["return_reason"]
        self.requested_at = row["requested_at"]
        self.voided_serials = list(row["voided_serials"])
        self.approved_on = row["approved_on"]
        self.rejection_reason = row["rejection_reason"]
        self.revoked_on = row["revoked_on"]
        self.revocation_reason = row["revocation_reason"]

    @strawberry.field(description="The member being transferred, while the member lies within your "
                                  "scope (the sending side loses sight of the member once accepted).")
    async def member(self, info: Info) -> Member | None:
        return await load_member(info, self.row["member_id"])

    @strawberry.field(description="The sending organization; null for a transfer into the system"
                                  " (`fromExternal`).")
    def from_organization(self, info: Info) -> Organization | None:
        if self.row["from_organization_id"] is None:
            return None
        return via_loader(info.context.loaders.organization, self.row["from_organization_id"],
                          organization_or_none)

    @strawberry.field(description="The sending organization outside the system, for a transfer into it"
                                  " (`registerIncomingTransfer`); null inside the tree.")
    def from_external(self) -> ExternalOrganization | None:
        r = self.row
        if r["from_external_name"] is None:
            return None
        return ExternalOrganization(name=r["from_external_name"], code=r["from_external_code"],
                                    province=r["from_external_province"], city=r["from_external_city"])

    @strawberry.field(description="A revocation proposed and waiting for the level above; null if none.")
    def pending_revocation(self) -> PendingRevocation | None:
        r = self.row
        if r["revocation_proposed_on"] is None or r["state"] == "REVOKED":  # kept: who proposed it, when
            return None
        return PendingRevocation(proposed_on=r["revocation_proposed_on"], reason=r["revocation_reason"],
                                 proposed_by=r["revocation_proposed_by"])

    @strawberry.field(description="The letter is issued and expires within `GRASSROOTS_TRANSFER_EXPIRING_DAYS`"
                                  " days (today included), not yet accepted.")
    def expiring_soon(self, info: Info) -> bool:
        until = self.row["valid_until"]
        today = info.context.today()
        days = info.context.settings.transfer_expiring_days
        return (self.row["state"] == "LETTER_ISSUED" and until is not None
                and today <= until <= today + timedelta(days=days))

    @strawberry.field(description="The receiving organization; null for a transfer out of the system"
                                  " (`toExternal`).")
    def to_organization(self, info: Info) -> Organization | None:
        if self.row["to_organization_id"] is None:
            return None
        return via_loader(info.context.loaders.organization, self.row["to_organization_id"],
                          organization_or_none)

    @strawberry.field(description="The receiving organization outside the system, for a transfer out of it;"
                                  " null inside the tree. The member leaves the tree when its receipt of"
                                  " acceptance is recorded (`confirmTransferReceipt`).")
    def to_external(self) -> ExternalOrganization | None:
        r = self.row
        if r["to_external_name"] is None:
            return None
        return ExternalOrganization(name=r["to_external_name"], code=r["to_external_code"],
                                    province=r["to_external_province"], city=r["to_external_city"])

    @staticmethod
    def prefetch(nodes: list[Transfer], fields: set[str], info: Info) -> list[Awaitable[Any]]:
        """Load what the selected fields need for a whole page, in one batch each."""
        loaders, pending = info.context.loaders, list[Awaitable[Any]]()
        if "member" in fields:
            batch(loaders.member, {t.row["member_id"] for t in nodes}, pending)
        orgs = set()
        if "fromOrganization" in fields:
            orgs |= {t.row["from_organization_id"] for t in nodes if t.row["from_organization_id"] is not None}
        if "toOrganization" in fields:
            orgs |= {t.row["to_organization_id"] for t in nodes if t.row["to_organization_id"] is not None}
        if orgs:
            batch(loaders.organization, orgs, pending)
        return pending

    @strawberry.field(description="Accepted, and the receipt is past due.")
    def overdue_receipt(self, info: Info) -> bool:
        due = self.row["receipt_due_on"]
        return self.row["state"] == "ACCEPTED" and due is not None and due < info.context.today()

    @strawberry.field(description="A pocket member (口袋党员): letter issued, never accepted, past validity.")
    def pocket(self, info: Info) -> bool:
        until = self.row["valid_until"]
        return (self.row["state"] in ("LETTER_ISSUED", "EXPIRED") and until is not None
                and until < info.context.today())

    @strawberry.field(description="Every step of this transfer: who, when, why.")
    async def history(self, info: Info) -> list[HistoryEvent]:
        rows = await info.context.pool.fetch(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND payload->>'transfer_id' = $2"
            " ORDER BY version",
            self.row["member_id"], str(self.row["id"]),
        )
        return [history_event(r, info) for r in rows]
