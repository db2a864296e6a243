"""A valid instance of each dues-to-fund command (``remitDues``, ``allocateDuesToRedFund``)
with the world it needs, for ``tests/unit/core/test_idempotency_every_command.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from uuid import UUID

from domain.funds.aggregate import FundKind
from domain.funds.commands import OpenFund
from domain.funds.dues_commands import AllocateDuesToRedFund, RemitDues
from domain.shared.commands import Command
from domain.shared.permissions import Actor, Role
from tests.unit.fakes import World, actor, req
from tests.unit.members.builders import assessed

Builder = Callable[[World], Awaitable[tuple[Actor, Command]]]
DUES_FUND_BUILDERS: dict[type[Command], Builder] = {}


def builds(cls: type[Command]) -> Callable[[Builder], Builder]:
    def add(fn: Builder) -> Builder:
        DUES_FUND_BUILDERS[cls] = fn
        return fn
    return add


async def collected(w: World) -> UUID:
    """The east community collected January to March: 270.00 (one member at 90.00 a month)."""
    member = await assessed(w)
    await w.commands.record_dues_payment(req(w.admin), member, 3, "270.00", date(2026, 3, 1))
    return w.east


@builds(RemitDues)
async def _remit(w: World) -> tuple[Actor, Command]:
    east = await collected(w)
    return (actor(Role.FINANCE_OFFICER, scope=east, subject="finance-east"),
            RemitDues(east, 2026, (1, 2, 3), "200.00", "仙社〔2026〕党费 1 号", date(2026, 3, 1), "一季度"))


@builds(AllocateDuesToRedFund)
async def _allocate(w: World) -> tuple[Actor, Command]:
    east = await collected(w)
    finance = actor(Role.FINANCE_OFFICER, scope=east, subject="finance-east")
    red = (await w.commands.run(OpenFund(east, 2026, FundKind.RED_FUND), req(finance))).id
    return finance, AllocateDuesToRedFund(east, red, "100.00", date(2026, 3, 2), "仙社〔2026〕划拨 1 号", 2026,
                                          "红色基金")
