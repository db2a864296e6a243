"""The organization tree's part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.organizations.errors import ERRORS
from api.graphql.organizations.loading import member_count
from api.graphql.organizations.mutations import OrganizationMutations
from api.graphql.organizations.queries import OrganizationQueries, load_organization
from api.graphql.organizations.types import Organization
from domain.organizations.aggregate import LEGAL_PARENTS, OrganizationKind


def _levels(kind: OrganizationKind) -> int:
    """Levels from the root down to an organization of ``kind``, on its longest legal path."""
    return 1 + max((_levels(parent) for parent in LEGAL_PARENTS.get(kind, ())), default=0)


MAX_ANCESTORS = max(_levels(kind) for kind in OrganizationKind) - 1
"""The real bound of ``ancestors``: the tree is no deeper than its kinds' legal parents allow."""

AREA = ApiArea("organizations", query=OrganizationQueries, mutation=OrganizationMutations,
               types=(Organization,), errors=ERRORS, nodes={"Organization": load_organization},
               loaders={
                   "organization": by_id("SELECT * FROM organizations WHERE id = ANY($1::uuid[])"),
                   "children": grouped("SELECT * FROM organizations WHERE parent_id = ANY($1::uuid[])"
                                       " ORDER BY name, id", "parent_id"),
                   "member_count": member_count,
               },
               list_costs={
                   "Organization.children": 50,  # a street has a few dozen communities at most
                   "Organization.ancestors": MAX_ANCESTORS,
               })
