"""Members' and transfers' part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.members.errors import ERRORS
from api.graphql.members.mutations import MemberMutations
from api.graphql.members.queries import MemberQueries, load_transfer
from api.graphql.members.types import Member, Transfer, load_member

AREA = ApiArea("members", query=MemberQueries, mutation=MemberMutations, types=(Member, Transfer),
               errors=ERRORS, nodes={"Member": load_member}, inner_nodes=(load_transfer,),
               loaders={
                   "member": by_id("SELECT * FROM members WHERE id = ANY($1::uuid[])"),
                   "transfers_of_member": grouped("SELECT * FROM transfers WHERE member_id = ANY($1::uuid[])"
                                                  " ORDER BY requested_position", "member_id"),
               },
               depends_on=('organizations',))
