"""Every command × every role × inside/outside scope, against the one rules module."""

from __future__ import annotations

from uuid import uuid4

import pytest

from api.areas import DOMAIN_AREAS
from domain.funds.commands import ApproveProject, RecordPayment
from domain.organizations.commands import EstablishOrganization, RenameOrganization
from domain.shared.commands import Command
from domain.shared.errors import NotAuthorized
from domain.shared.permissions import Actor, Role, authorize
from domain.webhooks.commands import RegisterWebhook

COMMANDS = [c for area in DOMAIN_AREAS for c in area.commands if c.allowed]
"""Every command a person may run (the system's own commands allow no role)."""

DISTRICT, STREET, COMMUNITY, OTHER_STREET = (uuid4() for _ in range(4))
GRID = uuid4()
PATHS = {
    "community": [DISTRICT, STREET, COMMUNITY],
    "grid": [DISTRICT, STREET, COMMUNITY, GRID],
    "other": [DISTRICT, OTHER_STREET],
}
SCOPES = {
    Role.DISTRICT_ADMIN: DISTRICT,
    Role.STREET_ADMIN: STREET,
    Role.COMMUNITY_SECRETARY: COMMUNITY,
    Role.FINANCE_OFFICER: COMMUNITY,
    Role.AUDITOR: DISTRICT,
    Role.INTEGRATION: DISTRICT,
    Role.GRID_LEADER: COMMUNITY,
    Role.GRID_WORKER: COMMUNITY,
    Role.BUSINESS_DISTRICT_SECRETARY: COMMUNITY,
    Role.SHOP_OPERATOR: COMMUNITY,
    Role.INSPECTOR: DISTRICT,
    Role.DEPARTMENT_HANDLER: STREET,
    Role.MEMBER: COMMUNITY,
}


INTAKE = {"recordShopComplaint", "reportRequest"}
"""An integration hands these in (the 12345 hotline's complaints and residents' orders); readers run
nothing else."""


def allowed(action: type[Command], role: Role, target: str) -> bool:
    if role is Role.AUDITOR or (role is Role.INTEGRATION and action.action not in INTAKE):
        return False
    if role not in action.allowed:
        return False
    path = PATHS[target]
    scope = SCOPES[role]
    if scope not in path:
        return False
    return not (action.structural and path[-1] == scope)


@pytest.mark.parametrize("action", COMMANDS, ids=lambda a: a.action)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("target", list(PATHS))
def test_every_command_for_every_role(action: type[Command], role: Role, target: str) -> None:
    actor = Actor("s", "S", frozenset({role}), SCOPES[role])
    if allowed(action, role, target):
        authorize(actor, action, PATHS[target])
    else:
        with pytest.raises(NotAuthorized):
            authorize(actor, action, PATHS[target])


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INTEGRATION], ids=lambda r: r.value)
def test_readers_change_nothing_even_with_whole_system_scope(role: Role) -> None:
    reader = Actor("a", "A", frozenset({role}), None)
    for action in (c for c in COMMANDS if role is Role.AUDITOR or c.action not in INTAKE):
        with pytest.raises(NotAuthorized):
            authorize(reader, action, PATHS["community"])


def test_a_street_admin_approves_a_community_project_but_a_finance_officer_does_not() -> None:
    street = Actor("s", "S", frozenset({Role.STREET_ADMIN}), STREET)
    finance = Actor("f", "F", frozenset({Role.FINANCE_OFFICER}), COMMUNITY)
    authorize(street, ApproveProject, PATHS["community"])
    with pytest.raises(NotAuthorized):
        authorize(finance, ApproveProject, PATHS["community"])
    authorize(finance, RecordPayment, PATHS["community"])


def test_only_a_whole_system_district_admin_establishes_a_root() -> None:
    scoped = Actor("d", "D", frozenset({Role.DISTRICT_ADMIN}), DISTRICT)
    with pytest.raises(NotAuthorized):
        authorize(scoped, EstablishOrganization, [])
    authorize(Actor("g", "G", frozenset({Role.DISTRICT_ADMIN}), None), EstablishOrganization, [])


def test_a_secretary_cannot_rename_her_own_community_but_can_rename_a_grid_below() -> None:
    secretary = Actor("c", "C", frozenset({Role.COMMUNITY_SECRETARY}), COMMUNITY)
    with pytest.raises(NotAuthorized):
        authorize(secretary, RenameOrganization, PATHS["community"])
    authorize(secretary, RenameOrganization, PATHS["grid"])


NO_ORGANIZATION = [c for c in COMMANDS if c in (EstablishOrganization, RegisterWebhook)]
"""The commands that can act on no organization: a root, a whole-system webhook."""


@pytest.mark.parametrize("action", NO_ORGANIZATION, ids=lambda a: a.action)
@pytest.mark.parametrize("roles", [
    {Role.STREET_ADMIN}, {Role.COMMUNITY_SECRETARY}, {Role.FINANCE_OFFICER}, {Role.AUDITOR},
    {Role.INTEGRATION}, {Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY}, set(),
], ids=lambda rs: "+".join(sorted(r.value for r in rs)) or "no-role")
def test_unscoped_actors_other_than_a_district_admin_act_on_no_organization(
    action: type[Command], roles: set[Role],
) -> None:
    with pytest.raises(NotAuthorized):
        authorize(Actor("u", "U", frozenset(roles), None), action, [])
    authorize(Actor("u", "U", frozenset(roles | {Role.DISTRICT_ADMIN}), None), action, [])
    with pytest.raises(NotAuthorized):
        authorize(Actor("u", "U", frozenset(roles | {Role.DISTRICT_ADMIN}), DISTRICT), action, [])
