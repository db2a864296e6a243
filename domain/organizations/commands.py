"""The organization tree's commands: establish, rename, move, dissolve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Command
from domain.shared.permissions import ADMINS


@dataclass(frozen=True)
class EstablishOrganization(Command):
    """Establish an organization under a parent (a district root has none)."""

    action = "establishOrganization"
    allowed = ADMINS
    kind: OrganizationKind
    name: str
    parent_id: UUID | None
    code: str | None = None
    established_on: date | None = None


@dataclass(frozen=True)
class RenameOrganization(Command):
    action = "renameOrganization"
    allowed = ADMINS
    structural = True
    organization_id: UUID
    name: str


@dataclass(frozen=True)
class MoveOrganization(Command):
    """Move an organization, with its subtree, under a new parent."""

    action = "moveOrganization"
    allowed = ADMINS
    structural = True
    organization_id: UUID
    new_parent_id: UUID


@dataclass(frozen=True)
class DissolveOrganization(Command):
    action = "dissolveOrganization"
    allowed = ADMINS
    structural = True
    organization_id: UUID
    reason: str
    dissolved_on: date | None = None
