"""Earmarked community funds, their projects, payments and the year's close."""

from domain.funds.aggregate import Fund
from domain.funds.handlers import HANDLERS
from domain.shared.area import DomainArea

AREA = DomainArea("funds", aggregates=(Fund,), handlers=HANDLERS, depends_on=("organizations",))
