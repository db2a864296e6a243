"""Command handlers: authorize → load → decide → append.

Each public method of ``Commands`` is one use case, named as the domain calls it. The
handlers take their dependencies (event store, organization directory, clock, local
rules) as constructor parameters; ``api/bootstrap.py`` wires the real ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from domain.members.aggregate import (
    Gender,
    Member,
    Standing,
    TransferRules,
    TransferScope,
    check_id_number,
    check_phone,
    first_of_month,
)
from domain.organizations.aggregate import (
    Organization,
    OrganizationKind,
    check_code,
    check_name,
    check_parent,
)
from domain.shared import events as ev
from domain.shared.errors import (
    AlreadyExists,
    ClaimConflict,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    OrganizationNotEmpty,
    OwnerNotVacant,
    VersionConflict,
)
from domain.shared.permissions import RECEIVING_SIDE, Action, Actor, authorize
from domain.shared.ports import (
    JSON,
    Append,
    AppendResult,
    Claim,
    EventStore,
    Idempotency,
    Metadata,
    Release,
)

ev.register(Organization)
ev.register(Member)

A = TypeVar("A", Organization, Member)
MAX_ATTEMPTS = 5
HOME = "member.home"
PARENT = "organization.parent"


class Directory(Protocol):
    """Where an organization sits: its root-first chain of ids, ending with itself."""

    async def path_of(self, organization_id: UUID) -> list[UUID] | None: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


@dataclass(frozen=True)
class Request:
    """What every command carries besides its own input."""

    actor: Actor
    correlation_id: UUID
    idempotency_key: str | None = None
    expected_version: int | None = None
    """The stream version the client last saw; a mismatch is a VersionConflict."""


@dataclass(frozen=True)
class Outcome:
    """The id of the object the command created or changed, and the log position."""

    id: UUID
    position: int
    replayed: bool = False
    extra: JSON = field(default_factory=dict)


def fingerprint(action: Action, payload: dict[str, Any]) -> str:
    text = json.dumps([action.value, payload], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def id_number_key(id_number: str) -> str:
    # The claim table holds a digest, not the ID number itself: erasure of personal
    # data later must not need to touch the set-rule table.
    return hashlib.sha256(id_number.encode()).hexdigest()


class AggregateDirectory:
    """A Directory that walks parent links through the event store (for unit tests)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def path_of(self, organization_id: UUID) -> list[UUID] | None:
        path: list[UUID] = []
        current: UUID | None = organization_id
        while current is not None:
            org = ev.replay(Organization, await self.store.read_stream(current))
            if org is None or current in path:
                return None if org is None else path[::-1]
            path.append(current)
            current = org.parent_id
        return path[::-1]


class Commands:
    """The use cases of the organization, member and transfer slice."""

    def __init__(
        self,
        store: EventStore,
        directory: Directory,
        clock: Clock,
        rules: TransferRules | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.clock = clock
        self.rules = rules or TransferRules()

    # -- plumbing ---------------------------------------------------------------------

    def today(self) -> date:
        return self.clock().date()

    async def load(self, cls: type[A], stream_id: UUID, what: str) -> A:
        found = ev.replay(cls, await self.store.read_stream(stream_id))
        if found is None or not isinstance(found, cls):
            raise NotFound(f"no {what} {stream_id}", field=f"{what}Id")
        return found

    async def authorize(self, req: Request, action: Action, org_id: UUID | None) -> None:
        path = [] if org_id is None else await self.directory.path_of(org_id)
        if path is None:
            raise NotFound(f"no organization {org_id}")
        authorize(req.actor, action, path)

    @staticmethod
    def check_expected(req: Request, aggregate: Organization | Member) -> None:
        if req.expected_version is not None and aggregate.version != req.expected_version:
            raise VersionConflict(
                f"expected version {req.expected_version}, the stream is at {aggregate.version}",
                field="expectedVersion",
            )

    async def run(
        self,
        req: Request,
        action: Action,
        payload: dict[str, Any],
        decide: Callable[[], Awaitable[tuple[UUID, Append]]],
        reason: str | None = None,
    ) -> Outcome:
        """Run ``decide`` and append what it decided, with idempotency and retries.

        ``decide`` loads fresh state each time it is called, so a version conflict
        (another writer got there first) is retried against the new state, a bounded
        number of times, unless the client stated the version it expected.
        """
        idem = None
        if req.idempotency_key is not None:
            if not 1 <= len(req.idempotency_key) <= 200:
                raise InvalidInput("an idempotency key has 1–200 characters", field="idempotencyKey")
            idem = Idempotency(req.idempotency_key, fingerprint(action, payload))
            earlier = await self.store.recall(req.actor.subject, req.idempotency_key)
            if earlier is not None:
                return self._replayed(idem, earlier)
        for attempt in range(MAX_ATTEMPTS):
            stream_id, append = await decide()
            meta = Metadata(
                actor=req.actor.subject,
                actor_roles=req.actor.role_names,
                correlation_id=req.correlation_id,
                command_id=req.idempotency_key,
                reason=reason,
            )
            request = Append(
                events=append.events, metadata=meta, guards=append.guards, claims=append.claims,
                releases=append.releases, vacant=append.vacant, idempotency=idem,
                result={"id": str(stream_id), **append.result},
            )
            try:
                result = await self.store.append(request)
            except VersionConflict:
                if req.expected_version is not None or attempt == MAX_ATTEMPTS - 1:
                    raise
                continue
            except ClaimConflict as exc:
                raise AlreadyExists(str(exc), field=_CLAIM_FIELDS.get(exc.scope)) from exc
            except OwnerNotVacant as exc:
                raise OrganizationNotEmpty(
                    "the organization still has members or child organizations"
                ) from exc
            if result.replayed:
                assert idem is not None
                return self._replayed(idem, result)
            return Outcome(UUID(result.result["id"]), result.last_position, extra=result.result)
        raise AssertionError("unreachable")

    @staticmethod
    def _replayed(idem: Idempotency, result: AppendResult) -> Outcome:
        if result.fingerprint != idem.fingerprint:
            raise IdempotencyKeyReused(
                "this idempotency key was used for a different command", field="idempotencyKey"
            )
        return Outcome(UUID(result.result["id"]), result.last_position, True, result.result)

    # -- organizations ------------------------------------------------------------------

    async def establish_organization(
        self, req: Request, kind: OrganizationKind, name: str, parent_id: UUID | None,
        code: str | None = None, established_on: date | None = None,
    ) -> Outcome:
        await self.authorize(req, Action.ESTABLISH_ORGANIZATION, parent_id)
        name = check_name(name)
        on = established_on or self.today()

        async def decide() -> tuple[UUID, Append]:
            parent = None if parent_id is None else await self.load(Organization, parent_id, "parent")
            check_parent(kind, None if parent is None else parent.kind)
            if parent is not None:
                parent.ensure_active()
            checked = check_code(kind, code, None if parent is None else parent.code)
            org = Organization(
                kind=kind, name=name, code=checked, parent_id=parent_id, established_on=on
            )
            claims = [Claim("organization.code", checked, org.id)] if checked else []
            if parent is not None:
                claims.append(Claim(PARENT, str(org.id), parent.id))
            guards = {} if parent is None else {parent.id: parent.version}
            return org.id, Append(ev.to_new_events(org), _NO_META, guards=guards, claims=claims)

        payload = {"kind": kind.value, "name": name, "parent": parent_id, "code": code}
        return await self.run(req, Action.ESTABLISH_ORGANIZATION, payload, decide)

    async def rename_organization(self, req: Request, organization_id: UUID, name: str) -> Outcome:
        await self.authorize(req, Action.RENAME_ORGANIZATION, organization_id)

        async def decide() -> tuple[UUID, Append]:
            org = await self.load(Organization, organization_id, "organization")
            self.check_expected(req, org)
            org.rename(name)
            return org.id, Append(ev.to_new_events(org), _NO_META)

        payload = {"id": organization_id, "name": name}
        return await self.run(req, Action.RENAME_ORGANIZATION, payload, decide)

    async def move_organization(
        self, req: Request, organization_id: UUID, new_parent_id: UUID
    ) -> Outcome:
        await self.authorize(req, Action.MOVE_ORGANIZATION, organization_id)
        await self.authorize(req, Action.MOVE_ORGANIZATION, new_parent_id)
        new_path = await self.directory.path_of(new_parent_id)
        if new_path is not None and organization_id in new_path:
            raise InvalidInput("an organization cannot move under itself or its own descendant",
                               field="newParentId")

        async def decide() -> tuple[UUID, Append]:
            org = await self.load(Organization, organization_id, "organization")
            self.check_expected(req, org)
            parent = await self.load(Organization, new_parent_id, "newParent")
            org.move(parent)
            claims = [Claim(PARENT, str(org.id), parent.id, replace=True)]
            return org.id, Append(
                ev.to_new_events(org), _NO_META, guards={parent.id: parent.version}, claims=claims
            )

        payload = {"id": organization_id, "parent": new_parent_id}
        return await self.run(req, Action.MOVE_ORGANIZATION, payload, decide)

    async def dissolve_organization(
        self, req: Request, organization_id: UUID, reason: str, dissolved_on: date | None = None
    ) -> Outcome:
        await self.authorize(req, Action.DISSOLVE_ORGANIZATION, organization_id)
        reason = required_reason(reason)

        async def decide() -> tuple[UUID, Append]:
            org = await self.load(Organization, organization_id, "organization")
            self.check_expected(req, org)
            org.dissolve(dissolved_on or self.today())
            # A dissolved organization keeps its division code: codes are never reused.
            releases = [Release(PARENT, str(org.id))]
            return org.id, Append(
                ev.to_new_events(org), _NO_META, releases=releases,
                vacant=[(org.id, (HOME, PARENT))],
            )

        payload = {"id": organization_id, "reason": reason}
        return await self.run(req, Action.DISSOLVE_ORGANIZATION, payload, decide, reason)

    # -- members ------------------------------------------------------------------------

    async def register_member(
        self, req: Request, *, name: str, gender: Gender, birth_date: date, ethnicity: str,
        id_number: str, phone: str | None, standing: Standing, joined_on: date,
        home_organization_id: UUID, dues_paid_through: date | None = None,
    ) -> Outcome:
        await self.authorize(req, Action.REGISTER_MEMBER, home_organization_id)
        name, ethnicity = Member.check_details(name, birth_date, joined_on, ethnicity, self.today())
        id_number = check_id_number(id_number)
        phone = check_phone(phone)

        async def decide() -> tuple[UUID, Append]:
            home = await self.load(Organization, home_organization_id, "homeOrganization")
            home.ensure_active()
            member = Member(
                name=name, gender=gender, birth_date=birth_date, ethnicity=ethnicity,
                id_number=id_number, phone=phone, standing=standing, joined_on=joined_on,
                home_organization_id=home.id, dues_paid_through=first_of_month(dues_paid_through),
            )
            claims = [
                Claim("member.id_number", id_number_key(id_number), member.id),
                Claim(HOME, str(member.id), home.id),
            ]
            return member.id, Append(
                ev.to_new_events(member), _NO_META, guards={home.id: home.version}, claims=claims
            )

        payload = {"id_number": id_number_key(id_number), "name": name, "home": home_organization_id}
        return await self.run(req, Action.REGISTER_MEMBER, payload, decide)

    async def _member_command(
        self, req: Request, action: Action, member_id: UUID, payload: dict[str, Any],
        change: Callable[[Member], Awaitable[Append | None]], reason: str | None = None,
        transfer_id: UUID | None = None,
    ) -> Outcome:
        """Authorize against the member's home (or a transfer's side), then change."""
        member = await self.load(Member, member_id, "member")
        org_id = member.home_organization_id
        if transfer_id is not None:
            # Transfer steps belong to the sending or the receiving organization, whatever
            # the member's home is by now (the receipt comes back after acceptance).
            t = member.transfer(transfer_id)
            org_id = t.to_organization_id if action in RECEIVING_SIDE else t.from_organization_id
        await self.authorize(req, action, org_id)

        async def decide() -> tuple[UUID, Append]:
            fresh = await self.load(Member, member_id, "member")
            self.check_expected(req, fresh)
            extra = await change(fresh)
            events = ev.to_new_events(fresh)
            if extra is None:
                return fresh.id, Append(events, _NO_META)
            return fresh.id, Append(
                events, _NO_META, guards=extra.guards, claims=extra.claims, result=extra.result
            )

        return await self.run(req, action, payload, decide, reason)

    async def correct_member_details(
        self, req: Request, member_id: UUID, changes: dict[str, Any], reason: str
    ) -> Outcome:
        reason = required_reason(reason)

        async def change(m: Member) -> None:
            m.correct_details(changes, self.today())

        payload = {"id": member_id, "changes": changes, "reason": reason}
        return await self._member_command(
            req, Action.CORRECT_MEMBER_DETAILS, member_id, payload, change, reason
        )

    async def convert_member_to_full(
        self, req: Request, member_id: UUID, converted_on: date | None = None,
        reason: str | None = None,
    ) -> Outcome:
        async def change(m: Member) -> None:
            m.convert_to_full(converted_on or self.today())

        payload = {"id": member_id, "on": converted_on}
        return await self._member_command(
            req, Action.CONVERT_MEMBER_TO_FULL, member_id, payload, change, reason
        )

    # -- transfers ----------------------------------------------------------------------

    async def request_member_transfer(
        self, req: Request, member_id: UUID, to_organization_id: UUID, scope: TransferScope,
        reason: str,
    ) -> Outcome:
        reason = required_reason(reason)
        if await self.directory.path_of(to_organization_id) is None:
            raise NotFound(f"no organization {to_organization_id}", field="toOrganizationId")

        async def change(m: Member) -> Append:
            target = await self.load(Organization, to_organization_id, "toOrganization")
            target.ensure_active()
            transfer_id = m.request_transfer(target.id, scope)
            return Append((), _NO_META, result={"transfer_id": str(transfer_id)})

        payload = {"id": member_id, "to": to_organization_id, "scope": scope.value}
        return await self._member_command(
            req, Action.REQUEST_MEMBER_TRANSFER, member_id, payload, change, reason
        )

    async def issue_transfer_letter(
        self, req: Request, member_id: UUID, transfer_id: UUID, validity_days: int | None = None,
    ) -> Outcome:
        async def change(m: Member) -> Append:
            today = self.today()
            serial = f"{today.year}-{await self.store.next_serial('transfer_letter'):06d}"
            m.issue_transfer_letter(transfer_id, serial, today, self.rules, validity_days)
            return Append((), _NO_META, result={"transfer_id": str(transfer_id)})

        payload = {"id": member_id, "transfer": transfer_id, "days": validity_days}
        return await self._member_command(
            req, Action.ISSUE_TRANSFER_LETTER, member_id, payload, change, transfer_id=transfer_id
        )

    async def accept_member_transfer(
        self, req: Request, member_id: UUID, transfer_id: UUID, justification: str | None = None,
    ) -> Outcome:
        async def change(m: Member) -> Append:
            target_id = m.transfer(transfer_id).to_organization_id
            target = await self.load(Organization, target_id, "toOrganization")
            target.ensure_active()
            m.accept_transfer(transfer_id, self.today(), self.rules, justification)
            return Append(
                (), _NO_META, guards={target.id: target.version},
                claims=[Claim(HOME, str(m.id), target.id, replace=True)],
                result={"transfer_id": str(transfer_id)},
            )

        payload = {"id": member_id, "transfer": transfer_id, "why": justification}
        return await self._member_command(
            req, Action.ACCEPT_MEMBER_TRANSFER, member_id, payload, change,
            justification, transfer_id,
        )

    async def _transfer_step(
        self, req: Request, action: Action, member_id: UUID, transfer_id: UUID,
        step: Callable[[Member], None], reason: str | None = None,
    ) -> Outcome:
        async def change(m: Member) -> Append:
            step(m)
            return Append((), _NO_META, result={"transfer_id": str(transfer_id)})

        payload = {"id": member_id, "transfer": transfer_id, "reason": reason}
        return await self._member_command(
            req, action, member_id, payload, change, reason, transfer_id
        )

    async def return_member_transfer(
        self, req: Request, member_id: UUID, transfer_id: UUID, reason: str
    ) -> Outcome:
        reason = required_reason(reason)
        return await self._transfer_step(
            req, Action.RETURN_MEMBER_TRANSFER, member_id, transfer_id,
            lambda m: m.return_transfer(transfer_id, reason), reason,
        )

    async def withdraw_member_transfer(
        self, req: Request, member_id: UUID, transfer_id: UUID, reason: str | None = None
    ) -> Outcome:
        return await self._transfer_step(
            req, Action.WITHDRAW_MEMBER_TRANSFER, member_id, transfer_id,
            lambda m: m.withdraw_transfer(transfer_id), reason,
        )

    async def expire_member_transfer(
        self, req: Request, member_id: UUID, transfer_id: UUID
    ) -> Outcome:
        return await self._transfer_step(
            req, Action.EXPIRE_MEMBER_TRANSFER, member_id, transfer_id,
            lambda m: m.expire_transfer(transfer_id, self.today()),
        )

    async def confirm_transfer_receipt(
        self, req: Request, member_id: UUID, transfer_id: UUID, received_on: date | None = None
    ) -> Outcome:
        return await self._transfer_step(
            req, Action.CONFIRM_TRANSFER_RECEIPT, member_id, transfer_id,
            lambda m: m.confirm_transfer_receipt(transfer_id, received_on or self.today()),
        )


_NO_META = Metadata(actor="", actor_roles=(), correlation_id=UUID(int=0))
_CLAIM_FIELDS = {"organization.code": "code", "member.id_number": "idNumber"}


def required_reason(reason: str | None) -> str:
    """A stated reason, trimmed: required for returns, corrections, rejections, reversals."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise InvalidInput("a reason is required", field="reason")
    if len(cleaned) > 500:
        raise InvalidInput("a reason has at most 500 characters", field="reason")
    return cleaned


__all__: Sequence[str] = ["AggregateDirectory", "Commands", "Directory", "Outcome", "Request"]
