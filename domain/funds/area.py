"""Earmarked community funds, their projects, payments and the year's close."""

from domain.funds.aggregate import Fund
from domain.funds.disclosure import HANDLERS as DISCLOSURE_HANDLERS
from domain.funds.dues_account import DuesAccount
from domain.funds.dues_handlers import DUES_HANDLERS
from domain.funds.handlers import HANDLERS
from domain.funds.plan_handlers import PLAN_HANDLERS
from domain.funds.plans import FundPlan
from domain.funds.reporting import FundReports
from domain.shared.area import DomainArea

AREA = DomainArea("funds", aggregates=(Fund, FundPlan, FundReports, DuesAccount),
                  handlers={**HANDLERS, **DISCLOSURE_HANDLERS, **PLAN_HANDLERS, **DUES_HANDLERS},
                  # members: dues are remitted and allocated from what members paid (dues_account)
                  depends_on=("organizations", "members"))
