"""The reporting cycle of a fund's service projects: 每月通报、半年检查、年度评估 (seed 003).

Each fund of a reporting kind owes, for its year:

- a monthly briefing (每月通报) for every month from the one its first money arrived in
  (a business date, so backfilled funds owe what their money did), due by the
  ``briefing_day``-th of the following month;
- a half-year check (半年检查) by the street, due ``half_year_days`` after 30 June;
- a yearly evaluation (年度评估) by the street or the district, with a rating, due
  ``yearly_days`` after 31 December.

The records live in one stream per fund (its id derived from the fund's), so "one
record per report" is a rule of that stream, guarded by its version. What is overdue
is a function of the records, the fund's first money and a date (``overdue``): the queries
compute it from the read models and the (injectable) clock; nothing is recorded when a
deadline passes.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.funds.aggregate import MAX_LONG_TEXT, FundKind, check_text
from domain.shared.errors import AlreadyExists, InvalidInput

REPORTS_NAMESPACE = UUID("5c2d8e0a-1f4b-4a6e-b0d7-3e9a8c26f026")
MAX_DOCUMENTS, MAX_URL = 20, 500
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ReportKind(enum.Enum):
    """Which report of the cycle."""

    MONTHLY_BRIEFING = "MONTHLY_BRIEFING"  # 每月通报
    HALF_YEAR_CHECK = "HALF_YEAR_CHECK"  # 半年检查
    YEARLY_EVALUATION = "YEARLY_EVALUATION"  # 年度评估


class EvaluationRating(enum.Enum):
    """A yearly evaluation's rating."""

    EXCELLENT = "EXCELLENT"  # 优秀
    GOOD = "GOOD"  # 良好
    PASS = "PASS"  # 合格
    FAIL = "FAIL"  # 不合格


@dataclass(frozen=True)
class DocumentRef:
    """A document a report refers to: where it is and the SHA-256 of its bytes, so anyone can
    later check that the document shown is the one referred to."""

    url: str
    sha256: str


@dataclass(frozen=True)
class Due:
    """A report a fund owes, and by when."""

    kind: ReportKind
    period: str
    """``2026-03`` (a month), ``2026-H1``, ``2026``."""
    due_on: date


@dataclass(frozen=True)
class FundReportingRules:
    """Local deadlines of the cycle (configuration: ``GRASSROOTS_FUND_BRIEFING_DAY`` ...)."""

    briefing_day: int = 10
    """A month's briefing is due by this day of the next month."""
    half_year_days: int = 15
    """The half-year check is due this many days after 30 June."""
    yearly_days: int = 31
    """The yearly evaluation is due this many days after 31 December."""
    kinds: frozenset[FundKind] = field(default_factory=lambda: frozenset({FundKind.SERVICE_FUND}))
    """The fund kinds whose projects report (the overdue lists look only at these)."""

    def __post_init__(self) -> None:
        if not 1 <= self.briefing_day <= 28:
            raise ValueError("a briefing is due by a day from 1 to 28 of the next month")
        if self.half_year_days < 0 or self.yearly_days < 0:
            raise ValueError("a report is due on or after the end of its period")

    def due(self, year: int, funded_on: date | None) -> list[Due]:
        """Every report a fund of ``year`` owes, in due order. Its briefings begin with the month
        its first money arrived (``funded_on``, a business date: the first allocation, carry-in
        or grant); a fund that has received nothing has nothing to brief on, but is still checked
        and evaluated."""
        first = 13 if funded_on is None or funded_on.year > year else (
            funded_on.month if funded_on.year == year else 1)
        found = []
        for month in range(first, 13):
            nxt = date(year + (month == 12), month % 12 + 1, self.briefing_day)
            found.append(Due(ReportKind.MONTHLY_BRIEFING, month_period(year, month), nxt))
        found.append(Due(ReportKind.HALF_YEAR_CHECK, f"{year}-H1", date(year, 6, 30) + timedelta(self.half_year_days)))
        found.append(Due(ReportKind.YEARLY_EVALUATION, str(year), date(year, 12, 31) + timedelta(self.yearly_days)))
        return sorted(found, key=lambda d: (d.due_on, d.kind.value))

    def overdue(self, year: int, funded_on: date | None, done: dict[tuple[ReportKind, str], date],
                as_of: date) -> list[Due]:
        """The reports due before ``as_of`` and not done on or before it (``done``: the date
        each recorded report was done)."""
        return [d for d in self.due(year, funded_on)
                if d.due_on < as_of and not (done.get((d.kind, d.period)) or date.max) <= as_of]


def month_period(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def reports_id(fund_id: UUID) -> UUID:
    """The stream id of a fund's reports (one stream per fund)."""
    return uuid.uuid5(REPORTS_NAMESPACE, f"reports/{fund_id}")


def check_documents(documents: tuple[DocumentRef, ...]) -> list[dict[str, str]]:
    """Document references: http(s) URLs of at most 500 characters, SHA-256 as 64 hex digits."""
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidInput(f"at most {MAX_DOCUMENTS} documents", field="documents")
    found = []
    for d in documents:
        url = d.url.strip()
        parts = urlsplit(url)
        if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput(f"a document's url is an http(s) address of at most {MAX_URL} characters",
                               field="documents.url")
        digest = d.sha256.strip().lower()
        if not _SHA256.match(digest):
            raise InvalidInput("a document's sha256 is 64 hexadecimal digits", field="documents.sha256")
        found.append({"url": url, "sha256": digest})
    return found


class FundReports(Aggregate):
    """The reporting cycle's records of one fund."""

    class Started(Aggregate.Created):
        fund_id: UUID
        organization_id: UUID
        year: int

    @event(Started)
    def __init__(self, fund_id: UUID, organization_id: UUID, year: int) -> None:
        self.fund_id = fund_id
        self.organization_id = organization_id
        self.year = year
        self.done: dict[tuple[ReportKind, str], UUID] = {}

    @classmethod
    def create_id(cls, fund_id: UUID, **_: object) -> UUID:
        return reports_id(fund_id)

    def _check(self, kind: ReportKind, period: str, done_on: date, earliest: date, today: date,
               summary: str, documents: tuple[DocumentRef, ...]) -> tuple[str, list[dict[str, str]]]:
        if done_on > today:
            raise InvalidInput(f"the report is dated {done_on.isoformat()}, after today", field="doneOn")
        if done_on < earliest:
            raise InvalidInput(f"a report on {period} is dated on or after {earliest.isoformat()}", field="doneOn")
        text, docs = check_text(summary, "summary", MAX_LONG_TEXT), check_documents(documents)
        if (kind, period) in self.done:
            raise FundReportAlreadyRecorded(f"the {kind.value} for {period} is already recorded", field="doneOn")
        return text, docs

    def record_briefing(self, month: int, done_on: date, summary: str, documents: tuple[DocumentRef, ...],
                        by: str, today: date) -> UUID:
        if not 1 <= month <= 12:
            raise InvalidInput("month is from 1 to 12", field="month")
        period = month_period(self.year, month)
        text, docs = self._check(ReportKind.MONTHLY_BRIEFING, period, done_on, date(self.year, month, 1), today,
                                 summary, documents)
        report = uuid4()
        self._briefing_recorded(report_id=report, period=period, month=month, done_on=done_on, summary=text,
                                documents=docs, recorded_by=by)
        return report

    @event("BriefingRecorded")
    def _briefing_recorded(self, report_id: UUID, period: str, month: int, done_on: date, summary: str,
                           documents: list[dict[str, str]], recorded_by: str) -> None:
        self.done[(ReportKind.MONTHLY_BRIEFING, period)] = report_id

    def record_half_year_check(self, done_on: date, summary: str, documents: tuple[DocumentRef, ...], by: str,
                               today: date) -> UUID:
        period = f"{self.year}-H1"
        # The check looks back on the half year: not before its last month began.
        text, docs = self._check(ReportKind.HALF_YEAR_CHECK, period, done_on, date(self.year, 6, 1), today,
                                 summary, documents)
        report = uuid4()
        self._half_year_check_recorded(report_id=report, period=period, done_on=done_on, summary=text,
                                       documents=docs, recorded_by=by)
        return report

    @event("HalfYearCheckRecorded")
    def _half_year_check_recorded(self, report_id: UUID, period: str, done_on: date, summary: str,
                                  documents: list[dict[str, str]], recorded_by: str) -> None:
        self.done[(ReportKind.HALF_YEAR_CHECK, period)] = report_id

    def record_yearly_evaluation(self, done_on: date, rating: EvaluationRating, summary: str,
                                 documents: tuple[DocumentRef, ...], by: str, today: date) -> UUID:
        period = str(self.year)
        text, docs = self._check(ReportKind.YEARLY_EVALUATION, period, done_on, date(self.year, 12, 1), today,
                                 summary, documents)
        report = uuid4()
        self._yearly_evaluation_recorded(report_id=report, period=period, done_on=done_on, rating=rating,
                                         summary=text, documents=docs, recorded_by=by)
        return report

    @event("YearlyEvaluationRecorded")
    def _yearly_evaluation_recorded(self, report_id: UUID, period: str, done_on: date, rating: EvaluationRating,
                                    summary: str, documents: list[dict[str, str]], recorded_by: str) -> None:
        self.done[(ReportKind.YEARLY_EVALUATION, period)] = report_id


class FundReportAlreadyRecorded(AlreadyExists):
    """The fund's report for this period is already recorded: one briefing per month, one
    half-year check, one yearly evaluation per fund."""

    code = "FUND_REPORT_ALREADY_RECORDED"
