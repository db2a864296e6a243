"""Mutations of exits (``domain.members.exits``): death, withdrawal, expulsion, removal in two steps."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.members.errors import ExitNotAllowed, MemberExited
from api.graphql.members.mutations import _KEY, _VERSION, MemberPayload, _member_payload
from domain.members.commands import (
    ApproveMemberRemoval,
    ExpelMember,
    ProposeMemberRemoval,
    RecordMemberDeath,
    RecordMemberWithdrawal,
    RejectMemberRemoval,
)

DeathResult = result_union("RecordMemberDeathResult", MemberPayload, MemberExited, ExitNotAllowed)
WithdrawalResult = result_union("RecordMemberWithdrawalResult", MemberPayload, MemberExited, ExitNotAllowed)
ExpelResult = result_union("ExpelMemberResult", MemberPayload, MemberExited, ExitNotAllowed)
ProposeResult = result_union("ProposeMemberRemovalResult", MemberPayload, MemberExited, ExitNotAllowed)
ApproveResult = result_union("ApproveMemberRemovalResult", MemberPayload, MemberExited, ExitNotAllowed)
RejectResult = result_union("RejectMemberRemovalResult", MemberPayload, MemberExited, ExitNotAllowed)

_REFERENCE = "The decision's reference (文号 or minutes' number): 1–200 characters."
_REASON = "Why (recorded; at most 500 characters)."


@strawberry.input(description="Record that a member died.")
class RecordMemberDeathInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    died_on: date = strawberry.field(description="The date of death: not ahead of today, not before joining.")
    reason: str | None = strawberry.field(default=None, description=_REASON)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record a member's withdrawal from the Party (退党) on their own request.")
class RecordMemberWithdrawalInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    withdrew_on: date = strawberry.field(description="The date: not ahead of today, not before joining.")
    reason: str | None = strawberry.field(default=None, description=_REASON)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record an expulsion (开除党籍) by the disciplinary body's decision.")
class ExpelMemberInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    decided_on: date = strawberry.field(description="The decision's date: not ahead of today.")
    decision_reference: str = strawberry.field(description=_REFERENCE)
    reason: str | None = strawberry.field(default=None, description=_REASON)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Record the branch general meeting's decision to remove a member (除名).")
class ProposeMemberRemovalInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    decided_on: date = strawberry.field(description="The meeting's date: not ahead of today.")
    decision_reference: str = strawberry.field(description=_REFERENCE)
    reason: str = strawberry.field(description="The grounds (recorded; 1–500 characters).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Approve a proposed removal, from the level above the member's home.")
class ApproveMemberRemovalInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    approved_on: date | None = strawberry.field(
        default=None, description="Defaults to today; not ahead of today, not before the branch's decision.")
    reason: str | None = strawberry.field(default=None, description=_REASON)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Reject a proposed removal, from the level above the member's home.")
class RejectMemberRemovalInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    reason: str = strawberry.field(description="Why not (recorded; 1–500 characters).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.type(description="Record how members leave the Party.")
class ExitMutations:
    @strawberry.mutation(description="Record a member's death: the member leaves the rosters and no longer"
                                     " blocks dissolving the home organization; the history stays.")
    async def record_member_death(self, info: Info, input: RecordMemberDeathInput) -> DeathResult:
        return await execute(info, input, lambda: RecordMemberDeath(
            member_id=parse_id(input.id, "id"), died_on=input.died_on, reason=input.reason),
            _member_payload(info))

    @strawberry.mutation(description="Record a member's withdrawal from the Party: the member exits.")
    async def record_member_withdrawal(self, info: Info, input: RecordMemberWithdrawalInput,
                                       ) -> WithdrawalResult:
        return await execute(info, input, lambda: RecordMemberWithdrawal(
            member_id=parse_id(input.id, "id"), withdrew_on=input.withdrew_on, reason=input.reason),
            _member_payload(info))

    @strawberry.mutation(description="Record an expulsion with the disciplinary decision's reference: the"
                                     " member exits.")
    async def expel_member(self, info: Info, input: ExpelMemberInput) -> ExpelResult:
        return await execute(info, input, lambda: ExpelMember(
            member_id=parse_id(input.id, "id"), decided_on=input.decided_on,
            decision_reference=input.decision_reference, reason=input.reason), _member_payload(info))

    @strawberry.mutation(description="Step one of a removal (除名): the branch general meeting's decision,"
                                     " at the member's home. The member stays until the level above approves.")
    async def propose_member_removal(self, info: Info, input: ProposeMemberRemovalInput) -> ProposeResult:
        return await execute(info, input, lambda: ProposeMemberRemoval(
            member_id=parse_id(input.id, "id"), decided_on=input.decided_on,
            decision_reference=input.decision_reference, reason=input.reason), _member_payload(info))

    @strawberry.mutation(description="Step two of a removal: the level above the member's home approves"
                                     " (only from strictly above it); the member exits.")
    async def approve_member_removal(self, info: Info, input: ApproveMemberRemovalInput) -> ApproveResult:
        return await execute(info, input, lambda: ApproveMemberRemoval(
            member_id=parse_id(input.id, "id"), approved_on=input.approved_on, reason=input.reason),
            _member_payload(info))

    @strawberry.mutation(description="The level above rejects a proposed removal, with a reason; the member"
                                     " stays.")
    async def reject_member_removal(self, info: Info, input: RejectMemberRemovalInput) -> RejectResult:
        return await execute(info, input, lambda: RejectMemberRemoval(
            member_id=parse_id(input.id, "id"), reason=input.reason), _member_payload(info))
