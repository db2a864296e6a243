"""The cases of ``tests/integration/core/test_mutation_statements.py`` for transfers,
completed, and Party life: the world each mutation needs, its two runs (warm, then
measured) and the pinned statement counts.

Kept beside the area's tests; the core test takes them in (``TRANSFER_CASES``,
``TRANSFER_EXPECTED``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from domain.members.aggregate import TransferScope
from domain.shared.permissions import Actor, Role
from tests.integration.support import id_number, register, req
from tests.usecases import UseCases

ADMIN = Actor(subject="counted-admin", name="管理员", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)

TRANSFER_EXPECTED: dict[str, int] = {
    # the receiver's path, its stream (not dissolved) and its ancestors' streams along the
    # path for the nearest division code (the receiver has its own: one), append, transfer
    # row and its organization
    "registerIncomingTransfer": 6,
    # the transfer row (its member), member stream, the sender's path (from strictly above
    # it), append, transfer row and its organization
    "approveMemberTransfer": 6,
    "rejectMemberTransfer": 6,
    # the transfer row (its member), member stream, the proposing side's path, append,
    # transfer row and its organization
    "proposeTransferRevocation": 6,
    # the transfer row (its member), member stream, both sides' paths (from strictly above
    # each), the previous home's stream (not dissolved), append, transfer row and its
    # organization
    "approveTransferRevocation": 8,
    # the transfer row (its member), member stream, both sides' paths, append, transfer
    # row and its organization
    "rejectTransferRevocation": 7,
    # the organization's path and stream (not dissolved), each member's stream (one
    # attended, one absent), append, meeting row
    "recordPartyLifeMeeting": 6,
}
Run = tuple[Actor, str, str, Callable[[dict[str, Any]], bool]]
"""(actor, the warming document, the measured document, whether the payload shows the change)."""
TRANSFER_CASES: dict[str, Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Run]]] = {}


class Bare(str):
    """An enum value, written bare."""


def _literal(value: Any) -> str:
    if isinstance(value, Bare | int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_literal, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    return '"' + str(value) + '"'


TRANSFER = "... on TransferPayload { transfer { id state } }"
MEETING = "... on PartyLifeMeetingPayload { meeting { id kind } }"


def doc(mutation: str, payload: str = TRANSFER, **fields: Any) -> str:
    """The mutation with ``fields`` as its input, asking for the transfer's (or meeting's) fields."""
    args = ", ".join(f"{k}: {_literal(v)}" for k, v in fields.items())
    return f"mutation {{ {mutation}(input: {{{args}}}) {{ __typename {payload} ... on Error {{ code message }} }} }}"


def case(mutation: str) -> Callable[[Any], Any]:
    def add(setup: Any) -> Any:
        TRANSFER_CASES[mutation] = setup
        return setup
    return add


def _state(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p["__typename"] == "TransferPayload" and p["transfer"]["state"] == state


async def _transfers(cmds: UseCases, ids: dict[str, uuid.UUID], stage: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Two transfers of new members from west to the grid branch, taken to ``stage``."""
    found = []
    for name, prefix in (("宋佳音", "32050819860303051"), ("萧远山", "32050819860303062")):
        member = (await register(cmds, ids["west"], name, prefix)).id
        out = await cmds.request_member_transfer(req(), member, ids["grid"], TransferScope.WITHIN_CITY, "调整")
        transfer = uuid.UUID(out.extra["transfer_id"])
        if stage in ("accepted", "proposed"):
            await cmds.issue_transfer_letter(req(), member, transfer)
            await cmds.accept_member_transfer(req(), member, transfer)
        if stage == "proposed":
            await cmds.propose_transfer_revocation(req(), member, transfer, ids["grid"], "错转")
        found.append((member, transfer))
    return found


@case("registerIncomingTransfer")
async def _incoming(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    def letter(serial: int) -> str:
        return doc("registerIncomingTransfer", toOrganizationId=ids["west"],
                   fromExternal={"name": "深圳市南山区粤海街道党工委", "province": "广东省", "city": "深圳市",
                                 "code": "440305007000"},
                   scope=Bare("ACROSS_PROVINCES"), letterSerial=f"粤组转〔2026〕{serial}", issuedOn="2026-02-20",
                   validUntil="2026-05-20", name="黄嘉欣", gender=Bare("FEMALE"), birthDate="1991-04-12",
                   ethnicity="汉族", idNumber=id_number(f"44030519910412{serial:03d}"), standing=Bare("FULL"),
                   joinedOn="2015-06-30")
    return ADMIN, letter(101), letter(102), _state("LETTER_ISSUED")


@case("approveMemberTransfer")
async def _approve(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (_, first), (_, second) = await _transfers(cmds, ids, "requested")
    return (ADMIN, doc("approveMemberTransfer", transferId=first), doc("approveMemberTransfer", transferId=second),
            _state("REQUESTED"))


@case("rejectMemberTransfer")
async def _reject(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (_, first), (_, second) = await _transfers(cmds, ids, "requested")
    return (ADMIN, doc("rejectMemberTransfer", transferId=first, reason="手续不全"),
            doc("rejectMemberTransfer", transferId=second, reason="手续不全"), _state("REJECTED"))


@case("proposeTransferRevocation")
async def _propose(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (_, first), (_, second) = await _transfers(cmds, ids, "accepted")
    return (ADMIN, doc("proposeTransferRevocation", transferId=first, byOrganizationId=ids["grid"], reason="错转"),
            doc("proposeTransferRevocation", transferId=second, byOrganizationId=ids["grid"], reason="错转"),
            _state("ACCEPTED"))


@case("approveTransferRevocation")
async def _approve_revocation(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (_, first), (_, second) = await _transfers(cmds, ids, "proposed")
    return (ADMIN, doc("approveTransferRevocation", transferId=first),
            doc("approveTransferRevocation", transferId=second), _state("REVOKED"))


@case("rejectTransferRevocation")
async def _reject_revocation(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (_, first), (_, second) = await _transfers(cmds, ids, "proposed")
    return (ADMIN, doc("rejectTransferRevocation", transferId=first, reason="无误"),
            doc("rejectTransferRevocation", transferId=second, reason="无误"), _state("ACCEPTED"))


@case("recordPartyLifeMeeting")
async def _meeting(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    a, b = [(await register(cmds, ids["west"], name, prefix)).id
            for name, prefix in (("柳如烟", "32050819870707071"), ("程远航", "32050819870707082"))]

    def meeting(on: str) -> str:
        return doc("recordPartyLifeMeeting", MEETING, organizationId=ids["west"], kind=Bare("THEME_DAY"), heldOn=on,
                   topic="主题党日", attended=[a], absentWithLeave=[b])
    return (ADMIN, meeting("2026-01-28"), meeting("2026-02-25"),
            lambda p: p["__typename"] == "PartyLifeMeetingPayload" and p["meeting"]["kind"] == "THEME_DAY")

