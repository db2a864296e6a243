"""Dues (党费): the yearly assessment, reductions, payments, and the rules each follows.

- **Assessment** (``DuesAssessed``): at the start of each year a member's monthly amount is
  fixed from the declared monthly after-tax income by band (``DuesRules``: local policy, so
  configuration): the whole income times the rate of the band it falls in, in exact fen
  (half up). Retirees have their own bands; students and members on the minimum living
  allowance (低保) pay a flat amount. One assessment per member and year: a mistake or a
  hardship is a reduction, not a second assessment.
- **Reduction or exemption** (``DuesReductionProposed`` → ``DuesReductionApproved`` or
  ``DuesReductionRejected``): the branch decides (at the member's home), the level above
  approves (a structural step, from strictly above the home), as with a removal.
- **Payment** (``DuesPaid``): the months after the paid-through month, one or more at a
  time (monthly, or quarterly by consent), each at its year's amount; the amount handed in
  must be exactly what those months cost. A payment whose first month is more than
  ``late_months`` months before the current one needs a recorded reason, and the
  paid-through month is never after the current month plus ``prepay_months``.

The declared income is personal data (``domain.shared.privacy``): sealed in the log under
the member's keys like the ID number, erased with them, masked for readers without need.
Dues stay in the member's stream (not an aggregate of their own) for three reasons: the
paid-through month is member state that transfer letters carry and the shops area checks;
the member's keys seal the declared income, so an erasure covers it with nothing more; and
the feed's read rule judges a member's events where the member is now, which a separate
stream would not follow after a transfer.

Pure rules: no I/O; the aggregate (``domain.members.aggregate``) records the events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.members.errors import DuesLate, DuesNotAllowed
from domain.shared.errors import InvalidInput
from domain.shared.money import FEN, ZERO, fmt

MAX_MONTHS_PER_PAYMENT = 12


class DuesCategory(enum.Enum):
    """Which rule sets a member's monthly dues."""

    EMPLOYED = "EMPLOYED"
    """在职: a rate of the declared monthly after-tax income, by band."""
    RETIRED = "RETIRED"
    """离退休: the retirees' bands of the declared pension."""
    STUDENT = "STUDENT"
    """学生: the flat amount."""
    MINIMUM_ALLOWANCE = "MINIMUM_ALLOWANCE"
    """On the minimum living allowance (低保): the flat amount."""


FLAT_CATEGORIES = frozenset({DuesCategory.STUDENT, DuesCategory.MINIMUM_ALLOWANCE})


@dataclass(frozen=True)
class Band:
    """Incomes up to ``up_to`` (inclusive; None: any above the bands before) pay ``percent`` %."""

    up_to: Decimal | None
    percent: Decimal


def parse_bands(text: str) -> tuple[Band, ...]:
    """``"3000:0.5,5000:1,10000:1.5,*:2"``: ascending limits, the last ``*`` (any above)."""
    bands: list[Band] = []
    for part in text.split(","):
        limit, sep, percent = part.strip().partition(":")
        try:
            if not sep:
                raise InvalidOperation
            bands.append(Band(None if limit.strip() == "*" else Decimal(limit.strip()), Decimal(percent.strip())))
        except InvalidOperation:
            raise ValueError(f"bad band {part.strip()!r} (expected e.g. 3000:0.5,5000:1,*:2)") from None
    check_bands(tuple(bands))
    return tuple(bands)


def check_bands(bands: tuple[Band, ...]) -> None:
    """Limits ascend and are positive, rates lie within 0–100 %, the last band has no limit."""
    if not bands or bands[-1].up_to is not None:
        raise ValueError("the last band has no limit (`*`)")
    limits = [b.up_to for b in bands[:-1]]
    if any(x is None or x <= 0 for x in limits) or limits != sorted(set(limits)):  # type: ignore[type-var]
        raise ValueError("band limits are positive and ascending")
    if any(not ZERO <= b.percent <= 100 for b in bands):
        raise ValueError("a band's rate lies between 0 and 100 %")


@dataclass(frozen=True)
class DuesRules:
    """Local dues policy (configuration: ``api.config``)."""

    employed: tuple[Band, ...] = field(default_factory=lambda: parse_bands("3000:0.5,5000:1,10000:1.5,*:2"))
    retired: tuple[Band, ...] = field(default_factory=lambda: parse_bands("5000:0.5,*:1"))
    flat: Decimal = Decimal("0.20")
    """Students and members on the minimum living allowance pay this a month."""
    prepay_months: int = 12
    """Paid through at most this many months after the current one."""
    late_months: int = 6
    """A payment starting more than this many months back needs a recorded reason."""


def assessed_amount(rules: DuesRules, category: DuesCategory, income: Decimal | None) -> tuple[Decimal, str]:
    """The monthly amount in fen and the rule that gave it (``"1.5% of 8000.00"``)."""
    if category in FLAT_CATEGORIES:
        return rules.flat.quantize(FEN), f"flat {fmt(rules.flat)}"
    if income is None:
        raise InvalidInput(f"a {category.value.lower()} member's dues need the declared monthly income",
                           field="declaredIncome")
    bands = rules.retired if category is DuesCategory.RETIRED else rules.employed
    band = next(b for b in bands if b.up_to is None or income <= b.up_to)
    amount = (income * band.percent / 100).quantize(FEN, rounding=ROUND_HALF_UP)
    return amount, f"{band.percent.normalize():f}% of {fmt(income)}"


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_at(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Assessment:
    """One year's dues as assessed, and any reduction decided for it."""

    year: int
    category: DuesCategory
    declared_income: Decimal | None
    monthly_amount: Decimal
    basis: str
    reduced_to: Decimal | None = None
    """The approved reduced amount (0.00: exempted), or None."""
    pending: Decimal | None = None
    """A reduced amount the branch decided, waiting for the level above."""

    @property
    def due(self) -> Decimal:
        return self.monthly_amount if self.reduced_to is None else self.reduced_to


@dataclass(frozen=True)
class Dues:
    """A member's dues as the stream has them: each year's assessment and the last payment."""

    assessments: dict[int, Assessment] = field(default_factory=dict)
    last_paid_on: date | None = None

    def assessment(self, year: int) -> Assessment:
        found = self.assessments.get(year)
        if found is None:
            raise DuesNotAllowed(f"no dues are assessed for {year}: assess them first (assessMemberDues)",
                                 field="year")
        return found

    def with_assessment(self, a: Assessment) -> Dues:
        return replace(self, assessments={**self.assessments, a.year: a})

    def erased(self) -> Dues:
        return replace(self, assessments={y: replace(a, declared_income=None) for y, a in self.assessments.items()})


def check_assessment(dues: Dues, year: int, joined_on: date, today: date) -> None:
    """A year from the member's joining to the next one (assessed ahead in December), once."""
    if not joined_on.year <= year <= today.year + 1:
        raise InvalidInput(f"dues are assessed for a year from {joined_on.year} to {today.year + 1}", field="year")
    if year in dues.assessments:
        raise DuesNotAllowed(f"the dues for {year} are fixed already: change them by a reduction", field="year")


def check_income(value: Decimal | None) -> Decimal | None:
    if value is not None and value < 0:
        raise InvalidInput("a declared income is not negative", field="declaredIncome")
    return value


@dataclass(frozen=True)
class Payment:
    """What a payment covers: its months and what they cost."""

    first_month: date
    through_month: date
    months: int
    amount: Decimal


def price_payment(dues: Dues, paid_through: date | None, joined_on: date, months: int) -> Payment:
    """The ``months`` after the paid-through month (or from the joining month), each at its
    year's amount (as reduced, where a reduction was approved)."""
    if not 1 <= months <= MAX_MONTHS_PER_PAYMENT:
        raise InvalidInput(f"a payment covers 1–{MAX_MONTHS_PER_PAYMENT} months (3: a quarter)", field="months")
    first = month_index(paid_through) + 1 if paid_through is not None else month_index(joined_on)
    total = sum((dues.assessment(month_at(i).year).due for i in range(first, first + months)), ZERO)
    return Payment(month_at(first), month_at(first + months - 1), months, total.quantize(FEN))


def check_payment(payment: Payment, amount: Decimal, paid_on: date, late_reason: str | None,
                  rules: DuesRules, today: date) -> None:
    """The amount is the months' exact cost; late payments give a reason; not paid too far ahead."""
    if paid_on > today:
        raise InvalidInput("the payment date lies in the future", field="paidOn")
    if amount != payment.amount:
        raise InvalidInput(f"{payment.months} months from {payment.first_month.strftime('%Y-%m')} cost"
                           f" {fmt(payment.amount)}, not {fmt(amount)}", field="amount")
    latest = month_at(month_index(today) + rules.prepay_months)
    if payment.through_month > latest:
        raise DuesNotAllowed(f"dues can be paid through {latest.strftime('%Y-%m')} at the latest",
                             field="months")
    behind = month_index(today) - month_index(payment.first_month)
    if behind > rules.late_months and late_reason is None:
        raise DuesLate(f"{payment.first_month.strftime('%Y-%m')} is {behind} months back: a payment more than"
                       f" {rules.late_months} months late needs a recorded reason", field="lateReason")


def check_reduction(a: Assessment, monthly_amount: Decimal) -> None:
    """A reduction lowers the amount (0.00 exempts), one decision at a time."""
    if a.pending is not None:
        raise DuesNotAllowed(f"a reduction of the {a.year} dues awaits the level above already", field="year")
    if monthly_amount >= a.due:
        raise InvalidInput(f"a reduction is below the current {fmt(a.due)} a month", field="monthlyAmount")


class ActivityKind(enum.Enum):
    """What a member took part in, as evidence for the six-month review."""

    PARTY_LIFE = "PARTY_LIFE"
    """组织生活: a meeting of the 三会一课 or the theme day, attended."""
    ASSIGNED_WORK = "ASSIGNED_WORK"
    """Work the organization assigned, carried out."""


MAX_DESCRIPTION = 200


def check_activity(on: date, joined_on: date, today: date, description: str) -> str:
    if on > today:
        raise InvalidInput("the date lies in the future", field="on")
    if on < joined_on:
        raise InvalidInput("a member takes part after joining", field="on")
    text = " ".join(description.split())
    if not text or len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"a description has 1–{MAX_DESCRIPTION} characters", field="description")
    return text


def review_cutoff(today: date, months: int) -> date:
    """The six-month review (自行脱党): a member whose latest evidence (Party life attended,
    dues paid or paid through, assigned work; or joining) falls in a
    month before this one has gone ``months`` full months without any, up to the month
    before the current one, and is flagged for the branch to look into. Never a removal."""
    return month_at(month_index(today) - months)
