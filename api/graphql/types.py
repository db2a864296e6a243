"""Object types of the organization, member and transfer slice, and the event history."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import asyncpg
import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from domain.members import Gender, Standing, TransferScope, TransferState
from domain.organizations import OrganizationKind

strawberry.enum(OrganizationKind, description="The kinds of Party organization in the district tree.")
strawberry.enum(Gender, description="Gender as recorded on the member's file.")
strawberry.enum(Standing, description="Full (正式) or probationary (预备) member.")
strawberry.enum(TransferScope, description="How far a transfer reaches; sets the letter's validity.")
strawberry.enum(TransferState, description="Where a transfer stands.")


@strawberry.enum(description="Whether an organization is active or dissolved.")
class OrganizationStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    DISSOLVED = "DISSOLVED"


def mask_id_number(value: str | None) -> str | None:
    return None if value is None else value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    if value is None:
        return None
    digits = value.replace(" ", "").replace("-", "")
    return digits[:3] + "*" * max(len(digits) - 7, 0) + digits[-4:]


PERSONAL_FIELDS = {"id_number": mask_id_number, "phone": mask_phone}


@strawberry.interface(description="An object with a globally unique id (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="The object's UUID.")


@strawberry.type(description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether another page follows.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="A Party organization in the district tree.")
class Organization(Node):
    row: strawberry.Private[asyncpg.Record]

    @strawberry.field(description="What kind of organization this is.")
    def kind(self) -> OrganizationKind:
        return OrganizationKind(self.row["kind"])

    @strawberry.field(description="The organization's name.")
    def name(self) -> str:
        return str(self.row["name"])

    @strawberry.field(description="12-digit division code for streets and communities; else optional.")
    def code(self) -> str | None:
        return self.row["code"]

    @strawberry.field(description="Active, or dissolved.")
    def status(self) -> OrganizationStatus:
        return OrganizationStatus(self.row["status"])

    @strawberry.field(description="The date it was established.")
    def established_on(self) -> date:
        return self.row["established_on"]  # type: ignore[no-any-return]

    @strawberry.field(description="The date it was dissolved, if it was.")
    def dissolved_on(self) -> date | None:
        return self.row["dissolved_on"]

    @strawberry.field(description="Its stream's version: state it as `expectedVersion` to guard an edit.")
    def version(self) -> int:
        return int(self.row["version"])

    @strawberry.field(description="The parent organization (null at a root or at your scope's edge).")
    async def parent(self, info: Info) -> Organization | None:
        parent_id = self.row["parent_id"]
        if parent_id is None or not info.context.actor.sees(self.row["path"][:-1]):
            return None
        return organization_or_none(await info.context.loaders.organization.load(parent_id))

    @strawberry.field(description="Organizations directly below this one, by name.")
    async def children(self, info: Info) -> list[Organization]:
        rows = await info.context.pool.fetch(
            "SELECT * FROM organizations WHERE parent_id = $1 ORDER BY name, id", self.row["id"]
        )
        return [Organization(id=strawberry.ID(str(r["id"])), row=r) for r in rows]

    @strawberry.field(description="Root-first chain of organizations above this one, within your scope.")
    async def ancestors(self, info: Info) -> list[Organization]:
        path: list[UUID] = list(self.row["path"][:-1])
        scope = info.context.actor.scope
        if scope is not None:
            path = path[path.index(scope):] if scope in path else []
        rows = await info.context.loaders.organization.load_many(path)
        return [Organization(id=strawberry.ID(str(r["id"])), row=r) for r in rows if r is not None]

    @strawberry.field(description="How many members have this organization as their home.")
    async def member_count(self, info: Info) -> int:
        return await info.context.loaders.member_count.load(self.row["id"])


def organization_or_none(row: asyncpg.Record | None) -> Organization | None:
    return None if row is None else Organization(id=strawberry.ID(str(row["id"])), row=row)


@strawberry.type(description="A Party member. ID number and phone are masked unless your role needs them.")
class Member(Node):
    row: strawberry.Private[asyncpg.Record]

    @strawberry.field(description="Full name.")
    def name(self) -> str:
        return str(self.row["name"])

    @strawberry.field(description="Gender.")
    def gender(self) -> Gender:
        return Gender(self.row["gender"])

    @strawberry.field(description="Date of birth.")
    def birth_date(self) -> date:
        return self.row["birth_date"]  # type: ignore[no-any-return]

    @strawberry.field(description="Ethnicity (民族).")
    def ethnicity(self) -> str:
        return str(self.row["ethnicity"])

    @strawberry.field(description="Resident ID number; masked (3205**********1234) for roles without need.")
    def id_number(self, info: Info) -> str:
        value = str(self.row["id_number"])
        return value if info.context.actor.sees_personal_data else str(mask_id_number(value))

    @strawberry.field(description="Phone number; masked for roles without need.")
    def phone(self, info: Info) -> str | None:
        value = self.row["phone"]
        return value if info.context.actor.sees_personal_data else mask_phone(value)

    @strawberry.field(description="Full or probationary.")
    def standing(self) -> Standing:
        return Standing(self.row["standing"])

    @strawberry.field(description="The date the member joined the Party.")
    def joined_on(self) -> date:
        return self.row["joined_on"]  # type: ignore[no-any-return]

    @strawberry.field(description="The date a probationary member became full, if recorded here.")
    def converted_on(self) -> date | None:
        return self.row["converted_on"]

    @strawberry.field(description="Dues are paid through this month (first day of the month).")
    def dues_paid_through(self) -> date | None:
        return self.row["dues_paid_through"]

    @strawberry.field(description="Its stream's version: state it as `expectedVersion` to guard an edit.")
    def version(self) -> int:
        return int(self.row["version"])

    @strawberry.field(description="The member's one home organization.")
    async def home_organization(self, info: Info) -> Organization | None:
        row = await info.context.loaders.organization.load(self.row["home_organization_id"])
        return organization_or_none(row) if row and info.context.actor.sees(row["path"]) else None

    @strawberry.field(description="Every transfer of this member, oldest first.")
    async def transfers(self, info: Info) -> list[Transfer]:
        rows = await info.context.loaders.transfers_of_member.load(self.row["id"])
        return [Transfer(id=strawberry.ID(str(r["id"])), row=r) for r in rows]


@strawberry.type(description="A transfer of a member's organizational relationship (组织关系转接).")
class Transfer(Node):
    row: strawberry.Private[asyncpg.Record]

    @strawberry.field(description="The member being transferred.")
    async def member(self, info: Info) -> Member | None:
        row = await info.context.loaders.member.load(self.row["member_id"])
        return None if row is None else Member(id=strawberry.ID(str(row["id"])), row=row)

    @strawberry.field(description="The sending organization.")
    async def from_organization(self, info: Info) -> Organization | None:
        return organization_or_none(await info.context.loaders.organization.load(self.row["from_organization_id"]))

    @strawberry.field(description="The receiving organization.")
    async def to_organization(self, info: Info) -> Organization | None:
        return organization_or_none(await info.context.loaders.organization.load(self.row["to_organization_id"]))

    @strawberry.field(description="Within the city, outside it, or across provinces.")
    def scope(self) -> TransferScope:
        return TransferScope(self.row["scope"])

    @strawberry.field(description="Current state.")
    def state(self) -> TransferState:
        return TransferState(self.row["state"])

    @strawberry.field(description="Why the member moves, as stated in the request.")
    def reason(self) -> str | None:
        return self.row["reason"]

    @strawberry.field(description="Serial number of the introduction letter (介绍信), once issued.")
    def letter_serial(self) -> str | None:
        return self.row["letter_serial"]

    @strawberry.field(description="The date the letter was issued.")
    def issued_on(self) -> date | None:
        return self.row["issued_on"]

    @strawberry.field(description="The last day the letter is valid.")
    def valid_until(self) -> date | None:
        return self.row["valid_until"]

    @strawberry.field(description="The date the receiving organization accepted the member.")
    def accepted_on(self) -> date | None:
        return self.row["accepted_on"]

    @strawberry.field(description="The receipt (回执) is due back by this date.")
    def receipt_due_on(self) -> date | None:
        return self.row["receipt_due_on"]

    @strawberry.field(description="The date the receipt came back.")
    def receipt_confirmed_on(self) -> date | None:
        return self.row["receipt_confirmed_on"]

    @strawberry.field(description="Recorded justification for accepting an expired letter.")
    def late_justification(self) -> str | None:
        return self.row["late_justification"]

    @strawberry.field(description="Why the receiving side returned the letter.")
    def return_reason(self) -> str | None:
        return self.row["return_reason"]

    @strawberry.field(description="When the transfer was requested.")
    def requested_at(self) -> datetime:
        return self.row["requested_at"]  # type: ignore[no-any-return]

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
            "SELECT * FROM events WHERE stream_id = $1 AND payload->>'transfer_id' = $2"
            " ORDER BY version",
            self.row["member_id"], str(self.row["id"]),
        )
        return [history_event(r, info) for r in rows]


@strawberry.type(description="One event of the log: what happened, when, who did it and why.")
class HistoryEvent:
    position: int = strawberry.field(description="Global position in the log.")
    event_id: UUID = strawberry.field(description="Unique id of the event (dedupe key).")
    type: str = strawberry.field(description="Event type, e.g. Member.TransferRequested.")
    stream_id: UUID = strawberry.field(description="The aggregate the event belongs to.")
    stream_type: str = strawberry.field(description="Organization or Member.")
    version: int = strawberry.field(description="Version of the stream after this event.")
    schema_version: int = strawberry.field(description="Version of the event's payload schema.")
    recorded_at: datetime = strawberry.field(description="When the log recorded it.")
    actor: str = strawberry.field(description="Token subject of whoever issued the command.")
    actor_roles: list[str] = strawberry.field(description="Roles the actor held.")
    correlation_id: UUID | None = strawberry.field(description="The request that caused it.")
    causation_id: UUID | None = strawberry.field(description="The event or command that caused it.")
    command_id: str | None = strawberry.field(description="Client idempotency key, if any.")
    reason: str | None = strawberry.field(description="Reason stated with the command.")
    payload: JSON = strawberry.field(description="The event's data (personal data masked as on Member).")


def history_event(r: asyncpg.Record, info: Info) -> HistoryEvent:
    payload: dict[str, Any] = dict(r["payload"])
    if not info.context.actor.sees_personal_data:
        for key, mask in PERSONAL_FIELDS.items():
            if key in payload:
                payload[key] = mask(payload[key])
    return HistoryEvent(
        position=r["position"], event_id=r["event_id"], type=r["event_type"],
        stream_id=r["stream_id"], stream_type=r["stream_type"], version=r["version"],
        schema_version=r["schema_version"], recorded_at=r["recorded_at"], actor=r["actor"],
        actor_roles=list(r["actor_roles"]), correlation_id=r["correlation_id"],
        causation_id=r["causation_id"], command_id=r["command_id"], reason=r["reason"],
        payload=payload,
    )


T = TypeVar("T")


@strawberry.type(description="One item of a page, with the cursor that points at it.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque cursor of this item.")


@strawberry.type(description="A page of items (Relay cursor connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")


