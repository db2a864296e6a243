"""Object types of the organization, member and transfer slice, and the event history."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg
import strawberry
from strawberry.scalars import JSON

from api import views
from api.graphql.core.context import Info
from api.graphql.core.loading import batch, node_fields, via_loader
from domain.members.aggregate import Gender, Standing, TransferScope, TransferState
from domain.organizations.aggregate import OrganizationKind

strawberry.enum(OrganizationKind, description="The kinds of Party organization in the district tree.")
strawberry.enum(Gender, description="Gender as recorded on the member's file.")
strawberry.enum(Standing, description="Full (正式) or probationary (预备) member.")
strawberry.enum(TransferScope, description="How far a transfer reaches; sets the letter's validity.")
strawberry.enum(TransferState, description="Where a transfer stands.")


@strawberry.enum(description="Whether an organization is active or dissolved.")
class OrganizationStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    DISSOLVED = "DISSOLVED"


# Row value -> enum member by dict lookup: calling the enum class costs several times
# more, and rows are converted fifty at a time. (An unknown value is a KeyError.)
_KIND = {m.value: m for m in OrganizationKind}
_STATUS = {m.value: m for m in OrganizationStatus}
_GENDER = {m.value: m for m in Gender}
_STANDING = {m.value: m for m in Standing}
_SCOPE = {m.value: m for m in TransferScope}
_STATE = {m.value: m for m in TransferState}


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


# Simple fields are plain attributes set from the row in ``__init__``, not resolvers:
# strawberry answers an attribute with one getattr, but builds an ``Info`` object and
# walks its resolver chain for every resolver field of every row (about 5 µs each, most
# of the time a 50-row page took). Fields that need the request (masking, today's date,
# DataLoaders) stay resolvers.


@strawberry.type(description="A Party organization in the district tree.")
class Organization(Node):
    row: strawberry.Private[asyncpg.Record]
    kind: OrganizationKind = strawberry.field(description="What kind of organization this is.")
    name: str = strawberry.field(description="The organization's name.")
    code: str | None = strawberry.field(
        description="12-digit division code for streets and communities; else optional.")
    status: OrganizationStatus = strawberry.field(description="Active, or dissolved.")
    established_on: date = strawberry.field(description="The date it was established.")
    dissolved_on: date | None = strawberry.field(
        description="The date it was dissolved, if it was.")
    version: int = strawberry.field(
        description="Its stream's version: state it as `expectedVersion` to guard an edit.")

    def __init__(self, *, id: strawberry.ID, row: asyncpg.Record) -> None:
        self.id, self.row = id, row
        self.kind = _KIND[row["kind"]]
        self.name = row["name"]
        self.code = row["code"]
        self.status = _STATUS[row["status"]]
        self.established_on = row["established_on"]
        self.dissolved_on = row["dissolved_on"]
        self.version = row["version"]

    @strawberry.field(description="The parent organization (null at a root or at your scope's edge).")
    def parent(self, info: Info) -> Organization | None:
        parent_id = self.row["parent_id"]
        if parent_id is None or not info.context.actor.sees(self.row["path"][:-1]):
            return None
        return via_loader(info.context.loaders.organization, parent_id, organization_or_none)

    @strawberry.field(description="Organizations directly below this one, by name.")
    async def children(self, info: Info) -> list[Organization]:
        rows = await info.context.loaders.children.load(self.row["id"])
        sees = info.context.actor.sees
        return [Organization(id=strawberry.ID(str(r["id"])), row=r) for r in rows if sees(r["path"])]

    @strawberry.field(description="Root-first chain of organizations above this one, within your scope.")
    async def ancestors(self, info: Info) -> list[Organization]:
        path: list[UUID] = list(self.row["path"][:-1])
        scope = info.context.actor.scope
        if scope is not None:
            path = path[path.index(scope):] if scope in path else []
        rows = await info.context.loaders.organization.load_many(path)
        return [Organization(id=strawberry.ID(str(r["id"])), row=r) for r in rows if r is not None]

    @strawberry.field(description="How many members have this organization as their home; "
                                  "null for an organization outside your scope (a transfer's other side).")
    def member_count(self, info: Info) -> int | None:
        if not info.context.actor.sees(self.row["path"]):
            return None
        return via_loader(info.context.loaders.member_count, self.row["id"], int)

    @staticmethod
    def prefetch(nodes: list[Organization], fields: set[str], info: Info) -> list[Awaitable[Any]]:
        """Load what the selected fields need for a whole page, in one batch each."""
        loaders, pending = info.context.loaders, list[Awaitable[Any]]()
        if "parent" in fields:
            batch(loaders.organization, {o.row["parent_id"] for o in nodes} - {None}, pending)
        if "memberCount" in fields:
            batch(loaders.member_count, {o.row["id"] for o in nodes}, pending)
        return pending


def organization_or_none(row: asyncpg.Record | None) -> Organization | None:
    return None if row is None else Organization(id=strawberry.ID(str(row["id"])), row=row)


def member_or_none(row: asyncpg.Record | None) -> Member | None:
    return None if row is None else Member(id=strawberry.ID(str(row["id"])), row=row)


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

    def __init__(self, *, id: strawberry.ID, row: asyncpg.Record) -> None:
        self.id, self.row = id, row
        self.name = row["name"]
        self.gender = _GENDER[row["gender"]]
        self.birth_date = row["birth_date"]
        self.ethnicity = row["ethnicity"]
        self.standing = _STANDING[row["standing"]]
        self.joined_on = row["joined_on"]
        self.converted_on = row["converted_on"]
        self.dues_paid_through = row["dues_paid_through"]
        self.version = row["version"]

    @strawberry.field(description="Resident ID number; masked (3205**********1234) for roles without need.")
    def id_number(self, info: Info) -> str:
        value = str(self.row["id_number"])
        return value if info.context.actor.sees_personal_data else str(mask_id_number(value))

    @strawberry.field(description="Phone number; masked for roles without need.")
    def phone(self, info: Info) -> str | None:
        value = self.row["phone"]
        return value if info.context.actor.sees_personal_data else mask_phone(value)

    @strawberry.field(description="The member's one home organization.")
    def home_organization(self, info: Info) -> Organization | None:
        def present(row: asyncpg.Record | None) -> Organization | None:
            visible = row is not None and info.context.actor.sees(row["path"])
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
        return pending


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

    @strawberry.field(description="The member being transferred, while the member lies within your "
                                  "scope (the sending side loses sight of the member once accepted).")
    async def member(self, info: Info) -> Member | None:
        from api.graphql.queries import load_member

        return await load_member(info, self.row["member_id"])

    @strawberry.field(description="The sending organization.")
    def from_organization(self, info: Info) -> Organization | None:
        return via_loader(info.context.loaders.organization, self.row["from_organization_id"],
                          organization_or_none)

    @strawberry.field(description="The receiving organization.")
    def to_organization(self, info: Info) -> Organization | None:
        return via_loader(info.context.loaders.organization, self.row["to_organization_id"],
                          organization_or_none)

    @staticmethod
    def prefetch(nodes: list[Transfer], fields: set[str], info: Info) -> list[Awaitable[Any]]:
        """Load what the selected fields need for a whole page, in one batch each."""
        loaders, pending = info.context.loaders, list[Awaitable[Any]]()
        if "member" in fields:
            batch(loaders.member, {t.row["member_id"] for t in nodes}, pending)
        orgs = set()
        if "fromOrganization" in fields:
            orgs |= {t.row["from_organization_id"] for t in nodes}
        if "toOrganization" in fields:
            orgs |= {t.row["to_organization_id"] for t in nodes}
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
    def __init__(self, *, edges: list[Edge[T]], page_info: PageInfo) -> None:
        self.items, self.page = edges, page_info

    @strawberry.field(description="The items of this page, in order.")
    def edges(self, info: Info) -> list[Edge[T]]:
        # A node type may load what the selected fields need for the whole page, one
        # batch per loader (``prefetch``); those fields then resolve synchronously.
        prefetch = getattr(type(self.items[0].node), "prefetch", None) if self.items else None
        if prefetch is None:
            return self.items
        pending = prefetch([e.node for e in self.items], node_fields(info), info)
        if not pending:
            return self.items
        return self._after(pending)  # type: ignore[return-value]

    @strawberry.field(description="Where this page ends.")
    def page_info(self) -> PageInfo:
        return self.page

    async def _after(self, pending: list[Awaitable[Any]]) -> list[Edge[T]]:
        await asyncio.gather(*pending)
        return self.items


def connection(page: views.Page, wrap: Any, key: Any) -> Connection[Any]:
    """A page of rows as a connection: ``wrap`` makes a node, ``key`` its cursor values."""
    edges = [Edge(node=wrap(r), cursor=views.encode_cursor(*key(r))) for r in page.rows]
    return Connection(edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))
