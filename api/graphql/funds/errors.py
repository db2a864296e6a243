"""Funds' typed errors."""

from api.graphql.core.errors import error_type
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
ERRORS = (ForbiddenPurpose, InsufficientFunds, AmountExceedsApproval, ProjectNotAllowed, FundClosed)
