"""The fund money rules agree in PostgreSQL too: aggregate, auditors' fold and read models.

The same random command sequences as ``tests/unit/funds/test_money_rules_agree.py``
(its ``Scenario`` and strategies), run through the real command handling
on the ``PostgresEventStore`` of a fresh database per example (cloned from the session's
migrated template). After every command that succeeds the ``funds`` and
``fund_movements`` projections are caught up to the head and each fund's row and
projects must equal the aggregate replayed from the log. At the end of each sequence:
every ``fund_movements`` row (amount and running balance) must equal the aggregate
replayed to that row's version; ``api/audit.fund_balance_on`` and the ledger's sums by
business date must equal the aggregate's ``balance_on`` on many dates, and so must the
bitemporal ``fund_balance_on(..., as_recorded_at=K)`` equal the aggregate replayed from the
events recorded by K, for every recorded instant K; and
``api/audit.fund_as_of``, folding and replaying, must equal the aggregate replayed from
the events recorded up to each recorded instant.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
from hypothesis import HealthCheck, example, given, settings

from api.audit import fund_as_of, fund_balance_on
from domain.funds.aggregate import FundKind
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.money import ZERO
from domain.shared.permissions import Actor, Role
from domain.shared.ports import RecordedEvent
from eventstore.db import create_pool
from projections.fund_movements import projection as fund_movements
from projections.funds import projection as funds_projection
from tests.integration.support import ACTOR, catch_up, commands
from tests.unit.fakes import Clock
from tests.unit.funds.test_money_rules_agree import (
    FIRST_YEAR,
    FULL_HISTORY,
    SCENARIO,
    Scenario,
    aggregate_figures,
    aggregate_projects,
    probe_dates,
    replay,
)


def _movement(r: RecordedEvent) -> str | None:
    """The ledger's name for an event's movement of money (None: it moves none)."""
    p = r.payload
    return {"Fund.Allocated": "CARRY_IN" if p.get("carried_from") else "ALLOCATION",
            "Fund.PaymentRecorded": "PAYMENT", "Fund.PaymentReversed": "REVERSAL",
            "Fund.YearClosed": "CARRY_OUT" if p.get("disposition") == "CARRY_OVER" else "RETURN",
            "Fund.ProjectCarriedOut": "CARRY_OUT", "Fund.ProjectCarriedIn": "CARRY_IN",
            }.get(r.event_type)


_BUSINESS_DATE = {"Fund.Allocated": "effective_on", "Fund.PaymentRecorded": "paid_on",
                  "Fund.PaymentReversed": "reversed_on", "Fund.YearClosed": "closed_on",
                  "Fund.ProjectCarriedOut": "carried_on", "Fund.ProjectCarriedIn": "effective_on"}


def _database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


class ReadModels:
    """The two fund projections over one example's database, and what they must show."""

    def __init__(self, dsn: str, pool: asyncpg.Pool) -> None:
        self.dsn, self.pool = dsn, pool

    async def catch_up(self) -> None:
        for projection in (funds_projection, fund_movements):
            await catch_up(self.dsn, projection)

    async def after_success(self, s: Scenario) -> None:
        """Caught up to the head, each fund's row and projects equal the aggregate."""
        await self.catch_up()
        streams = await s.streams()
        assert await self.pool.fetchval("SELECT count(*) FROM funds") == len(streams)
        for fid, rows in streams.items():
            await self.check_fund_row(fid, rows)

    async def check_fund_row(self, fid: UUID, rows: list[RecordedEvent]) -> None:
        agg = replay(rows)
        row = await self.pool.fetchrow("SELECT * FROM funds WHERE id = $1", fid)
        assert row is not None, fid
        where = f"funds row {fid} at version {agg.version}"
        figures = aggregate_figures(agg)
        assert {"version": row["version"], "allocated": row["allocated"],
                "committed": row["committed"], "paid": row["paid"],
                "moved_out": row["moved_out"], "balance": row["balance"],
                "available": row["available"], "closed": row["status"] == "CLOSED"} == figures, where
        assert row["last_position"] == rows[-1].position, where
        assert (row["organization_id"], row["year"], row["kind"]) == (
            agg.organization_id, agg.year, agg.kind.value), where
        closing = next((r.payload for r in rows if r.event_type == "Fund.YearClosed"), None)
        # The next fund: where the balance went, or where the carried projects went.
        went = {UUID(r.payload["next_fund_id"]) for r in rows
                if r.event_type in ("Fund.YearClosed", "Fund.ProjectCarriedOut") and r.payload["next_fund_id"]}
        assert len(went) <= 1, where
        assert (row["closed_on"], row["year_end"], row["next_fund_id"]) == (
            (None, None, None) if closing is None else (
                date.fromisoformat(closing["closed_on"]), closing["disposition"],
                next(iter(went), None))), where
        projects = await self.pool.fetch("SELECT * FROM projects WHERE fund_id = $1", fid)
        assert {str(p["id"]): (p["state"], p["title"], p["category"], p["amount"],
                               p["approved_amount"] or ZERO, p["paid"])
                for p in projects} == aggregate_projects(agg), where
        last = await self.pool.fetchrow(
            "SELECT version, balance_after FROM fund_movements WHERE fund_id = $1"
            " ORDER BY version DESC LIMIT 1", fid)
        assert last is not None and (last["version"], last["balance_after"]) == (
            agg.version, agg.balance), where

    async def check_history(self, s: Scenario) -> None:
        await self.catch_up()
        for fid, rows in (await s.streams()).items():
            await self.check_fund_row(fid, rows)
            await self.check_ledger(fid, rows)
            await self.check_balance_on(fid, rows)
            await self.check_balance_on_as_recorded(fid, rows)
            await self.check_as_of(fid, rows)

    async def check_ledger(self, fid: UUID, rows: list[RecordedEvent]) -> None:
        """Every ledger row: the event's effect, and the balance replayed to its version."""
        ledger = await self.pool.fetch(
            "SELECT * FROM fund_movements WHERE fund_id = $1 ORDER BY version", fid)
        assert [m["version"] for m in ledger] == [r.version for r in rows], fid
        before = ZERO
        for n, (m, r) in enumerate(zip(ledger, rows, strict=True), start=1):
            after = replay(rows[:n]).balance
            where = f"fund_movements {fid} version {r.version} ({r.event_type})"
            assert (m["position"], m["event_type"]) == (r.position, r.event_type), where
            assert m["balance_after"] == after, where
            assert m["amount"] == after - before, where
            assert m["movement"] == _movement(r), where
            if r.event_type in _BUSINESS_DATE:
                assert m["business_date"] == date.fromisoformat(
                    r.payload[_BUSINESS_DATE[r.event_type]]), where
            else:
                assert m["amount"] == ZERO, where
            before = after

    async def check_balance_on(self, fid: UUID, rows: list[RecordedEvent]) -> None:
        """``balanceOn`` from the log (api/audit) and from the ledger equal the aggregate's."""
        agg = replay(rows)
        for d in probe_dates(rows):
            expected = agg.balance_on(d)
            assert await fund_balance_on(self.pool, fid, d) == expected, (fid, d)
            summed = await self.pool.fetchval(
                "SELECT coalesce(sum(amount), 0) FROM fund_movements"
                " WHERE fund_id = $1 AND business_date <= $2", fid, d)
            assert summed == expected, (fid, d)

    async def check_balance_on_as_recorded(self, fid: UUID, rows: list[RecordedEvent]) -> None:
        """Bitemporal ``balanceOn(date, asRecordedAt)``: for every recorded instant K, the
        SQL fold of the events recorded by K equals the aggregate replayed from exactly
        those events, on the business dates the events recorded at K touch (the day before
        each, the day itself) and at the year's end; before the first event there is none."""
        first = min(r.recorded_at for r in rows)
        assert await fund_balance_on(self.pool, fid, date.max, first - timedelta(microseconds=1)) is None
        year = int(rows[0].payload["year"])
        for at in sorted({r.recorded_at for r in rows}):
            agg = replay([r for r in rows if r.recorded_at <= at])
            touched = {date.fromisoformat(r.payload[k]) for r in rows if r.recorded_at == at
                       for k in _BUSINESS_DATE.values() if isinstance(r.payload.get(k), str)}
            for d in sorted({date(year, 12, 31), *touched, *(t - timedelta(days=1) for t in touched)}):
                assert await fund_balance_on(self.pool, fid, d, at) == agg.balance_on(d), (fid, at, d)

    async def check_as_of(self, fid: UUID, rows: list[RecordedEvent]) -> None:
        """``asOf`` each recorded instant, folded and replayed, equals the aggregate then."""
        first = min(r.recorded_at for r in rows)
        assert await fund_as_of(self.pool, fid, first - timedelta(microseconds=1)) is None
        for at in sorted({r.recorded_at for r in rows}):
            upto = [r for r in rows if r.recorded_at <= at]
            agg = replay(upto)
            expected = {"version": agg.version, "position": upto[-1].position,
                        "allocated": agg.allocated, "paid": agg.paid,
                        "committed": agg.committed, "balance": agg.balance,
                        "available": agg.available, "closed": agg.closed,
                        "projects": {k: (v[0], v[1], v[2], v[3], v[4], v[5])
                                     for k, v in aggregate_projects(agg).items()}}
            for replaying in (False, True):
                state = await fund_as_of(self.pool, fid, at, aggregate=replaying)
                assert state is not None, (fid, at)
                assert {"version": state.version, "position": state.position,
                        "allocated": state.allocated, "paid": state.paid,
                        "committed": state.committed, "balance": state.balance,
                        "available": state.available, "closed": state.closed,
                        "projects": {str(p.id): (p.state, p.title, p.category, p.amount,
                                                 p.approved, p.paid) for p in state.projects},
                        } == expected, (fid, at, state.method)


async def run_in_postgres(admin_dsn: str, template: str,
                          scenario: tuple[int, list[tuple[Any, ...]]]) -> Scenario:
    start, steps = scenario
    name = f"grassroots_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    dsn = _database(admin_dsn, name)
    try:
        pool = await create_pool(dsn, min_size=1, max_size=4)
        try:
            return await _run(dsn, pool, start, steps)
        finally:
            await pool.close()
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _run(dsn: str, pool: asyncpg.Pool, start: int, steps: list[tuple[Any, ...]]) -> Scenario:
    clock = Clock(datetime(2026, 7, 1, 9, 0, tzinfo=UTC) + timedelta(days=start))
    uc = commands(pool, clock)
    K = OrganizationKind

    def req(who: Actor = ACTOR) -> Request:
        return Request(who, uuid.uuid4())

    district = (await uc.establish_organization(req(), K.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    street = (await uc.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "平江街道党工委", district, "320508019000")).id
    community = (await uc.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "平江新村社区党委", street, "320508019001")).id
    finance = Actor(subject="finance", name="F", roles=frozenset({Role.FINANCE_OFFICER}),
                    scope=community)
    first = (await uc.open_fund(req(finance), community, FIRST_YEAR, FundKind.SERVICE_FUND)).id
    read = ReadModels(dsn, pool)
    s = Scenario(
        commands=uc, store=uc.store, now=lambda: clock.now.date(), advance=clock.advance,
        organization=community, finance=finance,
        approver=Actor(subject="street-admin", name="S", roles=frozenset({Role.STREET_ADMIN}),
                       scope=street),
        proposer_approving=Actor(subject="finance", name="F",
                                 roles=frozenset({Role.STREET_ADMIN, Role.FINANCE_OFFICER}),
                                 scope=street),
        funds=[first], after_success=read.after_success,
    )
    await s.check()
    await s.run(steps)
    await read.check_history(s)
    return s


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@example(FULL_HISTORY)
@given(SCENARIO)
def test_the_aggregate_the_fold_and_the_read_models_agree_on_every_balance(
    admin_dsn: str, template_db: str, scenario: tuple[int, list[tuple[Any, ...]]],
) -> None:
    asyncio.run(run_in_postgres(admin_dsn, template_db, scenario))
