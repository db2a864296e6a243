"""Object types of funds, projects and ledgers, and what auditors ask of them."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
import strawberry

from api import audit, views
from api.graphql.core.context import Info
from api.graphql.core.history import HistoryEvent, history_event
from api.graphql.core.relay import Connection, Node, connection
from api.graphql.core.scalars import Money
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from domain.funds.aggregate import AllocationSource, FundKind, ProjectState, SpendingCategory, YearEnd
from domain.funds.dues_money import PaymentUse
from domain.shared.money import fmt

strawberry.enum(FundKind, description="What a fund's money is for: the community service fund, a pooled red fund,"
                                " a work fund, a 惠民 welfare fund, an activity or an area fund (`fundKinds`: which"
                                " are in use here and what each pays for).")


strawberry.enum(AllocationSource, description="Where allocated money comes from.")


strawberry.enum(SpendingCategory, description="What a project spends on; only the first four are allowed.")


strawberry.enum(ProjectState, description="Where a project stands.")


strawberry.enum(YearEnd, description="What closing a year does with the balance.")
strawberry.enum(PaymentUse, description="What a payment pays for. A payment that draws on dues money (党费) must name"
                                        " one of the uses dues money pays for (by default TRAINING, STUDY_MATERIALS,"
                                        " COMMENDATION, HARDSHIP_SUPPORT, DISASTER_RELIEF).")


@strawberry.enum(description="Whether a fund's fiscal year is open or closed.")
class FundStatus(enum.Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


@strawberry.enum(description="What a ledger line does to the balance.")
class MovementKind(enum.Enum):
    ALLOCATION = "ALLOCATION"
    CARRY_IN = "CARRY_IN"
    PAYMENT = "PAYMENT"
    REVERSAL = "REVERSAL"
    CARRY_OUT = "CARRY_OUT"
    RETURN = "RETURN"
    GRANT_OUT = "GRANT_OUT"
    GRANT_IN = "GRANT_IN"


def disclosure_cutoff(info: Info) -> date:
    """Projects accepted before this date should have published their disclosure."""
    return info.context.today() - timedelta(days=info.context.settings.funds.disclosure_due_days)


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="One line of a fund's ledger: a fund event and the balance after it.")
class FundMovement:
    position: int = strawberry.field(description="Log position of the event.")
    version: int = strawberry.field(description="Version of the fund stream after it.")
    event_type: str = strawberry.field(description="The fund event, e.g. Fund.PaymentRecorded.")
    movement: MovementKind | None = strawberry.field(description="What it did to the money; null if nothing.")
    amount: Money = strawberry.field(description="Effect on the balance: positive in, negative out.")
    balance_after: Money = strawberry.field(description="The balance after this event.")
    business_date: date | None = strawberry.field(description="Effective, payment or decision date.")
    source: AllocationSource | None = strawberry.field(description="An allocation's source.")
    reference: str | None = strawberry.field(description="Document or voucher number.")
    project_id: strawberry.ID | None = strawberry.field(description="The project concerned.")
    payment_id: strawberry.ID | None = strawberry.field(
        description="The payment concerned (reversals name the one they undo).")
    recorded_at: datetime = strawberry.field(description="When the log recorded it.")
    actor: str = strawberry.field(description="Who issued the command.")
    reason: str | None = strawberry.field(description="Reason stated with the command.")
    counterpart_fund_id: strawberry.ID | None = strawberry.field(
        default=None, description="A grant's other fund: the receiving fund of a GRANT_OUT, the red fund of a"
                                  " GRANT_IN (the same grant is a line of both ledgers).")


def movement(r: asyncpg.Record) -> FundMovement:
    return FundMovement(
        position=r["position"], version=r["version"], event_type=r["event_type"],
        movement=MovementKind(r["movement"]) if r["movement"] else None,
        amount=Money(fmt(r["amount"])), balance_after=Money(fmt(r["balance_after"])),
        business_date=r["business_date"],
        source=AllocationSource(r["source"]) if r["source"] else None,
        reference=r["reference"],
        project_id=_id(r["project_id"]) if r["project_id"] else None,
        payment_id=_id(r["payment_id"]) if r["payment_id"] else None,
        recorded_at=r["recorded_at"], actor=r["actor"], reason=r["reason"],
        counterpart_fund_id=_id(r["counterpart_fund_id"]) if r.get("counterpart_fund_id") else None,
    )


@strawberry.type(description="One event of a fund's history with its money effect and balance after.")
class FundHistoryEntry:
    event: HistoryEvent = strawberry.field(description="The event: who, when, why, correlation id, payload.")
    movement: MovementKind | None = strawberry.field(description="What it did to the money.")
    amount: Money = strawberry.field(description="Effect on the balance.")
    balance_after: Money = strawberry.field(description="The balance after this event.")
    business_date: date | None = strawberry.field(description="The business date it carries.")


@strawberry.type(description="A spending project of a fund, from proposal to disclosure.")
class Project(Node):
    row: strawberry.Private[asyncpg.Record]
    category: SpendingCategory = strawberry.field(description="What it spends on.")
    title: str = strawberry.field(description="Short title.")
    purpose: str = strawberry.field(description="What the money is for.")
    beneficiaries: str = strawberry.field(description="Who benefits.")
    amount: Money = strawberry.field(description="Amount proposed.")
    approved_amount: Money | None = strawberry.field(description="Amount approved, once approved.")
    paid: Money = strawberry.field(description="Paid so far, net of reversals.")
    state: ProjectState = strawberry.field(description="Where it stands.")
    proposed_by: str = strawberry.field(description="Who proposed it (token subject).")
    proposed_at: datetime = strawberry.field(description="When it was proposed.")
    meeting_on: date | None = strawberry.field(description="Date of the collective decision.")
    attendees: list[str] | None = strawberry.field(description="Who attended the decision meeting.")
    resolution: str | None = strawberry.field(description="What the meeting resolved.")
    approved_by: str | None = strawberry.field(description="Who approved it (a higher level).")
    approved_at: datetime | None = strawberry.field(description="When it was approved.")
    accepted_on: date | None = strawberry.field(description="When the completed work was accepted.")
    disclosed_on: date | None = strawberry.field(description="When its disclosure was published.")
    disclosure: str | None = strawberry.field(description="The published disclosure.")
    year: int = strawberry.field(description="The fund's fiscal year.")

    @strawberry.field(description="What the forbidden-purpose screen found close to a forbidden use in"
                                  " the title or purpose, for the approver to look at: `CATEGORY: term`"
                                  " (`PROPERTY_MANAGEMENT_COSTS: 维修`); `(split)` marks a forbidden term"
                                  " with other characters inside it. Empty when nothing came close.")
    def review_flags(self) -> list[str]:
        return list(self.row.get("review_flags") or [])

    @strawberry.field(description="Accepted, and the disclosure deadline has passed without one.")
    def disclosure_overdue(self, info: Info) -> bool:
        cutoff = disclosure_cutoff(info)
        accepted = self.row["accepted_on"]
        return self.row["state"] == "ACCEPTED" and accepted is not None and accepted < cutoff

    @strawberry.field(description="The fund it belongs to.")
    async def fund(self, info: Info) -> Fund | None:
        row = await info.context.loaders.fund.load(self.row["fund_id"])
        return fund(row) if row is not None else None

    @strawberry.field(description="Its payments and reversals, oldest first.")
    async def payments(self, info: Info) -> list[FundMovement]:
        return [movement(r) for r in await info.context.loaders.payments_of_project.load(self.row["id"])]


def project(r: asyncpg.Record) -> Project:
    return Project(
        id=_id(r["id"]), row=r, category=SpendingCategory(r["category"]), title=r["title"],
        purpose=r["purpose"], beneficiaries=r["beneficiaries"], amount=Money(fmt(r["amount"])),
        approved_amount=Money(fmt(r["approved_amount"])) if r["approved_amount"] is not None else None,
        paid=Money(fmt(r["paid"])), state=ProjectState(r["state"]), proposed_by=r["proposed_by"],
        proposed_at=r["proposed_at"], meeting_on=r["meeting_on"],
        attendees=list(r["attendees"]) if r["attendees"] is not None else None,
        resolution=r["resolution"], approved_by=r["approved_by"], approved_at=r["approved_at"],
        accepted_on=r["accepted_on"], disclosed_on=r["disclosed_on"], disclosure=r["disclosure"],
        year=r["year"],
    )


@strawberry.type(description="A project as it stood at an earlier instant (rebuilt from the log).")
class ProjectAsOf:
    id: strawberry.ID = strawberry.field(description="The project's id.")
    title: str = strawberry.field(description="Short title.")
    category: SpendingCategory = strawberry.field(description="What it spends on.")
    state: ProjectState = strawberry.field(description="Where it stood.")
    amount: Money = strawberry.field(description="Amount proposed.")
    approved_amount: Money = strawberry.field(description="Amount approved (0.00 before approval).")
    paid: Money = strawberry.field(description="Paid by then, net of reversals.")


@strawberry.type(description="A fund's state at a recorded instant, rebuilt by replaying its events up to then.")
class FundAsOf:
    at: datetime = strawberry.field(description="The instant asked about.")
    version: int = strawberry.field(description="The fund stream's version at that instant.")
    position: int = strawberry.field(description="Log position of the last event included.")
    allocated: Money = strawberry.field(description="Allocated by then.")
    paid: Money = strawberry.field(description="Paid by then, net of reversals.")
    committed: Money = strawberry.field(description="Approved and unpaid by then.")
    balance: Money = strawberry.field(description="Allocated − paid − carried out or returned.")
    available: Money = strawberry.field(description="Balance − committed.")
    closed: bool = strawberry.field(description="Whether the year had been closed.")
    projects: list[ProjectAsOf] = strawberry.field(description="Its projects as they stood.")
    method: str = strawberry.field(
        description="fold (recorded payloads folded) or aggregate (the domain model replayed).")


def as_of(s: audit.FundAsOf) -> FundAsOf:
    return FundAsOf(
        at=s.at, version=s.version, position=s.position, allocated=Money(fmt(s.allocated)),
        paid=Money(fmt(s.paid)), committed=Money(fmt(s.committed)), balance=Money(fmt(s.balance)),
        available=Money(fmt(s.available)), closed=s.closed, method=s.method,
        projects=[ProjectAsOf(id=_id(p.id), title=p.title, category=SpendingCategory(p.category),
                              state=ProjectState(p.state), amount=Money(fmt(p.amount)),
                              approved_amount=Money(fmt(p.approved)), paid=Money(fmt(p.paid)))
                  for p in s.projects],
    )


@strawberry.type(description="An earmarked fund of one organization for one fiscal year.")
class Fund(Node):
    row: strawberry.Private[asyncpg.Record]
    year: int = strawberry.field(description="Fiscal (calendar) year.")
    kind: FundKind = strawberry.field(description="What the fund's money is for.")
    status: FundStatus = strawberry.field(description="Open, or closed at year end.")
    allocated: Money = strawberry.field(description="Total allocated, carry-over included.")
    paid: Money = strawberry.field(description="Total paid, net of reversals.")
    committed: Money = strawberry.field(description="Approved for projects and not yet paid.")
    balance: Money = strawberry.field(description="Allocated − paid − carried out or returned.")
    available: Money = strawberry.field(description="Balance − committed: what new approvals may use.")
    year_end: YearEnd | None = strawberry.field(description="How the year was closed, once closed.")
    closed_on: date | None = strawberry.field(description="When the year was closed.")
    next_fund_id: strawberry.ID | None = strawberry.field(description="The fund that received the carry-over.")
    version: int = strawberry.field(description="Stream version; pass as expectedVersion.")

    @strawberry.field(description="The part of the balance that is dues money (党费: dues allocations, and grants"
                                  " drawn on them). It is spent last, and only by payments whose `use` is one"
                                  " that dues money pays for (GRASSROOTS_DUES_MONEY_USES; else DuesMoneyRestricted).")
    def dues_available(self) -> Money:
        dues, balance = self.row["dues_balance"], self.row["balance"]
        return Money(fmt(max(Decimal("0.00"), min(dues, balance))))

    @strawberry.field(description="The organization the fund belongs to.")
    async def organization(self, info: Info) -> Organization | None:
        return await load_organization(info, self.row["organization_id"])

    @strawberry.field(description="Its projects, oldest first.")
    async def projects(self, info: Info, state: ProjectState | None = None) -> list[Project]:
        rows = await info.context.loaders.projects_of_fund.load(self.row["id"])
        return [project(r) for r in rows if state is None or r["state"] == state.value]

    @strawberry.field(description="Ledger: every money movement with the running balance, oldest first.")
    async def ledger(self, info: Info, first: int | None = None, after: str | None = None,
                     from_date: date | None = None, to_date: date | None = None,
                     ) -> Connection[FundMovement]:
        c = views.Conditions()
        c.add("fund_id = ?", self.row["id"])
        c.add("movement IS NOT NULL")
        if from_date is not None:
            c.add("business_date >= ?", from_date)
        if to_date is not None:
            c.add("business_date <= ?", to_date)
        page = await views.page(info.context.pool, "SELECT * FROM fund_movements", c, ("version",),
                                views.decode_cursor(after, 1), info.context.page_size(first))
        return connection(page, movement, lambda r: (r["version"],))

    @strawberry.field(description="Every event of the fund with who, when, why and the balance after it.")
    async def history(self, info: Info, first: int | None = None, after: str | None = None,
                      ) -> Connection[FundHistoryEntry]:
        c = views.Conditions()
        c.add("e.stream_id = ?", self.row["id"])
        page = await views.page(
            info.context.pool,
            "SELECT e.*, m.movement, m.amount, m.balance_after, m.business_date FROM events e"
            " JOIN fund_movements m ON m.fund_id = e.stream_id AND m.version = e.version",
            c, ("e.version",), views.decode_cursor(after, 1), info.context.page_size(first),
        )

        def entry(r: asyncpg.Record) -> FundHistoryEntry:
            return FundHistoryEntry(
                event=history_event(r, info),
                movement=MovementKind(r["movement"]) if r["movement"] else None,
                amount=Money(fmt(r["amount"])), balance_after=Money(fmt(r["balance_after"])),
                business_date=r["business_date"],
            )

        return connection(page, entry, lambda r: (r["version"],))

    @strawberry.field(description="The fund as it stood at a recorded instant, rebuilt from the log "
                                  "(never the read model). replayAggregate replays the domain model itself "
                                  "instead of folding payloads (slower, same answer).")
    async def as_of(self, info: Info, at: datetime, replay_aggregate: bool = False) -> FundAsOf | None:
        state = await audit.fund_as_of(info.context.pool, self.row["id"], at,
                                       aggregate=replay_aggregate)
        return as_of(state) if state is not None else None

    @strawberry.field(description="The balance on a business date, folded from the log (never a read model):"
                                  " money counts on its own business date. With asRecordedAt, as the log knew it"
                                  " at that recorded instant: a correction recorded later (a reversal, a"
                                  " back-dated payment) changes the answer for instants after it, not before."
                                  " 0.00 if the fund had no event by then.")
    async def balance_on(
        self, info: Info, date: date,
        as_recorded_at: Annotated[datetime | None, strawberry.argument(
            description="The recorded instant the answer is as of (ISO-8601 with zone); by default every"
                        " event recorded so far.")] = None,
    ) -> Money:
        found = await audit.fund_balance_on(info.context.pool, self.row["id"], date, as_recorded_at)
        return Money(fmt(found if found is not None else Decimal("0.00")))


def fund(r: asyncpg.Record) -> Fund:
    return Fund(
        id=_id(r["id"]), row=r, year=r["year"], kind=FundKind(r["kind"]),
        status=FundStatus(r["status"]), allocated=Money(fmt(r["allocated"])),
        paid=Money(fmt(r["paid"])), committed=Money(fmt(r["committed"])),
        balance=Money(fmt(r["balance"])), available=Money(fmt(r["available"])),
        year_end=YearEnd(r["year_end"]) if r["year_end"] else None, closed_on=r["closed_on"],
        next_fund_id=_id(r["next_fund_id"]) if r["next_fund_id"] else None, version=r["version"],
    )


@strawberry.type(description="A community whose service fund received less fiscal money in a year than"
                             " its tier's minimum (a budget guarantee: sponsorship does not fill it).")
class FundShortfall:
    organization: Organization = strawberry.field(description="The community.")
    year: int = strawberry.field(description="The fiscal year.")
    fund_id: strawberry.ID | None = strawberry.field(description="Its service fund, if one was opened.")
    allocated: Money = strawberry.field(description="Allocated to it that year from every source (carry-over"
                                                    " excluded).")
    counted: Money = strawberry.field(description="The part of `allocated` that counts toward the minimum: the"
                                                  " configured fiscal sources only.")
    tier: str = strawberry.field(description="The minimum's tier (`default` unless configured for the"
                                             " organization or its division code).")
    grid_branches: int = strawberry.field(description="Active grid Party branches under it (each adds the"
                                                      " configured amount per grid branch).")
    minimum: Money = strawberry.field(description="Its yearly minimum: the tier's amount plus the amount per"
                                                  " grid branch.")
    shortfall: Money = strawberry.field(description="Minimum − counted.")


@strawberry.type(description="A fund kind in use here (local policy): what it pays for, how its year ends.")
class FundKindPolicy:
    kind: FundKind = strawberry.field(description="The kind.")
    allowed_categories: list[SpendingCategory] = strawberry.field(
        description="The spending categories its projects may have (within the four earmarked money allows).")
    carries_over: bool = strawberry.field(
        description="Whether closing its year may carry the balance into next year's fund; if not, it is returned.")


@strawberry.type(description="Money allocated from one source.")
class SourceTotal:
    source: AllocationSource = strawberry.field(description="Where the money came from.")
    amount: Money = strawberry.field(description="Allocated from it (net: allocations are never undone).")


@strawberry.type(description="One year of an organization's red fund (红色基金): its sources and what it granted.")
class RedFundYear:
    year: int = strawberry.field(description="The fiscal year.")
    fund_id: strawberry.ID = strawberry.field(description="That year's red fund.")
    sources: list[SourceTotal] = strawberry.field(
        description="Allocated per source: dues allocations, fiscal subsidies, unit sponsorship and donations"
                    " always (0.00 when none), any other source that gave money after them.")
    received: Money = strawberry.field(description="Allocated from every source that year (carry-over excluded).")
    granted: Money = strawberry.field(description="Granted out to other funds and projects that year.")
    balance: Money = strawberry.field(description="The fund's balance (carry-over included).")


@strawberry.type(description="An organization's red fund (红色基金): totals per source, per year and to date.")
class RedFundTotals:
    organization: Organization = strawberry.field(description="The organization whose red fund it is.")
    years: list[RedFundYear] = strawberry.field(description="Each year it had a red fund, oldest first.")
    to_date: list[SourceTotal] = strawberry.field(description="Allocated per source over every year.")
    received: Money = strawberry.field(description="Allocated over every year (carry-over excluded).")
    granted: Money = strawberry.field(description="Granted out over every year.")
