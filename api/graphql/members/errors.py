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
ApprovalRequired = error_type("ApprovalRequired", "The sending organization's district has the approval step (审批) on:"
                              " the level above the sender approves the transfer (`approveMemberTransfer`) before"
                              " its letter is issued.", me.ApprovalRequired)
RevocationNotAllowed = error_type("RevocationNotAllowed", "The revocation's step does not fit: the transfer is not"
                                  " completed or not the member's latest, a revocation is pending already or none"
                                  " is, or the member has exited.", me.RevocationNotAllowed)
ERRORS = (*ERRORS, ApprovalRequired, RevocationNotAllowed)
MobileCardNotAllowed = error_type("MobileCardNotAllowed", "The mobile card's step does not fit: a card is open"
                                  " already (issue), none is open (review, return), or it was reviewed for that"
                                  " year already.", me.MobileCardNotAllowed)
MobileCardNumberTaken = error_type("MobileCardNumberTaken", "The activity card number is another card's: numbers"
                                   " are never given twice, not even a closed card's.", me.MobileCardNumberTaken)
ReportNotAllowed = error_type("ReportNotAllowed", "The report where the member lives does not fit: reported for"
                              " that year already, or the organization named is no community.",
                              me.ReportNotAllowed)
VolunteerHoursNotAllowed = error_type("VolunteerHoursNotAllowed", "The volunteer entry's step does not fit: no"
                                      " such entry, not pending, its id used already, or the year's entries are"
                                      " full.", me.VolunteerHoursNotAllowed)
AppraisalNotAllowed = error_type("AppraisalNotAllowed", "A rule of the yearly appraisal refuses the rating; the"
                                 " message starts with the rule (`RESIDENCE_REPORT`, `VOLUNTEER_MINIMUM`,"
                                 " `ONCE_A_YEAR`) and gives the figures.", me.AppraisalNotAllowed)
ERRORS = (*ERRORS, MobileCardNotAllowed, MobileCardNumberTaken, ReportNotAllowed, VolunteerHoursNotAllowed,
          AppraisalNotAllowed)
