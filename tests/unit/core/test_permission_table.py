"""The permission table, pinned: who may run each command, and which are decided from above.

The table is built from the commands' own declarations (``permission_table`` over the
one list of areas); this pins it, so that a changed role set is a visible change of this
file, never a side effect of editing a command class.
"""

from __future__ import annotations

from api.areas import DOMAIN_AREAS
from domain.shared.area import permission_table
from domain.shared.permissions import Role

A, S, C, F = Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY, Role.FINANCE_OFFICER
ADMINS, ABOVE, LOCAL = {A, S, C}, {A, S}, {F, C}

EXPECTED = {
    "establishOrganization": ADMINS, "renameOrganization": ADMINS, "moveOrganization": ADMINS,
    "dissolveOrganization": ADMINS,
    "registerMember": ADMINS, "correctMemberDetails": ADMINS, "convertMemberToFull": ADMINS,
    "eraseMemberPersonalData": {A},
    "requestMemberTransfer": ADMINS, "issueTransferLetter": ADMINS, "acceptMemberTransfer": ADMINS,
    "returnMemberTransfer": ADMINS, "withdrawMemberTransfer": ADMINS, "expireMemberTransfer": ADMINS,
    "confirmTransferReceipt": ADMINS,
    "openFund": {F} | ABOVE, "allocateFunds": {F}, "proposeProject": LOCAL, "recordProjectDecision": LOCAL,
    "approveProject": ABOVE, "rejectProject": ABOVE, "cancelProject": LOCAL, "recordPayment": {F},
    "reversePayment": {F}, "acceptProject": LOCAL | ABOVE, "publishProjectDisclosure": LOCAL,
    "closeFiscalYear": {F} | ABOVE,
    "openInspection": ABOVE, "recordInspectionFinding": ABOVE, "recordRectification": LOCAL | ABOVE,
    "closeInspection": ABOVE,
    "registerWebhook": ABOVE, "pauseWebhook": ABOVE, "resumeWebhook": ABOVE, "removeWebhook": ABOVE,
    "pauseFailingWebhook": set(),
}
STRUCTURAL = {"renameOrganization", "moveOrganization", "dissolveOrganization", "approveProject",
              "rejectProject", "openInspection", "recordInspectionFinding", "closeInspection"}


def test_who_may_run_each_command_is_as_pinned() -> None:
    table = permission_table(DOMAIN_AREAS)
    extra = set(table) - set(EXPECTED)
    assert not extra, f"new commands: pin their roles here: {sorted(extra)}"
    assert {name: set(roles) for name, roles in table.items()} == EXPECTED


def test_the_commands_decided_only_from_above_are_as_pinned() -> None:
    structural = {c.action for area in DOMAIN_AREAS for c in area.commands if c.structural}
    assert structural == STRUCTURAL


def test_readers_run_nothing() -> None:
    table = permission_table(DOMAIN_AREAS)
    assert not any(roles & {Role.AUDITOR, Role.INTEGRATION} for roles in table.values())
