"""Who may do what: the one module that holds the authorization rules.

An actor holds roles and an organization scope (the root of the subtree it works in;
``None`` means the whole system). It reads and acts only inside that subtree. The
receiving side of a transfer is authorised by the receiving organization's scope. Each
command declares its own rule (``allowed`` roles, ``structural``); this module applies it.

A grid-scoped actor (a grid leader's or worker's token with a ``grid`` claim) has its grid's
community as its scope and reads and acts only on what is specific to that grid: every rule
here that knows no grid answers no for it (``reads_by_scope``), and the grids area adds the
grid's own conditions (``Actor.covers_grid``, ``bound_grid``, ``authorize(..., grid=)``).
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
    """网格长: with an organization scope, reads the grids, staff and members of its scope (a
    community's subtree); with a grid scope (a ``grid`` claim), only its grid, its staff and the
    members who reside in it (``Actor.grid``). Runs the commands that allow it within its grid."""
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
    MEMBER = "member"
    """A Party member's own token (its subject is the member's id, as ``member_subject`` spells
    it): reads only the member's own record (dues, volunteer hours, reports, appraisals) and
    the member's own events; logs the member's volunteer hours (pending), nothing else."""
    DEPARTMENT_HANDLER = "department_handler"
    """职能部门经办人: a street's or district's functional department. Its token's scope is the
    department's owner (the street or district) and its subject the department's id: it
    accepts, sends back and resolves the residents' requests dispatched to that department
    only (``domain.requests``)."""


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
    grid: UUID | None = None
    """A grid-scoped token's grid (its ``grid`` claim; ``scope`` is then the grid's community):
    the actor reads and acts only on what is specific to that grid (``covers_grid``)."""

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(sorted(r.value for r in self.roles))

    def covers_grid(self, grid_id: UUID, community_path: Sequence[UUID] | None) -> bool:
        """Whether the actor reads and acts on grid ``grid_id`` of the community at
        ``community_path`` (root-first, ending with the community; None: no such grid).

        A grid-scoped actor covers its own grid only, and only while that grid lies in its
        token's community (a grid claim naming another community's grid covers nothing); an
        organization-scoped actor covers the grids of its subtree; a subject-bound one none.
        A grid-scoped grid worker's command checks this (``authorize(..., grid=...)``)."""
        if community_path is None:
            return False
        if self.grid is not None:
            return self.grid == grid_id and within_scope(self, community_path)
        return reads_by_scope(self) and within_scope(self, community_path)



class _Anywhere(tuple[UUID, ...]):
    """The "path" of an object tied to no organization."""


ANYWHERE: Sequence[UUID] = _Anywhere()
"""The "path" of an object tied to no organization (a checkpoint): roles decide alone."""


GRID_SCOPED = frozenset({Role.GRID_LEADER, Role.GRID_WORKER})
"""The roles a grid-scoped token (a ``grid`` claim) may hold, and no other."""

SUBJECT_BOUND = frozenset({Role.SHOP_OPERATOR, Role.MEMBER})
"""Roles that read only the objects bound to their token's subject, never by organization
scope: a shop operator reads the shop whose operator account it is, and nothing else of
its scope (no members, no other shops, no organization's events); a member reads their own
record (``own_member``)."""


def own_member(actor: Actor) -> UUID | None:
    """The member a ``MEMBER`` token is bound to: its subject, a member's id (``None`` for any
    other token, or a subject that is no UUID). A token that also reads by scope is no member's
    token: it reads by scope."""
    if Role.MEMBER not in actor.roles or reads_by_scope(actor):
        return None
    try:
        return UUID(actor.subject)
    except ValueError:
        return None


def reads_by_scope(actor: Actor) -> bool:
    """Whether ``actor`` reads by organization scope: it holds a role other than the
    subject-bound ones (``SUBJECT_BOUND``). A token holding only those reads nothing by
    scope; the area that binds objects to subjects (shops) shows it its own."""
    if actor.grid is not None and not actor.system:
        return False  # a grid-scoped token reads only what is specific to its grid (fails closed)
    return actor.system or not actor.roles or bool(actor.roles - SUBJECT_BOUND)


def bound_subject(actor: Actor) -> str | None:
    """The token subject a subject-bound reader is limited to; ``None`` for one that reads by
    scope, or by grid (``bound_grid``). The feed shows such a reader only the streams bound to
    this subject."""
    if reads_by_scope(actor) or actor.grid is not None:
        return None
    if Role.MEMBER in actor.roles:  # a member's token: their own stream (the feed's BOUND, ``member:<id>``)
        return f"member:{own_member(actor) or '-'}"
    return actor.subject


def bound_grid(actor: Actor) -> UUID | None:
    """The grid a grid-scoped reader is limited to (``None``: not grid-scoped). The feed shows
    such a reader only that grid's own stream and the events whose payload names the grid
    (``grid_id``, ``previous_grid_id``: a member's residence), within its community; every
    read that has no condition for grids answers nothing (``reads_by_scope`` is false)."""
    return None if actor.system else actor.grid


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


def authorize(actor: Actor, action: Rule | type[Rule], path: Sequence[UUID] | None,
              grid: UUID | None = None) -> None:
    """Raise NotAuthorized unless ``actor`` may run ``action`` on the organization at ``path``.

    ``action`` is a command (or its class): its ``allowed`` roles and ``structural`` flag
    are the rule, declared once on the command.

    ``path`` is the root-first chain of organization ids ending at the organization the
    command acts on (the parent for an establishment, the receiving organization for
    accept and return, the member's home for everything else about members). An empty
    path stands for "no organization" (establishing a root, a whole-system webhook): only
    a whole-system (unscoped) district admin acts there, whatever other roles allow.
    ``ANYWHERE`` (an object tied to no organization): the roles decide alone.

    ``grid``: the grid the command acts within, where it has one (``path`` is then the grid's
    community). A grid-scoped actor (``Actor.grid``) acts only on its own grid's commands:
    a command without a grid, or on another grid, is refused (fails closed).
    """
    if not actor.roles & action.allowed:
        raise NotAuthorized(f"{', '.join(actor.role_names) or 'no role'} may not {action.action}")
    if actor.grid is not None and not actor.system and grid != actor.grid:
        raise NotAuthorized(f"a grid-scoped token acts only within its grid; you may not {action.action} here")
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
