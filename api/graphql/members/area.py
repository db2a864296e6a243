"""Members' and transfers' part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.members.errors import ERRORS
from api.graphql.members.mutations import MemberMutations
from api.graphql.members.queries import MemberQueries, load_member, load_transfer
from api.graphql.members.types import Member, Transfer

AREA = ApiArea("members", query=MemberQueries, mutation=MemberMutations, types=(Member, Transfer),
               errors=ERRORS, nodes={"Member": load_member}, inner_nodes=(load_transfer,))
