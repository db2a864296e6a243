"""The typed errors of a fund's yearly plan and reporting cycle."""

from api.graphql.core.errors import error_type
from domain.funds import plans, reporting

PlanStepNotAllowed = error_type(
    "PlanStepNotAllowed", "The plan's step is out of order: the residents' assembly follows the committees'"
    " proposal, the street decides after the assembly, only the latest version is decided, an amendment waits"
    " until the version in progress is approved or sent back, and projects link to an approved plan.",
    plans.PlanStepNotAllowed)
PlanExceedsFunds = error_type(
    "PlanExceedsFunds", "The plan's total exceeds the money the fund can count on this year: what it received so"
    " far, or (a service fund) its organization's guaranteed minimum if that is more.", plans.PlanExceedsFunds)
FundReportAlreadyRecorded = error_type(
    "FundReportAlreadyRecorded", "This report of the fund is already recorded: one briefing per month, one"
    " half-year check and one yearly evaluation per fund.", reporting.FundReportAlreadyRecorded)
PLAN_ERRORS = (PlanStepNotAllowed, PlanExceedsFunds, FundReportAlreadyRecorded)
