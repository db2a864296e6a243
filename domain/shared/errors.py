"""Typed domain errors. Each has a stable ``code`` that the API exposes unchanged."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure of a command: nothing was recorded."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """A value in the command is malformed or out of range."""

    code = "INVALID_INPUT"


class NotFound(DomainError):
    """The command names an object that does not exist (or is outside the actor's scope)."""

    code = "NOT_FOUND"


class NotAuthorized(DomainError):
    """The actor's roles or organization scope do not allow this command."""

    code = "NOT_AUTHORIZED"


class AlreadyExists(DomainError):
    """A natural key (division code, ID number) is already taken."""

    code = "ALREADY_EXISTS"

    @classmethod
    def claimed(cls, scope: str, key: str) -> str:
        """The message when the claim (``scope``, ``key``) is another's (an area's own error
        says it in the area's words: ``domain.shared.handling.Decision.claim_errors``)."""
        return f"{scope} {key!r} is already taken"


class IllegalParent(DomainError):
    """The organization kind may not sit under the proposed parent."""

    code = "ILLEGAL_PARENT"


class OrganizationNotEmpty(DomainError):
    """An organization still has members or child organizations."""

    code = "ORGANIZATION_NOT_EMPTY"


class OrganizationDissolved(DomainError):
    """The organization has been dissolved and takes no further changes."""

    code = "ORGANIZATION_DISSOLVED"


class TransferNotAllowed(DomainError):
    """The transfer is not in a state that allows this step."""

    code = "TRANSFER_NOT_ALLOWED"


class LetterExpired(DomainError):
    """The introduction letter is past its validity; acceptance needs a justification."""

    code = "LETTER_EXPIRED"


class VersionConflict(DomainError):
    """The stream changed since it was read (optimistic concurrency)."""

    code = "VERSION_CONFLICT"


class ClaimConflict(DomainError):
    """A unique natural key is already claimed by another stream."""

    code = "ALREADY_EXISTS"

    def __init__(self, scope: str, key: str) -> None:
        super().__init__(f"{scope} {key!r} is already taken")
        self.scope = scope
        self.key = key


class OwnerNotVacant(DomainError):
    """An owner still holds claims (members, child organizations) that forbid the change."""

    code = "ORGANIZATION_NOT_EMPTY"


class IdempotencyKeyReused(DomainError):
    """The idempotency key was already used for a different command."""

    code = "IDEMPOTENCY_KEY_REUSED"


class ForbiddenPurpose(DomainError):
    """Earmarked money may not pay for this (staff pay, office costs, loans, ...)."""

    code = "FORBIDDEN_PURPOSE"


class InsufficientFunds(DomainError):
    """The fund's available balance (after approved, unpaid commitments) is too small."""

    code = "INSUFFICIENT_FUNDS"


class AmountExceedsApproval(DomainError):
    """Payments would exceed the amount approved for the project."""

    code = "AMOUNT_EXCEEDS_APPROVAL"


class ProjectNotAllowed(DomainError):
    """The project (or payment) is not in a state that allows this step."""

    code = "PROJECT_NOT_ALLOWED"


class FundClosed(DomainError):
    """The fund's fiscal year is closed; it takes no further movements."""

    code = "FUND_CLOSED"


class InspectionNotAllowed(DomainError):
    """The inspection is not in a state that allows this step."""

    code = "INSPECTION_NOT_ALLOWED"
