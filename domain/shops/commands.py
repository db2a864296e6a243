"""Shops' commands: rounds, registration, the selection steps, plaques, complaints, scores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.shared.commands import Command
from domain.shared.permissions import Role
from domain.shops.aggregate import Channel
from domain.shops.licence import Attestation

A, S, C = Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY
BDS, OP = Role.BUSINESS_DISTRICT_SECRETARY, Role.SHOP_OPERATOR
DISTRICT = frozenset({A})
"""The organization department (组织部): approves, awards, revokes, decides reviews."""
ABOVE = frozenset({A, S})
COMMITTEE = frozenset({BDS, C})
"""The shop's own business-district committee or community Party organization."""


@dataclass(frozen=True)
class OpenSelectionRound(Command):
    """Open the year's selection of demonstration shops for a business district (or subtree)."""

    action = "openSelectionRound"
    allowed = DISTRICT
    organization_id: UUID
    year: int
    quota: int
    notice_days: int | None = None
    """Days of public notice; default from configuration (5)."""
    opened_on: date | None = None


@dataclass(frozen=True)
class CloseSelectionRound(Command):
    """Close the year's round once no application in it is pending: it takes no more."""

    action = "closeSelectionRound"
    allowed = DISTRICT
    round_id: UUID
    on: date | None = None


@dataclass(frozen=True)
class RegisterShop(Command):
    """Register a shop run by a member (``owner_member_id``) or by a named operator with a
    member responsible for it."""

    action = "registerShop"
    allowed = COMMITTEE | ABOVE | {OP}
    organization_id: UUID
    name: str
    credit_code: str
    licence_valid_until: date
    address: str
    category: str
    owner_member_id: UUID | None = None
    operator_name: str | None = None
    responsible_member_id: UUID | None = None
    operator_account: str | None = None
    """The token subject of the shop's operator (a SHOP_OPERATOR registering sets its own)."""
    longitude: float | None = None
    latitude: float | None = None


@dataclass(frozen=True)
class ShopCommand(Command):
    shop_id: UUID


@dataclass(frozen=True)
class UpdateShopDetails(ShopCommand):
    """Update a shop's details (a renewed business licence, a new address or map point, another
    category), by its committee; what is not given stays."""

    action = "updateShopDetails"
    allowed = COMMITTEE
    licence_valid_until: date | None = None
    address: str | None = None
    category: str | None = None
    longitude: float | None = None
    latitude: float | None = None


@dataclass(frozen=True)
class ApplyShop(ShopCommand):
    """Apply for the round with the eligibility attestations."""

    action = "applyShop"
    allowed = COMMITTEE | {OP}
    round_id: UUID
    attestations: tuple[Attestation, ...]
    on: date | None = None


@dataclass(frozen=True)
class RecommendShop(ShopCommand):
    action = "recommendShop"
    allowed = COMMITTEE
    note: str | None = None
    on: date | None = None


@dataclass(frozen=True)
class PreReviewShop(ShopCommand):
    action = "preReviewShop"
    allowed = ABOVE
    note: str | None = None
    on: date | None = None


@dataclass(frozen=True)
class ApproveShop(ShopCommand):
    action = "approveShop"
    allowed = DISTRICT
    on: date | None = None


@dataclass(frozen=True)
class SignShopPledge(ShopCommand):
    action = "signShopPledge"
    allowed = COMMITTEE
    on: date | None = None


@dataclass(frozen=True)
class FileShopObjection(ShopCommand):
    action = "fileShopObjection"
    allowed = COMMITTEE | ABOVE
    text: str
    on: date | None = None


@dataclass(frozen=True)
class ResolveShopObjection(ShopCommand):
    action = "resolveShopObjection"
    allowed = DISTRICT
    objection_id: UUID
    upheld: bool
    resolution: str
    on: date | None = None


@dataclass(frozen=True)
class RefuseShop(ShopCommand):
    """Refuse the open application at its step, with a reason (who refuses depends on the
    step: the committee an application, the street a recommendation, the district later)."""

    action = "refuseShop"
    allowed = COMMITTEE | ABOVE
    reason: str
    on: date | None = None


@dataclass(frozen=True)
class AwardShopPlaque(ShopCommand):
    action = "awardShopPlaque"
    allowed = DISTRICT
    plaque_serial: str
    on: date | None = None


@dataclass(frozen=True)
class RevokeShop(ShopCommand):
    action = "revokeShop"
    allowed = DISTRICT
    reason: str
    on: date | None = None


@dataclass(frozen=True)
class RecoverShopPlaque(ShopCommand):
    action = "recoverShopPlaque"
    allowed = ABOVE
    recovered_by: str
    on: date | None = None


@dataclass(frozen=True)
class RecordShopComplaint(ShopCommand):
    """Record a complaint; an integration (the 12345 hotline) records the ones it receives, the
    one command a reading role runs (it changes no state of the shop, it only files a complaint)."""

    action = "recordShopComplaint"
    allowed = COMMITTEE | ABOVE | {Role.INTEGRATION}
    channel: Channel
    summary: str
    complainant_name: str | None = None
    phone: str | None = None
    received_on: date | None = None


@dataclass(frozen=True)
class InvestigateShopComplaint(ShopCommand):
    action = "investigateShopComplaint"
    allowed = ABOVE
    complaint_id: UUID
    investigator: str
    on: date | None = None


@dataclass(frozen=True)
class ConcludeShopComplaint(ShopCommand):
    """Conclude a complaint; verified and serious, it revokes the plaque at once (一票否决)."""

    action = "concludeShopComplaint"
    allowed = DISTRICT
    complaint_id: UUID
    verified: bool
    serious: bool
    conclusion: str
    on: date | None = None


@dataclass(frozen=True)
class ScoreShopQuarter(ShopCommand):
    action = "scoreShopQuarter"
    allowed = COMMITTEE | {S}
    year: int
    quarter: int
    scores: tuple[tuple[str, int], ...]
    on: date | None = None


@dataclass(frozen=True)
class ReviewShopYear(ShopCommand):
    """Confirm the year's stars (3 or 5) from its quarterly scores, or revoke below them."""

    action = "reviewShopYear"
    allowed = DISTRICT
    year: int
    on: date | None = None


@dataclass(frozen=True)
class EraseShopComplaintPersonalData(ShopCommand):
    """Erase a complainant's personal data (name, phone) on a lawful request, with the reason:
    the complaint's keys are destroyed (crypto-shredding), the complaint itself stays."""

    action = "eraseShopComplaintPersonalData"
    allowed = DISTRICT
    complaint_id: UUID
    reason: str
