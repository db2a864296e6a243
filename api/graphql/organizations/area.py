"""The organization tree's part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.organizations.errors import ERRORS
from api.graphql.organizations.mutations import OrganizationMutations
from api.graphql.organizations.queries import OrganizationQueries, load_organization
from api.graphql.organizations.types import Organization

AREA = ApiArea("organizations", query=OrganizationQueries, mutation=OrganizationMutations,
               types=(Organization,), errors=ERRORS, nodes={"Organization": load_organization})
