"""Who may do what: the one module that holds the authorization rules.

An actor holds roles and an organization scope (the root of the subtree it works in;
``None`` means the whole system). It reads and acts only inside that subtree. The
receiving side of a transfer is authorised by the receiving organization's scope.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from domain.shared.errors import NotAuthorized


class Role(enum.Enum):
    """Roles a token can carry."""

    DISTRICT_ADMIN = "district_admin"
    STREET_ADMIN = "street_admin"
    COMMUNITY_SECRETARY = "community_secretary"
    FINANCE_OFFICER = "finance_officer"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


class Action(enum.Enum):
    """Every command, named as its mutation."""

    ESTABLISH_ORGANIZATION = "establishOrganization"
    RENAME_ORGANIZATION = "renameOrganization"
    MOVE_ORGANIZATION = "moveOrganization"
    DISSOLVE_ORGANIZATION = "dissolveOrganization"
    REGISTER_MEMBER = "registerMember"
    CORRECT_MEMBER_DETAILS = "correctMemberDetails"
    CONVERT_MEMBER_TO_FULL = "convertMemberToFull"
    REQUEST_MEMBER_TRANSFER = "requestMemberTransfer"
    ISSUE_TRANSFER_LETTER = "issueTransferLetter"
    ACCEPT_MEMBER_TRANSFER = "acceptMemberTransfer"
    RETURN_MEMBER_TRANSFER = "returnMemberTransfer"
    WITHDRAW_MEMBER_TRANSFER = "withdrawMemberTransfer"
    EXPIRE_MEMBER_TRANSFER = "expireMemberTransfer"
    CONFIRM_TRANSFER_RECEIPT = "confirmTransferReceipt"
    OPEN_FUND = "openFund"
    ALLOCATE_FUNDS = "allocateFunds"
    PROPOSE_PROJECT = "proposeProject"
    RECORD_PROJECT_DECISION = "recordProjectDecision"
    APPROVE_PROJECT = "approveProject"
    REJECT_PROJECT = "rejectProject"
    CANCEL_PROJECT = "cancelProject"
    RECORD_PAYMENT = "recordPayment"
    REVERSE_PAYMENT = "reversePayment"
    ACCEPT_PROJECT = "acceptProject"
    PUBLISH_DISCLOSURE = "publishProjectDisclosure"
    CLOSE_FISCAL_YEAR = "closeFiscalYear"
    OPEN_INSPECTION = "openInspection"
    RECORD_INSPECTION_FINDING = "recordInspectionFinding"
    RECORD_RECTIFICATION = "recordRectification"
    CLOSE_INSPECTION = "closeInspection"
    REGISTER_WEBHOOK = "registerWebhook"
    PAUSE_WEBHOOK = "pauseWebhook"
    RESUME_WEBHOOK = "resumeWebhook"
    REMOVE_WEBHOOK = "removeWebhook"


_ADMINS = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY})
_ABOVE = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN})
_FINANCE = frozenset({Role.FINANCE_OFFICER})
_LOCAL = frozenset({Role.FINANCE_OFFICER, Role.COMMUNITY_SECRETARY})

_FUNDS: dict[Action, frozenset[Role]] = {
    Action.OPEN_FUND: _FINANCE | _ABOVE,
    Action.ALLOCATE_FUNDS: _FINANCE,
    Action.PROPOSE_PROJECT: _LOCAL,
    Action.RECORD_PROJECT_DECISION: _LOCAL,
    Action.APPROVE_PROJECT: _ABOVE,
    Action.REJECT_PROJECT: _ABOVE,
    Action.CANCEL_PROJECT: _LOCAL,
    Action.RECORD_PAYMENT: _FINANCE,
    Action.REVERSE_PAYMENT: _FINANCE,
    Action.ACCEPT_PROJECT: _LOCAL | _ABOVE,
    Action.PUBLISH_DISCLOSURE: _LOCAL,
    Action.CLOSE_FISCAL_YEAR: _FINANCE | _ABOVE,
    Action.OPEN_INSPECTION: _ABOVE,
    Action.RECORD_INSPECTION_FINDING: _ABOVE,
    Action.RECORD_RECTIFICATION: _LOCAL | _ABOVE,
    Action.CLOSE_INSPECTION: _ABOVE,
    Action.REGISTER_WEBHOOK: _ABOVE,
    Action.PAUSE_WEBHOOK: _ABOVE,
    Action.RESUME_WEBHOOK: _ABOVE,
    Action.REMOVE_WEBHOOK: _ABOVE,
}

ALLOWED: dict[Action, frozenset[Role]] = {action: _FUNDS.get(action, _ADMINS) for action in Action}
"""Roles that may run each command (auditors and integrations read only)."""

STRUCTURAL = frozenset(
    {
        Action.RENAME_ORGANIZATION, Action.MOVE_ORGANIZATION, Action.DISSOLVE_ORGANIZATION,
        Action.APPROVE_PROJECT, Action.REJECT_PROJECT,
        Action.OPEN_INSPECTION, Action.RECORD_INSPECTION_FINDING, Action.CLOSE_INSPECTION,
    }
)
"""Commands taken only from strictly above the organization they concern: changing an
organization itself, approving its projects, inspecting it."""

RECEIVING_SIDE = frozenset({Action.ACCEPT_MEMBER_TRANSFER, Action.RETURN_MEMBER_TRANSFER})
"""Transfer steps taken by the receiving organization; the rest belong to the sender."""

PERSONAL_DATA_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY})
"""Roles that see ID numbers and phones unmasked (they write transfer letters)."""


@dataclass(frozen=True)
class Actor:
    """The authenticated caller: token subject, display name, roles and scope."""

    subject: str
    name: str
    roles: frozenset[Role]
    scope: UUID | None
    """Root of the organization subtree the actor works in; None for the whole system."""

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(sorted(r.value for r in self.roles))

    def sees(self, path: Sequence[UUID] | None) -> bool:
        """Whether an organization with this root-first path lies inside the scope."""
        if path is None:
            return False
        return self.scope is None or self.scope in path

    @property
    def sees_personal_data(self) -> bool:
        return bool(self.roles & PERSONAL_DATA_ROLES)


def authorize(actor: Actor, action: Action, path: Sequence[UUID] | None) -> None:
    """Raise NotAuthorized unless ``actor`` may run ``action`` on the organization at ``path``.

    ``path`` is the root-first chain of organization ids ending at the organization the
    command acts on (the parent for an establishment, the receiving organization for
    accept and return, the member's home for everything else about members). An empty
    path stands for "no parent": establishing a root needs a whole-system district admin.
    """
    if not actor.roles & ALLOWED[action]:
        raise NotAuthorized(f"{', '.join(actor.role_names) or 'no role'} may not {action.value}")
    if actor.scope is None:
        return
    if path is not None and len(path) == 0:
        raise NotAuthorized("only a whole-system district admin establishes a root organization")
    if not actor.sees(path):
        raise NotAuthorized(f"the organization is outside your scope; you may not {action.value}")
    assert path is not None
    if action in STRUCTURAL and path[-1] == actor.scope:
        raise NotAuthorized(
            f"{action.value} on your own scope's root is decided from above it; you may not"
        )
