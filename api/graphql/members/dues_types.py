"""Object types of dues (党费) and of the six-month review flag (``domain.members.dues``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import asyncpg
import strawberry

from api.graphql.core.context import Info
from api.graphql.core.scalars import Money
from domain.members.dues import ActivityKind, DuesCategory, month_at, month_index, review_cutoff
from domain.shared.money import fmt
from domain.shared.privacy import visible

strawberry.enum(DuesCategory, description="Which rule sets a member's monthly dues: employed (by income band),"
                                          " retired (the retirees' bands), student or minimum living allowance"
                                          " (the flat amount).")
strawberry.enum(ActivityKind, description="Party life attended (组织生活) or assigned work carried out: the"
                                          " six-month review's evidence besides dues.")

_CATEGORY = {m.value: m for m in DuesCategory}


def money(value: Decimal | None) -> Money | None:
    return None if value is None else Money(fmt(value))


@strawberry.type(description="A reduction (or exemption, at 0.00) the branch decided, waiting for the level"
                             " above to approve or reject it.")
class PendingDuesReduction:
    monthly_amount: Money = strawberry.field(description="The reduced monthly amount (0.00: exempt).")
    decided_on: date = strawberry.field(description="The date of the branch's decision.")
    decision_reference: str = strawberry.field(description="The decision's reference.")


@strawberry.type(description="One year's dues as assessed at its start, and any reduction.")
class DuesYear:
    row: strawberry.Private[asyncpg.Record]
    year: int = strawberry.field(description="The year.")
    category: DuesCategory = strawberry.field(description="Which rule set the amount.")
    assessed_amount: Money = strawberry.field(description="The monthly amount the bands gave.")
    basis: str = strawberry.field(description="The rule that gave it, e.g. `1.5% of 8000.00` or `flat 0.20`.")
    reduced_to: Money | None = strawberry.field(
        description="The approved reduced monthly amount (0.00: exempt); null if none.")
    monthly_amount: Money = strawberry.field(description="What each month of the year costs now.")

    def __init__(self, row: asyncpg.Record) -> None:
        self.row = row
        self.year, self.category = row["year"], _CATEGORY[row["category"]]
        self.assessed_amount, self.basis = Money(fmt(row["monthly_amount"])), row["basis"]
        self.reduced_to = money(row["reduced_to"])
        self.monthly_amount = Money(fmt(row["monthly_amount"] if row["reduced_to"] is None else row["reduced_to"]))

    @strawberry.field(description="The declared monthly after-tax income in yuan (`8000.00`): personal data,"
                                  " shown only to"
                                  " the roles that see ID numbers (all `*` to others); null for the flat-amount"
                                  " categories and once the member's personal data was erased.")
    def declared_income(self, info: Info) -> str | None:
        value = self.row["declared_income"]
        return None if value is None else str(visible("declared_income", fmt(value), info.context.actor))

    @strawberry.field(description="A reduction waiting for the level above; null if none.")
    def pending_reduction(self) -> PendingDuesReduction | None:
        r = self.row
        if r["pending_amount"] is None:
            return None
        return PendingDuesReduction(monthly_amount=Money(fmt(r["pending_amount"])), decided_on=r["pending_decided_on"],
                                    decision_reference=r["pending_reference"])


@strawberry.type(description="Dues handed in for some months.")
class DuesPayment:
    paid_on: date = strawberry.field(description="The date it was paid.")
    first_month: date = strawberry.field(description="The first month it covers (its first day).")
    through_month: date = strawberry.field(description="The last month it covers (its first day).")
    months: int = strawberry.field(description="How many months it covers.")
    amount: Money = strawberry.field(description="What it cost.")
    late_reason: str | None = strawberry.field(
        description="Why it was paid more than the allowed months late; null if it was not.")


def payment(row: asyncpg.Record) -> DuesPayment:
    return DuesPayment(paid_on=row["paid_on"], first_month=row["first_month"], through_month=row["through_month"],
                       months=row["months"], amount=Money(fmt(row["amount"])), late_reason=row["late_reason"])


@strawberry.type(description="The six-month review flag (自行脱党 review), with its evidence: full months without"
                             " Party life attended, dues paid or assigned work carried out. A flag asks the branch"
                             " to look into it; it never removes anyone (a removal is `proposeMemberRemoval`, then"
                             " the level above).")
class ReviewFlag:
    inactive_since: date = strawberry.field(
        description="The first month with no evidence (its first day): the month after the latest evidence.")
    months: int = strawberry.field(description="Full months since, up to the last one before the current.")
    last_party_life_on: date | None = strawberry.field(description="The last Party life attended; null if none.")
    last_assigned_work_on: date | None = strawberry.field(description="The last assigned work; null if none.")
    last_dues_paid_on: date | None = strawberry.field(description="The last dues payment; null if none here.")
    dues_paid_through: date | None = strawberry.field(description="The month dues are paid through.")
    joined_on: date = strawberry.field(description="When the member joined (no flag before six months after).")


def review_flag(row: asyncpg.Record, info: Info) -> ReviewFlag | None:
    """The flag as of the context's today (its clock), from the read model's evidence; the
    same rule as ``members(filter: {flaggedForReview: true})`` (``review_cutoff``)."""
    today = info.context.today()
    last = row["last_active_month"]
    months = info.context.settings.members.review_months
    if row["exit_kind"] is not None or last is None or last >= review_cutoff(today, months):
        return None
    return ReviewFlag(inactive_since=month_at(month_index(last) + 1),
                      months=month_index(today) - month_index(last) - 1,
                      last_party_life_on=row["last_party_life_on"], last_assigned_work_on=row["last_assigned_work_on"],
                      last_dues_paid_on=row["last_dues_paid_on"], dues_paid_through=row["dues_paid_through"],
                      joined_on=row["joined_on"])


@strawberry.type(description="Dues collected in one month by an organization (and, where asked, its subtree).")
class DuesMonth:
    month: date = strawberry.field(description="The month (its first day) the payments were made in.")
    amount: Money = strawberry.field(description="The total collected.")
    payments: int = strawberry.field(description="How many payments.")
    members: int = strawberry.field(description="How many members paid.")
