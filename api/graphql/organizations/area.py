"""The organization tree's part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.organizations.errors import ERRORS
from api.graphql.organizations.loading import member_count
from api.graphql.organizations.mutations import OrganizationMutations
from api.graphql.organizations.queries import OrganizationQueries, load_organization
from api.graphql.organizations.types import Organization

AREA = ApiArea("organizations", query=OrganizationQueries, mutation=OrganizationMutations,
               types=(Organization,), errors=ERRORS, nodes={"Organization": load_organization},
               loaders={
                   "organization": by_id("SELECT * FROM organizations WHERE id = ANY($1::uuid[])"),
                   "children": grouped("SELECT * FROM organizations WHERE parent_id = ANY($1::uuid[])"
                                       " ORDER BY name, id", "parent_id"),
                   "member_count": member_count,
               })
