"""Inspections' typed errors."""

from api.graphql.core.errors import error_type
from domain.shared import errors as de

InspectionNotAllowed = error_type("InspectionNotAllowed", "The inspection's state does not allow this step.",
                                  de.InspectionNotAllowed)
ERRORS = (InspectionNotAllowed,)
