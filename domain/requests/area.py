"""Residents' requests: departments, the closed loop from the grid to a department and back, and
the service orders members grab (抢单)."""

from domain.requests.aggregate import Request
from domain.requests.contacts import RequestContact
from domain.requests.departments import Department
from domain.requests.handlers import HANDLERS
from domain.requests.order_handlers import ORDER_HANDLERS
from domain.requests.orders import ServiceOrder
from domain.shared.area import DomainArea

AREA = DomainArea("requests", aggregates=(Request, Department, RequestContact, ServiceOrder),
                  handlers={**HANDLERS, **ORDER_HANDLERS}, depends_on=("organizations", "grids", "members"))
"""Service orders read the members area's ``Member`` (who may claim; the confirmed volunteer hours,
by its contract) and the grids area's ``Residence`` (where a member lives)."""
