"""Who may do what: the one module that holds the authorization rules.

An actor holds roles and an organization scope (the root of the subtree it works in;
``None`` means the whole system). It reads and acts only inside that subtree. The
receiving side of a transfer is authorised by the receiving organization's scope. Each
command declares its own rule (``allowed`` roles, ``structural``); this module applies it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol
from uuid import UUID

from domain.shared.errors import NotAuthorized


class Role(enum.Enum):
    """Roles a token can carry."""

    DISTRICT_ADMIN = "district_admin"
    STREET_ADMIN = "street_admin"
    COMMUNITY_SECRETARY = "community_secretary"
    FINANCE_OFFICER = "finance_officer"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


ADMINS = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY})
"""Those who keep the organization tree and the member rolls."""
ABOVE = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN})
"""Those above a community: approvals, inspections, whole-subtree integrations."""
FINANCE = frozenset({Role.FINANCE_OFFICER})
LOCAL = frozenset({Role.FINANCE_OFFICER, Role.COMMUNITY_SECRETARY})
"""A community's own secretary and finance officer."""


class Rule(Protocol):
    """What authorization needs of a command (its class): the use case's name and its rule."""

    action: ClassVar[str]
    allowed: ClassVar[frozenset[Role]]
    structural: ClassVar[bool]


@dataclass(frozen=True)
class Actor:
    """The authenticated caller: token subject, display name, roles and scope."""

    subject: str
    name: str
    roles: frozenset[Role]
    scope: UUID | None
    """Root of the organization subtree the actor works in; None for the whole system."""
    system: bool = False
    """The program itself (pausing a failing webhook); never set from a token."""

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(sorted(r.value for r in self.roles))

    def sees(self, path: Sequence[UUID] | None) -> bool:
        """Whether an organization with this root-first path lies inside the scope."""
        if path is None:
            return False
        return self.scope is None or self.scope in path


def authorize(actor: Actor, action: Rule | type[Rule], path: Sequence[UUID] | None) -> None:
    """Raise NotAuthorized unless ``actor`` may run ``action`` on the organization at ``path``.

    ``action`` is a command (or its class): its ``allowed`` roles and ``structural`` flag
    are the rule, declared once on the command.

    ``path`` is the root-first chain of organization ids ending at the organization the
    command acts on (the parent for an establishment, the receiving organization for
    accept and return, the member's home for everything else about members). An empty
    path stands for "no parent": establishing a root needs a whole-system district admin.
    """
    if not actor.roles & action.allowed:
        raise NotAuthorized(f"{', '.join(actor.role_names) or 'no role'} may not {action.action}")
    if actor.scope is None:
        return
    if path is not None and len(path) == 0:
        raise NotAuthorized("only a whole-system district admin establishes a root organization")
    if not actor.sees(path):
        raise NotAuthorized(f"the organization is outside your scope; you may not {action.action}")
    assert path is not None
    if action.structural and path[-1] == actor.scope:
        raise NotAuthorized(
            f"{action.action} on your own scope's root is decided from above it; you may not"
        )
