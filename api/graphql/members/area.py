"""Members' and transfers' part of the schema."""

import strawberry

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.members.dues import DuesMutations, DuesQueries
from api.graphql.members.errors import ERRORS
from api.graphql.members.exits import ExitMutations
from api.graphql.members.mutations import MemberMutations
from api.graphql.members.queries import MemberQueries, load_transfer
from api.graphql.members.types import Member, Transfer, load_member
from domain.members.aggregate import MAX_LETTER_REISSUES


@strawberry.type(description="Change members, their transfers, exits and dues.")
class Mutations(MemberMutations, ExitMutations, DuesMutations):
    """The members area's mutations, composed from its modules (fields keep their order)."""


@strawberry.type(description="Read members, their transfers and dues.")
class Queries(MemberQueries, DuesQueries):
    """The members area's queries, composed from its modules."""


AREA = ApiArea("members", query=Queries, mutation=Mutations, types=(Member, Transfer),
               errors=ERRORS, nodes={"Member": load_member}, inner_nodes={"Transfer": load_transfer},
               loaders={
                   "member": by_id("SELECT * FROM members WHERE id = ANY($1::uuid[])"),
                   "transfers_of_member": grouped("SELECT * FROM transfers WHERE member_id = ANY($1::uuid[])"
                                                  " ORDER BY requested_position", "member_id"),
                   "dues_of_member": grouped("SELECT * FROM dues_assessments WHERE member_id = ANY($1::uuid[])"
                                             " ORDER BY year", "member_id"),
                   "dues_payments_of_member": grouped("SELECT * FROM dues_payments WHERE member_id = ANY($1::uuid[])"
                                                      " ORDER BY position", "member_id"),
               },
               list_costs={
                   "Member.transfers": 20,  # one open at a time; a member moves a few times in a life
                   "Transfer.history": 20,  # each step enters a state the transfer has not been in (7)
                   "Transfer.voidedSerials": MAX_LETTER_REISSUES,
                   "MemberDues.years": 80,  # one a year, from joining (at 18 or older)
                   "MemberDues.payments": 12,  # a year's: each covers one month or more of that year
                   "Query.duesCollection": 12,  # a year's months
               },
               depends_on=('organizations',))
