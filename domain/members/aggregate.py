"""Party members (党员) and the transfer of their organizational relationship (组织关系转接).

A member's transfers live in the member's own stream: one open transfer at a time and
exactly one home organization at every moment follow from the stream's versioning.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.members import appraisal as apr
from domain.members import dues as d
from domain.members import mobile as mob
from domain.members import reporting as rep
from domain.members import volunteering as vol
from domain.members.errors import (
    ApprovalRequired,
    DuesNotAllowed,
    ExitNotAllowed,
    LetterVoided,
    MemberExited,
    RevocationNotAllowed,
)
from domain.members.exits import (
    ExitKind,
    MemberExit,
    PendingRemoval,
    check_exit_date,
    check_reference,
)
from domain.members.incoming import IncomingLetter
from domain.members.revocation import PendingRevocation, TransferApproval
from domain.members.transfers import ExternalOrganization
from domain.members.transfers import TransferScope as TransferScope  # re-exported: its home before
from domain.organizations.aggregate import PARTY_FOUNDED, check_name
from domain.shared.errors import InvalidInput, LetterExpired, TransferNotAllowed
from domain.shared.personal import declare_erasure
from domain.shared.privacy import PERSONAL_FIELDS
from domain.shared.text import clean

MAX_LETTER_REISSUES = 5
"""Re-issues (补转) of one transfer's letter; each voids a serial, so it also bounds
``Transfer.voided_serials``."""


class Gender(enum.Enum):
    """性别."""

    MALE = "MALE"
    FEMALE = "FEMALE"


class Standing(enum.Enum):
    """Full (正式) or probationary (预备) member."""

    FULL = "FULL"
    PROBATIONARY = "PROBATIONARY"


class TransferState(enum.Enum):
    """Where a transfer stands."""

    REQUESTED = "REQUESTED"
    LETTER_ISSUED = "LETTER_ISSUED"
    ACCEPTED = "ACCEPTED"
    RECEIPT_CONFIRMED = "RECEIPT_CONFIRMED"
    RETURNED = "RETURNED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"
    """The level above the sender rejected the request (the approval step, 审批)."""
    REVOKED = "REVOKED"
    """A completed transfer found to be wrong, revoked with the level above's approval: the
    member's previous home is the home again (``domain.members.revocation``)."""


OPEN_STATES = frozenset({TransferState.REQUESTED, TransferState.LETTER_ISSUED, TransferState.EXPIRED})
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_PHONE = re.compile(r"\+?[0-9][0-9\- ]*", re.ASCII)
MIN_PHONE_DIGITS, MAX_PHONE = 5, 20
MAX_ETHNICITY = 20
MAX_JUSTIFICATION = 500
MAX_SERIAL = 40
MEMBER_PERSONAL_FIELDS = frozenset({"id_number", "phone", "declared_income"})
"""The personal fields (``domain.shared.privacy.PERSONAL_FIELDS``) a member's stream holds:
what an erasure names (other areas' personal fields are not the member's)."""
assert PERSONAL_FIELDS.keys() >= MEMBER_PERSONAL_FIELDS
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def check_id_number(value: str) -> str:
    """Validate an 18-character resident ID number (GB 11643) including its check digit.

    Normalised first (``domain.shared.text.clean``: fullwidth digits become ASCII,
    invisible characters go), so the claim that keeps it unique sees one spelling;
    digits of other scripts (Arabic-Indic ``٠``) are refused.
    """
    number = clean(value).upper()
    if not _ID_NUMBER.fullmatch(number):
        raise InvalidInput("an ID number has 17 digits and a check digit (0-9 or X)", field="idNumber")
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        raise InvalidInput("the ID number's check digit is wrong", field="idNumber")
    return number


def check_phone(value: str | None) -> str | None:
    """A phone number: ASCII digits (fullwidth ones normalised), spaces, dashes and a
    leading +, at most 20 characters and at least five digits; empty means none."""
    if value is None:
        return None
    phone = clean(value)
    if not phone:
        return None
    digits = sum(ch.isdigit() for ch in phone)
    if len(phone) > MAX_PHONE or not _PHONE.fullmatch(phone) or digits < MIN_PHONE_DIGITS:
        raise InvalidInput(f"a phone has {MIN_PHONE_DIGITS}–{MAX_PHONE} characters: digits 0-9 (at least"
                           f" {MIN_PHONE_DIGITS}), spaces, dashes and a leading +", field="phone")
    return phone


def first_of_month(value: date | None) -> date | None:
    """Dues are paid through a month; store it as that month's first day."""
    return None if value is None else value.replace(day=1)


DUES_AHEAD_MONTHS = 12
"""Dues may be paid ahead by at most a year."""


def check_dues_paid_through(value: date | None, joined_on: date, today: date) -> date | None:
    """The month dues are paid through (its first day): not before the member joined,
    and at most ``DUES_AHEAD_MONTHS`` months after this one."""
    month = first_of_month(value)
    if month is None:
        return None
    latest_index = today.year * 12 + today.month - 1 + DUES_AHEAD_MONTHS
    latest = date(latest_index // 12, latest_index % 12 + 1, 1)
    if month < joined_on.replace(day=1):
        raise InvalidInput("dues cannot be paid through a month before the member joined",
                           field="duesPaidThrough")
    if month > latest:
        raise InvalidInput(f"dues can be paid ahead through {latest.strftime('%Y-%m')} at the latest",
                           field="duesPaidThrough")
    return month


def check_justification(value: str | None) -> str | None:
    """A stated justification (late acceptance): trimmed, at most 500 characters, or None."""
    cleaned = (value or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_JUSTIFICATION:
        raise InvalidInput(f"a justification has at most {MAX_JUSTIFICATION} characters",
                           field="justification")
    return cleaned


@dataclass
class Transfer:
    """One transfer of a member's organizational relationship, as the member stream has it."""

    id: UUID
    from_organization_id: UUID | None
    """None for a transfer into the system (``from_external``)."""
    to_organization_id: UUID | None
    """None for a transfer out of the system (``to_external``)."""
    scope: TransferScope
    state: TransferState = TransferState.REQUESTED
    to_external: ExternalOrganization | None = None
    issued_on: date | None = None
    voided_serials: tuple[str, ...] = ()
    """Serials of letters reported lost and re-issued (补转): never accepted."""
    letter_serial: str | None = None
    valid_until: date | None = None
    accepted_on: date | None = None
    receipt_due_on: date | None = None
    from_external: ExternalOrganization | None = None
    """The sender outside the system, for a transfer into it (``domain.members.incoming``)."""
    approved_on: date | None = None
    """The level above the sender approved the request (the approval step, 审批)."""
    revocation: PendingRevocation | None = None
    """A revocation proposed and waiting for the level above."""


@dataclass(frozen=True)
class TransferRules:
    """Letter validity per scope and receipt deadline: local policy, so configuration."""

    validity_days: dict[TransferScope, int] = field(
        default_factory=lambda: {
            TransferScope.WITHIN_CITY: 10,
            TransferScope.OUTSIDE_CITY: 30,
            TransferScope.ACROSS_PROVINCES: 90,
        }
    )
    receipt_due_days: int = 30
    approval: TransferApproval = field(default_factory=TransferApproval)
    """Where the approval step before the letter is on (``domain.members.revocation``)."""


class Member(Aggregate):
    """A Party member, with exactly one home organization at every moment."""

    class Registered(Aggregate.Created):
        name: str
        gender: Gender
        birth_date: date
        ethnicity: str
        id_number: str
        phone: str | None
        standing: Standing
        joined_on: date
        home_organization_id: UUID
        dues_paid_through: date | None

    @event(Registered)
    def __init__(
        self,
        name: str,
        gender: Gender,
        birth_date: date,
        ethnicity: str,
        id_number: str,
        phone: str | None,
        standing: Standing,
        joined_on: date,
        home_organization_id: UUID,
        dues_paid_through: date | None,
    ) -> None:
        self.name = name
        self.gender = gender
        self.birth_date = birth_date
        self.ethnicity = ethnicity
        self.id_number = id_number
        self.phone = phone
        self.standing = standing
        self.joined_on = joined_on
        self.home_organization_id = home_organization_id
        self.dues_paid_through = dues_paid_through
        self.transfers: dict[UUID, Transfer] = {}
        self.open_transfer_id: UUID | None = None
        self.personal_data_erased = False
        self.exit: MemberExit | None = None
        self.pending_removal: PendingRemoval | None = None
        self.dues = d.Dues()
        self.mobile_card: mob.MobileCard | None = None
        self.reports: dict[int, rep.ResidenceReport] = {}
        self.volunteering: dict[UUID, vol.VolunteerEntry] = {}
        self.appraisals: dict[int, apr.Appraisal] = {}

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    @staticmethod
    def check_details(
        name: str, birth_date: date, joined_on: date, ethnicity: str, today: date
    ) -> tuple[str, str]:
        name = check_name(name)
        ethnicity = clean(ethnicity)
        if not ethnicity or len(ethnicity) > MAX_ETHNICITY:
            raise InvalidInput(f"ethnicity must be 1–{MAX_ETHNICITY} characters", field="ethnicity")
        if birth_date > today or birth_date.year < 1900:
            raise InvalidInput("birth date is out of range", field="birthDate")
        if joined_on > today:
            raise InvalidInput("joined date lies in the future", field="joinedOn")
        if joined_on < PARTY_FOUNDED:
            raise InvalidInput(f"no one joined before the Party's founding ({PARTY_FOUNDED.isoformat()})",
                               field="joinedOn")
        if joined_on < birth_date + timedelta(days=18 * 365):
            raise InvalidInput("a member joins at 18 or older", field="joinedOn")
        return name, ethnicity

    # -- personal details -------------------------------------------------------------

    def correct_details(self, changes: dict[str, object], today: date) -> None:
        """Correct personal details; only fields that change are recorded."""
        merged: dict[str, Any] = {
            "name": self.name,
            "gender": self.gender,
            "birth_date": self.birth_date,
            "ethnicity": self.ethnicity,
            "phone": self.phone,
            "joined_on": self.joined_on,
            "dues_paid_through": self.dues_paid_through,
            **changes,
        }
        name, ethnicity = self.check_details(
            str(merged["name"]), merged["birth_date"], merged["joined_on"],
            str(merged["ethnicity"]), today,
        )
        merged.update(name=name, ethnicity=ethnicity)
        if self.personal_data_erased and "phone" in changes:
            raise InvalidInput("the member's personal data was erased: no phone is recorded again",
                               field="phone")
        merged["phone"] = check_phone(merged["phone"])
        if "dues_paid_through" in changes or "joined_on" in changes:
            merged["dues_paid_through"] = check_dues_paid_through(
                merged["dues_paid_through"], merged["joined_on"], today)
        changed = {k: v for k, v in merged.items() if getattr(self, k) != v}
        if not changed:
            raise InvalidInput("the correction changes nothing")
        self._details_corrected(
            name=merged["name"], gender=merged["gender"], birth_date=merged["birth_date"],
            ethnicity=merged["ethnicity"], phone=merged["phone"], joined_on=merged["joined_on"],
            dues_paid_through=merged["dues_paid_through"], changed_fields=sorted(changed),
        )

    @event("DetailsCorrected")
    def _details_corrected(
        self, name: str, gender: Gender, birth_date: date, ethnicity: str, phone: str | None,
        joined_on: date, dues_paid_through: date | None, changed_fields: list[str],
    ) -> None:
        self.name, self.gender, self.birth_date = name, gender, birth_date
        self.ethnicity, self.phone, self.joined_on = ethnicity, phone, joined_on
        self.dues_paid_through = dues_paid_through

    def convert_to_full(self, converted_on: date, today: date) -> None:
        self.ensure_member()
        if self.standing is Standing.FULL:
            raise InvalidInput("the member is already a full member")
        if converted_on < self.joined_on:
            raise InvalidInput("conversion cannot precede joining", field="convertedOn")
        if converted_on > today:
            raise InvalidInput("the conversion date lies in the future", field="convertedOn")
        self._converted_to_full(converted_on=converted_on)

    @event("ConvertedToFull")
    def _converted_to_full(self, converted_on: date) -> None:
        self.standing = Standing.FULL

    # -- erasure of personal data (crypto-shredding) --------------------------------------

    def erase_personal_data(self) -> None:
        """Erase the member's personal data on a lawful request: the fields the privacy
        policy names that a member's stream holds (ID number, phone, declared income). The
        event records which fields, never their values; appending it destroys the member's
        keys (``domain.shared.personal``), so every earlier value reads as null from then on
        while the log stays as hashed."""
        if self.personal_data_erased:
            raise InvalidInput(f"the personal data of member {self.id} was already erased")
        self._personal_data_erased(fields=sorted(MEMBER_PERSONAL_FIELDS))

    @event("PersonalDataErased")
    def _personal_data_erased(self, fields: list[str]) -> None:
        self.personal_data_erased = True
        self.id_number, self.phone = None, None  # type: ignore[assignment]
        self.dues = self.dues.erased()


    # -- exits (domain.members.exits) ---------------------------------------------------

    def ensure_member(self) -> None:
        """Refuse with MemberExited once the member has left the Party."""
        if self.exit is not None:
            raise MemberExited(f"member {self.name} left the Party ({self.exit.kind.value.lower()},"
                               f" {self.exit.on.isoformat()})")

    def _ready_to_exit(self) -> None:
        self.ensure_member()
        if self.open_transfer_id is not None:
            raise ExitNotAllowed(f"member {self.name} has an open transfer {self.open_transfer_id}:"
                                 " withdraw or finish it first")
        if self.pending_revocation() is not None:
            raise ExitNotAllowed(f"a revocation of member {self.name}'s transfer awaits the level above")

    def record_death(self, died_on: date, today: date) -> None:
        self._ready_to_exit()
        self._death_recorded(died_on=check_exit_date(died_on, self.joined_on, today, "diedOn"),
                             home_organization_id=self.home_organization_id)

    @event("DeathRecorded")
    def _death_recorded(self, died_on: date, home_organization_id: UUID) -> None:
        self.exit, self.pending_removal = MemberExit(ExitKind.DEATH, died_on), None

    def record_withdrawal(self, withdrew_on: date, today: date) -> None:
        self._ready_to_exit()
        self._withdrawal_recorded(
            withdrew_on=check_exit_date(withdrew_on, self.joined_on, today, "withdrewOn"),
            home_organization_id=self.home_organization_id)

    @event("WithdrawalRecorded")
    def _withdrawal_recorded(self, withdrew_on: date, home_organization_id: UUID) -> None:
        self.exit, self.pending_removal = MemberExit(ExitKind.WITHDRAWAL, withdrew_on), None

    def expel(self, decided_on: date, decision_reference: str, today: date) -> None:
        self._ready_to_exit()
        self._expelled(decided_on=check_exit_date(decided_on, self.joined_on, today, "decidedOn"),
                       decision_reference=check_reference(decision_reference, "decisionReference"),
                       home_organization_id=self.home_organization_id)

    @event("Expelled")
    def _expelled(self, decided_on: date, decision_reference: str, home_organization_id: UUID) -> None:
        self.exit = MemberExit(ExitKind.EXPULSION, decided_on, decision_reference)
        self.pending_removal = None

    def propose_removal(self, decided_on: date, decision_reference: str, today: date) -> None:
        """The branch general meeting's decision to remove (除名): the first of two steps."""
        self._ready_to_exit()
        if self.pending_removal is not None:
            raise ExitNotAllowed(f"the removal of member {self.name} was proposed on"
                                 f" {self.pending_removal.decided_on.isoformat()} already")
        self._removal_proposed(
            decided_on=check_exit_date(decided_on, self.joined_on, today, "decidedOn"),
            decision_reference=check_reference(decision_reference, "decisionReference"),
            home_organization_id=self.home_organization_id)

    @event("RemovalProposed")
    def _removal_proposed(self, decided_on: date, decision_reference: str, home_organization_id: UUID) -> None:
        self.pending_removal = PendingRemoval(decided_on, decision_reference)

    def _pending(self) -> PendingRemoval:
        self.ensure_member()
        if self.pending_removal is None:
            raise ExitNotAllowed(f"no removal of member {self.name} awaits a decision")
        return self.pending_removal

    def approve_removal(self, approved_on: date, today: date) -> None:
        """The level above approves the branch's removal: the member exits now."""
        pending = self._pending()
        if approved_on > today:
            raise InvalidInput("the approval date lies in the future", field="approvedOn")
        if approved_on < pending.decided_on:
            raise InvalidInput("the approval cannot precede the branch's decision", field="approvedOn")
        self._removal_approved(decided_on=pending.decided_on, decision_reference=pending.decision_reference,
                               approved_on=approved_on, home_organization_id=self.home_organization_id)

    @event("RemovalApproved")
    def _removal_approved(self, decided_on: date, decision_reference: str, approved_on: date,
                          home_organization_id: UUID) -> None:
        self.exit = MemberExit(ExitKind.REMOVAL, approved_on, decision_reference)
        self.pending_removal = None

    def reject_removal(self, reason: str) -> None:
        """The level above does not approve: the member stays, the proposal is closed."""
        pending = self._pending()
        self._removal_rejected(decided_on=pending.decided_on, reason=reason)

    @event("RemovalRejected")
    def _removal_rejected(self, decided_on: date, reason: str) -> None:
        self.pending_removal = None

    # -- dues and the review's evidence (domain.members.dues: the rules) ------------------

    def assess_dues(self, year: int, category: d.DuesCategory, declared_income: Decimal | None,
                    rules: d.DuesRules, today: date) -> None:
        """Fix the year's monthly dues from the declared income by band (once a year)."""
        self.ensure_member()
        d.check_assessment(self.dues, year, self.joined_on, today)
        income = None if category in d.FLAT_CATEGORIES else d.check_income(declared_income)
        amount, basis = d.assessed_amount(rules, category, income)
        self._dues_assessed(year=year, category=category, declared_income=income, monthly_amount=amount,
                            basis=basis, home_organization_id=self.home_organization_id)

    @event("DuesAssessed")
    def _dues_assessed(self, year: int, category: d.DuesCategory, declared_income: Decimal | None,
                       monthly_amount: Decimal, basis: str, home_organization_id: UUID) -> None:
        self.dues = self.dues.with_assessment(d.Assessment(year, category, declared_income, monthly_amount, basis))

    def propose_dues_reduction(self, year: int, monthly_amount: Decimal, decided_on: date,
                               decision_reference: str, today: date) -> None:
        """The branch's decision to reduce (or, at 0.00, exempt) a year's dues: step one."""
        self.ensure_member()
        assessment = self.dues.assessment(year)
        d.check_reduction(assessment, monthly_amount)
        self._dues_reduction_proposed(
            year=year, monthly_amount=monthly_amount,
            decided_on=check_exit_date(decided_on, self.joined_on, today, "decidedOn"),
            decision_reference=check_reference(decision_reference, "decisionReference"),
            home_organization_id=self.home_organization_id)

    @event("DuesReductionProposed")
    def _dues_reduction_proposed(self, year: int, monthly_amount: Decimal, decided_on: date,
                                 decision_reference: str, home_organization_id: UUID) -> None:
        a = self.dues.assessments[year]
        self.dues = self.dues.with_assessment(replace(a, pending=monthly_amount))

    def _pending_reduction(self, year: int) -> Decimal:
        self.ensure_member()
        pending = self.dues.assessment(year).pending
        if pending is None:
            raise DuesNotAllowed(f"no reduction of the {year} dues awaits a decision", field="year")
        return pending

    def approve_dues_reduction(self, year: int) -> None:
        """The level above approves: the year's months cost the reduced amount from now on."""
        self._dues_reduction_approved(year=year, monthly_amount=self._pending_reduction(year),
                                      home_organization_id=self.home_organization_id)

    @event("DuesReductionApproved")
    def _dues_reduction_approved(self, year: int, monthly_amount: Decimal, home_organization_id: UUID) -> None:
        a = self.dues.assessments[year]
        self.dues = self.dues.with_assessment(replace(a, reduced_to=monthly_amount, pending=None))

    def reject_dues_reduction(self, year: int, reason: str) -> None:
        self._pending_reduction(year)
        self._dues_reduction_rejected(year=year, reason=reason)

    @event("DuesReductionRejected")
    def _dues_reduction_rejected(self, year: int, reason: str) -> None:
        a = self.dues.assessments[year]
        self.dues = self.dues.with_assessment(replace(a, pending=None))

    def pay_dues(self, months: int, amount: Decimal, paid_on: date, late_reason: str | None,
                 rules: d.DuesRules, today: date) -> None:
        """Pay the months after the paid-through month: the amount is exactly what they cost."""
        self.ensure_member()
        payment = d.price_payment(self.dues, self.dues_paid_through, self.joined_on, months)
        d.check_payment(payment, amount, paid_on, late_reason, rules, today)
        late = d.month_index(today) - d.month_index(payment.first_month) > rules.late_months
        self._dues_paid(first_month=payment.first_month, through_month=payment.through_month, months=months,
                        amount=payment.amount, paid_on=paid_on, late_reason=late_reason if late else None,
                        home_organization_id=self.home_organization_id)

    @event("DuesPaid")
    def _dues_paid(self, first_month: date, through_month: date, months: int, amount: Decimal, paid_on: date,
                   late_reason: str | None, home_organization_id: UUID) -> None:
        self.dues_paid_through = through_month
        self.dues = replace(self.dues, last_paid_on=max(paid_on, self.dues.last_paid_on or paid_on))

    def record_activity(self, kind: d.ActivityKind, on: date, description: str, today: date) -> None:
        """Evidence of Party life attended or assigned work carried out (the six-month review)."""
        self.ensure_member()
        self._activity_recorded(kind=kind, on=on,
                                description=d.check_activity(on, self.joined_on, today, description),
                                home_organization_id=self.home_organization_id)

    @event("ActivityRecorded")
    def _activity_recorded(self, kind: d.ActivityKind, on: date, description: str,
                           home_organization_id: UUID) -> None:
        pass

    # -- mobile members, dual reporting, volunteer hours, appraisal ----------------------
    # (the rules: domain.members.mobile, .reporting, .volunteering, .appraisal)

    def issue_mobile_card(self, number: str, issued_on: date, inflow_organization_id: UUID | None,
                          inflow_external: ExternalOrganization | None, today: date) -> None:
        """Give the member an activity card (流动党员活动证): the home stays the outflow side."""
        self.ensure_member()
        mob.check_issue(self.mobile_card, issued_on, self.joined_on, today)
        if inflow_organization_id == self.home_organization_id:
            raise InvalidInput("a mobile member takes part in Party life away from home",
                               field="inflowOrganizationId")
        ext = inflow_external
        self._mobile_card_issued(
            number=number, issued_on=issued_on, outflow_organization_id=self.home_organization_id,
            inflow_organization_id=inflow_organization_id, inflow_name=ext.name if ext else None,
            inflow_province=ext.province if ext else None, inflow_city=ext.city if ext else None,
            inflow_code=ext.code if ext else None, home_organization_id=self.home_organization_id)

    @event("MobileCardIssued")
    def _mobile_card_issued(self, number: str, issued_on: date, outflow_organization_id: UUID,
                            inflow_organization_id: UUID | None, inflow_name: str | None,
                            inflow_province: str | None, inflow_city: str | None, inflow_code: str | None,
                            home_organization_id: UUID) -> None:
        external = None if inflow_name is None else ExternalOrganization(
            name=inflow_name, province=inflow_province or "", city=inflow_city or "", code=inflow_code)
        self.mobile_card = mob.MobileCard(number, issued_on, outflow_organization_id, inflow_organization_id,
                                          external)

    def review_mobile_card(self, reviewed_on: date, today: date) -> None:
        """The card's yearly review (年审)."""
        self.ensure_member()
        card = mob.check_review(self.mobile_card, reviewed_on, today)
        self._mobile_card_reviewed(number=card.number, reviewed_on=reviewed_on,
                                   home_organization_id=self.home_organization_id)

    @event("MobileCardReviewed")
    def _mobile_card_reviewed(self, number: str, reviewed_on: date, home_organization_id: UUID) -> None:
        card = self.mobile_card
        assert card is not None
        card.reviewed_years, card.last_reviewed_on = (*card.reviewed_years, reviewed_on.year), reviewed_on

    def close_mobile_card(self, returned_on: date, today: date) -> None:
        """The mobile member returned: the card is closed (its number is never given again)."""
        card = mob.check_return(self.mobile_card, returned_on, today)
        self._mobile_card_closed(number=card.number, returned_on=returned_on,
                                 home_organization_id=self.home_organization_id)

    @event("MobileCardClosed")
    def _mobile_card_closed(self, number: str, returned_on: date, home_organization_id: UUID) -> None:
        assert self.mobile_card is not None
        self.mobile_card.closed_on = returned_on

    def report_to_residence_community(self, community_id: UUID, reported_on: date, needs: tuple[str, ...],
                                      rules: rep.ReportingRules, today: date) -> None:
        """Report to the community where the member lives (双报到), once a year."""
        self.ensure_member()
        rep.check_report(self.reports, reported_on, self.joined_on, today)
        self._residence_reported(
            year=reported_on.year, community_id=community_id, reported_on=reported_on,
            needs=list(rep.check_needs(needs)),
            late=reported_on > rep.deadline_of(reported_on.year, rules.deadline),
            home_organization_id=self.home_organization_id)

    @event("ResidenceReported")
    def _residence_reported(self, year: int, community_id: UUID, reported_on: date, needs: list[str],
                            late: bool, home_organization_id: UUID) -> None:
        self.reports[year] = rep.ResidenceReport(year, community_id, reported_on, tuple(needs), late)

    def log_volunteer_hours(self, entry_id: UUID, activity: str, on: date, hours: Decimal, today: date, *,
                            confirmed: bool) -> None:
        """An entry the member logs (pending) or the community logs (``confirmed``: counts at once)."""
        self.ensure_member()
        activity = vol.check_activity(activity)
        vol.check_entry(self.volunteering, entry_id, on, self.joined_on, today)
        if confirmed:
            self._volunteer_hours_confirmed(entry_id=entry_id, activity=activity, on=on, hours=hours,
                                            source=vol.COMMUNITY_SOURCE, reference=None,
                                            home_organization_id=self.home_organization_id)
            return
        self._volunteer_hours_logged(entry_id=entry_id, activity=activity, on=on, hours=hours,
                                     home_organization_id=self.home_organization_id)

    def contribute_volunteer_hours(self, entry_id: UUID, activity: str, on: date, hours: Decimal, source: str,
                                   reference: str | None, today: date) -> None:
        """Confirmed hours another area contributes (the contract: ``domain.members.volunteering``)."""
        self.ensure_member()
        activity, (source, reference) = vol.check_activity(activity), vol.check_source(source, reference)
        vol.check_entry(self.volunteering, entry_id, on, self.joined_on, today)
        self._volunteer_hours_confirmed(entry_id=entry_id, activity=activity, on=on, hours=vol.parse_hours(hours),
                                        source=source, reference=reference,
                                        home_organization_id=self.home_organization_id)

    @event("VolunteerHoursLogged")
    def _volunteer_hours_logged(self, entry_id: UUID, activity: str, on: date, hours: Decimal,
                                home_organization_id: UUID) -> None:
        self.volunteering[entry_id] = vol.VolunteerEntry(entry_id, activity, on, hours, vol.VolunteerState.PENDING)

    def confirm_volunteer_hours(self, entry_id: UUID) -> None:
        self.ensure_member()
        entry = vol.pending_entry(self.volunteering, entry_id)
        self._volunteer_hours_confirmed(entry_id=entry_id, activity=entry.activity, on=entry.on, hours=entry.hours,
                                        source=vol.MEMBER_SOURCE, reference=None,
                                        home_organization_id=self.home_organization_id)

    @event("VolunteerHoursConfirmed")
    def _volunteer_hours_confirmed(self, entry_id: UUID, activity: str, on: date, hours: Decimal, source: str,
                                   reference: str | None, home_organization_id: UUID) -> None:
        self.volunteering[entry_id] = vol.VolunteerEntry(entry_id, activity, on, hours,
                                                         vol.VolunteerState.CONFIRMED)

    def reject_volunteer_hours(self, entry_id: UUID, reason: str) -> None:
        self.ensure_member()
        vol.pending_entry(self.volunteering, entry_id)
        self._volunteer_hours_rejected(entry_id=entry_id, reason=reason,
                                       home_organization_id=self.home_organization_id)

    @event("VolunteerHoursRejected")
    def _volunteer_hours_rejected(self, entry_id: UUID, reason: str, home_organization_id: UUID) -> None:
        self.volunteering[entry_id].state = vol.VolunteerState.REJECTED

    def in_service(self, year: int) -> bool:
        """In service (在职) that year: the year's dues were assessed as EMPLOYED (``reporting``)."""
        found = self.dues.assessments.get(year)
        return found is not None and found.category is d.DuesCategory.EMPLOYED

    def appraise(self, year: int, rating: apr.AppraisalRating, appraised_on: date, rules: vol.VolunteerRules,
                 today: date) -> None:
        """The branch's yearly rating (民主评议党员), refused where a rule of ``appraisal`` forbids it."""
        self.ensure_member()
        total = vol.year_total(self.volunteering, year)
        apr.check_appraisal(self.appraisals, year, rating, appraised_on, self.joined_on, today,
                            in_service=self.in_service(year), reported=year in self.reports, total=total,
                            rules=rules)
        self._appraised(year=year, rating=rating, appraised_on=appraised_on, volunteer_hours=total.hours,
                        volunteer_projects=total.projects, reported=year in self.reports,
                        in_service=self.in_service(year), home_organization_id=self.home_organization_id)

    @event("Appraised")
    def _appraised(self, year: int, rating: apr.AppraisalRating, appraised_on: date, volunteer_hours: Decimal,
                   volunteer_projects: int, reported: bool, in_service: bool, home_organization_id: UUID) -> None:
        self.appraisals[year] = apr.Appraisal(year, rating, appraised_on)

    # -- transfers ----------------------------------------------------------------------

    def transfer(self, transfer_id: UUID) -> Transfer:
        found = self.transfers.get(transfer_id)
        if found is None:
            raise TransferNotAllowed(f"member {self.name} has no transfer {transfer_id}")
        return found

    def _step(self, transfer_id: UUID, allowed: set[TransferState], action: str) -> Transfer:
        t = self.transfer(transfer_id)
        if t.state not in allowed:
            raise TransferNotAllowed(f"cannot {action} a transfer that is {t.state.value}")
        return t

    def request_transfer(
        self, to_organization_id: UUID | None, scope: TransferScope, transfer_id: UUID | None = None,
        to_external: ExternalOrganization | None = None,
    ) -> UUID:
        """Request a transfer to an organization in the tree, or (``to_external``) out of the
        system; the scope was checked against both sides' codes (``domain.members.transfers``)."""
        self.ensure_member()
        if self.open_transfer_id is not None:
            raise TransferNotAllowed(
                f"member {self.name} already has an open transfer {self.open_transfer_id}"
            )
        if self.pending_removal is not None:
            raise TransferNotAllowed(f"the removal of member {self.name} awaits the level above's decision")
        if self.pending_revocation() is not None:
            raise TransferNotAllowed(f"a revocation of member {self.name}'s transfer awaits the level above")
        if to_organization_id == self.home_organization_id:
            raise InvalidInput("the member already belongs there", field="toOrganizationId")
        new_id = transfer_id or uuid4()
        if to_external is not None:
            self._external_transfer_requested(
                transfer_id=new_id, from_organization_id=self.home_organization_id, to_name=to_external.name,
                to_code=to_external.code, to_province=to_external.province, to_city=to_external.city,
                scope=scope,
            )
            return new_id
        assert to_organization_id is not None
        self._transfer_requested(
            transfer_id=new_id,
            from_organization_id=self.home_organization_id,
            to_organization_id=to_organization_id,
            scope=scope,
        )
        return new_id

    @event("TransferRequested")
    def _transfer_requested(
        self, transfer_id: UUID, from_organization_id: UUID, to_organization_id: UUID,
        scope: TransferScope,
    ) -> None:
        self.transfers[transfer_id] = Transfer(
            transfer_id, from_organization_id, to_organization_id, scope
        )
        self.open_transfer_id = transfer_id

    @event("ExternalTransferRequested")
    def _external_transfer_requested(
        self, transfer_id: UUID, from_organization_id: UUID, to_name: str, to_code: str | None,
        to_province: str, to_city: str, scope: TransferScope,
    ) -> None:
        external = ExternalOrganization(name=to_name, province=to_province, city=to_city, code=to_code)
        self.transfers[transfer_id] = Transfer(transfer_id, from_organization_id, None, scope,
                                               to_external=external)
        self.open_transfer_id = transfer_id

    def issue_transfer_letter(
        self, transfer_id: UUID, serial: str, issued_on: date, rules: TransferRules,
        validity_days: int | None = None, district_id: UUID | None = None,
    ) -> None:
        """Issue the letter: valid for the scope's days, or fewer, never more (the cap is the
        scope's own, not the largest configured value). Where the sender's district
        (``district_id``) has the approval step on, only once the level above approved."""
        t = self._step(transfer_id, {TransferState.REQUESTED}, "issue a letter for")
        if rules.approval.required(district_id) and t.approved_on is None:
            raise ApprovalRequired(f"the transfer of member {self.name} needs the level above's approval"
                                   " (approveMemberTransfer) before its letter", field="transferId")
        cap = rules.validity_days[t.scope]
        days = validity_days if validity_days is not None else cap
        if not 1 <= days <= cap:
            raise InvalidInput(f"a {t.scope.value} letter is valid for 1–{cap} days", field="validityDays")
        self._transfer_letter_issued(
            transfer_id=transfer_id, letter_serial=serial, issued_on=issued_on,
            valid_until=issued_on + timedelta(days=days), standing=self.standing,
            dues_paid_through=self.dues_paid_through,
        )

    @event("TransferLetterIssued")
    def _transfer_letter_issued(
        self, transfer_id: UUID, letter_serial: str, issued_on: date, valid_until: date,
        standing: Standing, dues_paid_through: date | None,
    ) -> None:
        t = self.transfers[transfer_id]
        t.state, t.letter_serial, t.valid_until = TransferState.LETTER_ISSUED, letter_serial, valid_until
        t.issued_on = issued_on

    def reissue_transfer_letter(
        self, transfer_id: UUID, serial: str, issued_on: date, rules: TransferRules,
        validity_days: int | None = None,
    ) -> None:
        """Re-issue a lost letter (补转): the old serial is voided (it can no longer be
        accepted), a new letter with a new serial and a fresh validity is issued."""
        t = self._step(transfer_id, {TransferState.LETTER_ISSUED, TransferState.EXPIRED}, "re-issue the letter of")
        assert t.letter_serial is not None and t.from_organization_id is not None
        if len(t.voided_serials) >= MAX_LETTER_REISSUES:
            raise InvalidInput(f"a transfer's letter is re-issued at most {MAX_LETTER_REISSUES} times: "
                               "withdraw the transfer and request a new one", field="transferId")
        cap = rules.validity_days[t.scope]
        days = validity_days if validity_days is not None else cap
        if not 1 <= days <= cap:
            raise InvalidInput(f"a {t.scope.value} letter is valid for 1–{cap} days", field="validityDays")
        self._transfer_letter_reissued(
            transfer_id=transfer_id, voided_serial=t.letter_serial, letter_serial=serial, issued_on=issued_on,
            valid_until=issued_on + timedelta(days=days), standing=self.standing,
            dues_paid_through=self.dues_paid_through,
        )

    @event("TransferLetterReissued")
    def _transfer_letter_reissued(
        self, transfer_id: UUID, voided_serial: str, letter_serial: str, issued_on: date, valid_until: date,
        standing: Standing, dues_paid_through: date | None,
    ) -> None:
        t = self.transfers[transfer_id]
        t.voided_serials = (*t.voided_serials, voided_serial)
        t.state, t.letter_serial, t.valid_until = TransferState.LETTER_ISSUED, letter_serial, valid_until
        t.issued_on = issued_on

    def check_letter(self, transfer_id: UUID, letter_serial: str | None) -> None:
        """The serial on the letter presented, where the receiver states it: a voided one is
        refused with LetterVoided, any other but the current one with InvalidInput."""
        t = self.transfer(transfer_id)
        if letter_serial is None:
            return
        serial = clean(letter_serial)
        if len(serial) > MAX_SERIAL:
            raise InvalidInput(f"a letter serial has at most {MAX_SERIAL} characters", field="letterSerial")
        if serial in t.voided_serials:
            raise LetterVoided(f"letter {serial} was voided when it was re-issued as {t.letter_serial}",
                               field="letterSerial")
        if serial != t.letter_serial:
            raise InvalidInput(f"letter {serial} is not this transfer's", field="letterSerial")

    def accept_transfer(
        self, transfer_id: UUID, accepted_on: date, rules: TransferRules,
        justification: str | None = None, letter_serial: str | None = None,
    ) -> None:
        t = self._step(
            transfer_id, {TransferState.LETTER_ISSUED, TransferState.EXPIRED}, "accept"
        )
        self.check_letter(transfer_id, letter_serial)
        if t.to_external is not None or t.to_organization_id is None:
            raise TransferNotAllowed(f"{t.to_external.name if t.to_external else 'the receiver'} is outside the"
                                     " system: record its receipt of acceptance (confirmTransferReceipt)")
        assert t.valid_until is not None
        justification = check_justification(justification)
        expired = t.state is TransferState.EXPIRED or accepted_on > t.valid_until
        if expired and justification is None:
            raise LetterExpired(
                f"letter {t.letter_serial} expired on {t.valid_until.isoformat()}; "
                "accepting it needs a recorded justification",
                field="justification",
            )
        self._transfer_accepted(
            transfer_id=transfer_id, from_organization_id=t.from_organization_id,
            to_organization_id=t.to_organization_id, accepted_on=accepted_on,
            receipt_due_on=accepted_on + timedelta(days=rules.receipt_due_days),
            late_justification=justification if expired else None,
        )

    @event("TransferAccepted")
    def _transfer_accepted(
        self, transfer_id: UUID, from_organization_id: UUID | None, to_organization_id: UUID,
        accepted_on: date, receipt_due_on: date, late_justification: str | None,
    ) -> None:
        t = self.transfers[transfer_id]
        t.state, t.accepted_on, t.receipt_due_on = TransferState.ACCEPTED, accepted_on, receipt_due_on
        self.home_organization_id = to_organization_id
        self.open_transfer_id = None

    def return_transfer(self, transfer_id: UUID, reason: str, today: date | None = None) -> None:
        """Return the letter (退回). An incoming letter from outside the system goes back
        there and the member with it (``Member.IncomingTransferReturned``: an exit)."""
        if not reason.strip():
            raise InvalidInput("a return needs a stated reason", field="reason")
        t = self._step(
            transfer_id, {TransferState.LETTER_ISSUED, TransferState.EXPIRED}, "return"
        )
        if t.from_external is not None:
            assert t.letter_serial is not None and today is not None
            self._incoming_transfer_returned(transfer_id=transfer_id, reason=reason.strip(),
                                             returned_on=today, letter_serial=t.letter_serial,
                                             home_organization_id=self.home_organization_id)
            return
        self._transfer_returned(transfer_id=transfer_id, reason=reason.strip())

    @event("TransferReturned")
    def _transfer_returned(self, transfer_id: UUID, reason: str) -> None:
        self.transfers[transfer_id].state = TransferState.RETURNED
        self.open_transfer_id = None

    def withdraw_transfer(self, transfer_id: UUID) -> None:
        if self._step(transfer_id, set(OPEN_STATES), "withdraw").from_external is not None:
            raise TransferNotAllowed("an incoming letter from outside the system is accepted or returned,"
                                     " not withdrawn")
        self._transfer_withdrawn(transfer_id=transfer_id)

    @event("TransferWithdrawn")
    def _transfer_withdrawn(self, transfer_id: UUID) -> None:
        self.transfers[transfer_id].state = TransferState.WITHDRAWN
        self.open_transfer_id = None

    def expire_transfer(self, transfer_id: UUID, today: date) -> None:
        t = self._step(transfer_id, {TransferState.LETTER_ISSUED}, "expire")
        assert t.valid_until is not None
        if today <= t.valid_until:
            raise TransferNotAllowed(f"the letter is valid until {t.valid_until.isoformat()}")
        self._transfer_expired(transfer_id=transfer_id, valid_until=t.valid_until)

    @event("TransferExpired")
    def _transfer_expired(self, transfer_id: UUID, valid_until: date) -> None:
        self.transfers[transfer_id].state = TransferState.EXPIRED

    def confirm_transfer_receipt(self, transfer_id: UUID, received_on: date, today: date) -> None:
        """The receipt (回执) came back. Out of the system it is the external organization's
        receipt of acceptance: the member leaves the tree now (``TransferredOut``)."""
        if self.transfer(transfer_id).to_external is not None:
            self._transfer_out(transfer_id, received_on, today)
            return
        t = self._step(transfer_id, {TransferState.ACCEPTED}, "confirm the receipt of")
        assert t.accepted_on is not None
        if received_on < t.accepted_on:
            raise InvalidInput("the receipt cannot precede acceptance", field="receivedOn")
        if received_on > today:
            raise InvalidInput("the receipt date lies in the future", field="receivedOn")
        self._transfer_receipt_confirmed(
            transfer_id=transfer_id, received_on=received_on,
            late=t.receipt_due_on is not None and received_on > t.receipt_due_on,
        )

    @event("TransferReceiptConfirmed")
    def _transfer_receipt_confirmed(self, transfer_id: UUID, received_on: date, late: bool) -> None:
        self.transfers[transfer_id].state = TransferState.RECEIPT_CONFIRMED


    def _transfer_out(self, transfer_id: UUID, received_on: date, today: date) -> None:
        t = self._step(transfer_id, {TransferState.LETTER_ISSUED, TransferState.EXPIRED},
                       "record the receipt of")
        assert t.issued_on is not None and t.letter_serial is not None and t.from_organization_id is not None
        if received_on > today:
            raise InvalidInput("the receipt date lies in the future", field="receivedOn")
        if received_on < t.issued_on:
            raise InvalidInput("the receipt cannot precede the letter", field="receivedOn")
        self._transferred_out(transfer_id=transfer_id, from_organization_id=t.from_organization_id,
                              letter_serial=t.letter_serial, received_on=received_on)

    @event("TransferredOut")
    def _transferred_out(self, transfer_id: UUID, from_organization_id: UUID, letter_serial: str,
                         received_on: date) -> None:
        self.transfers[transfer_id].state = TransferState.RECEIPT_CONFIRMED
        self.open_transfer_id = None
        self.exit, self.pending_removal = MemberExit(ExitKind.TRANSFERRED_OUT, received_on, letter_serial), None


    # -- transfers into the system (domain.members.incoming) ------------------------------

    def register_incoming_transfer(self, transfer_id: UUID, from_external: ExternalOrganization,
                                   scope: TransferScope, letter: IncomingLetter) -> None:
        """Right after registration from the letter: the transfer from outside, lettered by
        its sender, open until the receiver (the home) accepts or returns it."""
        self._incoming_transfer_registered(
            transfer_id=transfer_id, to_organization_id=self.home_organization_id, from_name=from_external.name,
            from_code=from_external.code, from_province=from_external.province, from_city=from_external.city,
            scope=scope, letter_serial=letter.serial, issued_on=letter.issued_on, valid_until=letter.valid_until,
        )

    @event("IncomingTransferRegistered")
    def _incoming_transfer_registered(
        self, transfer_id: UUID, to_organization_id: UUID, from_name: str, from_code: str | None,
        from_province: str, from_city: str, scope: TransferScope, letter_serial: str, issued_on: date,
        valid_until: date,
    ) -> None:
        external = ExternalOrganization(name=from_name, province=from_province, city=from_city, code=from_code)
        self.transfers[transfer_id] = Transfer(
            transfer_id, None, to_organization_id, scope, state=TransferState.LETTER_ISSUED,
            issued_on=issued_on, letter_serial=letter_serial, valid_until=valid_until, from_external=external)
        self.open_transfer_id = transfer_id

    @event("IncomingTransferReturned")
    def _incoming_transfer_returned(self, transfer_id: UUID, reason: str, returned_on: date, letter_serial: str,
                                    home_organization_id: UUID) -> None:
        self.transfers[transfer_id].state = TransferState.RETURNED
        self.open_transfer_id = None
        self.exit = MemberExit(ExitKind.TRANSFERRED_OUT, returned_on, letter_serial)

    # -- the approval step before the letter (domain.members.revocation) ----------------

    def _requested(self, transfer_id: UUID, action: str) -> Transfer:
        self.ensure_member()
        t = self._step(transfer_id, {TransferState.REQUESTED}, action)
        if t.approved_on is not None:
            raise TransferNotAllowed(f"the transfer was approved on {t.approved_on.isoformat()} already")
        return t

    def approve_transfer(self, transfer_id: UUID, approved_on: date) -> None:
        """The level above the sender approves the requested transfer (审批)."""
        self._requested(transfer_id, "approve")
        self._transfer_approved(transfer_id=transfer_id, approved_on=approved_on)

    @event("TransferApproved")
    def _transfer_approved(self, transfer_id: UUID, approved_on: date) -> None:
        self.transfers[transfer_id].approved_on = approved_on

    def reject_transfer(self, transfer_id: UUID, reason: str) -> None:
        """The level above the sender rejects the request, with a reason: the transfer ends."""
        self._requested(transfer_id, "reject")
        self._transfer_rejected(transfer_id=transfer_id, reason=reason)

    @event("TransferRejected")
    def _transfer_rejected(self, transfer_id: UUID, reason: str) -> None:
        self.transfers[transfer_id].state = TransferState.REJECTED
        self.open_transfer_id = None

    # -- revocation of a completed transfer (domain.members.revocation) ------------------

    def pending_revocation(self) -> Transfer | None:
        return next((t for t in self.transfers.values() if t.revocation is not None), None)

    def _revocable(self, transfer_id: UUID) -> Transfer:
        t = self.transfer(transfer_id)
        left_by_it = (self.exit is not None and self.exit.kind is ExitKind.TRANSFERRED_OUT
                      and t.to_external is not None and t.state is TransferState.RECEIPT_CONFIRMED)
        if not left_by_it:
            self.ensure_member()
        if t.from_external is not None:
            raise RevocationNotAllowed("a transfer into the system is not revoked: record the member's"
                                       " transfer out instead", field="transferId")
        if t.state not in (TransferState.ACCEPTED, TransferState.RECEIPT_CONFIRMED):
            raise RevocationNotAllowed(f"only a completed transfer is revoked, not one that is {t.state.value}",
                                       field="transferId")
        if next(reversed(self.transfers)) != transfer_id or self.open_transfer_id is not None:
            raise RevocationNotAllowed(f"only member {self.name}'s latest transfer is revoked, with none open",
                                       field="transferId")
        return t

    def propose_revocation(self, transfer_id: UUID, proposed_by: UUID, proposed_on: date, reason: str) -> None:
        """The sending or the receiving side proposes to revoke a completed transfer."""
        t = self._revocable(transfer_id)
        if t.revocation is not None:
            raise RevocationNotAllowed(f"a revocation was proposed on {t.revocation.proposed_on.isoformat()}"
                                       " already", field="transferId")
        if self.pending_removal is not None:
            raise RevocationNotAllowed(f"the removal of member {self.name} awaits the level above's decision")
        self._transfer_revocation_proposed(transfer_id=transfer_id, proposed_by_organization_id=proposed_by,
                                           proposed_on=proposed_on, reason=reason)

    @event("TransferRevocationProposed")
    def _transfer_revocation_proposed(self, transfer_id: UUID, proposed_by_organization_id: UUID,
                                      proposed_on: date, reason: str) -> None:
        self.transfers[transfer_id].revocation = PendingRevocation(proposed_by_organization_id, proposed_on, reason)

    def _proposed(self, transfer_id: UUID) -> tuple[Transfer, PendingRevocation]:
        t = self._revocable(transfer_id)
        if t.revocation is None:
            raise RevocationNotAllowed("no revocation of this transfer awaits a decision", field="transferId")
        return t, t.revocation

    def approve_revocation(self, transfer_id: UUID, approved_on: date) -> None:
        """The level above approves: the previous home is the member's home again."""
        t, pending = self._proposed(transfer_id)
        assert t.from_organization_id is not None
        self._transfer_revoked(transfer_id=transfer_id, home_organization_id=t.from_organization_id,
                               left_organization_id=t.to_organization_id, approved_on=approved_on,
                               reason=pending.reason)

    @event("TransferRevoked")
    def _transfer_revoked(self, transfer_id: UUID, home_organization_id: UUID, left_organization_id: UUID | None,
                          approved_on: date, reason: str) -> None:
        t = self.transfers[transfer_id]
        t.state, t.revocation = TransferState.REVOKED, None
        self.home_organization_id = home_organization_id
        if left_organization_id is None:  # out of the system: the member comes back
            self.exit = None

    def reject_revocation(self, transfer_id: UUID, reason: str) -> None:
        self._proposed(transfer_id)
        self._transfer_revocation_rejected(transfer_id=transfer_id, reason=reason)

    @event("TransferRevocationRejected")
    def _transfer_revocation_rejected(self, transfer_id: UUID, reason: str) -> None:
        self.transfers[transfer_id].revocation = None


declare_erasure("Member.PersonalDataErased")
