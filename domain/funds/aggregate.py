"""Earmarked funds (经费): one ledger per organization, fiscal year and kind.

A fund's projects live in the fund's own stream, so the rule that matters most, "a
fund never goes below zero, counting approved but unpaid commitments", is checked
against one consistent state and guarded by the stream version: two approvals racing
for the last yuan cannot both commit.

    balance   = allocated − paid (net of reversals) − carried out or returned
    committed = Σ over approved, not yet disclosed projects of (approved − paid)
    available = balance − committed          (never below zero)
"""

from __future__ import annotations

import enum
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.funds.dues_money import DuesMoneyRules, PaymentUse, check_use, drawn_on_dues
from domain.funds.errors import ProjectsStillOpen, VoucherAlreadyUsed
from domain.shared.errors import (
    AmountExceedsApproval,
    ForbiddenPurpose,
    FundClosed,
    InsufficientFunds,
    InvalidInput,
    NotAuthorized,
    NotFound,
    ProjectNotAllowed,
)
from domain.shared.money import MAX_AMOUNT, ZERO, fmt

FUND_NAMESPACE = UUID("6d1f3a52-3f7e-4c55-9d0e-2f9a4b1c7e01")


class FundKind(enum.Enum):
    """What the money is for. The vocabulary is fixed (clients and the schema rely on it);
    which kinds are in use, what each may pay for and whether its balance carries over
    are local policy (``domain.funds.kinds``, configuration)."""

    SERVICE_FUND = "SERVICE_FUND"  # 党组织为民服务专项经费
    RED_FUND = "RED_FUND"  # 红色基金
    WORK_FUND = "WORK_FUND"  # 工作经费
    WELFARE_FUND = "WELFARE_FUND"  # 惠民资金 (emergency and livelihood services)
    ACTIVITY_FUND = "ACTIVITY_FUND"  # 活动经费
    AREA_FUND = "AREA_FUND"  # 片区经费


class AllocationSource(enum.Enum):
    """Where allocated money comes from; each source is tracked."""

    FISCAL_BUDGET = "FISCAL_BUDGET"  # 财政预算
    DUES_ALLOCATION = "DUES_ALLOCATION"  # 党费划拨
    FISCAL_SUBSIDY = "FISCAL_SUBSIDY"  # 财政补贴
    UNIT_SPONSORSHIP = "UNIT_SPONSORSHIP"  # 单位赞助
    CARRIED_OVER = "CARRIED_OVER"  # 上年结转 (only by closing the previous year)
    DONATION = "DONATION"  # 社会捐赠
    RED_FUND_GRANT = "RED_FUND_GRANT"  # 红色基金拨付 (only by a grant from a red fund)


RED_FUND_SOURCES = (AllocationSource.DUES_ALLOCATION, AllocationSource.FISCAL_SUBSIDY,
                    AllocationSource.UNIT_SPONSORSHIP, AllocationSource.DONATION)
"""The sources a red fund (红色基金) pools, each tracked per year and to date."""


class SpendingCategory(enum.Enum):
    """What a project spends on. The first four are allowed; the rest never are."""

    PARTY_BUILDING = "PARTY_BUILDING"  # 党建工作
    PUBLIC_SERVICE = "PUBLIC_SERVICE"  # 公共服务
    SELF_GOVERNANCE = "SELF_GOVERNANCE"  # 居民自治
    OTHER_SERVICE = "OTHER_SERVICE"  # 其他服务
    OFFICE_COSTS = "OFFICE_COSTS"  # 办公经费
    STAFF_PAY = "STAFF_PAY"  # 工作人员工资、福利
    LOAN_REPAYMENT = "LOAN_REPAYMENT"  # 偿还债务
    GOVERNMENT_FUNDED = "GOVERNMENT_FUNDED"  # 政府已有资金安排的项目
    PREMISES_CONSTRUCTION = "PREMISES_CONSTRUCTION"  # 阵地建设
    PROPERTY_MANAGEMENT_COSTS = "PROPERTY_MANAGEMENT_COSTS"  # 应由物业承担的费用


ALLOWED_CATEGORIES = frozenset(list(SpendingCategory)[:4])
MAX_TITLE, MAX_LONG_TEXT, MAX_BENEFICIARIES, MAX_REFERENCE, MAX_PAYEE = 200, 2000, 500, 80, 200
"""Bounds of a fund's texts (titles; purposes, resolutions, summaries; beneficiaries;
document and voucher numbers; payees), in characters."""
MAX_ATTENDEES, MAX_ATTENDEE = 100, 60

FORBIDDEN_CATEGORIES = frozenset(SpendingCategory) - ALLOWED_CATEGORIES
"""What a project's stated purpose must not name either: ``domain.funds.screening``."""


class ProjectState(enum.Enum):
    """Where a project stands in propose → decide → approve → pay → accept → disclose."""

    PROPOSED = "PROPOSED"
    DECIDED = "DECIDED"
    APPROVED = "APPROVED"
    ACCEPTED = "ACCEPTED"
    DISCLOSED = "DISCLOSED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class YearEnd(enum.Enum):
    """What closing a fiscal year does with the remaining balance."""

    CARRY_OVER = "CARRY_OVER"  # into next year's fund of the same organization and kind
    RETURN = "RETURN"  # back to the funder


def check_category(category: SpendingCategory) -> None:
    """Only the four allowed categories; the text is screened by ``domain.funds.screening``."""
    if category not in ALLOWED_CATEGORIES:
        raise ForbiddenPurpose("earmarked funds never pay for office costs, staff pay or benefits, loan"
                               " repayment, projects the government already funds, premises construction"
                               " or costs the property manager should bear", field="category")


def check_not_ahead(on: date, today: date, field: str, what: str) -> None:
    """A date of something that has happened (a payment, an allocation): not after today."""
    if on > today:
        raise InvalidInput(f"{what} is dated {on.isoformat()}, after today ({today.isoformat()})",
                           field=field)


def check_text(value: str, field: str, limit: int) -> str:
    """A required free-text field: trimmed, non-empty, at most ``limit`` characters."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} has at most {limit} characters", field=field)
    return cleaned


@dataclass
class Project:
    """A spending project inside its fund."""

    id: UUID
    category: SpendingCategory
    title: str
    amount: Decimal
    proposed_by: str
    state: ProjectState = ProjectState.PROPOSED
    approved_amount: Decimal = ZERO
    paid: Decimal = ZERO
    accepted_on: date | None = None
    payments: list[UUID] = field(default_factory=list)

    @property
    def commitment(self) -> Decimal:
        """Approved money not yet paid, still held for this project."""
        if self.state in (ProjectState.APPROVED, ProjectState.ACCEPTED):
            return self.approved_amount - self.paid
        return ZERO


@dataclass
class Payment:
    """One disbursement; reversed by a later event, never edited."""

    id: UUID
    project_id: UUID
    amount: Decimal
    paid_on: date
    reversed: bool = False
    from_dues: Decimal = ZERO
    """The part paid from dues money (``domain.funds.dues_money``), given back by a reversal."""


class Fund(Aggregate):
    """One organization's earmarked fund for one fiscal year."""

    class Opened(Aggregate.Created):
        organization_id: UUID
        year: int
        kind: FundKind

    @event(Opened)
    def __init__(self, organization_id: UUID, year: int, kind: FundKind) -> None:
        self.organization_id = organization_id
        self.year = year
        self.kind = kind
        self.allocated = ZERO
        self.paid = ZERO
        self.paid_out_at_close = ZERO
        self.closed = False
        self.projects: dict[UUID, Project] = {}
        self.payments: dict[UUID, Payment] = {}
        self.dated: dict[date, Decimal] = {}
        """Net money movement per business date (at most one entry per day of the year)."""
        self.vouchers: dict[str, UUID] = {}
        self.dues = ZERO
        """Dues money received less what payments and grants drew on it (``dues_available``)."""
        self.grants_from_dues: dict[UUID, Decimal] = {}
        """Grant id → the part of that grant (from this red fund) that was dues money."""
        """Voucher key (``voucher_key``) → the payment that used it; reversals keep theirs."""

    @classmethod
    def create_id(cls, organization_id: UUID, year: int, kind: FundKind, **_: object) -> UUID:
        # One fund per organization, year and kind: the stream id is the natural key.
        return fund_id(organization_id, year, kind)

    # -- figures ------------------------------------------------------------------------

    @property
    def dues_available(self) -> Decimal:
        """The part of the balance that is dues money, spent last and only on its uses
        (``domain.funds.dues_money``); never more than the balance (a year's close or a
        carried-out project takes the balance down and the dues money with it)."""
        return max(ZERO, min(self.dues, self.balance))

    @property
    def balance(self) -> Decimal:
        return self.allocated - self.paid - self.paid_out_at_close

    @property
    def committed(self) -> Decimal:
        return sum((p.commitment for p in self.projects.values()), ZERO)

    @property
    def available(self) -> Decimal:
        return self.balance - self.committed

    def _ensure_open(self) -> None:
        if self.closed:
            raise FundClosed(f"the {self.year} fund is closed")

    def _in_year(self, on: date, field: str) -> None:
        if on.year != self.year:
            raise InvalidInput(f"{on.isoformat()} lies outside fiscal year {self.year}", field=field)

    def _check_total(self, amount: Decimal) -> None:
        if self.allocated + amount > MAX_AMOUNT:
            raise InvalidInput(f"a fund's allocations must not exceed {fmt(MAX_AMOUNT)} in total",
                               field="amount")

    def balance_on(self, on: date) -> Decimal:
        """The balance on business date ``on`` (money counts on its own date)."""
        return sum((delta for day, delta in self.dated.items() if day <= on), ZERO)

    def _dated(self, on: date, delta: Decimal) -> None:
        self.dated[on] = self.dated.get(on, ZERO) + delta

    def lowest_balance_from(self, on: date) -> Decimal:
        """The lowest balance on any business date from ``on`` onwards."""
        running = self.balance_on(on)
        lowest = running
        for _day, delta in sorted((d, x) for d, x in self.dated.items() if d > on):
            running += delta
            lowest = min(lowest, running)
        return lowest

    def project(self, project_id: UUID) -> Project:
        found = self.projects.get(project_id)
        if found is None:
            raise NotFound(f"no project {project_id} in this fund", field="projectId")
        return found

    def _step(self, project_id: UUID, allowed: set[ProjectState], what: str) -> Project:
        self._ensure_open()
        p = self.project(project_id)
        if p.state not in allowed:
            raise ProjectNotAllowed(f"a {p.state.value} project cannot be {what}")
        return p

    # -- allocations --------------------------------------------------------------------

    def allocate(
        self, amount: Decimal, source: AllocationSource, effective_on: date, document_no: str
    ) -> UUID:
        self._ensure_open()
        if source is AllocationSource.CARRIED_OVER:
            raise InvalidInput("carry-over is recorded by closing the previous year", field="source")
        if source is AllocationSource.RED_FUND_GRANT:
            raise InvalidInput("a red fund's grant is recorded by grantFromRedFund, on both ledgers at once",
                               field="source")
        self._in_year(effective_on, "effectiveOn")
        self._check_total(amount)
        allocation_id = uuid4()
        self._allocated(
            allocation_id=allocation_id, amount=amount, source=source, effective_on=effective_on,
            document_no=check_text(document_no, "documentNo", MAX_REFERENCE), carried_from=None,
            dues=amount if source is AllocationSource.DUES_ALLOCATION else ZERO,
        )
        return allocation_id

    class Allocated(Aggregate.Event):
        """Money was allocated; ``dues`` (v2) is the part of it that is dues money: all of a
        dues allocation, the dues part of last year's balance for a carry-over
        (``domain.funds.dues_money``)."""

        allocation_id: UUID
        amount: Decimal
        source: AllocationSource
        effective_on: date
        document_no: str
        carried_from: UUID | None
        dues: Decimal
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            # Before dues money was told apart: a dues allocation was dues money, a carry-over none.
            state["dues"] = state["amount"] if state["source"] == "DUES_ALLOCATION" else "0.00"

    @event(Allocated)
    def _allocated(
        self, allocation_id: UUID, amount: Decimal, source: AllocationSource, effective_on: date,
        document_no: str, carried_from: UUID | None, dues: Decimal,
    ) -> None:
        self.allocated += amount
        self._dated(effective_on, amount)
        self.dues += dues

    def allocate_dues(self, allocation_id: UUID, amount: Decimal, allocated_on: date, document_no: str) -> None:
        """Receive dues allocated by an organization's dues account (党费划拨: its
        ``DuesAccount.AllocatedToRedFund`` is appended with this): a red fund's
        ``DUES_ALLOCATION``, dues money from then on."""
        self._ensure_open()
        if self.kind is not FundKind.RED_FUND:
            raise InvalidInput(f"dues are allocated to a red fund, not a {self.kind.value}", field="fundId")
        self._in_year(allocated_on, "allocatedOn")
        self._check_total(amount)
        self._allocated(allocation_id=allocation_id, amount=amount, source=AllocationSource.DUES_ALLOCATION,
                        effective_on=allocated_on, document_no=check_text(document_no, "documentNo", MAX_REFERENCE),
                        carried_from=None, dues=amount)

    # -- projects -----------------------------------------------------------------------

    def propose_project(
        self, category: SpendingCategory, title: str, amount: Decimal, purpose: str,
        beneficiaries: str, proposed_by: str, review_flags: list[str] | None = None,
    ) -> UUID:
        """Propose a project; ``review_flags`` are the purpose screen's near misses
        (``domain.funds.screening``), recorded for the approver."""
        self._ensure_open()
        title = check_text(title, "title", MAX_TITLE)
        purpose = check_text(purpose, "purpose", MAX_LONG_TEXT)
        check_category(category)
        project_id = uuid4()
        self._project_proposed(
            project_id=project_id, category=category, title=title, amount=amount,
            purpose=purpose, beneficiaries=check_text(beneficiaries, "beneficiaries", MAX_BENEFICIARIES),
            proposed_by=proposed_by, review_flags=list(review_flags or []),
        )
        return project_id

    class ProjectProposed(Aggregate.Event):
        """A project was proposed; ``review_flags`` (v2) name the near misses of the
        purpose screen that the approver should look at."""

        project_id: UUID
        category: SpendingCategory
        title: str
        amount: Decimal
        purpose: str
        beneficiaries: str
        proposed_by: str
        review_flags: list[str]
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["review_flags"] = []  # proposed before the screen flagged near misses

    @event(ProjectProposed)
    def _project_proposed(
        self, project_id: UUID, category: SpendingCategory, title: str, amount: Decimal,
        purpose: str, beneficiaries: str, proposed_by: str, review_flags: list[str],
    ) -> None:
        self.projects[project_id] = Project(project_id, category, title, amount, proposed_by)

    def record_project_decision(
        self, project_id: UUID, meeting_on: date, attendees: list[str], resolution: str,
        today: date,
    ) -> None:
        self._step(project_id, {ProjectState.PROPOSED}, "decided")
        if len(attendees) > MAX_ATTENDEES or any(len(a) > MAX_ATTENDEE for a in attendees):
            raise InvalidInput(f"at most {MAX_ATTENDEES} attendees of at most {MAX_ATTENDEE} characters each",
                               field="attendees")
        names = [a.strip() for a in attendees if a.strip()]
        if len(names) < 3:
            raise InvalidInput("a collective decision names at least three attendees",
                               field="attendees")
        if meeting_on > today:
            raise InvalidInput("the meeting date lies in the future", field="meetingOn")
        self._project_decision_recorded(
            project_id=project_id, meeting_on=meeting_on, attendees=names,
            resolution=check_text(resolution, "resolution", MAX_LONG_TEXT),
        )

    @event("ProjectDecisionRecorded")
    def _project_decision_recorded(
        self, project_id: UUID, meeting_on: date, attendees: list[str], resolution: str
    ) -> None:
        self.projects[project_id].state = ProjectState.DECIDED

    def approve_project(self, project_id: UUID, approver: str, amount: Decimal | None) -> None:
        p = self._step(project_id, {ProjectState.DECIDED}, "approved")
        if approver == p.proposed_by:
            raise NotAuthorized("whoever proposed a project cannot approve it")
        approved = p.amount if amount is None else amount
        if approved > p.amount:
            raise InvalidInput(f"the approval exceeds the proposed {fmt(p.amount)}", field="amount")
        if approved > self.available:
            raise InsufficientFunds(
                f"approving {fmt(approved)} would overspend: {fmt(self.available)} is available "
                f"(balance {fmt(self.balance)}, committed {fmt(self.committed)})",
                field="amount",
            )
        self._project_approved(project_id=project_id, approved_amount=approved, approved_by=approver)

    @event("ProjectApproved")
    def _project_approved(self, project_id: UUID, approved_amount: Decimal, approved_by: str) -> None:
        p = self.projects[project_id]
        p.state, p.approved_amount = ProjectState.APPROVED, approved_amount

    def reject_project(self, project_id: UUID, rejected_by: str) -> None:
        self._step(project_id, {ProjectState.DECIDED}, "rejected")
        self._project_rejected(project_id=project_id, rejected_by=rejected_by)

    @event("ProjectRejected")
    def _project_rejected(self, project_id: UUID, rejected_by: str) -> None:
        self.projects[project_id].state = ProjectState.REJECTED

    def cancel_project(self, project_id: UUID) -> None:
        p = self._step(
            project_id, {ProjectState.PROPOSED, ProjectState.DECIDED, ProjectState.APPROVED},
            "cancelled",
        )
        if p.paid > 0:
            raise ProjectNotAllowed("a project with payments is finished, not cancelled")
        self._project_cancelled(project_id=project_id, released=p.commitment)

    @event("ProjectCancelled")
    def _project_cancelled(self, project_id: UUID, released: Decimal) -> None:
        self.projects[project_id].state = ProjectState.CANCELLED

    # -- payments -----------------------------------------------------------------------

    def record_payment(
        self, project_id: UUID, amount: Decimal, paid_on: date, payee: str, voucher_no: str,
        use: PaymentUse | None = None, dues_rules: DuesMoneyRules | None = None,
    ) -> UUID:
        """Pay from an approved project. A payment the fund's other money does not cover
        draws on dues money for the rest, and must then be for a use dues money pays for
        (``DuesMoneyRestricted``, naming the rule: ``domain.funds.dues_money``)."""
        p = self._step(project_id, {ProjectState.APPROVED, ProjectState.ACCEPTED}, "paid")
        self._in_year(paid_on, "paidOn")
        if p.paid + amount > p.approved_amount:
            raise AmountExceedsApproval(
                f"paying {fmt(amount)} would exceed the approved {fmt(p.approved_amount)} "
                f"({fmt(p.paid)} paid so far)",
                field="amount",
            )
        if amount > self.balance:  # unreachable while commitments hold, kept as a backstop
            raise InsufficientFunds(f"the fund holds only {fmt(self.balance)}", field="amount")
        # By business date too: money cannot be paid out before it arrived, nor so that
        # the balance on some later date dips below zero.
        lowest = self.lowest_balance_from(paid_on)
        if amount > lowest:
            raise InsufficientFunds(
                f"on {paid_on.isoformat()} (or a later date) the fund holds only {fmt(lowest)}; "
                "a payment cannot precede the money it spends",
                field="paidOn",
            )
        voucher_no = check_text(voucher_no, "voucherNo", MAX_REFERENCE)
        if voucher_key(voucher_no) in self.vouchers:
            raise VoucherAlreadyUsed(f"voucher {voucher_no} already paid a payment of this fund",
                                     field="voucherNo")
        from_dues = drawn_on_dues(amount, self.balance, self.dues_available)
        check_use(dues_rules or DuesMoneyRules(), use, from_dues)
        payment_id = uuid4()
        self._payment_recorded(
            payment_id=payment_id, project_id=project_id, amount=amount, paid_on=paid_on,
            payee=check_text(payee, "payee", MAX_PAYEE), voucher_no=voucher_no, use=use, from_dues=from_dues,
        )
        return payment_id

    class PaymentRecorded(Aggregate.Event):
        """A payment was made; ``use`` (v2) is what it paid for where given, ``from_dues`` (v2)
        the part of it paid from dues money (``domain.funds.dues_money``)."""

        payment_id: UUID
        project_id: UUID
        amount: Decimal
        paid_on: date
        payee: str
        voucher_no: str
        use: PaymentUse | None
        from_dues: Decimal
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["use"] = None  # paid before payments named their use
            state["from_dues"] = "0.00"  # and before dues money was told apart

    @event(PaymentRecorded)
    def _payment_recorded(
        self, payment_id: UUID, project_id: UUID, amount: Decimal, paid_on: date, payee: str,
        voucher_no: str, use: PaymentUse | None, from_dues: Decimal,
    ) -> None:
        self.payments[payment_id] = Payment(payment_id, project_id, amount, paid_on, from_dues=from_dues)
        self.dues -= from_dues
        self.vouchers.setdefault(voucher_key(voucher_no), payment_id)
        self._dated(paid_on, -amount)
        self.projects[project_id].paid += amount
        self.projects[project_id].payments.append(payment_id)
        self.paid += amount

    def reverse_payment(self, payment_id: UUID, reversed_on: date) -> None:
        self._ensure_open()
        pay = self.payments.get(payment_id)
        if pay is None:
            raise NotFound(f"no payment {payment_id} in this fund", field="paymentId")
        if pay.reversed:
            raise ProjectNotAllowed("the payment was already reversed")
        self._in_year(reversed_on, "reversedOn")
        if reversed_on < pay.paid_on:
            raise InvalidInput("a reversal cannot predate its payment", field="reversedOn")
        project = self.projects[pay.project_id]
        # A reversal on a still-open project puts the money back under its commitment;
        # on a disclosed one it returns to the available balance. Recorded, so that read
        # models need not know the project's state.
        still_open = project.state in (ProjectState.APPROVED, ProjectState.ACCEPTED)
        self._payment_reversed(
            payment_id=payment_id, project_id=pay.project_id, amount=pay.amount,
            reversed_on=reversed_on, recommitted=pay.amount if still_open else ZERO, from_dues=pay.from_dues,
        )

    class PaymentReversed(Aggregate.Event):
        """A payment was reversed; ``from_dues`` (v2) is the part that returns to dues money."""

        payment_id: UUID
        project_id: UUID
        amount: Decimal
        reversed_on: date
        recommitted: Decimal
        from_dues: Decimal
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["from_dues"] = "0.00"  # its payment drew on no dues money (v1)

    @event(PaymentReversed)
    def _payment_reversed(
        self, payment_id: UUID, project_id: UUID, amount: Decimal, reversed_on: date,
        recommitted: Decimal, from_dues: Decimal,
    ) -> None:
        self.payments[payment_id].reversed = True
        self.dues += from_dues
        self._dated(reversed_on, amount)
        self.projects[project_id].paid -= amount
        self.paid -= amount

    # -- completion ---------------------------------------------------------------------

    def accept_project(self, project_id: UUID, accepted_on: date, today: date) -> None:
        p = self._step(project_id, {ProjectState.APPROVED}, "accepted")
        if p.paid == 0:
            raise ProjectNotAllowed("nothing has been paid for this project yet")
        if accepted_on > today:
            raise InvalidInput("the acceptance date lies in the future", field="acceptedOn")
        self._project_accepted(project_id=project_id, accepted_on=accepted_on)

    @event("ProjectAccepted")
    def _project_accepted(self, project_id: UUID, accepted_on: date) -> None:
        p = self.projects[project_id]
        p.state, p.accepted_on = ProjectState.ACCEPTED, accepted_on

    def publish_disclosure(self, project_id: UUID, published_on: date, summary: str) -> None:
        p = self._step(project_id, {ProjectState.ACCEPTED}, "disclosed")
        assert p.accepted_on is not None
        if published_on < p.accepted_on:
            raise InvalidInput("a disclosure follows the acceptance", field="publishedOn")
        self._disclosure_published(
            project_id=project_id, published_on=published_on,
            summary=check_text(summary, "summary", MAX_LONG_TEXT), released=p.commitment,
        )

    @event("DisclosurePublished")
    def _disclosure_published(
        self, project_id: UUID, published_on: date, summary: str, released: Decimal
    ) -> None:
        self.projects[project_id].state = ProjectState.DISCLOSED

    def record_period_disclosure(self, period: str, period_from: date, period_to: date, digest: str,
                                 covers_version: int, published_on: date, place: str,
                                 opening_balance: Decimal, closing_balance: Decimal) -> None:
        """The period's table (``domain.funds.disclosure``) was published (公示); moves no money,
        so a closed year takes it too (the year's own table is published after its close)."""
        self._period_disclosed(period=period, period_from=period_from, period_to=period_to, digest=digest,
                               covers_version=covers_version, published_on=published_on, place=place,
                               opening_balance=opening_balance, closing_balance=closing_balance)

    class PeriodDisclosed(Aggregate.Event):
        """A period's table was published: ``digest`` is the SHA-256 of its canonical form
        (``grassroots-disclosure/1``), computed from this fund's events 1..``covers_version``."""

        period: str
        period_from: date
        period_to: date
        digest: str
        covers_version: int
        published_on: date
        place: str
        opening_balance: Decimal
        closing_balance: Decimal

    @event(PeriodDisclosed)
    def _period_disclosed(self, period: str, period_from: date, period_to: date, digest: str,
                          covers_version: int, published_on: date, place: str, opening_balance: Decimal,
                          closing_balance: Decimal) -> None:
        pass

    # -- grants from a red fund ---------------------------------------------------------

    def make_grant(self, amount: Decimal, granted_on: date, to_fund_id: UUID, project_id: UUID | None,
                   document_no: str) -> UUID:
        """Grant money out of this red fund (the receiving fund records ``GrantReceived`` in
        the same append). Like a payment, never more than is available after commitments,
        nor more than the balance on any business date from ``granted_on`` on."""
        self._ensure_open()
        if self.kind is not FundKind.RED_FUND:
            raise InvalidInput(f"grants are made from a red fund, not a {self.kind.value}", field="fundId")
        self._in_year(granted_on, "grantedOn")
        if amount > self.available:
            raise InsufficientFunds(
                f"granting {fmt(amount)} would overspend: {fmt(self.available)} is available "
                f"(balance {fmt(self.balance)}, committed {fmt(self.committed)})", field="amount")
        lowest = self.lowest_balance_from(granted_on)
        if amount > lowest:
            raise InsufficientFunds(
                f"on {granted_on.isoformat()} (or a later date) the red fund holds only {fmt(lowest)}; "
                "a grant cannot precede the money it gives", field="grantedOn")
        grant_id = uuid4()
        # Dues money is spent last here too, and travels as dues money (domain.funds.dues_money).
        self._grant_made(grant_id=grant_id, amount=amount, granted_on=granted_on, to_fund_id=to_fund_id,
                         project_id=project_id, document_no=check_text(document_no, "documentNo", MAX_REFERENCE),
                         from_dues=drawn_on_dues(amount, self.balance, self.dues_available))
        return grant_id

    class GrantMade(Aggregate.Event):
        """Money left this red fund for another fund; ``from_dues`` (v2) is the part of it that
        is dues money and stays dues money there."""

        grant_id: UUID
        amount: Decimal
        granted_on: date
        to_fund_id: UUID
        project_id: UUID | None
        document_no: str
        from_dues: Decimal
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["from_dues"] = "0.00"  # granted before dues money was told apart

    @event(GrantMade)
    def _grant_made(self, grant_id: UUID, amount: Decimal, granted_on: date, to_fund_id: UUID,
                    project_id: UUID | None, document_no: str, from_dues: Decimal) -> None:
        self.paid_out_at_close += amount  # money moved out to another ledger, as a carry-out is
        self._dated(granted_on, -amount)
        self.dues -= from_dues
        self.grants_from_dues[grant_id] = from_dues

    def grant_from_dues(self, grant_id: UUID) -> Decimal:
        """The part of this red fund's grant ``grant_id`` that was dues money."""
        return self.grants_from_dues.get(grant_id, ZERO)

    def receive_grant(self, grant_id: UUID, amount: Decimal, granted_on: date, from_fund_id: UUID,
                      project_id: UUID | None, document_no: str, from_dues: Decimal = ZERO) -> None:
        """Receive a red fund's grant, for the fund or straight for one of its open projects."""
        self._ensure_open()
        self._in_year(granted_on, "grantedOn")
        self._check_total(amount)
        if project_id is not None:
            p = self.projects.get(project_id)
            if p is None:
                raise NotFound(f"no project {project_id} in the receiving fund", field="toProjectId")
            if p.state in (ProjectState.REJECTED, ProjectState.CANCELLED, ProjectState.DISCLOSED):
                raise ProjectNotAllowed(f"a {p.state.value} project receives no grant", field="toProjectId")
        self._grant_received(grant_id=grant_id, amount=amount, granted_on=granted_on,
                             from_fund_id=from_fund_id, project_id=project_id, document_no=document_no,
                             from_dues=from_dues)

    class GrantReceived(Aggregate.Event):
        """A red fund's grant arrived; ``from_dues`` (v2) is the part that is dues money."""

        grant_id: UUID
        amount: Decimal
        granted_on: date
        from_fund_id: UUID
        project_id: UUID | None
        document_no: str
        from_dues: Decimal
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["from_dues"] = "0.00"  # granted before dues money was told apart

    @event(GrantReceived)
    def _grant_received(self, grant_id: UUID, amount: Decimal, granted_on: date, from_fund_id: UUID,
                        project_id: UUID | None, document_no: str, from_dues: Decimal) -> None:
        self.allocated += amount
        self._dated(granted_on, amount)
        self.dues += from_dues

    # -- year end -----------------------------------------------------------------------

    def close_year(self, closed_on: date, disposition: YearEnd) -> YearClose:
        """Close the fiscal year: carry each approved, not fully paid project (with its
        unpaid commitment) into next year's fund, then move the rest of the balance out
        as ``disposition`` says. No project spans two years: a project that cannot follow
        its money (not yet approved, or fully paid and not yet disclosed) keeps the year
        open (``ProjectsStillOpen``, naming them all)."""
        self._ensure_open()
        if closed_on < date(self.year, 12, 31):
            raise InvalidInput(f"the {self.year} year closes on or after 31 December",
                               field="closedOn")
        if closed_on > date(self.year + 1, 12, 31):
            raise InvalidInput("a year closes within the following year", field="closedOn")
        live = (ProjectState.APPROVED, ProjectState.ACCEPTED)
        stuck = [p for p in self.projects.values()
                 if p.state in (ProjectState.PROPOSED, ProjectState.DECIDED)
                 or (p.state in live and p.commitment == ZERO)]
        if stuck:
            names = "; ".join(f"{p.title!r} ({p.id}, {p.state.value})" for p in stuck)
            raise ProjectsStillOpen(
                f"{len(stuck)} project(s) are still open and cannot be carried into {self.year + 1}: "
                f"{names}. Decide, reject or cancel proposed ones; accept and disclose fully paid ones",
                [(str(p.id), p.title) for p in stuck])
        following = fund_id(self.organization_id, self.year + 1, self.kind)
        carried = [p for p in self.projects.values() if p.state in live and p.commitment > ZERO]
        moved = [CarriedProject(p.id, p.category, p.title, p.amount, p.approved_amount, p.paid,
                                p.commitment, p.state, p.accepted_on, p.proposed_by) for p in carried]
        for c in moved:
            self._project_carried_out(project_id=c.id, amount=c.commitment, carried_on=closed_on,
                                      next_fund_id=following)
        balance, dues = self.balance, self.dues_available
        next_id = following if disposition is YearEnd.CARRY_OVER and balance > 0 else None
        self._year_closed(closed_on=closed_on, disposition=disposition, balance=balance,
                          next_fund_id=next_id)
        return YearClose(balance, next_id, following if moved or next_id else None, moved, dues)

    @event("ProjectCarriedOut")
    def _project_carried_out(self, project_id: UUID, amount: Decimal, carried_on: date,
                             next_fund_id: UUID) -> None:
        """The project left for next year's fund with ``amount``, its unpaid commitment: the
        money leaves this fund's balance and the project its list (it lives on there)."""
        self.paid_out_at_close += amount
        self._dated(carried_on, -amount)
        del self.projects[project_id]

    @event("YearClosed")
    def _year_closed(
        self, closed_on: date, disposition: YearEnd, balance: Decimal, next_fund_id: UUID | None
    ) -> None:
        self.paid_out_at_close += balance
        self._dated(closed_on, -balance)
        self.closed = True

    def carry_in(self, amount: Decimal, from_fund: UUID, dues: Decimal = ZERO) -> None:
        """Receive last year's balance (recorded with the closing, atomically); ``dues`` of
        it stays dues money (a carried project's commitment is spent first: not dues)."""
        self._ensure_open()
        self._check_total(amount)
        self._allocated(
            allocation_id=uuid4(), amount=amount, source=AllocationSource.CARRIED_OVER,
            effective_on=date(self.year, 1, 1), document_no=f"carry-over {self.year - 1}",
            carried_from=from_fund, dues=min(dues, amount),
        )

    def carry_in_project(self, project: CarriedProject, from_fund: UUID) -> None:
        """Receive a project carried from last year with its unpaid commitment (recorded
        with the closing, atomically): the project keeps its id, figures and state here,
        and the money arrives on 1 January, committed to it."""
        self._ensure_open()
        self._check_total(project.commitment)
        self._project_carried_in(
            project_id=project.id, from_fund_id=from_fund, category=project.category,
            title=project.title, amount=project.amount, approved_amount=project.approved_amount,
            paid=project.paid, carried=project.commitment, state=project.state,
            accepted_on=project.accepted_on, proposed_by=project.proposed_by,
            effective_on=date(self.year, 1, 1),
        )

    @event("ProjectCarriedIn")
    def _project_carried_in(
        self, project_id: UUID, from_fund_id: UUID, category: SpendingCategory, title: str,
        amount: Decimal, approved_amount: Decimal, paid: Decimal, carried: Decimal,
        state: ProjectState, accepted_on: date | None, proposed_by: str, effective_on: date,
    ) -> None:
        self.allocated += carried
        self._dated(effective_on, carried)
        self.projects[project_id] = Project(
            project_id, category, title, amount, proposed_by, state=state,
            approved_amount=approved_amount, paid=paid, accepted_on=accepted_on)


@dataclass(frozen=True)
class CarriedProject:
    """A project as it leaves its year's fund for the next one."""

    id: UUID
    category: SpendingCategory
    title: str
    amount: Decimal
    approved_amount: Decimal
    paid: Decimal
    """Paid in earlier years (net of reversals): the project's figures travel whole."""
    commitment: Decimal
    """Approved and not yet paid: the money that travels with it."""
    state: ProjectState
    accepted_on: date | None
    proposed_by: str


@dataclass(frozen=True)
class YearClose:
    """What closing a year moved: the balance its ``YearClosed`` moved out, where that went,
    the fund the carried projects went to, and those projects."""

    balance: Decimal
    next_fund_id: UUID | None
    """Next year's fund if the balance was carried over (else it was returned)."""
    following: UUID | None
    """Next year's fund if anything (balance or projects) went there."""
    carried: list[CarriedProject]
    dues: Decimal = ZERO
    """The part of ``balance`` that was dues money (it stays dues money when carried over)."""


def voucher_key(voucher_no: str) -> str:
    """A voucher number as the uniqueness rule compares it: NFKC (full-width digits and
    dashes are the ASCII ones), without whitespace, case folded, so that "记-0012" and
    "记－００１２ " are one voucher."""
    folded = unicodedata.normalize("NFKC", voucher_no)
    return "".join(folded.split()).casefold()


def fund_id(organization_id: UUID, year: int, kind: FundKind) -> UUID:
    """The fund's stream id, derived from its natural key (one fund per org, year, kind)."""
    return uuid.uuid5(FUND_NAMESPACE, f"{organization_id}/{year}/{kind.value}")
