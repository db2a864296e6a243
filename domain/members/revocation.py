"""The approval step (审批) before a letter, and the revocation of a completed transfer.

- **Approval** (``TransferApproval``, ``GRASSROOTS_TRANSFER_APPROVAL``): off by default;
  ``all``, or a list of district ids (the root of the sending organization's tree). Where
  it is on, ``issueTransferLetter`` is refused with ``ApprovalRequired`` until the level
  above the sending organization approves the requested transfer
  (``approveMemberTransfer``: a structural step, from strictly above the sender). It may
  instead reject it with a reason (``rejectMemberTransfer``): the transfer ends
  (``REJECTED``). Where it is off an approval may still be recorded; it changes nothing.
  The setting is read when the letter is issued, so turning it on holds back transfers
  already requested and not yet lettered.
- **Revocation** of a completed transfer found to be wrong: proposed by the sending or the
  receiving side with a reason (``proposeTransferRevocation``), approved from strictly above
  *both* sides in the tree (``approveTransferRevocation``: the level above each; for a
  transfer out of the system, above the sender) or rejected with a reason. The approval
  appends ``Member.TransferRevoked``: the previous home organization is the member's home
  again (a new event; the transfer's own events stay), and the transfer shows as
  ``REVOKED`` with its reason. Only the member's latest transfer, accepted or with its
  receipt back, and no other transfer open. A member who has exited is refused, except
  one who left the system by this very transfer (out of the system): revoking it brings
  the member back into the tree. An incoming transfer from outside is not revoked (the
  member would have nowhere in the tree to go back to): record the member's transfer out.

Pure rules: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID


@dataclass(frozen=True)
class TransferApproval:
    """Where the approval step is on: everywhere (``everywhere``) or in these districts."""

    everywhere: bool = False
    districts: frozenset[UUID] = field(default_factory=frozenset)

    def required(self, district_id: UUID | None) -> bool:
        return self.everywhere or (district_id is not None and district_id in self.districts)

    @classmethod
    def parse(cls, text: str) -> TransferApproval:
        """``off`` (or empty), ``all``, or comma-separated district ids."""
        value = text.strip()
        if value.lower() in ("", "off"):
            return cls()
        if value.lower() == "all":
            return cls(everywhere=True)
        try:
            return cls(districts=frozenset(UUID(part.strip()) for part in value.split(",") if part.strip()))
        except ValueError:
            raise ValueError(f"{text!r}: expected off, all, or comma-separated district ids") from None


@dataclass(frozen=True)
class PendingRevocation:
    """A revocation one side proposed, waiting for the level above."""

    proposed_by: UUID
    proposed_on: date
    reason: str
