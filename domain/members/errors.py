"""The members area's typed errors (each answered by a GraphQL error type of the same name)."""

from __future__ import annotations

from domain.shared.errors import AlreadyExists, DomainError


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


class MobileCardNotAllowed(DomainError):
    """The mobile card's step does not fit: a card is open already (issue), or none is open
    (review, return), or the card was reviewed for that year already."""

    code = "MOBILE_CARD_NOT_ALLOWED"


class MobileCardNumberTaken(AlreadyExists):
    """The activity card number (流动党员活动证) is held by another card: numbers the county
    organization department gives are never reused, not even a closed card's."""

    code = "MOBILE_CARD_NUMBER_TAKEN"

    @classmethod
    def claimed(cls, scope: str, key: str) -> str:
        return f"activity card number {key} is another card's (numbers are never reused)"


class ReportNotAllowed(DomainError):
    """The report where the member lives (双报到) does not fit: the member reported for that
    year already, or the community named is not a community of the tree."""

    code = "REPORT_NOT_ALLOWED"


class VolunteerHoursNotAllowed(DomainError):
    """The volunteer entry's step does not fit: no such entry, not pending (confirm,
    reject), an entry id used already, or the year's entries are full."""

    code = "VOLUNTEER_HOURS_NOT_ALLOWED"


class AppraisalNotAllowed(DomainError):
    """The rating is refused by a rule of the yearly appraisal (民主评议党员): the member did not
    report where they live (in service), is below the volunteer minimum, or was rated for the
    year already. The message names the rule and the figures; ``rule`` holds the rule."""

    code = "APPRAISAL_NOT_ALLOWED"

    def __init__(self, message: str, *, rule: str, field: str | None = "rating") -> None:
        super().__init__(f"{rule}: {message}", field=field)
        self.rule = rule


class ApprovalRequired(DomainError):
    """The sending organization's district has the approval step (审批) on
    (``GRASSROOTS_TRANSFER_APPROVAL``): the level above the sender approves the transfer
    (``approveMemberTransfer``) before its letter is issued."""

    code = "APPROVAL_REQUIRED"


class RevocationNotAllowed(DomainError):
    """The revocation's step does not fit the transfer: not completed, not the member's
    latest, one pending already, none pending to approve or reject, or a member who has
    exited (other than out of the system by this very transfer)."""

    code = "REVOCATION_NOT_ALLOWED"
