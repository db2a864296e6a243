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
BDS, OP = Role.BUSINESS_DISTRICT_SECRETARY, Role.SHOP_OPERATOR
COMMITTEE = {BDS, C}
DH = Role.DEPARTMENT_HANDLER
"""A shop's own business-district committee or community."""

EXPECTED = {
    "establishOrganization": ADMINS, "renameOrganization": ADMINS, "moveOrganization": ADMINS,
    "dissolveOrganization": ADMINS,
    "registerMember": ADMINS, "correctMemberDetails": ADMINS, "convertMemberToFull": ADMINS,
    "eraseMemberPersonalData": {A},
    "requestMemberTransfer": ADMINS, "issueTransferLetter": ADMINS, "acceptMemberTransfer": ADMINS,
    "returnMemberTransfer": ADMINS, "withdrawMemberTransfer": ADMINS, "expireMemberTransfer": ADMINS,
    "confirmTransferReceipt": ADMINS, "reissueTransferLetter": ADMINS,
    "recordMemberDeath": ADMINS, "recordMemberWithdrawal": ADMINS, "expelMember": ADMINS,
    "proposeMemberRemoval": ADMINS, "approveMemberRemoval": ADMINS, "rejectMemberRemoval": ADMINS,
    "assessMemberDues": ADMINS, "proposeDuesReduction": ADMINS, "approveDuesReduction": ADMINS,
    "rejectDuesReduction": ADMINS, "recordDuesPayment": ADMINS, "recordMemberActivity": ADMINS,
    "issueMobileCard": ADMINS, "reviewMobileCard": ADMINS, "closeMobileCard": ADMINS,
    "reportToResidenceCommunity": ADMINS, "logVolunteerHours": ADMINS | {Role.MEMBER},
    "confirmVolunteerHours": ADMINS, "rejectVolunteerHours": ADMINS, "appraiseMember": ADMINS,
    "reportUnitToResidenceCommunity": ADMINS,
    "registerIncomingTransfer": ADMINS, "approveMemberTransfer": ADMINS, "rejectMemberTransfer": ADMINS,
    "proposeTransferRevocation": ADMINS, "approveTransferRevocation": ADMINS, "rejectTransferRevocation": ADMINS,
    "recordPartyLifeMeeting": ADMINS,
    "openFund": {F} | ABOVE, "allocateFunds": {F}, "proposeProject": LOCAL, "recordProjectDecision": LOCAL,
    "approveProject": ABOVE, "rejectProject": ABOVE, "cancelProject": LOCAL, "recordPayment": {F},
    "reversePayment": {F}, "acceptProject": LOCAL | ABOVE, "publishProjectDisclosure": LOCAL,
    "closeFiscalYear": {F} | ABOVE, "grantFromRedFund": {F},
    "recordFundDisclosure": LOCAL,
    "remitDues": LOCAL, "allocateDuesToRedFund": {F},
    "proposeFundPlan": LOCAL, "recordPlanAssembly": LOCAL, "approveFundPlan": ABOVE, "returnFundPlan": ABOVE,
    "linkProjectToPlan": LOCAL, "recordFundBriefing": LOCAL | ABOVE, "recordHalfYearCheck": ABOVE,
    "recordYearlyEvaluation": ABOVE,
    "openInspection": ABOVE, "recordInspectionFinding": ABOVE, "recordRectification": LOCAL,
    "verifyRectification": ABOVE | {Role.INSPECTOR}, "rejectRectification": ABOVE | {Role.INSPECTOR},
    "closeInspection": ABOVE,
    "registerWebhook": ABOVE, "pauseWebhook": ABOVE, "resumeWebhook": ABOVE, "removeWebhook": ABOVE,
    "pauseFailingWebhook": set(),
    "registerGrid": ADMINS, "updateGridDetails": ADMINS, "retireGrid": ADMINS, "appointGridStaff": ADMINS,
    "replaceGridStaff": ADMINS, "removeGridStaff": ADMINS, "splitGrid": ADMINS, "mergeGrids": ADMINS,
    "moveGrid": ABOVE, "linkGridBranch": ADMINS, "unlinkGridBranch": ADMINS, "reassignGridBuilding": ADMINS,
    "correctGridCode": {A}, "assignMemberResidence": ADMINS, "assignBuildingGroup": ADMINS,
    "designateCentralHousehold": ADMINS, "endCentralHouseholdDesignation": ADMINS,
    "openSelectionRound": {A}, "registerShop": COMMITTEE | ABOVE | {OP}, "applyShop": COMMITTEE | {OP},
    "recommendShop": COMMITTEE, "preReviewShop": ABOVE, "approveShop": {A}, "signShopPledge": COMMITTEE,
    "fileShopObjection": COMMITTEE | ABOVE, "resolveShopObjection": {A}, "refuseShop": COMMITTEE | ABOVE,
    "awardShopPlaque": {A}, "revokeShop": {A}, "recoverShopPlaque": ABOVE,
    "recordShopComplaint": COMMITTEE | ABOVE | {Role.INTEGRATION},
    "investigateShopComplaint": ABOVE, "concludeShopComplaint": {A}, "scoreShopQuarter": COMMITTEE | {S},
    "reviewShopYear": {A}, "eraseShopComplaintPersonalData": {A}, "closeSelectionRound": {A},
    "updateShopDetails": COMMITTEE,
    # Residents' requests: the grid reports, the community takes or escalates, the street dispatches,
    # the department accepts, sends back or resolves; the 12345 integration hands in residents' orders.
    "registerDepartment": ABOVE, "retireDepartment": ABOVE,
    "reportRequest": {Role.GRID_WORKER, C, S, Role.INTEGRATION}, "takeRequest": {C}, "escalateRequest": {C},
    "dispatchRequest": ABOVE, "acceptRequest": {DH}, "sendBackRequest": {DH}, "resolveRequest": {C, S, DH},
    "feedBackRequest": {C, S, DH}, "rateRequest": {C, S}, "closeRequest": {C, S}, "mergeRequests": {C, S},
    "eraseRequestPersonalData": {A}, "escalateOverdueRequest": set(),
    # Service orders (抢单): the community publishes, confirms and cancels; a member's own token claims and
    # reports done.
    "publishServiceOrder": {C}, "claimServiceOrder": {Role.MEMBER}, "reportServiceOrderCompletion": {Role.MEMBER},
    "confirmServiceOrder": {C}, "cancelServiceOrder": {C},
}
INTAKE = {"recordShopComplaint", "reportRequest"}
"""What an integration hands in (the 12345 hotline's complaints and residents' orders): the readers'
only commands."""
REPORTED_BY_GRID_WORKERS = {"reportRequest"}
"""A grid worker reports residents' requests in its grid (随手拍): the one command a grid worker runs."""
STRUCTURAL = {"renameOrganization", "moveOrganization", "dissolveOrganization", "approveMemberRemoval",
              "approveMemberTransfer", "rejectMemberTransfer", "approveTransferRevocation", "rejectTransferRevocation",
              "rejectMemberRemoval", "approveDuesReduction", "rejectDuesReduction", "approveProject",
              "rejectProject", "approveFundPlan", "returnFundPlan", "recordHalfYearCheck",
              "recordYearlyEvaluation", "openInspection", "recordInspectionFinding", "closeInspection",
              "verifyRectification", "rejectRectification"}


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
    readers = {Role.AUDITOR, Role.INTEGRATION, Role.GRID_LEADER, Role.GRID_WORKER}
    assert not any(roles & readers for action, roles in table.items() if action not in INTAKE)
    assert all(table[action] & readers == {Role.INTEGRATION} | ({Role.GRID_WORKER} if action in
               REPORTED_BY_GRID_WORKERS else set()) for action in INTAKE)
