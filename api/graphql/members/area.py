"""Members' and transfers' part of the schema."""

import strawberry

from api.graphql.core.area import ApiArea
from api.graphql.core.context import by_id, grouped
from api.graphql.members.dues import DuesMutations, DuesQueries
from api.graphql.members.engagement import (
    EngagementMutations,
    EngagementQueries,
    UnitReportMutations,
    UnitReportQueries,
)
from api.graphql.members.engagement_types import MemberEngagement
from api.graphql.members.errors import ERRORS
from api.graphql.members.exits import ExitMutations
from api.graphql.members.mutations import MemberMutations
from api.graphql.members.party_life import PartyLifeMutations, PartyLifeQueries
from api.graphql.members.queries import MemberQueries, load_transfer
from api.graphql.members.transfers_completed import TransferCompletionMutations
from api.graphql.members.types import Member, Transfer, load_member
from domain.members.aggregate import MAX_LETTER_REISSUES
from domain.members.party_life import MAX_ATTENDANCE


@strawberry.type(description="Change members, their transfers, exits and dues.")
class Mutations(MemberMutations, ExitMutations, DuesMutations, EngagementMutations, TransferCompletionMutations,
                PartyLifeMutations, UnitReportMutations):
    """The members area's mutations, composed from its modules (fields keep their order)."""


@strawberry.type(description="Read members, their transfers and dues.")
class Queries(MemberQueries, DuesQueries, PartyLifeQueries, EngagementQueries, UnitReportQueries):
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
                   "mobile_cards_of_member": grouped("SELECT * FROM mobile_cards WHERE member_id = ANY($1::uuid[])"
                                                     " ORDER BY issued_position", "member_id"),
                   "reports_of_member": grouped("SELECT * FROM residence_reports WHERE member_id = ANY($1::uuid[])"
                                                " ORDER BY year", "member_id"),
                   "volunteer_entries_of_member": grouped(
                       "SELECT * FROM volunteer_entries WHERE member_id = ANY($1::uuid[]) ORDER BY on_date, entry_id",
                       "member_id"),
                   "appraisals_of_member": grouped("SELECT * FROM appraisals WHERE member_id = ANY($1::uuid[])"
                                                   " ORDER BY year", "member_id"),
               },
               list_costs={
                   "Member.transfers": 20,  # one open at a time; a member moves a few times in a life
                   "Transfer.history": 20,  # each step enters a state the transfer has not been in (7)
                   "Transfer.voidedSerials": MAX_LETTER_REISSUES,
                   "MemberDues.years": 80,  # one a year, from joining (at 18 or older)
                   "MemberDues.payments": 12,  # a year's: each covers one month or more of that year
                   "Query.duesCollection": 12,  # a year's months
                   "PartyLifeMeeting.attended": MAX_ATTENDANCE,  # a meeting's record names at most these
                   "PartyLifeMeeting.absentWithLeave": MAX_ATTENDANCE,
                   "PartyLifeMeeting.absentWithoutLeave": MAX_ATTENDANCE,
                   "Member.reports": 80,  # one a year, from joining
                   "Member.appraisals": 80,  # one a year, from joining
                   "ResidenceReport.needs": 10,  # domain.members.reporting.MAX_NEEDS
                   "VolunteerYear.entries": 400,  # domain.members.volunteering.MAX_ENTRIES_PER_YEAR
                   "UnitReport.needs": 10,  # domain.members.reporting.MAX_NEEDS
                   "Query.unitReports": 300,  # a community's resident units in a year: a few dozen in practice
               },
               fields={Member: MemberEngagement},
               depends_on=('organizations',))
