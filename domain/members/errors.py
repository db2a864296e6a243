"""The members area's typed errors (each answered by a GraphQL error type of the same name)."""

from __future__ import annotations

from domain.shared.errors import DomainError


class MemberExited(DomainError):
    """The member has left the Party (death, removal, expulsion, withdrawal): the record
    keeps its history and takes corrections, but no transfer, conversion or second exit."""

    code = "MEMBER_EXITED"


class LetterVoided(DomainError):
    """The letter presented was voided when it was reported lost and re-issued (补转): only
    the re-issued letter, with its new serial, is accepted."""

    code = "LETTER_VOIDED"


class ExitNotAllowed(DomainError):
    """The exit's step does not fit the member's state: no removal proposed to approve or
    reject, a removal already pending, or an open transfer that must be finished first."""

    code = "EXIT_NOT_ALLOWED"


class DuesNotAllowed(DomainError):
    """The dues step does not fit the member's dues: no assessment for a year it needs, one
    fixed already, no reduction waiting (or one waiting already), or paid ahead beyond the
    allowance."""

    code = "DUES_NOT_ALLOWED"


class DuesLate(DomainError):
    """The payment's first month lies more than the allowed months back: it needs a
    recorded reason (``lateReason``)."""

    code = "DUES_LATE"
