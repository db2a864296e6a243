"""Mutations of the organization tree: each builds a command and hands it to the domain."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import strawberry

from api.graphql.core import errors as e
from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.organizations.errors import (
    CentralHouseholdNotAnOrganization,
    IllegalParent,
    InvalidGridBranchCode,
    OrganizationDissolved,
    OrganizationNotEmpty,
)
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from domain.organizations.aggregate import OrganizationKind
from domain.organizations.commands import (
    DissolveOrganization,
    EstablishOrganization,
    MoveOrganization,
    RenameOrganization,
)
from domain.shared.commands import Outcome


@strawberry.type(description="The organization as the read model has it after the change.")
class OrganizationPayload:
    organization: Organization | None = strawberry.field(description="The changed organization.")
    position: int = strawberry.field(description="Log position of the change.")


OrgResult = result_union("EstablishOrganizationResult", OrganizationPayload, IllegalParent,
                   e.AlreadyExists, OrganizationDissolved, InvalidGridBranchCode, CentralHouseholdNotAnOrganization)


RenameResult = result_union("RenameOrganizationResult", OrganizationPayload, OrganizationDissolved)


MoveResult = result_union("MoveOrganizationResult", OrganizationPayload, IllegalParent,
                    OrganizationDissolved)


DissolveResult = result_union("DissolveOrganizationResult", OrganizationPayload,
                        OrganizationNotEmpty, OrganizationDissolved)


_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")


_VERSION = "The version you last saw; if the object has moved on you get VersionConflict."


@strawberry.input(description="Establish an organization under a parent.")
class EstablishOrganizationInput:
    kind: OrganizationKind = strawberry.field(description="What kind of organization.")
    name: str = strawberry.field(
        description="Its name: 1–120 characters (NFKC-normalised, invisible characters removed).")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The parent; null for a district root.")
    code: str | None = strawberry.field(
        default=None, description="12-digit division code (streets, communities; digits 0-9, fullwidth ones read as"
                                  " such); a GRID_BRANCH's, if given, is its community's division code and a"
                                  " 3-digit sequence (15 digits); other kinds may keep a code of at most 32"
                                  " characters.")
    established_on: date | None = strawberry.field(
        default=None, description="Defaults to today; not ahead of today, not before 1921-07-01.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Rename an organization.")
class RenameOrganizationInput:
    id: strawberry.ID = strawberry.field(description="The organization.")
    name: str = strawberry.field(description="The new name: 1–120 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Move an organization (and its subtree) under a new parent.")
class MoveOrganizationInput:
    id: strawberry.ID = strawberry.field(description="The organization to move.")
    new_parent_id: strawberry.ID = strawberry.field(description="Its new parent (a legal parent kind).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Dissolve an organization that has no members and no children left.")
class DissolveOrganizationInput:
    id: strawberry.ID = strawberry.field(description="The organization.")
    reason: str = strawberry.field(description="Why it is dissolved (recorded; 1–500 characters).")
    dissolved_on: date | None = strawberry.field(
        default=None, description="Defaults to today; not ahead of today, not before its establishment.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


def _org_payload(info: Info) -> Callable[[Outcome], Awaitable[OrganizationPayload]]:
    async def present(o: Outcome) -> OrganizationPayload:
        info.context.loaders.forget(o.id)
        return OrganizationPayload(organization=await load_organization(info, o.id), position=o.position)
    return present


@strawberry.type(description="Change the organization tree.")
class OrganizationMutations:
    @strawberry.mutation(description="Establish an organization under a legal parent.")
    async def establish_organization(self, info: Info, input: EstablishOrganizationInput) -> OrgResult:
        return await execute(info, input, lambda: EstablishOrganization(
            kind=input.kind, name=input.name, parent_id=parse_opt_id(input.parent_id, "parentId"),
            code=input.code, established_on=input.established_on), _org_payload(info))

    @strawberry.mutation(description="Rename an organization.")
    async def rename_organization(self, info: Info, input: RenameOrganizationInput) -> RenameResult:
        return await execute(info, input, lambda: RenameOrganization(
            organization_id=parse_id(input.id, "id"), name=input.name), _org_payload(info))

    @strawberry.mutation(description="Move an organization and its subtree under a new legal parent.")
    async def move_organization(self, info: Info, input: MoveOrganizationInput) -> MoveResult:
        return await execute(info, input, lambda: MoveOrganization(
            organization_id=parse_id(input.id, "id"), new_parent_id=parse_id(input.new_parent_id, "newParentId")),
            _org_payload(info))

    @strawberry.mutation(description="Dissolve an organization with no members or children left.")
    async def dissolve_organization(self, info: Info, input: DissolveOrganizationInput) -> DissolveResult:
        return await execute(info, input, lambda: DissolveOrganization(
            organization_id=parse_id(input.id, "id"), reason=input.reason, dissolved_on=input.dissolved_on),
            _org_payload(info))
