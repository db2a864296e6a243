"""Members and the transfer of their organizational relationship (in the member's stream)."""

from domain.members.aggregate import Member
from domain.members.dues_handlers import DUES_HANDLERS
from domain.members.exit_handlers import EXIT_HANDLERS
from domain.members.handlers import HANDLERS
from domain.members.letters import LetterRegister
from domain.shared.area import DomainArea

AREA = DomainArea("members", aggregates=(Member, LetterRegister),
                  handlers={**HANDLERS, **EXIT_HANDLERS, **DUES_HANDLERS},
                  depends_on=("organizations",))
