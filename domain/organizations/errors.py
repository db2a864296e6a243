"""The organization tree's own typed errors (the older ones live in ``domain.shared.errors``)."""

from __future__ import annotations

from domain.shared.errors import InvalidInput


class InvalidGridBranchCode(InvalidInput):
    """A grid Party branch's code is not a 15-digit unit-grid-shaped code under its
    community: the community's 12-digit division code and a 3-digit sequence (not 000)."""

    code = "INVALID_GRID_BRANCH_CODE"


class CentralHouseholdNotAnOrganization(InvalidInput):
    """A member central household (党员中心户) is no longer established as an organization: it is a
    designation of a member (``designateCentralHousehold`` in the grids area). Those established
    before stay readable as they were."""

    code = "CENTRAL_HOUSEHOLD_NOT_AN_ORGANIZATION"
