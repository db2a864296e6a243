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
    GRID_LEADER = "grid_leader"
    """网格长: reads the grids, staff and members of its scope (a community's subtree); runs no
    command of its own yet (the grids' commands are the community's and those above it)."""
    GRID_WORKER = "grid_worker"
    """网格员: reads like a grid leader."""
    BUSINESS_DISTRICT_SECRETARY = "business_district_secretary"
    """商圈党委书记: a business-district committee's secretary; files and recommends its
    demonstration shops' applications, signs their pledges, scores them quarterly."""
    SHOP_OPERATOR = "shop_operator"
    """A demonstration shop's operator (its token's subject is the shop's operator account):
    registers and applies for its own shop, reads its own shop."""
    INSPECTOR = "inspector"
    """督查组成员: a member of an inspection team (an organization department's special
    inspection, an audit bureau's team) within its scope: verifies or rejects the inspected
    side's rectifications. Auditors read and never change anything; inspectors act."""


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



class _Anywhere(tuple[UUID, ...]):
    """The "path" of an object tied to no organization."""


ANYWHERE: Sequence[UUID] = _Anywhere()
"""The "path" of an object tied to no organization (a checkpoint): roles decide alone."""


SUBJECT_BOUND = frozenset({Role.SHOP_OPERATOR})
"""Roles that read only the objects bound to their token's subject, never by organization
scope: a shop operator reads the shop whose operator account it is, and nothing else of
its scope (no members, no other shops, no organization's events)."""


def reads_by_scope(actor: Actor) -> bool:
    """Whether ``actor`` reads by organization scope: it holds a role other than the
    subject-bound ones (``SUBJECT_BOUND``). A token holding only those reads nothing by
    scope; the area that binds objects to subjects (shops) shows it its own."""
    return actor.system or not actor.roles or bool(actor.roles - SUBJECT_BOUND)


def bound_subject(actor: Actor) -> str | None:
    """The token subject a subject-bound reader is limited to; ``None`` for one that reads by
    scope. The feed shows such a reader only the streams bound to this subject."""
    return None if reads_by_scope(actor) else actor.subject


def within_scope(actor: Actor, path: Sequence[UUID] | None) -> bool:
    """Whether the organization at ``path`` lies in the actor's scope (None: no such
    organization, so no). The scope part of ``may_read``; authorization asks this alone,
    since a subject-bound role acts within its scope without reading it."""
    if path is None:
        return False
    if path is ANYWHERE:
        return True
    return actor.scope is None or actor.scope in path


def may_read(actor: Actor, path: Sequence[UUID] | None, readers: frozenset[Role] | None = None) -> bool:
    """The one read rule: may ``actor`` read an object of the organization at ``path``?

    ``path`` is the root-first chain of organization ids ending at the object's
    organization (None: there is no such object, so no). The organization must lie in
    the actor's scope (a whole-system actor reads everything), and the actor must read by
    scope at all (``reads_by_scope``: not a shop operator's token, which reads its own shop
    only); ``readers``, where an area declares them, are the roles that read that kind of
    object at all (webhooks, checkpoints). Queries, nested fields, ``node``, history, the
    feed, subscriptions, exports and webhooks all ask this; lists ask its SQL form
    (``api.views.scope_condition``, proved equal by tests/integration/core/test_read_rule.py).
    """
    if readers is not None and not actor.roles & readers:
        return False
    if not reads_by_scope(actor):
        return False
    return within_scope(actor, path)


def authorize(actor: Actor, action: Rule | type[Rule], path: Sequence[UUID] | None) -> None:
    """Raise NotAuthorized unless ``actor`` may run ``action`` on the organization at ``path``.

    ``action`` is a command (or its class): its ``allowed`` roles and ``structural`` flag
    are the rule, declared once on the command.

    ``path`` is the root-first chain of organization ids ending at the organization the
    command acts on (the parent for an establishment, the receiving organization for
    accept and return, the member's home for everything else about members). An empty
    path stands for "no organization" (establishing a root, a whole-system webhook): only
    a whole-system (unscoped) district admin acts there, whatever other roles allow.
    ``ANYWHERE`` (an object tied to no organization): the roles decide alone.
    """
    if not actor.roles & action.allowed:
        raise NotAuthorized(f"{', '.join(actor.role_names) or 'no role'} may not {action.action}")
    if path is ANYWHERE:
        return
    if path is not None and len(path) == 0:
        if actor.scope is None and Role.DISTRICT_ADMIN in actor.roles:
            return
        raise NotAuthorized("only a whole-system district admin establishes a root or acts on the whole"
                            f" system; you may not {action.action}")
    if actor.scope is None:
        return
    if not within_scope(actor, path):
        raise NotAuthorized(f"the organization is outside your scope; you may not {action.action}")
    assert path is not None
    if action.structural and path[-1] == actor.scope:
        raise NotAuthorized(
            f"{action.action} on your own scope's root is decided from above it; you may not"
        )
