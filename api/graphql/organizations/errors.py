"""The organization tree's typed errors."""

from api.graphql.core.errors import OrganizationDissolved as OrganizationDissolved
from api.graphql.core.errors import error_type
from domain.organizations import errors as oe
from domain.shared import errors as de

IllegalParent = error_type("IllegalParent", "This kind of organization cannot sit under that parent.",
                           de.IllegalParent)
OrganizationNotEmpty = error_type("OrganizationNotEmpty", "The organization still has members or children.",
                                  de.OrganizationNotEmpty, de.OwnerNotVacant)
# OrganizationDissolved is common to every mutation (api.graphql.core.errors.COMMON); imported
# above so this area's mutations keep naming it from here.
InvalidGridBranchCode = error_type("InvalidGridBranchCode", "A grid Party branch's code is not its community's"
                                   " 12-digit division code and a 3-digit sequence (not 000).",
                                   oe.InvalidGridBranchCode)
CentralHouseholdNotAnOrganization = error_type(
    "CentralHouseholdNotAnOrganization", "A member central household (党员中心户) is a designation of a member now"
    " (designateCentralHousehold), not an organization; those established before stay readable.",
    oe.CentralHouseholdNotAnOrganization)
ERRORS = (IllegalParent, OrganizationNotEmpty, InvalidGridBranchCode, CentralHouseholdNotAnOrganization)
