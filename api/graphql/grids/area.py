"""Grids' part of the schema."""

import strawberry

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.grids.errors import ERRORS
from api.graphql.grids.households import CentralHousehold, GridHouseholdFields, load_central_household
from api.graphql.grids.mutations import GridMutations
from api.graphql.grids.organization import OrganizationGrids, grids_of_organization
from api.graphql.grids.queries import GridQueries, load_grid
from api.graphql.grids.residence import GridResidents, MemberResidenceFields
from api.graphql.grids.types import Grid
from api.graphql.members.types import Member
from api.graphql.organizations.types import Organization


@strawberry.type
class GridFields(GridResidents, GridHouseholdFields):
    """``Grid``'s fields from the residence and household modules (added like another area's)."""


AREA = ApiArea("grids", query=GridQueries, mutation=GridMutations, types=(Grid, CentralHousehold), errors=ERRORS,
               nodes={"Grid": load_grid, "CentralHousehold": load_central_household},
               fields={Organization: OrganizationGrids, Member: MemberResidenceFields, Grid: GridFields},
               loaders={
                   "grids_of_organization": grids_of_organization,
                   "grid": by_id("SELECT * FROM grids WHERE id = ANY($1::uuid[])"),
                   "staff_of_grid": grouped(
                       "SELECT * FROM grid_staff WHERE grid_id = ANY($1::uuid[]) ORDER BY position", "grid_id"),
                   "residences_of_member": grouped(
                       "SELECT * FROM member_residences WHERE member_id = ANY($1::uuid[]) ORDER BY position",
                       "member_id"),
                   "building_groups_of_grid": grouped(
                       "SELECT * FROM building_group_grids WHERE grid_id = ANY($1::uuid[]) ORDER BY last_position",
                       "grid_id"),
               },
               list_costs={
                   "Grid.buildings": 500,
                   "Grid.staff": 100,
                   "Grid.predecessorIds": 20,
                   "Grid.successorIds": 20,
                   "Query.staffAssignments": 200,
                   "Member.residences": 100,
                   "Grid.buildingGroups": 50,
                   "BuildingGroupCoverage.buildings": 20,
                   "CentralHousehold.doors": 100,
                   "RedrawingPayload.grids": 20,
                   "RedrawingPayload.retired": 20,
                   "RedrawingPayload.staff": 200,
               },
               depends_on=("organizations", "members"))
