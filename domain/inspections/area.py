"""Inspections of a fund or a subtree: findings that cite projects and payments, rectifications."""

from domain.inspections.aggregate import Inspection
from domain.inspections.handlers import HANDLERS
from domain.shared.area import DomainArea

AREA = DomainArea("inspections", aggregates=(Inspection,), handlers=HANDLERS,
                  depends_on=("organizations", "funds"))
