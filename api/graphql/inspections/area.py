"""Inspections' part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.core.context import grouped
from api.graphql.inspections.errors import ERRORS
from api.graphql.inspections.mutations import InspectionMutations
from api.graphql.inspections.queries import InspectionQueries, load_inspection
from api.graphql.inspections.types import Inspection

AREA = ApiArea("inspections", query=InspectionQueries, mutation=InspectionMutations, types=(Inspection,),
               errors=ERRORS, nodes={"Inspection": load_inspection},
               loaders={
                   "findings_of_inspection": grouped(
                       "SELECT * FROM inspection_findings WHERE inspection_id = ANY($1::uuid[])"
                       " ORDER BY position", "inspection_id"),
               },
               list_costs={
                   "Inspection.findings": 100,
                   "Finding.projectIds": 100,
                   "Finding.paymentIds": 100,
               },
               depends_on=('organizations', 'funds'))
