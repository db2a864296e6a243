"""Grids' typed errors."""

from api.graphql.core.errors import error_type
from domain.grids import errors as ge

GridCodeTaken = error_type("GridCodeTaken", "The unit-grid code is another grid's (codes are never reused, not even"
                           " a retired grid's).", ge.GridCodeTaken)
LeaderAlreadyAssigned = error_type("LeaderAlreadyAssigned", "The person leads another grid already: a person leads"
                                   " at most one grid at a time.", ge.LeaderAlreadyAssigned)
GridNotInCommunity = error_type("GridNotInCommunity", "The grid's code or organization does not fit the community:"
                                " a grid belongs to one community and its code starts with the community's division"
                                " code.", ge.GridNotInCommunity)
InvalidBoundary = error_type("InvalidBoundary", "The boundary is not a valid GeoJSON Polygon or MultiPolygon in"
                             " WGS-84 ([longitude, latitude]) within China.", ge.InvalidBoundary)
BuildingsNotConserved = error_type("BuildingsNotConserved", "A split or merge would lose, double or invent a"
                                   " building.", ge.BuildingsNotConserved)
BoundariesNotConserved = error_type("BoundariesNotConserved", "The new boundaries leave the old grids' union or"
                                    " overlap each other beyond the tolerance.", ge.BoundariesNotConserved)
GridNotAllowed = error_type("GridNotAllowed", "The grid's state does not allow this (retired, a leader already"
                            " appointed, an assignment that has ended).", ge.GridNotAllowed)
BuildingNotInGrid = error_type("BuildingNotInGrid", "A building named is not one of the grid's buildings.",
                               ge.BuildingNotInGrid)
CentralHouseholdExists = error_type("CentralHouseholdExists", "The member is a central household (党员中心户)"
                                    " already: end that designation first.", ge.CentralHouseholdExists)
ERRORS = (GridCodeTaken, LeaderAlreadyAssigned, GridNotInCommunity, InvalidBoundary, BuildingsNotConserved,
          BoundariesNotConserved, GridNotAllowed, BuildingNotInGrid, CentralHouseholdExists)
