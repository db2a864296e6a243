"""A business district on real PostgreSQL: members, a round and shops at any step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import asyncpg

from api.areas import PROJECTIONS
from api.config import Settings
from api.graphql.core.context import Context, Loaders
from api.schema import schema
from domain.members.aggregate import Gender, Standing
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from domain.shops.licence import Attestation, Attested, credit_check_character
from tests.integration.support import catch_up, commands, id_number
from tests.usecases import UseCases

ADMIN = Actor(subject="shop-admin", name="组织部", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
_n = count(1)


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


def credit_code(n: int) -> str:
    body = f"92211403MA{n % 10_000_000:07d}"
    return body + credit_check_character(body)


ATTESTED = tuple(Attestation(c, True, "建信证〔2026〕7号") for c in Attested)


@dataclass
class District:
    cmds: UseCases
    clock: Clock
    district: uuid.UUID
    street: uuid.UUID
    committee: uuid.UUID
    secretary: Actor
    street_admin: Actor

    def req(self, who: Actor = ADMIN) -> Request:
        return Request(who, uuid.uuid4())

    async def member(self) -> uuid.UUID:
        n = next(_n)
        return (await self.cmds.register_member(
            self.req(), name=f"党员{n}", gender=Gender.MALE, birth_date=date(1978, 3, 4), ethnicity="汉族",
            id_number=id_number(f"2114031978030{n % 10000:04d}"), phone=None, standing=Standing.FULL,
            joined_on=date(2005, 7, 1), home_organization_id=self.committee, dues_paid_through=date(2026, 2, 1))).id

    async def round(self, year: int, quota: int) -> uuid.UUID:
        return (await self.cmds.open_selection_round(self.req(), self.committee, year, quota, None,
                                                     date(year, 1, 5) if year < 2026 else None)).id

    async def shop(self, operator: str | None = None, longitude: float | None = 122.07) -> uuid.UUID:
        n = next(_n)
        return (await self.cmds.register_shop(
            self.req(self.secretary), self.committee, f"党员示范店{n}", credit_code(n), date(2030, 12, 31),
            f"建安路{n}号", "RETAIL", owner_member_id=await self.member(), operator_account=operator,
            longitude=longitude, latitude=None if longitude is None else 41.12)).id

    async def to_notice(self, shop: uuid.UUID, round_id: uuid.UUID, on: date | None = None) -> None:
        c, s = self.cmds, self.secretary
        await c.apply_shop(self.req(s), shop, round_id, ATTESTED, on)
        await c.recommend_shop(self.req(s), shop, "推荐", on)
        await c.pre_review_shop(self.req(self.street_admin), shop, "初审", on)
        await c.approve_shop(self.req(), shop, on)
        await c.sign_shop_pledge(self.req(s), shop, on)

    async def awarded(self, round_id: uuid.UUID, serial: str, on: date | None = None,
                      award_on: date | None = None, shop: uuid.UUID | None = None) -> uuid.UUID:
        s = shop or await self.shop()
        await self.to_notice(s, round_id, on)
        if award_on is None:
            self.clock.advance(6)
        await self.cmds.award_shop_plaque(self.req(), s, serial, award_on)
        return s


async def district(pool: asyncpg.Pool) -> District:
    clock = Clock()
    cmds = commands(pool, clock)
    K = OrganizationKind
    r = Request(ADMIN, uuid.uuid4())
    d = (await cmds.establish_organization(r, K.DISTRICT_COMMITTEE, "建安区委", None)).id
    st = (await cmds.establish_organization(r, K.STREET_WORKING_COMMITTEE, "建安街道党工委", d, "211403002000")).id
    bd = (await cmds.establish_organization(r, K.BUSINESS_DISTRICT_COMMITTEE, "建安商圈党委", st)).id
    secretary = Actor("bd-secretary", "书记", frozenset({Role.BUSINESS_DISTRICT_SECRETARY}), bd)
    street_admin = Actor("street-admin", "街道", frozenset({Role.STREET_ADMIN}), st)
    return District(cmds, clock, d, st, bd, secretary, street_admin)


SHOP_PROJECTIONS = ("organizations", "members", "transfers", "shops", "shop_tenures", "selection_rounds",
                    "event_scopes")


async def settle(dsn: str) -> None:
    for name in SHOP_PROJECTIONS:
        await catch_up(dsn, PROJECTIONS[name])


class Settled:
    async def position(self) -> int:
        return 0


async def query(pool: asyncpg.Pool, document: str, actor: Actor = ADMIN, clock: Clock | None = None,
                **variables: Any) -> dict[str, Any]:
    now = (clock or Clock())()
    context = Context(actor=actor, pool=pool, commands=None, supervisor=Settled(),  # type: ignore[arg-type]
                      settings=Settings(), correlation_id=uuid.uuid4(), loaders=Loaders(pool), clock=lambda: now)
    result = await schema.execute(document, variable_values=variables, context_value=context)
    assert not result.errors, result.errors
    assert result.data is not None
    return result.data
