"""Exits (党员出党): how a member leaves the Party, and the rules each way follows.

A member leaves by death (死亡), removal (除名), expulsion (开除党籍) or withdrawal (退党);
a member transferred to an organization outside the system leaves the system the same way.
Removal takes two recorded steps: the branch general meeting decides (``RemovalProposed``,
taken at the member's home organization), then the level above approves
(``RemovalApproved``, a structural step: only from strictly above the home) or rejects it.
Expulsion is recorded with the disciplinary body's decision reference.

An exited member keeps the whole stream (history, transfers, corrections), but no longer
holds a home organization's claim (``member.home``), so dissolving the organization no
longer waits for them, and no longer counts in rosters (``members`` lists) and statistics
(``memberCount``). The home stays recorded as the organization the member left: that is
where the record is read from. Nothing here removes anyone automatically: the six-month
review (自行脱党) only raises a flag, and a removal is always the two steps above.

Pure rules: no I/O; the aggregate (``domain.members.aggregate``) records the events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from domain.shared.errors import InvalidInput
from domain.shared.text import clean

MAX_REFERENCE = 200
"""A decision's reference (文号, minutes' number) is short: at most 200 characters."""


class ExitKind(enum.Enum):
    """How a member left the Party."""

    DEATH = "DEATH"
    REMOVAL = "REMOVAL"
    EXPULSION = "EXPULSION"
    WITHDRAWAL = "WITHDRAWAL"
    TRANSFERRED_OUT = "TRANSFERRED_OUT"
    """Left the system: transferred to an organization outside it (``domain.members.transfers``)."""


EXIT_EVENTS = {
    "Member.DeathRecorded": ExitKind.DEATH,
    "Member.RemovalApproved": ExitKind.REMOVAL,
    "Member.Expelled": ExitKind.EXPULSION,
    "Member.WithdrawalRecorded": ExitKind.WITHDRAWAL,
    "Member.TransferredOut": ExitKind.TRANSFERRED_OUT,
    "Member.IncomingTransferReturned": ExitKind.TRANSFERRED_OUT,  # domain.members.incoming
}
"""The events with which a member exits, and the kind of exit each records."""


@dataclass(frozen=True)
class MemberExit:
    """How and when the member left, with the decision it rests on where there is one."""

    kind: ExitKind
    on: date
    reference: str | None = None


@dataclass(frozen=True)
class PendingRemoval:
    """A removal the branch general meeting decided, waiting for the level above."""

    decided_on: date
    decision_reference: str


def check_exit_date(on: date, joined_on: date, today: date, field: str) -> date:
    """An exit's date: not before the member joined, not ahead of today."""
    if on > today:
        raise InvalidInput("the date lies in the future", field=field)
    if on < joined_on:
        raise InvalidInput("a member exits after joining", field=field)
    return on


def check_reference(value: str, field: str) -> str:
    """A decision's reference: 1–200 characters after normalisation."""
    reference = clean(value)
    if not reference:
        raise InvalidInput("the decision's reference is required", field=field)
    if len(reference) > MAX_REFERENCE:
        raise InvalidInput(f"a reference has at most {MAX_REFERENCE} characters", field=field)
    return reference
