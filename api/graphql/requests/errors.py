"""Residents' requests' typed errors."""

from api.graphql.core.errors import error_type
from domain.requests import errors as re
from domain.requests import orders as ro

NotYourStep = error_type("NotYourStep", "The request is not at a step this mutation takes, or the step is another"
                         " organization's (a department acting on a request dispatched to another one).",
                         re.NotYourStep)
DeadlinePassed = error_type("DeadlinePassed", "The step's deadline has passed: it is no longer open to you (the"
                            " escalation sweep hands the request up).", re.DeadlinePassed)
DepartmentOutOfScope = error_type("DepartmentOutOfScope", "The department belongs to neither the request's street"
                                  " nor its district, does not handle its category, or is retired.",
                                  re.DepartmentOutOfScope)
RequestNotFound = error_type("RequestNotFound", "No request with this id lies within your scope.",
                             re.RequestNotFound)
DepartmentCodeTaken = error_type("DepartmentCodeTaken", "The street or district has a department with this code"
                                 " already: codes are never reused.", re.DepartmentCodeTaken)
ERRORS = (NotYourStep, DeadlinePassed, DepartmentOutOfScope, RequestNotFound, DepartmentCodeTaken)

# Service orders (抢单): domain.requests.orders.
AlreadyClaimed = error_type("AlreadyClaimed", "Another member (or you) claimed the order first: exactly one claim"
                            " wins.", ro.AlreadyClaimed)
NotEligibleToClaim = error_type("NotEligibleToClaim", "The order is not yours to take: you neither live in its"
                                " community's grids, nor reported to the community this year (双报到), nor belong to"
                                " it; or your token is no member's own.", ro.NotEligibleToClaim)
ServiceOrderNotFound = error_type("ServiceOrderNotFound", "No service order with this id is open to you.",
                                  ro.ServiceOrderNotFound)
ServiceOrderExists = error_type("ServiceOrderExists", "The request was published as a service order already (one"
                                " order per request).", ro.ServiceOrderExists)
ERRORS = (*ERRORS, AlreadyClaimed, NotEligibleToClaim, ServiceOrderNotFound, ServiceOrderExists)
