"""The funds area's own typed errors (each answered by a GraphQL error type of the same name).

The older money errors (``InsufficientFunds``, ``ForbiddenPurpose``, ...) live in
``domain.shared.errors`` because several areas raised them before areas existed; new
ones belong here.
"""

from __future__ import annotations

from domain.shared.errors import AlreadyExists, ForbiddenPurpose, InsufficientFunds, ProjectNotAllowed


class VoucherAlreadyUsed(AlreadyExists):
    """The accounting voucher number was already used by a payment of this fund: one
    voucher pays once (a reversed payment keeps its number; the corrected payment gets a
    new voucher, as a red-ink correction does in the books)."""

    code = "VOUCHER_ALREADY_USED"


class ProjectsStillOpen(ProjectNotAllowed):
    """The fiscal year cannot close: projects of the fund are still open and cannot follow
    their money into next year (proposed or decided ones not yet approved, rejected or
    cancelled; approved or accepted ones fully paid but not yet disclosed). No project spans
    two years: approved, not fully paid ones are carried into next year's fund by the close
    itself; these must be finished first. The message names every one of them."""

    code = "PROJECTS_STILL_OPEN"

    def __init__(self, message: str, projects: list[tuple[str, str]], *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.projects = projects
        """(id, title) of each open project, in the order they were proposed."""


class DuesMoneyRestricted(ForbiddenPurpose):
    """A payment would draw on dues money (党费) for a use dues money does not pay for, or
    without naming its use: dues money pays only for the configured uses (by default
    training, study materials, commendations, hardship support and disaster relief). The
    message names the rule (``dues-money-uses``); see ``domain.funds.dues_money``."""

    code = "DUES_MONEY_RESTRICTED"


class DuesNotAvailable(InsufficientFunds):
    """An organization cannot remit or allocate more dues than it holds for the year: what it
    collected from its own members, plus what was remitted to it, less what it already
    remitted and allocated. The message gives each figure."""

    code = "DUES_NOT_AVAILABLE"
