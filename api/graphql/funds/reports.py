"""The reporting cycle in the schema: a fund's briefings, half-year check and yearly
evaluation, the overdue list, and the mutations that record them
(``domain/funds/reporting.py`` has the rules and the deadlines)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from api import views
from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import subtree_condition
from api.graphql.funds.plan_errors import FundReportAlreadyRecorded
from api.graphql.funds.queries import load_fund
from api.graphql.funds.types import Fund, fund
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from domain.funds.plan_commands import RecordFundBriefing, RecordHalfYearCheck, RecordYearlyEvaluation
from domain.funds.reporting import DocumentRef, EvaluationRating, ReportKind
from domain.shared.commands import Outcome

strawberry.enum(ReportKind, description="A report of the service projects' cycle: 每月通报 (monthly briefing),"
                                        " 半年检查 (half-year check), 年度评估 (yearly evaluation).")
strawberry.enum(EvaluationRating, description="A yearly evaluation's rating: 优秀, 良好, 合格, 不合格.")

MAX_OVERDUE = 2000
"""The most rows the overdue list answers (a district's communities × the reports they miss)."""


@strawberry.type(description="A document a report refers to, with the SHA-256 of its bytes.")
class DocumentReference:
    url: str = strawberry.field(description="Where the document is (http or https).")
    sha256: str = strawberry.field(description="SHA-256 of the document's bytes, 64 lowercase hex digits.")


@strawberry.type(description="A recorded report of a fund's cycle: who did it, when, what it found.")
class FundReport:
    id: strawberry.ID = strawberry.field(description="The report.")
    kind: ReportKind = strawberry.field(description="Which report.")
    period: str = strawberry.field(description="The period reported on: 2026-03, 2026-H1 or 2026.")
    done_on: date = strawberry.field(description="When it was done (business date).")
    rating: EvaluationRating | None = strawberry.field(description="A yearly evaluation's rating.")
    summary: str = strawberry.field(description="What it found.")
    documents: list[DocumentReference] = strawberry.field(description="The documents it refers to.")
    recorded_by: str = strawberry.field(description="Who recorded it (token subject); the log has the roles.")
    recorded_at: datetime = strawberry.field(description="When the log recorded it.")
    position: int = strawberry.field(description="Log position of its event.")


@strawberry.type(description="A report a fund owes that is past its deadline.")
class OverdueFundReport:
    fund_row: strawberry.Private[asyncpg.Record]
    kind: ReportKind = strawberry.field(description="Which report is missing.")
    period: str = strawberry.field(description="The period it reports on.")
    due_on: date = strawberry.field(description="Its deadline.")
    overdue_since: date = strawberry.field(description="The first day it was overdue (the day after the deadline).")
    days_overdue: int = strawberry.field(description="Days from overdueSince to asOf, counting both.")

    @strawberry.field(description="The fund that owes it.")
    def fund(self) -> Fund:
        return fund(self.fund_row)

    @strawberry.field(description="The fund's organization.")
    async def organization(self, info: Info) -> Organization | None:
        return await load_organization(info, self.fund_row["organization_id"])


def report(r: asyncpg.Record) -> FundReport:
    docs = json.loads(r["documents"]) if isinstance(r["documents"], str) else r["documents"]
    return FundReport(id=strawberry.ID(str(r["id"])), kind=ReportKind(r["kind"]), period=r["period"],
                      done_on=r["done_on"], rating=EvaluationRating(r["rating"]) if r["rating"] else None,
                      summary=r["summary"], documents=[DocumentReference(url=d["url"], sha256=d["sha256"])
                                                       for d in docs],
                      recorded_by=r["recorded_by"], recorded_at=r["recorded_at"], position=r["position"])


@strawberry.type(description="Fields of a fund that come from its reporting cycle.")
class FundReportFields:
    @strawberry.field(description="Its recorded briefings, half-year check and yearly evaluation, in period order.")
    async def reports(self, info: Info, kind: ReportKind | None = None) -> list[FundReport]:
        rows = await info.context.loaders.reports_of_fund.load(self.row["id"])  # type: ignore[attr-defined]
        return [report(r) for r in rows if kind is None or r["kind"] == kind.value]


@strawberry.type(description="Read the reporting cycle.")
class ReportQueries:
    @strawberry.field(description="The reports that funds in your scope owe and have missed: which fund misses which"
                                  " report since when, as of a date (default today). Only funds of the reporting"
                                  " kinds (configuration); briefings are owed from the month a fund's first money"
                                  " arrived; a report done after asOf counts as missing then."
                                  f" At most {MAX_OVERDUE}, oldest deadline first.")
    async def fund_reports_overdue(self, info: Info, within: strawberry.ID | None = None, as_of: date | None = None,
                                   kind: ReportKind | None = None) -> list[OverdueFundReport]:
        on = as_of or info.context.today()
        rules = info.context.settings.funds.reporting_rules
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "f.organization_id")
        if within is not None:
            subtree_condition(c, "f.organization_id", within, "within")
        c.add("f.kind = ANY(?::text[])", sorted(k.value for k in rules.kinds))
        c.add("f.year <= ?", on.year)
        rows = await info.context.pool.fetch(
            f"""
            SELECT f.*, coalesce((SELECT jsonb_agg(jsonb_build_array(r.kind, r.period, r.done_on))
                                    FROM fund_reports r WHERE r.fund_id = f.id), '[]') AS done,
                   (SELECT min(m.business_date) FROM fund_movements m
                     WHERE m.fund_id = f.id AND m.movement IN ('ALLOCATION', 'CARRY_IN', 'GRANT_IN')
                       AND m.amount > 0) AS funded_on
              FROM funds f
             WHERE {c.where}
             ORDER BY f.year, f.organization_id, f.id
            """,
            *c.args,
        )
        found = []
        for r in rows:
            raw = json.loads(r["done"]) if isinstance(r["done"], str) else r["done"]
            done = {(ReportKind(k), p): date.fromisoformat(d) for k, p, d in raw}
            for due in rules.overdue(r["year"], r["funded_on"], done, on):
                if kind is not None and due.kind is not kind:
                    continue
                since = date.fromordinal(due.due_on.toordinal() + 1)
                found.append(OverdueFundReport(fund_row=r, kind=due.kind, period=due.period, due_on=due.due_on,
                                               overdue_since=since, days_overdue=(on - since).days + 1))
        found.sort(key=lambda o: (o.due_on, o.fund_row["organization_id"], o.kind.value))
        return found[:MAX_OVERDUE]


# -- mutations ------------------------------------------------------------------------------

_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")
_VERSION = "The fund's reports stream version you last saw; if it moved on you get VersionConflict."


@strawberry.input(description="A document a report refers to.")
class DocumentReferenceInput:
    url: str = strawberry.field(description="An http(s) address: at most 500 characters.")
    sha256: str = strawberry.field(description="SHA-256 of the document's bytes: a 64-character hex string.")


@strawberry.input(description="A fund's monthly briefing (每月通报).")
class RecordFundBriefingInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund briefed on.")
    month: int = strawberry.field(description="The month of the fund's year it reports on: 1–12.")
    done_on: date = strawberry.field(description="When: on or after the month's first day, not ahead of today.")
    summary: str = strawberry.field(description="What was briefed: 1–2000 characters.")
    documents: list[DocumentReferenceInput] | None = strawberry.field(
        default=None, description="Document references: at most 20.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="The street's half-year check (半年检查) of a fund.")
class RecordHalfYearCheckInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund checked.")
    done_on: date = strawberry.field(description="When: on or after 1 June of the fund's year, not ahead of today.")
    summary: str = strawberry.field(description="What the check found: 1–2000 characters.")
    documents: list[DocumentReferenceInput] | None = strawberry.field(
        default=None, description="Document references: at most 20.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input(description="The yearly evaluation (年度评估) of a fund, by the street or the district.")
class RecordYearlyEvaluationInput:
    fund_id: strawberry.ID = strawberry.field(description="The fund evaluated.")
    done_on: date = strawberry.field(description="When: on or after 1 December of the fund's year, not ahead of"
                                                 " today.")
    rating: EvaluationRating = strawberry.field(description="The rating.")
    summary: str = strawberry.field(description="The evaluation: 1–2000 characters.")
    documents: list[DocumentReferenceInput] | None = strawberry.field(
        default=None, description="Document references: at most 20.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.type(description="A report as the read model has it after it was recorded.")
class FundReportPayload:
    fund_id: strawberry.Private[UUID]
    report_id: strawberry.Private[UUID]
    position: int = strawberry.field(description="Log position of the change.")

    @strawberry.field(description="The report recorded.")
    async def report(self, info: Info) -> FundReport | None:
        if await load_fund(info, self.fund_id) is None:
            return None
        row = await info.context.pool.fetchrow("SELECT * FROM fund_reports WHERE id = $1", self.report_id)
        return report(row) if row is not None else None

    @strawberry.field(description="The fund reported on.")
    async def fund(self, info: Info) -> Fund | None:
        return await load_fund(info, self.fund_id)


_RESULT = (FundReportPayload, FundReportAlreadyRecorded)
RecordFundBriefingResult = result_union("RecordFundBriefingResult", *_RESULT)
RecordHalfYearCheckResult = result_union("RecordHalfYearCheckResult", *_RESULT)
RecordYearlyEvaluationResult = result_union("RecordYearlyEvaluationResult", *_RESULT)


def _documents(given: list[DocumentReferenceInput] | None) -> tuple[DocumentRef, ...]:
    return tuple(DocumentRef(d.url, d.sha256) for d in given or ())


def _payload(o: Outcome) -> Any:
    async def present() -> FundReportPayload:
        return FundReportPayload(fund_id=UUID(o.extra["fund_id"]), report_id=UUID(o.extra["report_id"]),
                                 position=o.position)
    return present()


@strawberry.type(description="Record the reporting cycle.")
class ReportMutations:
    @strawberry.mutation(description="Record a fund's monthly briefing (每月通报): by the community or from above it.")
    async def record_fund_briefing(self, info: Info, input: RecordFundBriefingInput) -> RecordFundBriefingResult:
        return await execute(info, input, lambda: RecordFundBriefing(
            fund_id=parse_id(input.fund_id, "fundId"), month=input.month, done_on=input.done_on,
            summary=input.summary, documents=_documents(input.documents)), _payload)

    @strawberry.mutation(description="Record the half-year check (半年检查) of a fund: by the street, strictly above"
                                     " the fund's organization.")
    async def record_half_year_check(self, info: Info, input: RecordHalfYearCheckInput) -> RecordHalfYearCheckResult:
        return await execute(info, input, lambda: RecordHalfYearCheck(
            fund_id=parse_id(input.fund_id, "fundId"), done_on=input.done_on, summary=input.summary,
            documents=_documents(input.documents)), _payload)

    @strawberry.mutation(description="Record the yearly evaluation (年度评估) of a fund, with a rating: by the street"
                                     " or the district, strictly above the fund's organization.")
    async def record_yearly_evaluation(self, info: Info,
                                       input: RecordYearlyEvaluationInput) -> RecordYearlyEvaluationResult:
        return await execute(info, input, lambda: RecordYearlyEvaluation(
            fund_id=parse_id(input.fund_id, "fundId"), done_on=input.done_on, rating=input.rating,
            summary=input.summary, documents=_documents(input.documents)), _payload)
