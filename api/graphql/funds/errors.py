"""Funds' typed errors."""

from api.graphql.core.errors import error_type
from domain.funds import errors as fe
from domain.shared import errors as de

ForbiddenPurpose = error_type("ForbiddenPurpose", "Earmarked money never pays for this purpose.",
                              de.ForbiddenPurpose)
InsufficientFunds = error_type("InsufficientFunds",
                               "The fund's available balance, after commitments, is too small.",
                               de.InsufficientFunds)
AmountExceedsApproval = error_type("AmountExceedsApproval", "Payments would exceed the approved amount.",
                                   de.AmountExceedsApproval)
ProjectNotAllowed = error_type("ProjectNotAllowed", "The project's or payment's state does not allow this step.",
                               de.ProjectNotAllowed)
FundClosed = error_type("FundClosed", "The fund's fiscal year is closed.", de.FundClosed)
VoucherAlreadyUsed = error_type("VoucherAlreadyUsed", "The voucher number already paid a payment of this fund:"
                                " one voucher pays once (a reversal keeps its number).", fe.VoucherAlreadyUsed)
ProjectsStillOpen = error_type("ProjectsStillOpen", "The year cannot close: projects that cannot follow their money"
                               " into next year are still open (proposed or decided, or fully paid and not yet"
                               " disclosed); the message names every one. Approved, not fully paid projects do not"
                               " block: the close carries them.", fe.ProjectsStillOpen)
DuesMoneyRestricted = error_type(
    "DuesMoneyRestricted", "The payment would draw on dues money (党费) for a use dues money does not pay for, or"
    " without naming its use: rule dues-money-uses (党费使用范围), named in the message. Dues money pays only for"
    " the configured uses (GRASSROOTS_DUES_MONEY_USES) and is spent after the fund's other money.",
    fe.DuesMoneyRestricted)
DuesNotAvailable = error_type(
    "DuesNotAvailable", "An organization cannot remit or allocate more of a year's dues than it holds: collected"
    " from its own members plus remitted to it, less what it remitted and allocated (the message gives each).",
    fe.DuesNotAvailable)
ERRORS = (ForbiddenPurpose, InsufficientFunds, AmountExceedsApproval, ProjectNotAllowed, FundClosed,
          VoucherAlreadyUsed, ProjectsStillOpen, DuesMoneyRestricted, DuesNotAvailable)
