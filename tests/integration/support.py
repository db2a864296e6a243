"""Helpers shared by the projection integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory, YearEnd
from domain.funds.plans import LineInput
from domain.grids.aggregate import StaffRole
from domain.inspections.aggregate import Severity
from domain.members.aggregate import Gender, Standing, TransferScope
from domain.members.appraisal import AppraisalRating
from domain.members.dues import DuesCategory
from domain.members.party_life import MeetingKind
from domain.organizations.aggregate import OrganizationKind
from domain.organizations.directory import AggregateDirectory
from domain.requests import commands as rc
from domain.requests import order_commands as oc
from domain.requests.aggregate import Rating, Source
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from domain.shared.ports import Append, Metadata, NewEvent
from domain.webhooks.handlers import WebhookSecrets
from eventstore.db import connect
from eventstore.postgres import PostgresEventStore
from projections.runtime.base import Projection
from projections.runtime.runner import ProjectionRunner
from tests.integration.shops.world import build_shops
from tests.usecases import UseCases

NOW = datetime(2026, 3, 1, tzinfo=UTC)
TODAY = NOW.date()
ACTOR = Actor(subject="t", name="T", roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
TICK = "Test.Ticked"
OTHER = "Test.Ignored"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number(prefix17: str) -> str:
    """A valid GB 11643 resident ID number: the 17-digit prefix and its check digit."""
    assert len(prefix17) == 17 and prefix17.isdigit(), prefix17
    total = sum(int(d) * w for d, w in zip(prefix17, _ID_WEIGHTS, strict=True))
    return prefix17 + _ID_CHECK[total % 11]


def req() -> Request:
    return Request(ACTOR, uuid4())


def commands(pool: asyncpg.Pool, clock: Callable[[], datetime] = lambda: NOW,
             secrets: WebhookSecrets | None = None) -> UseCases:
    store = PostgresEventStore(pool)
    return UseCases.build(store, AggregateDirectory(store), clock, {WebhookSecrets: secrets or _Secrets()})


async def append_events(pool: asyncpg.Pool, count: int, event_type: str = TICK,
                        batch: int = 500) -> int:
    """Append ``count`` simple events (one stream per batch); return the last position."""
    store = PostgresEventStore(pool)
    last = 0
    left = count
    while left > 0:
        n = min(batch, left)
        stream = uuid4()
        events = [
            NewEvent(stream_id=stream, stream_type="Test", version=v, event_id=uuid4(),
                     event_type=event_type, schema_version=1, payload={"n": v})
            for v in range(1, n + 1)
        ]
        result = await store.append(Append(events, Metadata(actor="t", actor_roles=(),
                                                              correlation_id=uuid4())))
        last = result.last_position
        left -= n
    return last


async def head(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))


async def catch_up(dsn: str, projection: Projection, page_size: int = 1000) -> int:
    """Apply every event in the log to ``projection`` with ``ProjectionRunner.step``."""
    runner = ProjectionRunner(dsn, projection, notifier=None, page_size=page_size)
    conn = await connect(dsn)
    try:
        while await runner.step(conn):
            pass
    finally:
        await conn.close()
    if runner.state.failed:  # stopped loudly: so does the test
        raise AssertionError(runner.state.last_error)
    return runner.state.position


async def tracking(pool: asyncpg.Pool, name: str) -> asyncpg.Record:
    row = await pool.fetchrow("SELECT * FROM projection_tracking WHERE name = $1", name)
    assert row is not None, f"no tracking row for {name}"
    return row


async def wait_until(predicate: Callable[[], Any], within: float, what: str,
                     interval: float = 0.02) -> None:
    """Poll ``predicate`` (sync or async) until it is truthy, or fail after ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(interval)


async def cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def rows(pool: asyncpg.Pool, table: str) -> list[dict[str, Any]]:
    # Every read-model table has a primary key; order by it whatever it is called.
    key = await pool.fetchval(
        "SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM pg_index i"
        " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE i.indrelid = $1::regclass AND i.indisprimary", table)
    return [dict(r) for r in await pool.fetch(f"SELECT * FROM {table} ORDER BY {key}")]


# -- a small world built through the real command handlers ------------------------------


async def build_world(cmds: UseCases) -> dict[str, UUID]:
    """A tree, two members and transfers in several states: something for every table."""
    K = OrganizationKind
    ids: dict[str, UUID] = {}
    ids["district"] = (await cmds.establish_organization(
        req(), K.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    ids["street"] = (await cmds.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "平江街道党工委", ids["district"], "320508019000")).id
    ids["street2"] = (await cmds.establish_organization(
        req(), K.STREET_WORKING_COMMITTEE, "观前街道党工委", ids["district"], "320508020000")).id
    ids["east"] = (await cmds.establish_organization(
        req(), K.COMMUNITY_COMMITTEE, "平江新村社区党委", ids["street"], "320508019001")).id
    ids["west"] = (await cmds.establish_organization(
        req(), K.COMMUNITY_BRANCH, "钮家巷社区党支部", ids["street"], "320508019002")).id
    ids["grid"] = (await cmds.establish_organization(
        req(), K.GRID_BRANCH, "第一网格党支部", ids["east"])).id
    ids["building"] = (await cmds.establish_organization(
        req(), K.BUILDING_GROUP, "3幢党小组", ids["grid"])).id
    await cmds.rename_organization(req(), ids["west"], "钮家巷社区第一党支部")
    await cmds.move_organization(req(), ids["east"], ids["street2"])

    ids["m1"] = (await register(cmds, ids["grid"], "李秀英", "32050819790412001")).id
    ids["m2"] = (await register(cmds, ids["west"], "王建国", "32050819800101002")).id
    await cmds.correct_member_details(req(), ids["m1"], {"phone": "13800001111"}, "typo")
    await cmds.convert_member_to_full(req(), ids["m2"], date(2025, 1, 1))
    await cmds.assess_member_dues(req(), ids["m2"], 2026, DuesCategory.EMPLOYED, "8000.00")
    await cmds.record_dues_payment(req(), ids["m2"], 1, "120.00", date(2026, 3, 1), "补交")

    t1 = await cmds.request_member_transfer(req(), ids["m1"], ids["west"],
                                            TransferScope.WITHIN_CITY, "moved house")
    ids["t1"] = UUID(t1.extra["transfer_id"])
    await cmds.issue_transfer_letter(req(), ids["m1"], ids["t1"])
    await cmds.accept_member_transfer(req(), ids["m1"], ids["t1"])
    t2 = await cmds.request_member_transfer(req(), ids["m2"], ids["building"],
                                            TransferScope.WITHIN_CITY, "new job")
    ids["t2"] = UUID(t2.extra["transfer_id"])
    await cmds.issue_transfer_letter(req(), ids["m2"], ids["t2"])
    await cmds.return_member_transfer(req(), ids["m2"], ids["t2"], "incomplete dossier")
    ids.update(await build_funds(cmds, ids["west"]))
    ids["webhook"] = await build_webhook(cmds, ids["street"])
    ids.update(await build_grids(cmds, ids))
    ids.update(await build_shops(cmds, ids["street"], ids["m2"]))
    return ids


class _Secrets(dict[UUID, str]):
    """Webhook secrets kept in memory (the world's webhooks never deliver)."""

    async def put(self, webhook_id: UUID, secret: str) -> None:
        self[webhook_id] = secret

    async def get(self, webhook_id: UUID) -> str | None:  # type: ignore[override]
        return super().get(webhook_id)

    async def delete(self, webhook_id: UUID) -> None:
        self.pop(webhook_id, None)


async def build_grids(cmds: UseCases, ids: dict[str, UUID]) -> dict[str, UUID]:
    """Two grids of the east community (codes 320508019001901/902, clear of the tests' own),
    staffed, one covered by the grid Party branch, a building reassigned between them."""
    ring = [[120.62, 31.31], [120.63, 31.31], [120.63, 31.32], [120.62, 31.32], [120.62, 31.31]]
    boundary = json.dumps({"type": "Polygon", "coordinates": [ring]})
    first = (await cmds.register_grid(req(), ids["east"], "320508019001901", "平江一网格", "RESIDENTIAL",
                                      households=320, buildings=("1幢", "2幢"), boundary=boundary)).id
    second = (await cmds.register_grid(req(), ids["east"], "320508019001902", "平江二网格", "MIXED",
                                       buildings=("3幢",))).id
    await cmds.appoint_grid_staff(req(), first, StaffRole.LEADER, "社区两委委员", name="王建华", phone="13850009901")
    worker = await cmds.appoint_grid_staff(req(), first, StaffRole.WORKER, "专职网格员", name="李娜",
                                           phone="13850009902")
    await cmds.remove_grid_staff(req(), first, UUID(worker.extra["assignment_id"]), "调离")
    await cmds.appoint_grid_staff(req(), first, StaffRole.WORKER, "专职网格员", member_id=ids["m1"])
    await cmds.link_grid_branch(req(), first, ids["grid"], "支部建在网格上")
    await cmds.reassign_grid_building(req(), first, "2幢", second, "道路改造")
    return {"grid1": first, "grid2": second}


async def build_webhook(cmds: UseCases, street: UUID) -> UUID:
    """A webhook on a street's member events, registered and paused."""
    hooks = cmds
    hook = (await hooks.register_webhook(req(), url="https://grid-centre.example.cn/hook",
                                         organization_id=street, stream_types=["Member"])).outcome.id
    await hooks.pause_webhook(req(), hook, "receiver upgrade")
    return hook


FINANCE = Actor(subject="finance", name="F", roles=frozenset({Role.FINANCE_OFFICER}), scope=None)


async def build_funds(cmds: UseCases, community: UUID) -> dict[str, UUID]:
    """A fund with an allocation, a paid and reversed project, a closed year, its disclosure and an
    inspection."""
    f = cmds
    fin = Request(FINANCE, uuid4())
    fund = (await f.open_fund(fin, community, 2026, FundKind.SERVICE_FUND)).id
    await f.allocate_funds(fin, fund, "120000.00", AllocationSource.FISCAL_BUDGET,
                           date(2026, 1, 15), "苏财〔2026〕3号")
    out = await f.propose_project(fin, fund, SpendingCategory.PUBLIC_SERVICE, "助餐点", "9000.00",
                                  "老年助餐", "独居老人")
    project = UUID(out.extra["project_id"])
    await f.record_project_decision(fin, fund, project, date(2026, 2, 1), ["甲", "乙", "丙"], "同意")
    await f.approve_project(req(), fund, project)
    paid = await f.record_payment(fin, fund, project, "9000.00", date(2026, 2, 10), "餐饮公司", "V1")
    await f.reverse_payment(fin, fund, UUID(paid.extra["payment_id"]), "重复", date(2026, 2, 11))
    await f.record_payment(fin, fund, project, "8000.00", date(2026, 2, 12), "餐饮公司", "V2")
    await f.accept_project(fin, fund, project, date(2026, 2, 20))
    await f.publish_project_disclosure(fin, fund, project, "公示", date(2026, 2, 21))
    insp = (await f.open_inspection(req(), "专项督查", fund_id=fund)).id
    finding = await f.record_inspection_finding(req(), insp, "台账不全", Severity.MINOR,
                                                project_ids=(project,))
    await f.record_rectification(fin, insp, UUID(finding.extra["finding_id"]), "已补齐")
    await f.verify_rectification(req(), insp, UUID(finding.extra["finding_id"]))
    await f.close_inspection(req(), insp, "整改完毕")
    # The year is closed once it has ended: by a handler whose clock reads January.
    new_year = UseCases.build(cmds.store, cmds.directory, lambda: datetime(2027, 1, 4, tzinfo=UTC))
    nxt = await new_year.close_fiscal_year(fin, fund, date(2026, 12, 31),
                                                         YearEnd.CARRY_OVER)
    # The year's table is published (公示) after its close: a closed fund takes a disclosure.
    await new_year.record_fund_disclosure(fin, fund, "2026", date(2027, 1, 4), "社区公示栏")
    return {"fund": fund, "project": project, "inspection": insp,
            "next_fund": UUID(nxt.extra["next_fund_id"])}


async def register(cmds: UseCases, home: UUID, name: str, prefix17: str,
                   standing: Standing = Standing.PROBATIONARY) -> Any:
    return await cmds.register_member(
        req(), name=name, gender=Gender.FEMALE, birth_date=date(1979, 4, 12), ethnicity="汉族",
        id_number=id_number(prefix17), phone="13912345678", standing=standing,
        joined_on=date(2003, 7, 1), home_organization_id=home,
        dues_paid_through=date(2026, 2, 15),
    )


SECRETARY = Actor(subject="secretary", name="书记", roles=frozenset({Role.COMMUNITY_SECRETARY}), scope=None)
STREET_ADMIN = Actor(subject="street", name="街道", roles=frozenset({Role.STREET_ADMIN}), scope=None)
GRID_WORKER = Actor(subject="worker", name="网格员", roles=frozenset({Role.GRID_WORKER}), scope=None)


def _as(actor: Actor) -> Request:
    return Request(actor, uuid4())


def _member_token(member: UUID) -> Request:
    return _as(Actor(subject=str(member), name="党员", roles=frozenset({Role.MEMBER}), scope=None))


async def build_engagement_plans_and_requests(cmds: UseCases, ids: dict[str, UUID]) -> dict[str, UUID]:
    """On top of ``build_world``: a row in every table of the areas it leaves out (Party life,
    mobile cards, residence and unit reports, volunteer hours, appraisals, fund plans and reports,
    dues accounts, residences, building groups, central households, departments, requests and
    service orders), each through the real commands."""
    found: dict[str, UUID] = {}
    m3 = (await register(cmds, ids["west"], "许文静", "32050819790412053")).id
    found["m3"] = m3
    await cmds.record_party_life_meeting(req(), ids["west"], MeetingKind.THEME_DAY, date(2026, 2, 25),
                                         "主题党日", (m3,), (ids["m2"],))
    await cmds.issue_mobile_card(req(), m3, "TJ-2026-0901", date(2026, 2, 1),
                                 inflow_organization_id=ids["east"])
    await cmds.review_mobile_card(req(), m3, date(2026, 2, 20))
    await cmds.report_to_residence_community(req(), m3, ids["east"], date(2026, 1, 15))
    entry = uuid4()
    await cmds.log_volunteer_hours(_member_token(m3), m3, entry, "助老服务", date(2026, 2, 3), "2.0")
    await cmds.confirm_volunteer_hours(req(), m3, entry)
    await cmds.appraise_member(req(), m3, 2026, AppraisalRating.BASICALLY_QUALIFIED, date(2026, 2, 28))
    unit = (await cmds.establish_organization(req(), OrganizationKind.PARK_COMMITTEE, "东园党委",
                                              ids["street"])).id
    await cmds.report_unit_to_residence_community(req(), unit, ids["east"], date(2026, 1, 20))

    # A plan for a fund of the east community: proposed, assembled, approved, a project linked.
    fin = Request(FINANCE, uuid4())
    fund = (await cmds.open_fund(fin, ids["east"], 2026, FundKind.SERVICE_FUND)).id
    await cmds.allocate_funds(fin, fund, "100000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 10), "文1")
    lines = (LineInput("老年助餐点", SpendingCategory.PUBLIC_SERVICE, "40000.00"),)
    await cmds.propose_fund_plan(_as(SECRETARY), fund, lines, date(2026, 2, 20), "两委同意")
    await cmds.record_plan_assembly(_as(SECRETARY), fund, 1, date(2026, 2, 25), 30, "通过")
    await cmds.approve_fund_plan(_as(STREET_ADMIN), fund, 1)
    project = UUID((await cmds.propose_project(fin, fund, SpendingCategory.PUBLIC_SERVICE, "助餐设备",
                                               "9000.00", "购置餐具", "独居老人")).extra["project_id"])
    proposed = await cmds.store.pool.fetchval(  # type: ignore[attr-defined]
        "SELECT payload FROM events WHERE event_type = 'FundPlan.VersionProposed' AND stream_id ="
        " (SELECT stream_id FROM events WHERE event_type = 'FundPlan.Started' AND payload->>'fund_id' = $1)",
        str(fund))
    line = UUID((proposed if isinstance(proposed, dict) else json.loads(proposed))["lines"][0]["line_id"])
    await cmds.link_project_to_plan(_as(SECRETARY), fund, project, line)
    await cmds.record_fund_briefing(_as(SECRETARY), fund, 1, date(2026, 2, 5), "1月通报")
    found.update(plan_fund=fund, plan_project=project)

    # Dues passed up and allocated to a red fund.
    await cmds.remit_dues(fin, ids["west"], 2026, (1, 2), "30.00", "钮支〔2026〕1号")
    red = (await cmds.open_fund(fin, ids["west"], 2026, FundKind.RED_FUND)).id
    await cmds.allocate_dues_to_red_fund(fin, ids["west"], red, "20.00", date(2026, 3, 1), "钮支划拨1")
    found["red_fund"] = red

    # The grids' residences, building groups and central households.
    await cmds.assign_member_residence(req(), ids["m1"], ids["grid1"], "居住地报到")
    await cmds.assign_building_group(req(), ids["building"], ids["grid1"], ("1幢",), "党小组建在楼栋上")
    await cmds.designate_central_household(req(), ids["m1"], ids["grid1"], "1幢", "评定", ("101", "102"))

    # A department, a request taken to its rating, and a service order a member claimed.
    department = (await cmds.run(rc.RegisterDepartment(ids["street2"], "交通办", "交通", ("ROADS",)),
                                 _as(STREET_ADMIN))).id
    handler = _as(Actor(subject=str(department), name="交通办", roles=frozenset({Role.DEPARTMENT_HANDLER}),
                        scope=None))
    rid = (await cmds.run(rc.ReportRequest(ids["grid1"], "ROADS", "路面塌陷", Source.GRID_REPORT,
                                           resident_name="王丽", phone="13940005678"), _as(GRID_WORKER))).id
    for who, command in ((_as(SECRETARY), rc.EscalateRequest(rid, "需街道协调")),
                         (_as(STREET_ADMIN), rc.DispatchRequest(rid, department)),
                         (handler, rc.AcceptRequest(rid)), (handler, rc.ResolveRequest(rid, "已修补")),
                         (_as(SECRETARY), rc.FeedBackRequest(rid)),
                         (_as(SECRETARY), rc.RateRequest(rid, Rating.SATISFIED))):
        await cmds.run(command, who)
    volunteer = (await register(cmds, ids["grid"], "陈志强", "32050819850100901")).id
    asked = (await cmds.run(rc.ReportRequest(ids["grid1"], "ELDERLY_CARE", "陪同就医", Source.WALK_IN),
                            _as(SECRETARY))).id
    order = (await cmds.run(oc.PublishServiceOrder(asked, "陪同就医", datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
                                                   "平江新村3幢", "2.0"), _as(SECRETARY))).id
    await cmds.run(oc.ClaimServiceOrder(order), _member_token(volunteer))
    found.update(department=department, request=rid, service_order=order, volunteer=volunteer)
    return found
