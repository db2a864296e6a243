"""Members and the transfer of their organizational relationship (in the member's stream)."""

from domain.members.aggregate import Member
from domain.members.dues_handlers import DUES_HANDLERS
from domain.members.engagement_handlers import ENGAGEMENT_HANDLERS
from domain.members.exit_handlers import EXIT_HANDLERS
from domain.members.handlers import HANDLERS
from domain.members.letters import LetterRegister
from domain.members.party_life import PartyLifeMeeting
from domain.members.party_life_handlers import PARTY_LIFE_HANDLERS
from domain.members.transfer_handlers import TRANSFER_HANDLERS
from domain.members.unit_reports import UnitReport
from domain.shared.area import DomainArea

AREA = DomainArea("members", aggregates=(Member, LetterRegister, PartyLifeMeeting, UnitReport),
                  handlers={**HANDLERS, **EXIT_HANDLERS, **DUES_HANDLERS, **TRANSFER_HANDLERS,
                            **PARTY_LIFE_HANDLERS, **ENGAGEMENT_HANDLERS},
                  depends_on=("organizations",))
