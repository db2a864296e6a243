"""The organization tree's typed errors."""

from api.graphql.core.errors import error_type
from domain.organizations import errors as oe
from domain.shared import errors as de

IllegalParent = error_type("IllegalParent", "This kind of organization cannot sit under that parent.",
                           de.IllegalParent)
OrganizationNotEmpty = error_type("OrganizationNotEmpty", "The organization still has members or children.",
                                  de.OrganizationNotEmpty, de.OwnerNotVacant)
OrganizationDissolved = error_type("OrganizationDissolved", "The organization was dissolved.",
                                   de.OrganizationDissolved)
InvalidGridBranchCode = error_type("InvalidGridBranchCode", "A grid Party branch's code is not its community's"
                                   " 12-digit division code and a 3-digit sequence (not 000).",
                                   oe.InvalidGridBranchCode)
ERRORS = (IllegalParent, OrganizationNotEmpty, OrganizationDissolved, InvalidGridBranchCode)
