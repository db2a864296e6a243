"""The fund money rules are written more than once; random histories prove the copies equal.

The meaning of a fund's money lives in the aggregate (``domain/funds/aggregate.py``,
which decides), the auditors' fold (``domain/funds/ledger.py``: ``FundFigures`` for
``asOf`` and ``balance_on`` for ``balanceOn``, called by ``api/audit.py``) and two read
models (``projections/funds.py``, ``projections/fund_movements.py``; compared in
``tests/integration/funds/test_money_rules_agree.py``, which reuses the scenario
machinery below).

Hypothesis draws sequences of commands (allocations, project proposals, decisions,
approvals, payments, reversals, rejections, cancellations, acceptances, disclosures,
year closes with carry-over or return, the passing of days), valid and invalid, and
runs them through the real command handling (``tests/usecases.py`` over
``Handling.run``) on the in-memory store. After every command that
succeeds, the aggregate replayed from each fund's stream and the fold of the recorded
payloads (reading only the fields ``api/audit.py`` selects, as text) must agree on
allocated, committed, paid, moved out, balance, available, each project, and the
balance on many business dates; at the end, they must agree at every earlier
position too. A command that is refused must record nothing, and for allocations,
approvals and payments the fold predicts, by itself, whether the aggregate accepts:
a fund never goes below zero, counting commitments, nor on any business date.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.funds.aggregate import (
    ALLOWED_CATEGORIES,
    AllocationSource,
    Fund,
    FundKind,
    Project,
    ProjectState,
    SpendingCategory,
    YearEnd,
    fund_id,
)
from domain.funds.dues_money import PaymentUse
from domain.funds.ledger import BALANCE_ON_FIELDS, FOLD_FIELDS, FundFigures, balance_on
from domain.shared import events as ev
from domain.shared.commands import Request
from domain.shared.errors import DomainError
from domain.shared.money import FEN, MAX_AMOUNT, ZERO
from domain.shared.permissions import Actor, Role
from domain.shared.ports import RecordedEvent
from tests.unit.fakes import actor, world
from tests.usecases import UseCases

_DATE_FIELDS = ("effective_on", "paid_on", "reversed_on", "closed_on", "meeting_on",
                "accepted_on", "published_on", "carried_on")
FIRST_YEAR = 2026
OPEN_STATES = (ProjectState.APPROVED, ProjectState.ACCEPTED)


# -- the copies, read the way their callers read them ------------------------------------


def _text(value: Any) -> str | None:
    """What PostgreSQL's ``payload->>'k'`` gives for a JSON value: its text, or NULL."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def selected(payload: Mapping[str, Any], fields: Sequence[str]) -> dict[str, str | None]:
    """Only ``fields`` of a payload, as text: exactly what ``api/audit.py`` hands the fold."""
    return {k: _text(payload.get(k)) for k in fields}


def fold(rows: Sequence[RecordedEvent]) -> FundFigures:
    return FundFigures().fold(
        (r.version, r.position, r.event_type, selected(r.payload, FOLD_FIELDS)) for r in rows)


def folded_balance_on(rows: Sequence[RecordedEvent], on: date) -> Decimal:
    return balance_on(((r.event_type, selected(r.payload, BALANCE_ON_FIELDS)) for r in rows), on)


def replay(rows: Sequence[RecordedEvent]) -> Fund:
    fund = ev.replay(Fund, rows)
    assert fund is not None
    return fund


def aggregate_figures(f: Fund) -> dict[str, Any]:
    return {"version": f.version, "allocated": f.allocated, "committed": f.committed,
            "paid": f.paid, "moved_out": f.paid_out_at_close, "balance": f.balance,
            "available": f.available, "closed": f.closed}


def fold_figures(f: FundFigures) -> dict[str, Any]:
    return {"version": f.version, "allocated": f.allocated, "committed": f.committed,
            "paid": f.paid, "moved_out": f.moved_out, "balance": f.balance,
            "available": f.available, "closed": f.closed}


def aggregate_projects(f: Fund) -> dict[str, tuple[Any, ...]]:
    return {str(p.id): (p.state.value, p.title, p.category.value, p.amount, p.approved_amount,
                        p.paid) for p in f.projects.values()}


def fold_projects(f: FundFigures) -> dict[str, tuple[Any, ...]]:
    return {k: (p.state, p.title, p.category, p.amount, p.approved, p.paid)
            for k, p in f.projects.items()}


def business_dates(rows: Iterable[RecordedEvent]) -> set[date]:
    return {date.fromisoformat(r.payload[k]) for r in rows for k in _DATE_FIELDS
            if isinstance(r.payload.get(k), str)}


def probe_dates(rows: Sequence[RecordedEvent]) -> list[date]:
    """Dates worth asking ``balanceOn`` about: every business date, the day before it,
    and the edges of the fund's year and the next (the balance only changes on
    business dates, so its lowest value is on one of them)."""
    year = int(rows[0].payload["year"])
    days = {date(year - 1, 12, 31), date(year, 1, 1), date(year, 6, 30), date(year, 12, 31),
            date(year + 1, 1, 1), date(year + 1, 12, 31), date(year + 2, 12, 31)}
    for d in business_dates(rows):
        days |= {d - timedelta(days=1), d}
    return sorted(days)


def check_agreement(rows: Sequence[RecordedEvent], dates: Sequence[date]) -> Fund:
    """The aggregate and the fold agree on every figure of one fund after ``rows``."""
    agg, folded = replay(rows), fold(rows)
    where = f"{rows[0].stream_id} at version {rows[-1].version} ({rows[-1].event_type})"
    assert aggregate_figures(agg) == fold_figures(folded), where
    assert aggregate_projects(agg) == fold_projects(folded), where
    assert (folded.version, folded.position) == (rows[-1].version, rows[-1].position), where
    for d in dates:
        on = agg.balance_on(d)
        assert on == folded_balance_on(rows, d), (where, d)
        # "a fund never goes below zero, ... and neither does its balance on any business date"
        assert on >= ZERO, (where, d, on)
    # Every movement of money carries a business date: in the end they add up to the balance.
    assert agg.balance_on(date.max) == agg.balance, where
    assert agg.balance >= ZERO and agg.committed >= ZERO and agg.available >= ZERO, where
    for p in agg.projects.values():
        assert ZERO <= p.paid <= p.approved_amount <= p.amount, (where, p)
    if agg.closed:
        assert agg.balance == ZERO and agg.committed == ZERO, where
    return agg


def check_every_position(rows: Sequence[RecordedEvent]) -> None:
    """The fold of every prefix of the stream equals the aggregate replayed to that point,
    and so does the fold of the events recorded up to each recorded instant (``asOf``)."""
    dates = probe_dates(rows)
    for n in range(1, len(rows) + 1):
        check_agreement(rows[:n], dates)
    for at in sorted({r.recorded_at for r in rows}):
        upto = [r for r in rows if r.recorded_at <= at]
        assert fold_figures(fold(upto)) == aggregate_figures(replay(upto)), at


def check_carry_overs(streams: Mapping[UUID, Sequence[RecordedEvent]]) -> None:
    """What one year's close carries out (its balance, and each carried project's unpaid
    commitment) arrives, to the fen, in the next year's fund, and each carried project
    arrives there once with the figures it left with."""
    carried_in: Counter[tuple[UUID, UUID]] = Counter()
    carried_out: Counter[tuple[UUID, UUID]] = Counter()
    projects_in, projects_out = set(), set()
    for rows in streams.values():
        for r in rows:
            p = r.payload
            if r.event_type == "Fund.Allocated" and p.get("carried_from"):
                carried_in[(UUID(p["carried_from"]), r.stream_id)] += Decimal(p["amount"])
            elif r.event_type == "Fund.ProjectCarriedIn":
                carried_in[(UUID(p["from_fund_id"]), r.stream_id)] += Decimal(p["carried"])
                projects_in.add((p["project_id"], p["from_fund_id"], str(r.stream_id), p["carried"]))
            elif r.event_type == "Fund.YearClosed" and p.get("next_fund_id"):
                carried_out[(r.stream_id, UUID(p["next_fund_id"]))] += Decimal(p["balance"])
            elif r.event_type == "Fund.ProjectCarriedOut":
                carried_out[(r.stream_id, UUID(p["next_fund_id"]))] += Decimal(p["amount"])
                projects_out.add((p["project_id"], str(r.stream_id), p["next_fund_id"], p["amount"]))
    assert carried_in == carried_out
    assert projects_in == projects_out


# -- random command sequences --------------------------------------------------------------


def money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def share(of: Decimal, quarters: int) -> Decimal:
    """``quarters``/4 of an amount, down to the fen, at least one fen (5/4 asks too much)."""
    return max(FEN, (of * quarters / 4).quantize(FEN, rounding=ROUND_DOWN))


# Strategies are built so that their simplest values (where Hypothesis starts, and what
# it shrinks to) make progress: the first choice moves a project forward, amounts are
# sizeable, dates lie inside the year.
FEN_AMOUNTS = st.one_of(st.integers(1_000_00, 50_000_00), st.integers(1, 99_99),
                        st.integers(1, 300_000_00))
ALLOCATION_AMOUNTS = st.one_of(st.integers(100_000_00, 300_000_00), FEN_AMOUNTS)
INDEX = st.integers(0, 9)
STRAY = st.integers(0, 5).map(lambda n: n == 5)
"""Now and then aim a step at any project, whatever its state (so it may be refused)."""
DAY = st.one_of(st.integers(0, 364), st.integers(-2, 367))
"""Days after 1 January of the fund's year; a few fall outside it."""
QUARTERS = st.sampled_from([4, 1, 2, 3, 5])
"""Of what is left to approve or pay: all, a quarter, half, three quarters, too much."""
RARELY = st.integers(0, 7).map(lambda n: n == 7)
CATEGORIES = [*sorted(ALLOWED_CATEGORIES, key=lambda c: c.value), SpendingCategory.STAFF_PAY]

PROGRESS = st.tuples(st.just("progress"), INDEX, INDEX, st.integers(0, 9), FEN_AMOUNTS, DAY,
                     QUARTERS)
"""Move one project along its life, by what its state allows (most steps are these)."""
STEP = st.one_of(
    PROGRESS,
    st.tuples(st.just("tick"), st.integers(30, 200)),
    st.tuples(st.just("wrap_up"), INDEX),
    st.tuples(st.just("year_end"), INDEX, st.integers(0, 60),
              st.sampled_from([YearEnd.CARRY_OVER, YearEnd.RETURN, None])),
    st.tuples(st.just("close"), INDEX, st.one_of(st.integers(0, 40), st.integers(-1, 370)),
              st.sampled_from([None, YearEnd.CARRY_OVER, YearEnd.RETURN])),
    st.tuples(st.just("allocate"), INDEX, ALLOCATION_AMOUNTS,
              st.sampled_from(list(AllocationSource)), DAY),
    st.tuples(st.just("propose"), INDEX, FEN_AMOUNTS, st.sampled_from(CATEGORIES), RARELY),
    st.tuples(st.just("pay"), INDEX, INDEX, STRAY,
              st.one_of(st.tuples(st.just("part"), QUARTERS),
                        st.tuples(st.just("fen"), FEN_AMOUNTS)), DAY),
    st.tuples(st.just("reverse"), INDEX, INDEX, STRAY, st.integers(-1, 60)),
    st.tuples(st.just("decide"), INDEX, INDEX, STRAY, DAY, st.integers(2, 4)),
    st.tuples(st.just("approve"), INDEX, INDEX, STRAY, QUARTERS, RARELY),
    st.tuples(st.just("reject"), INDEX, INDEX, STRAY),
    st.tuples(st.just("cancel"), INDEX, INDEX, STRAY),
    st.tuples(st.just("accept"), INDEX, INDEX, STRAY, DAY),
    st.tuples(st.just("disclose"), INDEX, INDEX, STRAY, st.integers(-1, 20)),
    st.tuples(st.just("open"), st.integers(0, 2)),
)
ALLOCATE = st.tuples(st.just("allocate"), st.just(0), ALLOCATION_AMOUNTS,
                     st.sampled_from([AllocationSource.FISCAL_BUDGET,
                                      AllocationSource.DUES_ALLOCATION]), DAY)
SCENARIO = st.tuples(
    st.integers(0, 540),  # today, in days after 1 July 2026
    st.lists(ALLOCATE, min_size=1, max_size=3)
    .flatmap(lambda first: st.lists(st.integers(0, 9).flatmap(
        lambda n: PROGRESS if n < 6 else STEP), min_size=12, max_size=40).map(
            lambda rest: first + rest)),
)

# A history that reaches every kind of event, run on every test run whatever Hypothesis draws.
FULL_HISTORY = (220, [
    ("allocate", 0, 120_000_00, AllocationSource.FISCAL_BUDGET, 14),
    ("allocate", 0, 5_000_00, AllocationSource.UNIT_SPONSORSHIP, 120),
    ("propose", 0, 30_000_00, SpendingCategory.PUBLIC_SERVICE, False),
    ("propose", 0, 10_000_00, SpendingCategory.PARTY_BUILDING, False),
    ("propose", 0, 1_000_00, SpendingCategory.SELF_GOVERNANCE, False),
    ("decide", 0, 0, False, 40, 3),
    ("decide", 0, 0, False, 41, 3),
    ("decide", 0, 0, False, 42, 3),
    ("approve", 0, 0, False, 4, True),  # the proposer: refused
    ("approve", 0, 0, False, 4, False),
    ("approve", 0, 0, False, 2, False),
    ("propose", 0, 100_000_00, SpendingCategory.PUBLIC_SERVICE, False),
    ("decide", 0, 0, False, 43, 3),
    ("reject", 0, 0, False),
    ("approve", 0, 0, False, 4, False),  # more than is available (not the balance): refused
    ("approve", 0, 0, False, 3, False),
    ("pay", 0, 0, False, ("part", 2), 5),  # before the money arrived: refused
    ("pay", 0, 0, False, ("part", 2), 60),
    ("pay", 0, 0, False, ("part", 5), 61),  # beyond the approval: refused
    ("pay", 0, 0, False, ("part", 4), 62),
    ("propose", 0, 500_00, SpendingCategory.OTHER_SERVICE, False),
    ("cancel", 0, 1, False),  # the approved, unpaid 75,000.00: its commitment is released
    ("reverse", 0, 0, False, 3),
    ("pay", 0, 1, False, ("part", 4), 130),
    ("accept", 0, 0, False, 140),
    ("disclose", 0, 0, False, 2),
    ("reverse", 0, 0, False, 10),  # after the disclosure: back to the available balance
    ("close", 0, 0, None),  # the accepted project is still open: refused
    ("wrap_up", 0),
    ("propose", 0, 3_000_00, SpendingCategory.PARTY_BUILDING, False),
    ("decide", 0, 0, False, 300, 3),
    ("approve", 0, 0, False, 4, False),  # approved, unpaid: carried into next year by the close
    ("close", 0, 0, YearEnd.CARRY_OVER),
    ("allocate", 0, 1_00, AllocationSource.FISCAL_BUDGET, 200),  # a closed year: refused
    ("propose", 1, 2_000_00, SpendingCategory.OTHER_SERVICE, False),
    ("decide", 1, 0, False, 20, 4),
    ("approve", 1, 0, False, 4, False),
    ("pay", 1, 0, False, ("part", 4), 3),
    ("wrap_up", 1),
    ("tick", 200),
    ("tick", 200),
    ("close", 1, 30, YearEnd.RETURN),
])


@dataclass
class Scenario:
    """Runs drawn steps through the command handling; checks the copies after each success."""

    commands: UseCases
    store: Any  # the in-memory or the PostgreSQL event store
    now: Callable[[], date]
    advance: Callable[[int], None]
    organization: UUID
    finance: Actor
    approver: Actor
    proposer_approving: Actor
    funds: list[UUID]
    after_success: Callable[[Scenario], Awaitable[None]] | None = None
    tally: Counter[str] = field(default_factory=Counter)

    async def rows(self, fid: UUID) -> list[RecordedEvent]:
        return list(await self.store.read_stream(fid))

    async def streams(self) -> dict[UUID, list[RecordedEvent]]:
        """Every fund of the organization (opened, or by a carry-over), oldest year first."""
        found = {}
        for year in range(FIRST_YEAR, FIRST_YEAR + 4):
            rows = await self.rows(fund_id(self.organization, year, FundKind.SERVICE_FUND))
            if rows:
                found[rows[0].stream_id] = rows
        self.funds[:] = list(found)
        return found

    async def check(self) -> None:
        streams = await self.streams()
        for rows in streams.values():
            check_agreement(rows, probe_dates(rows))
        check_carry_overs(streams)
        if self.after_success is not None:
            await self.after_success(self)

    async def check_history(self) -> None:
        streams = await self.streams()
        for rows in streams.values():
            check_every_position(rows)
        check_carry_overs(streams)

    async def attempt(self, what: str, command: Callable[[], Awaitable[Any]],
                      expect: bool | None = None) -> Any:
        """Run one command; a refusal must record nothing; ``expect`` is the fold's verdict."""
        before = await self.store.head()
        try:
            outcome = await command()
        except DomainError as exc:
            assert await self.store.head() == before, f"refused {what} ({exc!r}) recorded events"
            assert expect is not True, f"{what} was refused ({exc!r}) but the fold allows it"
            self.tally[f"refused {what}"] += 1
            self.tally[f"refused {what} {exc.code}"] += 1
            return None
        assert expect is not False, f"{what} was accepted but the fold says it must be refused"
        self.tally[what] += 1
        await self.check()
        return outcome

    def req(self, who: Actor | None = None) -> Request:
        return Request(who or self.finance, uuid4())

    async def run(self, steps: Iterable[tuple[Any, ...]]) -> None:
        for step in steps:
            await getattr(self, f"_{step[0]}")(*step[1:])
        await self.check_history()

    # -- the commands, on a chosen fund, project or payment -------------------------------

    async def _target(self, index: int, *, open_only: bool = False
                      ) -> tuple[UUID, Fund, list[RecordedEvent]]:
        streams = await self.streams()
        funds = [fid for fid, rows in streams.items()
                 if not (open_only and replay(rows).closed)] or list(streams)
        fid = funds[index % len(funds)]
        return fid, replay(streams[fid]), streams[fid]

    async def allocate(self, fid: UUID, amount: Decimal, source: AllocationSource,
                       on: date) -> None:
        rows = await self.rows(fid)
        f = replay(rows)
        allowed = (not f.closed  # carry-over and grants are recorded by their own commands
                   and source not in (AllocationSource.CARRIED_OVER, AllocationSource.RED_FUND_GRANT)
                   and on.year == f.year and f.allocated + amount <= MAX_AMOUNT
                   and on <= self.now())  # money that has arrived, not a plan
        await self.attempt("allocate", lambda: self.commands.allocate_funds(
            self.req(), fid, str(amount), source, on, f"财〔{f.year}〕{on.day}号"), allowed)

    async def propose(self, fid: UUID, amount: Decimal, category: SpendingCategory,
                      bonus: bool = False) -> None:
        purpose = "发放社工奖金" if bonus else "为社区居民提供服务"
        await self.attempt("propose", lambda: self.commands.propose_project(
            self.req(), fid, category, f"项目 {amount}", str(amount), purpose, "居民"))

    async def decide(self, fid: UUID, p: Project, on: date, attendees: int = 3) -> None:
        names = ("王书记", "李委员", "张委员", "赵委员")[:attendees]
        await self.attempt("decide", lambda: self.commands.record_project_decision(
            self.req(), fid, p.id, on, names, "会议同意"))

    async def approve(self, fid: UUID, p: Project, amount: Decimal | None,
                      by_proposer: bool = False) -> None:
        rows = await self.rows(fid)
        folded = fold(rows)
        asked = p.amount if amount is None else amount
        # The fold's verdict: never more than is available (balance less commitments).
        allowed = (not folded.closed and folded.projects[str(p.id)].state == "DECIDED"
                   and not by_proposer and asked <= p.amount and asked <= folded.available)
        who = self.proposer_approving if by_proposer else self.approver
        await self.attempt("approve", lambda: self.commands.approve_project(
            self.req(who), fid, p.id, None if amount is None else str(amount)), allowed)

    async def reject(self, fid: UUID, p: Project) -> None:
        await self.attempt("reject", lambda: self.commands.reject_project(
            self.req(self.approver), fid, p.id, "不符合使用范围"))

    async def cancel(self, fid: UUID, p: Project) -> None:
        await self.attempt("cancel", lambda: self.commands.cancel_project(
            self.req(), fid, p.id, "情况变化"))

    async def pay(self, fid: UUID, p: Project, amount: Decimal, on: date) -> None:
        rows = await self.rows(fid)
        folded = fold(rows)
        project = folded.projects[str(p.id)]
        # The fold's verdict: within the approval, and the balance on no business date
        # from ``on`` on may fall below zero (it changes only on business dates).
        lowest = min(folded_balance_on(rows, d)
                     for d in [on, *(d for d in business_dates(rows) if d > on)])
        allowed = (not folded.closed and project.state in ("APPROVED", "ACCEPTED")
                   and on.year == int(rows[0].payload["year"])
                   and project.paid + amount <= project.approved
                   and amount <= lowest and amount <= folded.balance
                   and on <= self.now())  # a payment made, not a plan
        await self.attempt("pay", lambda: self.commands.record_payment(
            self.req(), fid, p.id, str(amount), on, "服务公司",
            f"PZ-{on.isoformat()}-{self.tally['pay']}",  # one voucher per payment
            PaymentUse.TRAINING), allowed)  # a use dues money pays for: the dues rule is tested on its own

    async def reverse(self, fid: UUID, payment_id: UUID, on: date) -> None:
        await self.attempt("reverse", lambda: self.commands.reverse_payment(
            self.req(), fid, payment_id, "重复支付", on))

    async def accept(self, fid: UUID, p: Project, on: date) -> None:
        await self.attempt("accept", lambda: self.commands.accept_project(
            self.req(), fid, p.id, on))

    async def disclose(self, fid: UUID, p: Project, on: date) -> None:
        await self.attempt("disclose", lambda: self.commands.publish_project_disclosure(
            self.req(), fid, p.id, "公示：支出情况", on))

    # -- the drawn steps -------------------------------------------------------------------

    @staticmethod
    def pick(items: Sequence[Any], fitting: Sequence[Any], index: int, stray: bool) -> Any:
        """Mostly an item in a fitting state; now and then (``stray``) any, to be refused."""
        pool = items if stray or not fitting else fitting
        return pool[index % len(pool)] if pool else None

    async def _allocate(self, fi: int, fen: int, source: AllocationSource, day: int) -> None:
        fid, f, _ = await self._target(fi)
        await self.allocate(fid, Decimal(money(fen)), source,
                            date(f.year, 1, 1) + timedelta(days=day))

    async def _propose(self, fi: int, fen: int, category: SpendingCategory, bonus: bool) -> None:
        fid, _, _ = await self._target(fi)
        await self.propose(fid, Decimal(money(fen)), category, bonus)

    async def _decide(self, fi: int, pi: int, stray: bool, day: int, attendees: int) -> None:
        fid, f, _ = await self._target(fi)
        ps = list(f.projects.values())
        p = self.pick(ps, [x for x in ps if x.state is ProjectState.PROPOSED], pi, stray)
        if p is not None:
            await self.decide(fid, p, date(f.year, 1, 1) + timedelta(days=day), attendees)

    async def _approve(self, fi: int, pi: int, stray: bool, quarters: int,
                       by_proposer: bool) -> None:
        fid, f, _ = await self._target(fi)
        ps = list(f.projects.values())
        p = self.pick(ps, [x for x in ps if x.state is ProjectState.DECIDED], pi, stray)
        if p is not None:
            amount = None if quarters == 4 else share(p.amount, quarters)
            await self.approve(fid, p, amount, by_proposer)

    async def _reject(self, fi: int, pi: int, stray: bool) -> None:
        fid, f, _ = await self._target(fi)
        ps = list(f.projects.values())
        p = self.pick(ps, [x for x in ps if x.state is ProjectState.DECIDED], pi, stray)
        if p is not None:
            await self.reject(fid, p)

    async def _cancel(self, fi: int, pi: int, stray: bool) -> None:
        fid, f, _ = await self._target(fi)
        ps = list(f.projects.values())
        fitting = [x for x in ps if x.state in (ProjectState.PROPOSED, ProjectState.DECIDED)
                   or (x.state is ProjectState.APPROVED and x.paid == ZERO)]
        p = self.pick(ps, fitting, pi, stray)
        if p is not None:
            await self.cancel(fid, p)

    async def _pay(self, fi: int, pi: int, stray: bool, spec: tuple[str, int], day: int) -> None:
        fid, f, _ = await self._target(fi)
        ps = list(f.projects.values())
        p = self.pick(ps, [x for x in ps if x.state in OPEN_STATES], pi, stray)
        if p is not None:
            kind, n = spec
            amount = share(p.approved_amount - p.paid, n) if kind == "part" else Decimal(money(n))
            await self.pay(fid, p, amount, date(f.year, 1, 1) + timedelta(days=day))

    async def _reverse(self, fi: int, qi: int, stray: bool, after: int) -> None:
        fid, f, _ = await self._target(fi)
        pays = list(f.payments.values())
        pay = self.pick(pays, [x for x in pays if not x.reversed], qi, stray)
        if pay is None:  # no payment yet: a made-up one is NotFound
            await self.reverse(fid, uuid4(), date(f.year, 6, 1))
        else:
            await self.reverse(fid, pay.id, pay.paid_on + timedelta(days=after))

    async def _accept(self, fi: int, pi: int, stray: bool, day: int) -> None:
        fid, f, _ = await self._target(fi)
        ps = list(f.projects.values())
        fitting = [x for x in ps if x.state is ProjectState.APPROVED and x.paid > ZERO]
        p = self.pick(ps, fitting, pi, stray)
        if p is not None:
            await self.accept(fid, p, date(f.year, 1, 1) + timedelta(days=day))

    async def _disclose(self, fi: int, pi: int, stray: bool, after: int) -> None:
        fid, f, _ = await self._target(fi)
        ps = list(f.projects.values())
        p = self.pick(ps, [x for x in ps if x.state is ProjectState.ACCEPTED], pi, stray)
        if p is not None:
            on = p.accepted_on or date(f.year, 6, 1)
            await self.disclose(fid, p, on + timedelta(days=after))

    async def _progress(self, fi: int, pi: int, choice: int, fen: int, day: int,
                        quarters: int) -> None:
        """The next command one project's state allows; ``choice`` picks among them."""
        fid, f, rows = await self._target(fi, open_only=True)
        # Projects still going somewhere: open ones, and disclosed ones with a payment left
        # to reverse; a new one is proposed when few are (or now and then anyway).
        live = [x for x in f.projects.values()
                if x.state not in (ProjectState.REJECTED, ProjectState.CANCELLED,
                                   ProjectState.DISCLOSED)
                or any(not f.payments[y].reversed for y in x.payments)]
        p = live[pi % len(live)] if live else None
        on = date(f.year, 1, 1) + timedelta(days=day)
        if p is None or (len(live) < 3 and choice == 9) or (
                p.state is ProjectState.DISCLOSED and choice >= 5):
            await self.propose(fid, Decimal(money(fen)), CATEGORIES[choice % 4])
        elif p.state is ProjectState.PROPOSED:
            await self.decide(fid, p, min(on, self.now()), 2 if choice == 8 else 3)
        elif p.state is ProjectState.DECIDED:
            if choice == 7:
                await self.reject(fid, p)
            else:
                await self.approve(fid, p, None if quarters == 4 else share(p.amount, quarters),
                                   by_proposer=choice == 8)
        elif p.state is ProjectState.APPROVED and choice == 8:
            await self.cancel(fid, p)
        elif p.state is ProjectState.APPROVED and choice in (6, 7) and p.paid:
            await self.accept(fid, p, min(on, self.now()))
        elif p.state is ProjectState.ACCEPTED and choice < 4:
            assert p.accepted_on is not None
            await self.disclose(fid, p, p.accepted_on + timedelta(days=(choice + 1) % 4 - 1))
        elif p.state is ProjectState.APPROVED and p.paid == p.approved_amount and choice < 8:
            await self.accept(fid, p, min(on, self.now()))
        elif p.state is ProjectState.ACCEPTED and p.paid == p.approved_amount and choice < 8:
            assert p.accepted_on is not None
            await self.disclose(fid, p, p.accepted_on + timedelta(days=choice))
        elif p.state in OPEN_STATES and (choice < 9 or not p.payments):
            if choice % 2 == 0:  # on or after the latest allocation: the money has arrived
                on = max([on, *(date.fromisoformat(r.payload["effective_on"]) for r in rows
                                if r.event_type == "Fund.Allocated")])
            await self.pay(fid, p, share(p.approved_amount - p.paid, quarters), on)
        elif p.payments:  # reverse one of its payments (or, refused, a reversed one again)
            pay = f.payments[p.payments[choice % len(p.payments)]]
            await self.reverse(fid, pay.id, pay.paid_on + timedelta(days=choice * 3))

    async def _wrap_up(self, fi: int) -> None:
        """Finish every open project of a fund, the way each state allows."""
        fid, f, _ = await self._target(fi)
        for p in list(f.projects.values()):
            if p.state is ProjectState.PROPOSED or (p.state is ProjectState.APPROVED and not p.paid):
                await self.cancel(fid, p)
            elif p.state is ProjectState.DECIDED:
                await self.reject(fid, p)
            elif p.state in OPEN_STATES:
                on = p.accepted_on or self.now()
                if p.state is ProjectState.APPROVED:
                    await self.accept(fid, p, on)
                await self.disclose(fid, p, on)

    async def _close(self, fi: int, after: int, how: YearEnd | None) -> None:
        fid, f, _ = await self._target(fi)
        on = date(f.year, 12, 31) + timedelta(days=after)
        out = await self.attempt("close", lambda: self.commands.close_fiscal_year(
            self.req(), fid, on, how))
        if out is not None and out.extra.get("next_fund_id"):
            assert UUID(out.extra["next_fund_id"]) in self.funds

    async def _year_end(self, fi: int, after: int, how: YearEnd | None) -> None:
        """Finish the fund's projects, wait for the closing day, close the year."""
        await self._wrap_up(fi)
        _, f, _ = await self._target(fi)
        on = date(f.year, 12, 31) + timedelta(days=after)
        if on > self.now():
            self.advance((on - self.now()).days)
        await self._close(fi, after, how)

    async def _open(self, n: int) -> None:
        year = FIRST_YEAR + n
        out = await self.attempt("open", lambda: self.commands.open_fund(
            self.req(), self.organization, year, FundKind.SERVICE_FUND))
        if out is not None:
            assert out.id == fund_id(self.organization, year, FundKind.SERVICE_FUND)
            assert out.id in self.funds

    async def _tick(self, days: int) -> None:
        self.advance(days)


# -- the unit test: the in-memory store -----------------------------------------------------


async def run_in_memory(scenario: tuple[int, list[tuple[Any, ...]]]) -> Scenario:
    start, steps = scenario
    w = await world()
    w.clock.now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC) + timedelta(days=start)
    commands = w.commands
    finance = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    first = (await commands.open_fund(Request(finance, uuid4()), w.east, FIRST_YEAR,
                                      FundKind.SERVICE_FUND)).id
    s = Scenario(
        commands=commands, store=w.store, now=lambda: w.clock.now.date(), advance=w.clock.advance,
        organization=w.east, finance=finance,
        approver=actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin"),
        proposer_approving=actor(Role.STREET_ADMIN, Role.FINANCE_OFFICER, scope=w.street,
                                 subject="finance-east"),
        funds=[first],
    )
    await s.check()
    await s.run(steps)
    return s


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(FULL_HISTORY)
@given(SCENARIO)
def test_the_aggregate_and_the_auditors_fold_agree_on_every_balance_at_every_position(
    scenario: tuple[int, list[tuple[Any, ...]]],
) -> None:
    asyncio.run(run_in_memory(scenario))


def test_the_full_history_reaches_every_kind_of_fund_event() -> None:
    """The fixed example above really exercises what the property is about."""
    s = asyncio.run(run_in_memory(FULL_HISTORY))
    types = Counter(e.event_type for e in s.store.events if e.stream_type == "Fund")
    for kind in ("Opened", "Allocated", "ProjectProposed", "ProjectDecisionRecorded",
                 "ProjectApproved", "ProjectRejected", "ProjectCancelled", "PaymentRecorded",
                 "PaymentReversed", "ProjectAccepted", "DisclosurePublished", "YearClosed",
                 "ProjectCarriedOut", "ProjectCarriedIn"):
        assert types[f"Fund.{kind}"] > 0, kind
    assert len(s.funds) == 2 and types["Fund.YearClosed"] == 2
    for refused in ("approve NOT_AUTHORIZED", "approve INSUFFICIENT_FUNDS",
                    "pay INSUFFICIENT_FUNDS", "pay AMOUNT_EXCEEDS_APPROVAL",
                    "close PROJECTS_STILL_OPEN", "allocate FUND_CLOSED"):
        assert s.tally[f"refused {refused}"] == 1, refused
