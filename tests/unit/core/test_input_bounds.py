"""Every string and list an input takes has a bound, stated in the schema and enforced.

Before, a finding could cite 20,000 projects (an 800 KB event) and a webhook's stream
type names could be 10 KB each. The schema walk below fails for any input field of a
mutation that is a string or a list without a stated bound; the cases check that one
past each bound is a ``ValidationError`` naming the field, with nothing appended.
(``ID`` inputs are UUIDs: anything else is refused as "not a UUID".) Filters of queries,
subscriptions and ``GET /events`` are bounded by ``api.graphql.core.bounds``
(``tests/e2e/test_read_filter_bounds.py``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, get_named_type

from api.schema import schema
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.inspections.aggregate import Severity
from domain.members.aggregate import TransferScope
from domain.organizations.aggregate import OrganizationKind
from domain.shared.errors import InvalidInput
from domain.shared.permissions import Role
from domain.webhooks.handlers import WebhookSecrets
from tests.unit.fakes import World, actor, req, world
from tests.unit.members.test_members_and_transfers import register

BOUND = re.compile(r"\d+–\d+|at most \d+|\d+-character|\d+ characters")


def _unwrap(t: Any) -> Any:
    while isinstance(t, GraphQLNonNull):
        t = t.of_type
    return t


def _inputs() -> dict[str, GraphQLInputObjectType]:
    """Every input type of a mutation, query or subscription argument."""
    found: dict[str, GraphQLInputObjectType] = {}
    roots = [schema._schema.mutation_type, schema._schema.query_type, schema._schema.subscription_type]
    stack = [get_named_type(a.type) for root in roots if root is not None
             for f in root.fields.values() for a in f.args.values()]
    while stack:
        t = stack.pop()
        if isinstance(t, GraphQLInputObjectType) and t.name not in found:
            found[t.name] = t
            stack += [get_named_type(f.type) for f in t.fields.values()]
    return found


def test_every_string_and_list_of_every_input_states_its_bound() -> None:
    unbounded = []
    for name, t in _inputs().items():
        for field_name, f in t.fields.items():
            kind = _unwrap(f.type)
            named = get_named_type(f.type).name
            if named == "ID" and not isinstance(kind, GraphQLList):
                continue  # a UUID
            sized = isinstance(kind, GraphQLList) or named in ("String", "JSON")
            if sized and not BOUND.search(f.description or ""):
                unbounded.append(f"{name}.{field_name}: {f.description!r}")
    assert unbounded == []


class _Secrets(dict[UUID, str]):
    async def put(self, webhook_id: UUID, secret: str) -> None:
        self[webhook_id] = secret

    async def get(self, webhook_id: UUID) -> str | None:  # type: ignore[override]
        return super().get(webhook_id)

    async def delete(self, webhook_id: UUID) -> None:
        self.pop(webhook_id, None)


async def _refused(w: World, field: str, attempt: Any) -> None:
    before = len(w.store.events)
    with pytest.raises(InvalidInput) as caught:
        await attempt()
    assert caught.value.field == field, caught.value
    assert len(w.store.events) == before


async def test_a_finding_citing_twenty_thousand_projects_is_refused() -> None:
    w = await world()
    finance = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    fund = (await w.commands.open_fund(req(finance), w.east, 2026, FundKind.SERVICE_FUND)).id
    inspection = (await w.commands.open_inspection(req(w.admin), "专项督查", fund_id=fund)).id
    many = tuple(uuid4() for _ in range(20_000))
    await _refused(w, "projectIds", lambda: w.commands.record_inspection_finding(
        req(w.admin), inspection, "台账不全", Severity.MINOR, project_ids=many))
    await _refused(w, "paymentIds", lambda: w.commands.record_inspection_finding(
        req(w.admin), inspection, "台账不全", Severity.MINOR, payment_ids=many[:101]))


async def test_webhook_type_names_of_ten_kilobytes_or_a_million_of_them_are_refused() -> None:
    w = await world()
    w.commands.handling.services[WebhookSecrets] = _Secrets()
    register_hook = w.commands.register_webhook
    url = "https://grid-centre.example.cn/hook"
    await _refused(w, "streamTypes", lambda: register_hook(req(w.admin), url=url, stream_types=("M" * 10_000,)))
    await _refused(w, "eventTypes", lambda: register_hook(req(w.admin), url=url,
                                                          event_types=("Member.Registered",) * 1_000_000))
    await _refused(w, "streamTypes", lambda: register_hook(req(w.admin), url=url, stream_types=("M" * 101,)))
    await register_hook(req(w.admin), url=url, stream_types=("M" * 100,))


async def _world_with_everything() -> tuple[World, dict[str, UUID]]:
    w = await world()
    w.commands.handling.services[WebhookSecrets] = _Secrets()
    finance = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    ids: dict[str, UUID] = {"member": await register(w, w.east)}
    ids["fund"] = (await w.commands.open_fund(req(finance), w.east, 2026, FundKind.SERVICE_FUND)).id
    await w.commands.allocate_funds(req(finance), ids["fund"], "9000.00", AllocationSource.FISCAL_BUDGET,
                                    date(2026, 1, 5), "文1")
    out = await w.commands.propose_project(req(finance), ids["fund"], SpendingCategory.PUBLIC_SERVICE, "助餐",
                                           "1000.00", "助餐", "老人")
    ids["project"] = UUID(out.extra["project_id"])
    ids["inspection"] = (await w.commands.open_inspection(req(w.admin), "督查", fund_id=ids["fund"])).id
    return w, ids


def _cases(w: World, ids: dict[str, UUID]) -> dict[str, tuple[str, Any]]:
    c, a = w.commands, req(w.admin)
    fin = req(actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east"))
    k = OrganizationKind
    return {
        "organization name 121": ("name", lambda: c.establish_organization(a, k.GRID_BRANCH, "名" * 121, w.east)),
        "code 33": ("code", lambda: c.establish_organization(a, k.JOINT_BRANCH, "联合支部", w.east, "C" * 33)),
        "member name 121": ("name", lambda: register(w, w.west, serial=8, name="名" * 121)),
        "ethnicity 21": ("ethnicity", lambda: register(w, w.west, serial=8, ethnicity="族" * 21)),
        "phone 21": ("phone", lambda: register(w, w.west, serial=8, phone="1" * 21)),
        "reason 501": ("reason", lambda: c.dissolve_organization(a, w.west, "因" * 501)),
        "transfer reason 501": ("reason", lambda: c.request_member_transfer(
            a, ids["member"], w.west, TransferScope.WITHIN_CITY, "因" * 501)),
        "idempotency key 201": ("idempotencyKey", lambda: c.rename_organization(
            req(w.admin, idempotency_key="k" * 201), w.west, "新名")),
        "document number 81": ("documentNo", lambda: c.allocate_funds(
            fin, ids["fund"], "1.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 5), "文" * 81)),
        "title 201": ("title", lambda: c.propose_project(
            fin, ids["fund"], SpendingCategory.PUBLIC_SERVICE, "题" * 201, "1.00", "助餐", "老人")),
        "purpose 2001": ("purpose", lambda: c.propose_project(
            fin, ids["fund"], SpendingCategory.PUBLIC_SERVICE, "助餐", "1.00", "餐" * 2001, "老人")),
        "beneficiaries 501": ("beneficiaries", lambda: c.propose_project(
            fin, ids["fund"], SpendingCategory.PUBLIC_SERVICE, "助餐", "1.00", "助餐", "人" * 501)),
        "101 attendees": ("attendees", lambda: c.record_project_decision(
            fin, ids["fund"], ids["project"], date(2026, 2, 1), ["甲"] * 101, "同意")),
        "empty attendees beyond the bound": ("attendees", lambda: c.record_project_decision(
            fin, ids["fund"], ids["project"], date(2026, 2, 1), ["甲", "乙", "丙"] + [" "] * 200, "同意")),
        "attendee 61": ("attendees", lambda: c.record_project_decision(
            fin, ids["fund"], ids["project"], date(2026, 2, 1), ["甲", "乙", "丙" * 61], "同意")),
        "resolution 2001": ("resolution", lambda: c.record_project_decision(
            fin, ids["fund"], ids["project"], date(2026, 2, 1), ["甲", "乙", "丙"], "同" * 2001)),
        "inspection title 201": ("title", lambda: c.open_inspection(a, "题" * 201, fund_id=ids["fund"])),
        "finding 2001": ("description", lambda: c.record_inspection_finding(
            a, ids["inspection"], "述" * 2001, Severity.MINOR)),
        "webhook url 2001": ("url", lambda: c.register_webhook(a, url="https://a.example.cn/" + "p" * 2000)),
        "webhook description 301": ("description", lambda: c.register_webhook(
            a, url="https://a.example.cn/h", description="述" * 301)),
    }


NAMES = ["organization name 121", "code 33", "member name 121", "ethnicity 21", "phone 21", "reason 501",
         "transfer reason 501", "idempotency key 201", "document number 81", "title 201", "purpose 2001",
         "beneficiaries 501", "101 attendees", "empty attendees beyond the bound", "attendee 61",
         "resolution 2001", "inspection title 201", "finding 2001", "webhook url 2001", "webhook description 301"]


@pytest.mark.parametrize("case", NAMES)
async def test_one_past_each_bound_is_refused_with_nothing_appended(case: str) -> None:
    w, ids = await _world_with_everything()
    cases = _cases(w, ids)
    assert set(cases) == set(NAMES)
    field, attempt = cases[case]
    await _refused(w, field, attempt)
