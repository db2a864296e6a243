"""Members' and transfers' part of the schema."""

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.members.errors import ERRORS
from api.graphql.members.mutations import MemberMutations
from api.graphql.members.queries import MemberQueries, load_transfer
from api.graphql.members.types import Member, Transfer, load_member

AREA = ApiArea("members", query=MemberQueries, mutation=MemberMutations, types=(Member, Transfer),
               errors=ERRORS, nodes={"Member": load_member}, inner_nodes={"Transfer": load_transfer},
               loaders={
                   "member": by_id("SELECT * FROM members WHERE id = ANY($1::uuid[])"),
                   "transfers_of_member": grouped("SELECT * FROM transfers WHERE member_id = ANY($1::uuid[])"
                                                  " ORDER BY requested_position", "member_id"),
               },
               list_costs={
                   "Member.transfers": 20,  # one open at a time; a member moves a few times in a life
                   "Transfer.history": 20,  # each step enters a state the transfer has not been in (7)
               },
               depends_on=('organizations',))
