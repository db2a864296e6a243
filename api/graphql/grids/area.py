"""Grids' part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.grids.errors import ERRORS
from api.graphql.grids.mutations import GridMutations
from api.graphql.grids.organization import OrganizationGrids, grids_of_organization
from api.graphql.grids.queries import GridQueries, load_grid
from api.graphql.grids.types import Grid
from api.graphql.organizations.types import Organization

AREA = ApiArea("grids", query=GridQueries, mutation=GridMutations, types=(Grid,), errors=ERRORS,
               nodes={"Grid": load_grid},
               fields={Organization: OrganizationGrids},
               loaders={
                   "grids_of_organization": grids_of_organization,
                   "grid": by_id("SELECT * FROM grids WHERE id = ANY($1::uuid[])"),
                   "staff_of_grid": grouped(
                       "SELECT * FROM grid_staff WHERE grid_id = ANY($1::uuid[]) ORDER BY position", "grid_id"),
               },
               list_costs={
                   "Grid.buildings": 500,
                   "Grid.staff": 100,
                   "Grid.predecessorIds": 20,
                   "Grid.successorIds": 20,
                   "Query.staffAssignments": 200,
                   "RedrawingPayload.grids": 20,
                   "RedrawingPayload.retired": 20,
                   "RedrawingPayload.staff": 200,
               },
               depends_on=("organizations", "members"))
