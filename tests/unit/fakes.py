"""The domain's collaborators for unit tests: the in-memory store and a settable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from domain.organizations.aggregate import OrganizationKind
from domain.organizations.directory import AggregateDirectory
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from eventstore.memory import InMemoryEventStore
from tests.usecases import UseCases


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


def actor(*roles: Role, scope: UUID | None = None, subject: str = "unit") -> Actor:
    return Actor(subject=subject, name=subject, roles=frozenset(roles), scope=scope)


def req(a: Actor, **kw: object) -> Request:
    return Request(a, uuid4(), **kw)  # type: ignore[arg-type]


@dataclass
class World:
    store: InMemoryEventStore
    clock: Clock
    commands: UseCases
    admin: Actor
    district: UUID
    street: UUID
    east: UUID
    west: UUID


async def world() -> World:
    clock = Clock()
    store = InMemoryEventStore(clock)
    commands = UseCases.build(store, AggregateDirectory(store), clock)
    admin = actor(Role.DISTRICT_ADMIN, subject="admin")
    k = OrganizationKind
    district = (await commands.establish_organization(req(admin), k.DISTRICT_COMMITTEE, "龙港区委", None)).id
    street = (await commands.establish_organization(
        req(admin), k.STREET_WORKING_COMMITTEE, "望海寺街道党工委", district, "211403002000")).id
    east = (await commands.establish_organization(
        req(admin), k.COMMUNITY_COMMITTEE, "仙山社区党委", street, "211403002001")).id
    west = (await commands.establish_organization(
        req(admin), k.COMMUNITY_BRANCH, "海月社区党支部", street, "211403002002")).id
    return World(store, clock, commands, admin, district, street, east, west)
