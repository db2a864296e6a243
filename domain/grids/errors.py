"""The grids area's typed errors (each answered by a GraphQL error type of the same name)."""

from __future__ import annotations

from domain.shared.errors import AlreadyExists, DomainError, InvalidInput


class GridCodeTaken(AlreadyExists):
    """The unit-grid code is held by another grid (codes are never reused, not even a
    retired grid's)."""

    code = "GRID_CODE_TAKEN"

    @classmethod
    def claimed(cls, scope: str, key: str) -> str:
        return f"the unit-grid code {key} is another grid's (codes are never reused, not even a retired grid's)"


class LeaderAlreadyAssigned(AlreadyExists):
    """The person already leads another grid: a person leads at most one grid at a time."""

    code = "LEADER_ALREADY_ASSIGNED"

    @classmethod
    def claimed(cls, scope: str, key: str) -> str:
        return "this person leads another grid already: remove or replace them there first"


class GridNotInCommunity(DomainError):
    """The grid's code or organization does not fit its community: a grid belongs to exactly
    one community and its code starts with that community's 12-digit division code; the
    grids of one redrawing belong to one community."""

    code = "GRID_NOT_IN_COMMUNITY"


class InvalidBoundary(InvalidInput):
    """The boundary is not a valid GeoJSON Polygon or MultiPolygon in WGS-84 within China."""

    code = "INVALID_BOUNDARY"


class BuildingsNotConserved(DomainError):
    """A split or merge would lose, double or invent a building."""

    code = "BUILDINGS_NOT_CONSERVED"


class BoundariesNotConserved(DomainError):
    """The new grids' boundaries leave the old grids' union or overlap each other beyond the
    tolerance."""

    code = "BOUNDARIES_NOT_CONSERVED"


class GridNotAllowed(DomainError):
    """The grid's state does not allow this step (it is retired, it has a leader already,
    the assignment has ended, ...)."""

    code = "GRID_NOT_ALLOWED"


class BuildingNotInGrid(DomainError):
    """A building named is not one of the grid's buildings (a building group covers, and a
    central household lives in, buildings of its grid)."""

    code = "BUILDING_NOT_IN_GRID"


class CentralHouseholdExists(AlreadyExists):
    """The member is a central household (党员中心户) already: end that designation first."""

    code = "CENTRAL_HOUSEHOLD_EXISTS"

    @classmethod
    def claimed(cls, scope: str, key: str) -> str:
        return "this member is a central household already: end that designation first"
