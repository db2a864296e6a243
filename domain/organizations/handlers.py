"""The organization tree's use cases: authorize → load → decide (``Handling`` appends)."""

from __future__ import annotations

from domain.organizations.aggregate import (
    Organization,
    OrganizationKind,
    check_code,
    check_established_on,
    check_name,
    check_parent,
)
from domain.organizations.commands import (
    DissolveOrganization,
    EstablishOrganization,
    MoveOrganization,
    RenameOrganization,
)
from domain.organizations.errors import CentralHouseholdNotAnOrganization
from domain.shared import events as ev
from domain.shared.commands import required_reason
from domain.shared.errors import InvalidInput
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.ports import Claim, Release

PARENT = "organization.parent"
"""Claim scope: a child's link to its parent (a parent with children is not vacant)."""
HOME = "member.home"
"""Claim scope of the members area: a member's home (dissolving needs none left)."""
CODE = "organization.code"


async def establish_organization(cmd: EstablishOrganization, unit: Unit) -> Decision:
    await unit.authorize(cmd.parent_id, field="parentId")
    if cmd.kind is OrganizationKind.MEMBER_CENTRAL_HOUSEHOLD:  # refused here, never on replay: old ones load
        raise CentralHouseholdNotAnOrganization(
            "a member central household (党员中心户) is a designation of a member, not an organization:"
            " use designateCentralHousehold (its member, building, doors served)", field="kind")
    name = check_name(cmd.name)
    parent = None if cmd.parent_id is None else await unit.load(Organization, cmd.parent_id, "parent")
    check_parent(cmd.kind, None if parent is None else parent.kind)
    if parent is not None:
        parent.ensure_active()
    code = check_code(cmd.kind, cmd.code, None if parent is None else parent.code)
    established_on = check_established_on(cmd.established_on or unit.today(), unit.today())
    org = Organization(kind=cmd.kind, name=name, code=code, parent_id=cmd.parent_id,
                       established_on=established_on)
    claims = [Claim(CODE, code, org.id)] if code else []
    if parent is not None:
        claims.append(Claim(PARENT, str(org.id), parent.id))
    return Decision(org.id, ev.to_new_events(org), claims=claims, claim_fields={CODE: "code"},
                    guards={} if parent is None else {parent.id: parent.version})


async def rename_organization(cmd: RenameOrganization, unit: Unit) -> Decision:
    await unit.authorize(cmd.organization_id, field="id")
    org = await unit.load(Organization, cmd.organization_id, "organization")
    unit.expect(org)
    org.rename(cmd.name)
    return changed(org)


async def move_organization(cmd: MoveOrganization, unit: Unit) -> Decision:
    await unit.authorize(cmd.organization_id, field="id")
    new_path = await unit.authorize(cmd.new_parent_id, field="newParentId")
    if cmd.organization_id in new_path:
        raise InvalidInput("an organization cannot move under itself or its own descendant",
                           field="newParentId")
    org = await unit.load(Organization, cmd.organization_id, "organization")
    unit.expect(org)
    parent = await unit.load(Organization, cmd.new_parent_id, "newParent")
    org.move(parent)
    return changed(org, guards={parent.id: parent.version},
                   claims=[Claim(PARENT, str(org.id), parent.id, replace=True)])


async def dissolve_organization(cmd: DissolveOrganization, unit: Unit) -> Decision:
    await unit.authorize(cmd.organization_id, field="id")
    reason = required_reason(cmd.reason)
    org = await unit.load(Organization, cmd.organization_id, "organization")
    unit.expect(org)
    org.dissolve(cmd.dissolved_on or unit.today(), unit.today())
    # A dissolved organization keeps its division code: codes are never reused.
    return changed(org, releases=[Release(PARENT, str(org.id))], vacant=[(org.id, (HOME, PARENT))],
                   reason=reason)


HANDLERS: dict[type, Handler] = {
    EstablishOrganization: establish_organization,
    RenameOrganization: rename_organization,
    MoveOrganization: move_organization,
    DissolveOrganization: dissolve_organization,
}
