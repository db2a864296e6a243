"""The requests' cases of ``tests/integration/core/test_mutation_statements.py``: the world each
mutation needs, its two runs (warm, then measured) and the pinned statement counts.

Kept beside the area's tests; the core test takes them in (``REQUEST_CASES``, ``REQUEST_EXPECTED``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from itertools import count
from typing import Any

from domain.requests import commands as rc
from domain.requests import order_commands as oc
from domain.requests.aggregate import Rating, Source
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from tests.integration.support import register
from tests.usecases import UseCases

STARTS = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _actor(role: Role, subject: str) -> Actor:
    return Actor(subject=subject, name=subject, roles=frozenset({role}), scope=None)


ADMIN = _actor(Role.DISTRICT_ADMIN, "counted-admin")
STREET = _actor(Role.STREET_ADMIN, "counted-street")
SECRETARY = _actor(Role.COMMUNITY_SECRETARY, "counted-secretary")
WORKER = _actor(Role.GRID_WORKER, "counted-worker")


def handler(department: uuid.UUID) -> Actor:
    return _actor(Role.DEPARTMENT_HANDLER, str(department))


REQUEST_EXPECTED: dict[str, int] = {
    # the organization's path, its stream (a street or district, not dissolved), append (with the code's
    # claim), department row
    "registerDepartment": 4,
    # department stream, path, append, department row
    "retireDepartment": 4,
    # grid stream, the community's path, append (request and contact streams, the ticket's claim), request row
    "reportRequest": 4,
    # request stream, path, append, request row
    "takeRequest": 4,
    "escalateRequest": 4,
    # request stream, path, the department's stream, the community's path again (the department's street or
    # district above it), append, request row
    "dispatchRequest": 6,
    # request stream, path, append, request row
    "acceptRequest": 4,
    "sendBackRequest": 4,
    "resolveRequest": 4,
    "feedBackRequest": 4,
    "rateRequest": 4,
    "closeRequest": 4,
    # the duplicate's stream, path, the surviving request's stream, append (both streams), request row
    "mergeRequests": 5,
    # request stream, path, the contact's stream, append (the contact's keys destroyed), request row
    "eraseRequestPersonalData": 5,
}
SELECTIONS = {
    "RequestPayload": "intoId request { id state }",
    "DepartmentPayload": "department { id status }",
}
Run = tuple[Actor, str, str, Callable[[dict[str, Any]], bool]]
"""(actor, the warming document, the measured document, whether the payload shows the change)."""
REQUEST_CASES: dict[str, Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Run]]] = {}
_serial = count(1)


def case(mutation: str) -> Callable[[Any], Any]:
    def add(setup: Any) -> Any:
        REQUEST_CASES[mutation] = setup
        return setup
    return add


class Bare(str):
    """An enum value, written bare."""


def literal(value: Any) -> str:
    if isinstance(value, Bare):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return '"' + str(value) + '"'


def doc(mutation: str, **fields: Any) -> str:
    payload = "DepartmentPayload" if mutation.endswith("Department") else "RequestPayload"
    args = ", ".join(f"{k}: {literal(v)}" for k, v in fields.items())
    return (f"mutation {{ {mutation}(input: {{{args}}}) {{ __typename ... on {payload} {{ {SELECTIONS[payload]} }}"
            " ... on Error { code message } } }")


def r(who: Actor) -> Request:
    return Request(who, uuid.uuid4())


def _state(value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p["request"] is not None and p["request"]["state"] == value


async def _department(cmds: UseCases, ids: dict[str, uuid.UUID], categories: tuple[str, ...] = ("ROADS",),
                      ) -> uuid.UUID:
    # build_world moves the east community (the grids') under street2: its departments serve it.
    n = next(_serial)
    return (await cmds.run(rc.RegisterDepartment(ids["street2"], f"交通办{n}", f"交通{n}", categories),
                           r(STREET))).id


STAGES = ("reported", "escalated", "dispatched", "accepted", "resolved", "fed_back", "rated")


async def _requests(cmds: UseCases, ids: dict[str, uuid.UUID], stage: str, n: int = 2,
                    **report: Any) -> tuple[list[uuid.UUID], uuid.UUID]:
    """``n`` requests of the first grid taken to ``stage``, and the department they go to."""
    department = await _department(cmds, ids)
    reached = STAGES.index(stage)
    found = []
    for _ in range(n):
        rid = (await cmds.run(rc.ReportRequest(ids["grid1"], "ROADS", "路面塌陷", Source.GRID_REPORT, **report),
                              r(WORKER))).id
        steps: list[tuple[Actor, rc.RequestCommand]] = [
            (SECRETARY, rc.EscalateRequest(rid, "需街道协调")), (STREET, rc.DispatchRequest(rid, department)),
            (handler(department), rc.AcceptRequest(rid)), (handler(department), rc.ResolveRequest(rid, "已修补")),
            (SECRETARY, rc.FeedBackRequest(rid)), (SECRETARY, rc.RateRequest(rid, Rating.SATISFIED))]
        for who, command in steps[:reached]:
            await cmds.run(command, r(who))
        found.append(rid)
    return found, department


@case("registerDepartment")
async def _register(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    def register(code: str) -> str:
        return doc("registerDepartment", organizationId=ids["street2"], name=f"{code}办", code=code,
                   categories=["ROADS"])
    return STREET, register("城建"), register("市政"), lambda p: p["department"]["status"] == "ACTIVE"


@case("retireDepartment")
async def _retire(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _department(cmds, ids), await _department(cmds, ids)
    return (STREET, doc("retireDepartment", departmentId=first, reason="机构改革"),
            doc("retireDepartment", departmentId=second, reason="机构改革"),
            lambda p: p["department"]["status"] == "RETIRED")


@case("reportRequest")
async def _report(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    def report(ref: str) -> str:
        return doc("reportRequest", gridId=ids["grid1"], category="ROADS", description="路面塌陷",
                   source=Bare("GRID_REPORT"), residentName="王丽", phone="13940005678", externalRef=ref,
                   attachments=[Bare('{url: "https://oss.example.cn/a.jpg", sha256: "' + "ab" * 32 + '"}')])
    return WORKER, report("GW-1"), report("GW-2"), _state("REPORTED")


def _step_case(mutation: str, stage: str, who: Callable[[uuid.UUID], Actor], state: str,
               **fields: Any) -> None:
    async def setup(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
        (first, second), department = await _requests(cmds, ids, stage)
        extra = {k: (department if v is _DEPARTMENT else v) for k, v in fields.items()}
        return (who(department), doc(mutation, requestId=first, **extra), doc(mutation, requestId=second, **extra),
                _state(state))
    case(mutation)(setup)


_DEPARTMENT = object()
"""Stands for the case's department in a step's fields."""
_step_case("takeRequest", "reported", lambda _: SECRETARY, "TAKEN")
_step_case("escalateRequest", "reported", lambda _: SECRETARY, "ESCALATED", reason="需街道协调")
_step_case("dispatchRequest", "escalated", lambda _: STREET, "DISPATCHED", departmentId=_DEPARTMENT)
_step_case("acceptRequest", "dispatched", handler, "ACCEPTED")
_step_case("sendBackRequest", "dispatched", handler, "ESCALATED", reason="不属本部门")
_step_case("resolveRequest", "accepted", handler, "RESOLVED", result="已修补")
_step_case("feedBackRequest", "resolved", lambda _: SECRETARY, "FED_BACK", note="电话告知")
_step_case("rateRequest", "fed_back", lambda _: SECRETARY, "RATED", rating=Bare("BASICALLY"))
_step_case("closeRequest", "rated", lambda _: SECRETARY, "CLOSED")


@case("mergeRequests")
async def _merge(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (target, first, second), _ = await _requests(cmds, ids, "reported", n=3)
    return (SECRETARY, doc("mergeRequests", requestId=first, intoId=target, reason="同一问题"),
            doc("mergeRequests", requestId=second, intoId=target, reason="同一问题"), _state("CLOSED"))


@case("eraseRequestPersonalData")
async def _erase(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (first, second), _ = await _requests(cmds, ids, "reported", resident_name="王丽", phone="13940005678")
    return (ADMIN, doc("eraseRequestPersonalData", requestId=first, reason="依申请删除"),
            doc("eraseRequestPersonalData", requestId=second, reason="依申请删除"), _state("REPORTED"))


# -- service orders (抢单) ------------------------------------------------------------------

REQUEST_EXPECTED.update({
    # request stream, path, the order's stream (none yet: one per request), append (request taken, order
    # published), order row
    "publishServiceOrder": 5,
    # order stream, the member's stream, the community's path, the member's home's path (it lies within the
    # community: no residence read), append, order row (the member's own read rule)
    "claimServiceOrder": 6,
    # order stream, member stream, the community's path, append, order row
    "reportServiceOrderCompletion": 5,
    # order stream, path, the member's stream, append (order and member), order row
    "confirmServiceOrder": 5,
    # order stream, path, append, order row
    "cancelServiceOrder": 4,
})
ORDER_STAGES = ("open", "claimed", "completed")


def order_doc(mutation: str, **fields: Any) -> str:
    args = ", ".join(f"{k}: {literal(v)}" for k, v in fields.items())
    return (f"mutation {{ {mutation}(input: {{{args}}}) {{ __typename"
            " ... on ServiceOrderPayload { order { id state } } ... on Error { code message } } }")


def _order_state(value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p["order"] is not None and p["order"]["state"] == value


async def _member_of_east(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Actor:
    """A member of the east community's grid branch (so one who may take its orders), and their token."""
    from_world = await register(cmds, ids["grid"], "陈志强", f"3205081985010{next(_serial):04d}")
    return Actor(subject=str(from_world.id), name="陈志强", roles=frozenset({Role.MEMBER}), scope=None)


async def _orders(cmds: UseCases, ids: dict[str, uuid.UUID], stage: str) -> tuple[list[uuid.UUID], Actor]:
    """Two orders of the first grid taken to ``stage``, and the member who claimed them."""
    member = await _member_of_east(cmds, ids)
    found = []
    for _ in range(2):
        rid = (await cmds.run(rc.ReportRequest(ids["grid1"], "ELDERLY_CARE", "陪同就医", Source.WALK_IN),
                              r(SECRETARY))).id
        oid = (await cmds.run(oc.PublishServiceOrder(rid, "陪同就医", STARTS, "平江新村3幢", "2.0"), r(SECRETARY))).id
        steps: list[tuple[Actor, Any]] = [(member, oc.ClaimServiceOrder(oid)),
                                          (member, oc.ReportServiceOrderCompletion(oid, "2.5"))]
        for who, command in steps[:ORDER_STAGES.index(stage)]:
            await cmds.run(command, r(who))
        found.append(oid)
    return found, member


@case("publishServiceOrder")
async def _publish(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    (first, second), _ = await _requests(cmds, ids, "reported")

    def publish(rid: uuid.UUID) -> str:
        return order_doc("publishServiceOrder", requestId=rid, title="搬运家具", startsAt=STARTS.isoformat(),
                         place="平江新村5幢", hoursExpected="1.5")
    return SECRETARY, publish(first), publish(second), _order_state("OPEN")


def _order_case(mutation: str, stage: str, secretary: bool, state: str, **fields: Any) -> None:
    async def setup(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
        (first, second), member = await _orders(cmds, ids, stage)
        return (SECRETARY if secretary else member, order_doc(mutation, orderId=first, **fields),
                order_doc(mutation, orderId=second, **fields), _order_state(state))
    case(mutation)(setup)


_order_case("claimServiceOrder", "open", False, "CLAIMED")
_order_case("reportServiceOrderCompletion", "claimed", False, "COMPLETED", hours="2.5", note="已陪同")
_order_case("confirmServiceOrder", "completed", True, "CONFIRMED")
_order_case("cancelServiceOrder", "open", True, "CANCELLED", reason="居民已自行解决")
