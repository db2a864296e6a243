"""Members' and transfers' typed errors."""

from api.graphql.core.errors import error_type
from domain.shared import errors as de

TransferNotAllowed = error_type("TransferNotAllowed", "The transfer's state does not allow this step.",
                                de.TransferNotAllowed)
LetterExpired = error_type("LetterExpired", "The letter is past its validity; a justification is needed.",
                           de.LetterExpired)
ERRORS = (TransferNotAllowed, LetterExpired)
