"""Typed errors returned in mutation result unions, one per stable domain error code."""

from __future__ import annotations

import strawberry

from domain.shared import errors as de
from domain.webhooks.aggregate import WebhookNotAllowed as WebhookNotAllowedError


@strawberry.interface(description="An expected failure: nothing was recorded.")
class Error:
    code: str = strawberry.field(description="Stable machine-readable code.")
    message: str = strawberry.field(description="Human-readable explanation.")
    field: str | None = strawberry.field(description="The input field at fault, if one is.")


def _error(name: str, description: str) -> type:
    cls = type(name, (Error,), {"__doc__": description})
    return strawberry.type(cls, description=description)


ValidationError = _error("ValidationError", "A value in the input is malformed or out of range.")
NotAuthorized = _error("NotAuthorized", "Your roles or organization scope do not allow this.")
NotFound = _error("NotFound", "The object does not exist or lies outside your scope.")
AlreadyExists = _error("AlreadyExists", "A unique value (division code, ID number) is taken.")
IllegalParent = _error("IllegalParent", "This kind of organization cannot sit under that parent.")
OrganizationNotEmpty = _error("OrganizationNotEmpty", "The organization still has members or children.")
OrganizationDissolved = _error("OrganizationDissolved", "The organization was dissolved.")
TransferNotAllowed = _error("TransferNotAllowed", "The transfer's state does not allow this step.")
LetterExpired = _error("LetterExpired", "The letter is past its validity; a justification is needed.")
VersionConflict = _error("VersionConflict", "The object changed since you read it; reload and retry.")
IdempotencyKeyReused = _error("IdempotencyKeyReused", "The idempotency key was used for other input.")
ForbiddenPurpose = _error("ForbiddenPurpose", "Earmarked money never pays for this purpose.")
InsufficientFunds = _error("InsufficientFunds", "The fund's available balance, after commitments, is too small.")
AmountExceedsApproval = _error("AmountExceedsApproval", "Payments would exceed the approved amount.")
ProjectNotAllowed = _error("ProjectNotAllowed", "The project's or payment's state does not allow this step.")
FundClosed = _error("FundClosed", "The fund's fiscal year is closed.")
InspectionNotAllowed = _error("InspectionNotAllowed", "The inspection's state does not allow this step.")
WebhookNotAllowed = _error("WebhookNotAllowed", "The webhook's status does not allow this (paused, active, removed).")

BY_CLASS: dict[type[de.DomainError], type] = {
    WebhookNotAllowedError: WebhookNotAllowed,
    de.InvalidInput: ValidationError,
    de.NotAuthorized: NotAuthorized,
    de.NotFound: NotFound,
    de.AlreadyExists: AlreadyExists,
    de.ClaimConflict: AlreadyExists,
    de.IllegalParent: IllegalParent,
    de.OrganizationNotEmpty: OrganizationNotEmpty,
    de.OwnerNotVacant: OrganizationNotEmpty,
    de.OrganizationDissolved: OrganizationDissolved,
    de.TransferNotAllowed: TransferNotAllowed,
    de.LetterExpired: LetterExpired,
    de.VersionConflict: VersionConflict,
    de.IdempotencyKeyReused: IdempotencyKeyReused,
    de.ForbiddenPurpose: ForbiddenPurpose,
    de.InsufficientFunds: InsufficientFunds,
    de.AmountExceedsApproval: AmountExceedsApproval,
    de.ProjectNotAllowed: ProjectNotAllowed,
    de.FundClosed: FundClosed,
    de.InspectionNotAllowed: InspectionNotAllowed,
}
COMMON = (ValidationError, NotAuthorized, NotFound, VersionConflict, IdempotencyKeyReused)


def to_graphql(exc: de.DomainError) -> object:
    cls = BY_CLASS[type(exc)]
    return cls(code=exc.code, message=exc.message, field=exc.field)
