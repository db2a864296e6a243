"""The dues' cases of ``tests/integration/core/test_mutation_statements.py``: the world each
mutation needs, its two runs (warm, then measured) and the pinned statement counts.

Kept beside the area's tests; the core test takes them in (``DUES_CASES``, ``DUES_EXPECTED``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from domain.members.dues import DuesCategory
from domain.shared.permissions import Actor, Role
from tests.integration.support import register, req
from tests.usecases import UseCases

ADMIN = Actor(subject="counted-admin", name="管理员", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)

DUES_EXPECTED: dict[str, int] = {
    # member stream, home path, append, member row and home row
    "assessMemberDues": 5,
    "proposeDuesReduction": 5,
    # member stream, home path (from strictly above it), append, member row and home row
    "approveDuesReduction": 5,
    "rejectDuesReduction": 5,
    # member stream, home path, append, member row and home row
    "recordDuesPayment": 5,
    "recordMemberActivity": 5,
}
Run = tuple[Actor, str, str, Callable[[dict[str, Any]], bool]]
"""(actor, the warming document, the measured document, whether the payload shows the change)."""
DUES_CASES: dict[str, Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Run]]] = {}


class Bare(str):
    """An enum value, written bare."""


def _literal(value: Any) -> str:
    if isinstance(value, Bare | int):
        return str(value)
    return '"' + str(value) + '"'


def doc(mutation: str, **fields: Any) -> str:
    """The mutation with ``fields`` as its input, asking for the member's own fields."""
    args = ", ".join(f"{k}: {_literal(v)}" for k, v in fields.items())
    return (f"mutation {{ {mutation}(input: {{{args}}}) {{ __typename ... on MemberPayload {{ member {{ id name"
            " standing } } ... on Error { code message } } }")


def case(mutation: str) -> Callable[[Any], Any]:
    def add(setup: Any) -> Any:
        DUES_CASES[mutation] = setup
        return setup
    return add


def _is(member: uuid.UUID) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p["__typename"] == "MemberPayload" and p["member"]["id"] == str(member)


async def _members(cmds: UseCases, ids: dict[str, uuid.UUID], assessed: bool = True) -> list[uuid.UUID]:
    members = [(await register(cmds, ids["west"], name, prefix)).id
               for name, prefix in (("韩梅", "32050819790412031"), ("秦川", "32050819790412042"))]
    for member in members if assessed else ():
        await cmds.assess_member_dues(req(), member, 2026, DuesCategory.EMPLOYED, "6000.00")
    return members


async def _proposed(cmds: UseCases, ids: dict[str, uuid.UUID]) -> list[uuid.UUID]:
    members = await _members(cmds, ids)
    for member in members:
        await cmds.propose_dues_reduction(req(), member, 2026, "10.00", date(2026, 2, 20), "支委〔2026〕3号", "失业")
    return members


@case("assessMemberDues")
async def _assess(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _members(cmds, ids, assessed=False)

    def assess(member: uuid.UUID) -> str:
        return doc("assessMemberDues", id=member, year=2026, category=Bare("EMPLOYED"), declaredIncome="8000.00")
    return ADMIN, assess(first), assess(second), _is(second)


@case("proposeDuesReduction")
async def _propose(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _members(cmds, ids)

    def propose(member: uuid.UUID) -> str:
        return doc("proposeDuesReduction", id=member, year=2026, monthlyAmount="0.00", decidedOn="2026-02-20",
                   decisionReference="支委〔2026〕4号", reason="重病")
    return ADMIN, propose(first), propose(second), _is(second)


@case("approveDuesReduction")
async def _approve(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _proposed(cmds, ids)
    return (ADMIN, doc("approveDuesReduction", id=first, year=2026), doc("approveDuesReduction", id=second, year=2026),
            _is(second))


@case("rejectDuesReduction")
async def _reject(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _proposed(cmds, ids)
    return (ADMIN, doc("rejectDuesReduction", id=first, year=2026, reason="材料不全"),
            doc("rejectDuesReduction", id=second, year=2026, reason="材料不全"), _is(second))


@case("recordDuesPayment")
async def _pay(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _members(cmds, ids)  # paid through February: March costs 90.00
    return (ADMIN, doc("recordDuesPayment", id=first, months=1, amount="90.00"),
            doc("recordDuesPayment", id=second, months=1, amount="90.00"), _is(second))


@case("recordMemberActivity")
async def _activity(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _members(cmds, ids, assessed=False)

    def attended(member: uuid.UUID) -> str:
        return doc("recordMemberActivity", id=member, kind=Bare("PARTY_LIFE"), on="2026-02-27",
                   description="二月主题党日")
    return ADMIN, attended(first), attended(second), _is(second)
