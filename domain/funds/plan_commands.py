"""Commands of a fund's yearly plan and of its reporting cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.funds.plans import LineInput
from domain.funds.reporting import DocumentRef, EvaluationRating
from domain.shared.commands import Command
from domain.shared.permissions import ABOVE, LOCAL


@dataclass(frozen=True)
class PlanCommand(Command):
    """A command on one fund's plan (the plan's stream is derived from the fund)."""

    fund_id: UUID


@dataclass(frozen=True)
class ProposeFundPlan(PlanCommand):
    """The two committees' proposal (两委提议) of the plan's first version or an amendment."""

    action = "proposeFundPlan"
    allowed = LOCAL
    lines: tuple[LineInput, ...]
    meeting_on: date
    resolution: str


@dataclass(frozen=True)
class RecordPlanAssembly(PlanCommand):
    """The residents' (representative) assembly's resolution (居民(代表)会议) on a version."""

    action = "recordPlanAssembly"
    allowed = LOCAL
    version: int
    meeting_on: date
    attendees: int
    resolution: str


@dataclass(frozen=True)
class ApproveFundPlan(PlanCommand):
    action = "approveFundPlan"
    allowed = ABOVE
    structural = True
    version: int
    reason: str | None = None


@dataclass(frozen=True)
class ReturnFundPlan(PlanCommand):
    action = "returnFundPlan"
    allowed = ABOVE
    structural = True
    version: int
    reason: str = ""


@dataclass(frozen=True)
class LinkProjectToPlan(PlanCommand):
    action = "linkProjectToPlan"
    allowed = LOCAL
    project_id: UUID
    line_id: UUID | None = None
    """None: unlink (the project becomes unplanned)."""


@dataclass(frozen=True)
class RecordFundBriefing(PlanCommand):
    """A month's briefing (每月通报): by the community or from above it."""

    action = "recordFundBriefing"
    allowed = LOCAL | ABOVE
    month: int
    done_on: date
    summary: str
    documents: tuple[DocumentRef, ...] = ()


@dataclass(frozen=True)
class RecordHalfYearCheck(PlanCommand):
    """The half-year check (半年检查), by the street: strictly above the fund's organization."""

    action = "recordHalfYearCheck"
    allowed = ABOVE
    structural = True
    done_on: date
    summary: str
    documents: tuple[DocumentRef, ...] = ()


@dataclass(frozen=True)
class RecordYearlyEvaluation(PlanCommand):
    """The yearly evaluation (年度评估), by the street or the district, with a rating."""

    action = "recordYearlyEvaluation"
    allowed = ABOVE
    structural = True
    done_on: date
    rating: EvaluationRating
    summary: str
    documents: tuple[DocumentRef, ...] = ()
