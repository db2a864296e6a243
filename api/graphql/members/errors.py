"""Members' and transfers' typed errors."""

from api.graphql.core.errors import error_type
from domain.members import errors as me
from domain.shared import errors as de

TransferNotAllowed = error_type("TransferNotAllowed", "The transfer's state does not allow this step.",
                                de.TransferNotAllowed)
LetterExpired = error_type("LetterExpired", "The letter is past its validity; a justification is needed.",
                           de.LetterExpired)
ERRORS = (TransferNotAllowed, LetterExpired)
MemberExited = error_type("MemberExited", "The member has left the Party (death, removal, expulsion, withdrawal):"
                          " the record keeps its history but takes no transfer, conversion or second exit.",
                          me.MemberExited)
ExitNotAllowed = error_type("ExitNotAllowed", "The exit's step does not fit: no removal awaits a decision, one"
                            " is pending already, or an open transfer must be finished first.",
                            me.ExitNotAllowed)
LetterVoided = error_type("LetterVoided", "The letter presented was voided when it was re-issued (补转): only the"
                          " re-issued letter is accepted.", me.LetterVoided)
ERRORS = (*ERRORS, MemberExited, ExitNotAllowed, LetterVoided)
DuesNotAllowed = error_type("DuesNotAllowed", "The dues step does not fit: no assessment for a year it needs, one"
                            " fixed already, no reduction waiting (or one waiting already), or paid ahead beyond the"
                            " allowance.", me.DuesNotAllowed)
DuesLate = error_type("DuesLate", "The payment's first month lies more than the allowed months back: give"
                      " `lateReason`.", me.DuesLate)
ERRORS = (*ERRORS, DuesNotAllowed, DuesLate)
