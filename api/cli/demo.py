"""``grassroots demo``: a district to explore, built through the real command handlers.

Everything goes through the one command handling (``Handling.run``), in process, so the log
holds exactly what a district would have recorded: who did what, when and why. Nothing is
inserted by SQL.

- **Deterministic**: the whole district is planned first from ``random.Random(seed)``.
- **Resumable and idempotent**: every command carries the idempotency key
  ``demo:<scale>:<seed>:<step>``; an interrupted run replays what was recorded (the first
  results, nothing appended) and goes on. The last command's key marks the demo complete: a
  run that finds it reports what is there and does nothing else.
- **Business dates**: the handling's clock is the demo's own (a context variable per task),
  so a letter issued in spring can have expired by the day the demo was first loaded (its
  anchor, kept in the log: a resumed run uses the same dates).
- **Concurrent**: communities are built side by side (a task group under a semaphore).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import asyncpg

from api.areas import DOMAIN_AREAS
from api.cli.demo_data import (
    BENEFICIARIES,
    CATALOGUE,
    DISTRICT_DEPARTMENTS,
    PAYEES,
    PLACES,
    REQUESTS,
    SCALES,
    STREET_DEPARTMENTS,
    STREETS,
    Scale,
    id_number,
    person,
    phone,
)
from api.escalation import SYSTEM_ACTOR
from api.geometry import SHAPELY
from domain.funds.aggregate import AllocationSource, FundKind
from domain.funds.commands import (
    AcceptProject,
    AllocateFunds,
    ApproveProject,
    GrantFromRedFund,
    OpenFund,
    ProposeProject,
    PublishProjectDisclosure,
    RecordPayment,
    RecordProjectDecision,
    ReversePayment,
)
from domain.funds.disclosure import RecordFundDisclosure
from domain.grids.aggregate import Employment, StaffRole
from domain.grids.commands import AppointGridStaff, RegisterGrid
from domain.grids.geometry import Geometry
from domain.inspections.aggregate import Severity
from domain.inspections.commands import OpenInspection, RecordInspectionFinding
from domain.members.aggregate import Gender, Standing, TransferScope
from domain.members.commands import (
    AcceptMemberTransfer,
    AssessMemberDues,
    ExpireMemberTransfer,
    IssueTransferLetter,
    RecordDuesPayment,
    RecordMemberActivity,
    RegisterMember,
    RequestMemberTransfer,
)
from domain.members.dues import ActivityKind, DuesCategory, DuesRules, assessed_amount
from domain.members.engagement_commands import IssueMobileCard, LogVolunteerHours, ReportToResidenceCommunity
from domain.members.transfers import ExternalOrganization
from domain.organizations.aggregate import OrganizationKind as K
from domain.organizations.commands import EstablishOrganization
from domain.organizations.directory import AggregateDirectory
from domain.requests.aggregate import Rating, Source
from domain.requests.commands import (
    AcceptRequest,
    CloseRequest,
    DispatchRequest,
    EscalateOverdueRequest,
    EscalateRequest,
    FeedBackRequest,
    MergeRequests,
    RateRequest,
    RegisterDepartment,
    ReportRequest,
    ResolveRequest,
    TakeRequest,
)
from domain.requests.order_commands import ClaimServiceOrder, PublishServiceOrder
from domain.requests.rules import Urgency
from domain.shared.area import build_handling
from domain.shared.commands import Command, Outcome, Request
from domain.shared.permissions import Actor, Role
from domain.shops.commands import (
    ApplyShop,
    ApproveShop,
    AwardShopPlaque,
    FileShopObjection,
    OpenSelectionRound,
    PreReviewShop,
    RecommendShop,
    RefuseShop,
    RegisterShop,
    ResolveShopObjection,
    SignShopPledge,
)
from domain.shops.licence import Attestation, Attested, credit_check_character
from eventstore.postgres import PostgresEventStore

ADMIN = Actor("demo-district-admin", "区委组织部 王主任", frozenset({Role.DISTRICT_ADMIN}), None)
LEFT_OUT = ("appraisals", "the six-month review flag", "shops' quarterly scores, complaints and revocations")
"""Areas the demo does not load yet (the command's output and the README say so)."""
CONCURRENCY = 6
_NOW: contextvars.ContextVar[datetime] = contextvars.ContextVar("demo_now")


@dataclass
class DemoResult:
    """What the demo holds, and the ids a newcomer needs."""

    scale: str
    seed: int
    district: UUID
    street: UUID
    communities: list[UUID]
    funds: list[UUID]
    member: UUID | None = None
    grid: UUID | None = None
    commands: int = 0
    appended: int = 0
    """Commands that appended (the others were replays of an interrupted run's)."""
    complete_before: bool = False
    """The demo was complete already: this run did nothing."""
    counts: dict[str, int] = field(default_factory=dict)


class _CachedDirectory:
    """Organization paths from the log, remembered: the demo never moves an organization."""

    def __init__(self, inner: AggregateDirectory) -> None:
        self.inner = inner
        self.paths: dict[UUID, list[UUID] | None] = {}

    async def path_of(self, organization_id: UUID) -> list[UUID] | None:
        if organization_id not in self.paths or self.paths[organization_id] is None:
            self.paths[organization_id] = await self.inner.path_of(organization_id)
        return self.paths[organization_id]


def _rectangles(lng: float, lat: float, count: int) -> list[str]:
    """``count`` rectangles side by side that tile the community's box (GeoJSON polygons)."""
    width, height = 0.004, 0.003
    out = []
    for i in range(count):
        x0, x1 = lng + width * i / count, lng + width * (i + 1) / count
        ring = [[x0, lat], [x1, lat], [x1, lat + height], [x0, lat + height], [x0, lat]]
        out.append(json.dumps({"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}))
    return out


class Demo:
    """One demo run: its plan, its handling and its counters."""

    def __init__(self, pool: asyncpg.Pool, scale: Scale, seed: int, today: date,
                 progress: Callable[[int], None] | None) -> None:
        self.pool, self.scale, self.seed, self.today = pool, scale, seed, today
        self.progress = progress or (lambda n: None)
        store = PostgresEventStore(pool)
        self.handling = build_handling(DOMAIN_AREAS, store, _CachedDirectory(AggregateDirectory(store)),
                                       lambda: _NOW.get(datetime.combine(today, time(12), UTC)),
                                       {Geometry: SHAPELY})
        self.commands = self.appended = 0
        self.prefix = f"demo:{scale.name}:{seed}:"

    def key(self, step: str) -> str:
        return self.prefix + step

    async def run(self, step: str, command: Command, actor: Actor = ADMIN, on: date | None = None) -> Outcome:
        """Run ``command`` with the step's idempotency key, on business day ``on`` (default: the anchor)."""
        _NOW.set(datetime.combine(on or self.today, time(12), UTC))
        out = await self.handling.run(command, Request(actor, uuid4(), self.key(step)))
        self.commands += 1
        self.appended += not out.replayed
        self.progress(1)
        return out


async def anchor_of(pool: asyncpg.Pool, scale: str, seed: int) -> date | None:
    """The day a demo was first loaded, or None if it never was: the district's establishment date,
    which the first run sets to it (so a resumed run plans exactly the same dates)."""
    on = await pool.fetchval("SELECT payload->>'established_on' FROM events WHERE command_id = $1"
                             " ORDER BY position LIMIT 1", f"demo:{scale}:{seed}:district")
    return None if on is None else date.fromisoformat(on)


def sampled(scale: str) -> str:
    """What the demo loads of a year's volume where it loads less (the command's output says so)."""
    s = SCALES[scale]
    return (f"residents' requests: {s.requests:,} loaded, a sample of the year's (a district receives about"
            f" 30,000); demonstration shops: one round with a quota of {s.shops}")


def planned_commands(scale: str) -> int:
    """About how many commands a scale runs (the progress bar's total)."""
    s = SCALES[scale]
    grids = s.grids
    return int(20 + s.streets + s.communities * 36 + grids * 4 + s.members * 4.6 + s.streets * 2 + s.requests * 6
               + s.shops * 9)


async def load_demo(pool: asyncpg.Pool, today: date | None = None, scale: str = "small", seed: int = 2023,
                    progress: Callable[[int], None] | None = None) -> DemoResult:
    """Build (or finish building) the demo; a complete one is only reported."""
    sc = SCALES[scale]
    anchor = await anchor_of(pool, scale, seed) or today or datetime.now(UTC).date()
    demo = Demo(pool, sc, seed, anchor, progress)
    if await demo.handling.store.recall(ADMIN.subject, demo.key("done")) is not None:
        return await _report(demo)
    return await _build(demo)


async def _ids(demo: Demo, like: str) -> list[UUID]:
    rows = await demo.pool.fetch(
        "SELECT DISTINCT ON (command_id) stream_id, command_id FROM events WHERE command_id LIKE $1"
        " ORDER BY command_id, position", demo.prefix + like)
    return [r["stream_id"] for r in sorted(rows, key=lambda r: _natural(r["command_id"]))]


def _natural(key: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in key.replace("/", ":").split(":")]


async def _report(demo: Demo) -> DemoResult:
    district = (await _ids(demo, "district"))[0]
    streets = await _ids(demo, "street:%:establish")
    communities = await _ids(demo, "c:%:establish")
    funds = await _ids(demo, "c:%:fund")
    members = await _ids(demo, "c:0:m:0")
    grids = await _ids(demo, "c:0:g:0")
    result = DemoResult(demo.scale.name, demo.seed, district, streets[0], communities, funds,
                        members[0] if members else None, grids[0] if grids else None, complete_before=True)
    result.counts = await counts(demo.pool, demo.prefix)
    return result


async def counts(pool: asyncpg.Pool, prefix: str) -> dict[str, int]:
    """What the demo's commands recorded, by event type."""
    rows = await pool.fetch("SELECT event_type, count(*) AS n FROM events WHERE command_id LIKE $1"
                            " GROUP BY event_type ORDER BY event_type", prefix + "%")
    return {r["event_type"]: r["n"] for r in rows}


_Person = tuple[str, Gender, date, str, date, Standing, str, str]
"""(name, gender, birth date, ethnicity, joined on, standing, ID number, phone) of a planned member."""


@dataclass
class _Community:
    index: int
    street: int
    name: str
    code: str
    kind: K
    grids: int
    members: int
    tier: str
    rng: random.Random
    id: UUID | None = None
    homes: list[UUID] = field(default_factory=list)
    member_ids: list[tuple[UUID, bool]] = field(default_factory=list)
    """(member, full) in registration order."""
    fund: UUID | None = None
    grid: UUID | None = None
    grid_ids: list[UUID] = field(default_factory=list)
    moved: set[UUID] = field(default_factory=set)


def _plan(demo: Demo) -> tuple[list[str], list[_Community]]:
    sc, rng = demo.scale, random.Random(f"{demo.seed}:{demo.scale.name}")
    streets = [f"{STREETS[i % len(STREETS)]}街道党工委" for i in range(sc.streets)]
    communities: list[_Community] = []
    per, extra = divmod(sc.members, sc.communities)
    grids_per, grids_extra = divmod(sc.grids, sc.communities)
    for n in range(sc.communities):
        street = n * sc.streets // sc.communities
        seq = 1 + sum(1 for c in communities if c.street == street)
        place = PLACES[n % len(PLACES)] + ("" if n < len(PLACES) else str(n // len(PLACES) + 1))
        kind = rng.choices((K.COMMUNITY_COMMITTEE, K.COMMUNITY_GENERAL_BRANCH, K.COMMUNITY_BRANCH), (6, 3, 1))[0]
        suffix = {K.COMMUNITY_COMMITTEE: "社区党委", K.COMMUNITY_GENERAL_BRANCH: "社区党总支",
                  K.COMMUNITY_BRANCH: "社区党支部"}[kind]
        code = f"{sc.county}{sc.first_street + street:03d}{seq:03d}"
        communities.append(_Community(
            n, street, place + suffix, code, kind, grids_per + (n < grids_extra), per + (n < extra),
            rng.choice(("A", "B", "C")), random.Random(f"{demo.seed}:{sc.name}:{n}")))
    return streets, communities


async def _build(demo: Demo) -> DemoResult:
    sc, year = demo.scale, demo.today.year
    street_names, plan = _plan(demo)
    district = (await demo.run("district", EstablishOrganization(K.DISTRICT_COMMITTEE, sc.district, None,
                                                                         established_on=demo.today))).id
    streets = []
    for i, name in enumerate(street_names):
        code = f"{sc.county}{sc.first_street + i:03d}000"
        streets.append((await demo.run(f"street:{i}:establish",
                                       EstablishOrganization(K.STREET_WORKING_COMMITTEE, name, district, code))).id)
    # One business district (商圈党委) with its joint branches of shops and market stalls.
    biz = (await demo.run("biz", EstablishOrganization(K.BUSINESS_DISTRICT_COMMITTEE, "万达广场商圈党委",
                                                       streets[0]))).id
    joint = [(await demo.run(f"biz:{j}", EstablishOrganization(K.JOINT_BRANCH, name, biz))).id
             for j, name in enumerate(("商户联合党支部", "农贸市场党支部", "物流企业联合党支部", "餐饮行业联合党支部"))]
    used: set[str] = set()
    serial = 0
    people: dict[int, list[_Person]] = {}
    for c in plan:  # plan every member first, in order: ID numbers are unique across the district
        rows = []
        for _ in range(c.members):
            full = c.rng.random() < 0.94
            name, male, born, ethnicity, joined = person(c.rng, demo.today, full)
            while (idn := id_number(sc.county, born, serial)) in used:
                serial += 1
            used.add(idn)
            serial += 1
            rows.append((name, Gender.MALE if male else Gender.FEMALE, born, ethnicity, joined,
                         Standing.FULL if full else Standing.PROBATIONARY, idn, phone(c.rng)))
        people[c.index] = rows
    gate = asyncio.Semaphore(CONCURRENCY)

    async def community(c: _Community) -> None:
        async with gate:
            await _community(demo, c, streets[c.street], people[c.index], year)

    await _together(community, plan)

    async def moves(c: _Community) -> None:
        async with gate:
            await _transfers(demo, c, plan)

    await _together(moves, plan)

    async def engage(c: _Community) -> None:
        async with gate:
            await _engagement(demo, c, plan)

    await _together(engage, plan)
    departments = await _departments(demo, district, streets)

    async def asks(c: _Community) -> None:
        async with gate:
            await _requests(demo, c, streets[c.street], departments)

    await _together(asks, plan)
    await _shops(demo, biz, streets[0], joint, used, serial)
    await _red_fund(demo, streets[0], [c for c in plan if c.street == 0 and c.fund is not None][:2])
    funds = [c.fund for c in plan if c.fund is not None]
    insp = (await demo.run("inspection", OpenInspection(f"{year} 年为民服务专项经费督查",
                                                        organization_id=streets[0]))).id
    await demo.run("done", RecordInspectionFinding(insp, "项目公示未按期张贴", Severity.MINOR))
    result = DemoResult(sc.name, demo.seed, district, streets[0], [c.id for c in plan if c.id], funds,
                        plan[0].member_ids[0][0] if plan[0].member_ids else None, plan[0].grid,
                        demo.commands, demo.appended)
    result.counts = await counts(demo.pool, demo.prefix)
    return result


async def _together(step: Callable[[_Community], Coroutine[Any, Any, None]], plan: list[_Community]) -> None:
    """``step`` for every community side by side; the first failure cancels the others (a task group)."""
    async with asyncio.TaskGroup() as group:
        for c in plan:
            group.create_task(step(c))


async def _community(demo: Demo, c: _Community, street: UUID, people: list[_Person], year: int) -> None:
    rng, p, today = c.rng, f"c:{c.index}:", demo.today
    c.id = (await demo.run(p + "establish", EstablishOrganization(c.kind, c.name, street, c.code))).id
    c.homes = [c.id]
    # Grid branches (网格党支部) for the first grids of a committee or general branch, a building group.
    branches = {K.COMMUNITY_COMMITTEE: 2, K.COMMUNITY_GENERAL_BRANCH: 1, K.COMMUNITY_BRANCH: 0}[c.kind]
    for b in range(branches):
        out = await demo.run(p + f"branch:{b}", EstablishOrganization(
            K.GRID_BRANCH, f"{c.name[:-3]}第{b + 1}网格党支部", c.id, f"{c.code}{b + 1:03d}"))
        c.homes.append(out.id)
    for b in range(1 + (c.kind is K.COMMUNITY_COMMITTEE)):
        await demo.run(p + ("group" if b == 0 else f"group:{b}"), EstablishOrganization(
            K.BUILDING_GROUP, f"{c.name[:-3]}{b + 1}栋党小组", c.homes[-1 - b]))
    for m, (name, gender, born, ethnicity, joined, standing, idn, tel) in enumerate(people):
        home = c.homes[0] if rng.random() < 0.4 else rng.choice(c.homes)
        through = date(year - 1, 12, 1) if joined.year < year else None  # paid through last December
        out = await demo.run(p + f"m:{m}", RegisterMember(name, gender, born, ethnicity, idn, tel, standing,
                                                          joined, home, through))
        c.member_ids.append((out.id, standing is Standing.FULL))
        await _dues(demo, p + f"m:{m}:", out.id, born, joined, rng, year)
    # Grids that tile the community's box, each with its leader, worker and instructor (一长两员).
    lng, lat = 114.10 + (c.index % 20) * 0.005, 22.60 + (c.index // 20) * 0.004
    members = [mid for mid, _ in c.member_ids]
    for g, boundary in enumerate(_rectangles(lng, lat, c.grids)):
        households = rng.randint(200, 900)
        grid = (await demo.run(p + f"g:{g}", RegisterGrid(
            c.id, f"{c.code}{g + 1:03d}", f"第{g + 1}网格", rng.choice(("RESIDENTIAL", "RESIDENTIAL", "MIXED")),
            households, int(households * rng.uniform(2.3, 3.1)), (f"{g + 1}栋", f"{g + 1}A栋"), boundary))).id
        if g == 0:
            c.grid = grid
        c.grid_ids.append(grid)
        if len(members) > 2 * g + 1:
            await demo.run(p + f"g:{g}:leader", AppointGridStaff(grid, StaffRole.LEADER, "社区党委会议任命",
                                                                 member_id=members[2 * g]))
            await demo.run(p + f"g:{g}:instructor", AppointGridStaff(grid, StaffRole.INSTRUCTOR, "街道党工委选派",
                                                                     member_id=members[2 * g + 1]))
        await demo.run(p + f"g:{g}:worker", AppointGridStaff(
            grid, StaffRole.WORKER, "社区招聘", name=rng.choice(("周", "吴", "郑")) + rng.choice(("敏", "强", "丽")),
            phone=phone(rng), employment=rng.choice((Employment.FULL_TIME, Employment.PART_TIME))))
    await _fund(demo, c, street, year, today)


async def _dues(demo: Demo, p: str, member: UUID, born: date, joined: date, rng: random.Random,
                year: int) -> None:
    """The year's dues assessed from the declared income, then paid quarter by quarter (a few fall behind)."""
    age = year - born.year
    if age < 24 and rng.random() < 0.5:
        category, income = DuesCategory.STUDENT, None
    elif age >= 60:
        category, income = DuesCategory.RETIRED, Decimal(rng.randint(30, 90) * 100)
    else:
        category, income = DuesCategory.EMPLOYED, Decimal(rng.randint(30, 200) * 100)
    monthly, _ = assessed_amount(DuesRules(), category, income)
    assessed = max(date(year, 1, 15), joined)
    if assessed > demo.today:
        return
    await demo.run(p + "dues", AssessMemberDues(member, year, category, None if income is None else f"{income}.00"),
                   on=assessed)
    behind = rng.random() < 0.08
    first = 1 if joined.year < year else joined.month
    while first <= 12:  # half a year at a time, paid in its fourth month (a few members fall behind)
        months = min(6, 13 - first)
        paid = date(year, min(first + 3, 12), rng.randint(1, 20))
        if paid > demo.today:
            break
        await demo.run(p + f"dues:{first}", RecordDuesPayment(
            member, months, str((monthly * months).quantize(Decimal("0.01"))), paid), on=paid)
        first += months
        if behind:
            break


async def _fund(demo: Demo, c: _Community, street: UUID, year: int, today: date) -> None:
    rng, p = c.rng, f"c:{c.index}:"
    finance = Actor(f"demo-finance-{demo.scale.name}-{c.index}", f"{c.name} 财务",
                    frozenset({Role.FINANCE_OFFICER}), c.id)
    street_admin = Actor(f"demo-street-admin-{demo.scale.name}-{c.street}", "街道 李书记",
                         frozenset({Role.STREET_ADMIN}), street)
    assert c.id is not None
    fund = (await demo.run(p + "fund", OpenFund(c.id, year, FundKind.SERVICE_FUND), finance)).id
    c.fund = fund
    # 120,000 to 200,000 by tier; the last community of the small scale stays below the minimum.
    budget = {"A": 200_000, "B": 160_000, "C": 120_000}[c.tier]
    short = demo.scale.name == "small" and c.index == demo.scale.communities - 1
    if short:
        budget = 90_000
    start = date(year, 1, 1)
    span = max((today - start).days, 1)

    def on(share: float) -> date:
        return min(start + timedelta(days=int(span * share)), today)

    await demo.run(p + "alloc:0", AllocateFunds(fund, f"{budget}.00", AllocationSource.FISCAL_BUDGET, on(0.04),
                                                f"深龙财〔{year}〕{10 + c.index}号"), finance)
    if rng.random() < 0.4 and not short:
        await demo.run(p + "alloc:1", AllocateFunds(fund, f"{rng.randint(5, 30) * 1000}.00",
                                                    AllocationSource.UNIT_SPONSORSHIP, on(0.5),
                                                    f"共建〔{year}〕{c.index}号"), finance)
    titles = [(cat, t) for cat, ts in CATALOGUE.items() for t in rng.sample(ts, 2)]
    rng.shuffle(titles)
    left = Decimal(budget) * Decimal("0.85")
    for m, (category, title) in enumerate(titles[:rng.randint(4, 7)]):
        amount = Decimal(rng.randint(4, 30) * 1000)
        if amount > left:
            break
        left -= amount
        when = 0.08 + 0.12 * m
        if on(when) >= today:
            break
        who = rng.choice(BENEFICIARIES).format(n=rng.randint(20, 600))
        out = await demo.run(p + f"p:{m}", ProposeProject(fund, category, title, f"{amount}.00",
                                                          f"{title}：物料、场地与服务采购", who), finance)
        pid = UUID(out.extra["project_id"])
        await demo.run(p + f"p:{m}:decision", RecordProjectDecision(
            fund, pid, on(when), ("党委书记", "副书记", "纪检委员", "居民代表"), "一致同意"), finance)
        await demo.run(p + f"p:{m}:approve", ApproveProject(fund, pid), street_admin)
        if on(when + 0.05) >= today:
            continue  # approved, not paid yet
        half = (amount / 2).quantize(Decimal("0.01"))
        for k in range(2):
            paid = on(when + 0.05 + 0.05 * k)
            await demo.run(p + f"p:{m}:pay:{k}", RecordPayment(fund, pid, str(half), paid, rng.choice(PAYEES),
                                                               f"PZ-{year}-{c.index}-{m}{k}"), finance)
            if c.index == 1 and m == 0 and k == 0:  # entered twice by mistake, reversed by a new event
                dup = await demo.run(p + f"p:{m}:dup", RecordPayment(
                    fund, pid, "100.00", paid, PAYEES[0], f"PZ-{year}-{c.index}-{m}{k}-dup"), finance)
                await demo.run(p + f"p:{m}:reverse", ReversePayment(fund, UUID(dup.extra["payment_id"]),
                                                                    "重复录入凭证", paid), finance)
        accepted = on(when + 0.15)
        await demo.run(p + f"p:{m}:accept", AcceptProject(fund, pid, accepted), finance)
        if m % 2 == 0:
            await demo.run(p + f"p:{m}:disclose", PublishProjectDisclosure(
                fund, pid, f"{title} 支出 {amount} 元，已验收", accepted), finance)
    if date(year, 7, 1) <= today:
        await demo.run(p + "disclosure", RecordFundDisclosure(fund, f"{year}-H1", min(date(year, 7, 5), today),
                                                              "社区公示栏"), finance)


_EXTERNAL = (
    (TransferScope.OUTSIDE_CITY,
     ExternalOrganization("广州市天河区石牌街道党工委", "广东省", "广州市", "440106003000")),
    (TransferScope.ACROSS_PROVINCES, ExternalOrganization("长沙市岳麓区望月湖街道党工委", "湖南省", "长沙市")),
)


async def _transfers(demo: Demo, c: _Community, plan: list[_Community]) -> None:
    """About 7 % of the community's full members move: most to another community of the district
    (accepted), some still in progress, a few whose letters expired, some out of the system."""
    rng, p, today = random.Random(f"{demo.seed}:{demo.scale.name}:{c.index}:moves"), f"c:{c.index}:", demo.today
    movers = [mid for mid, full in c.member_ids[2 * c.grids:] if full]  # grid staff stay
    rng.shuffle(movers)
    forced = ["accepted", "in progress", "out" if c.index % 2 else "expired"]
    if c.index < 2:
        forced.append("pocket")  # two pocket members (口袋党员): a letter issued long ago, never presented
    for t, member in enumerate(movers[:max(len(forced), round(len(c.member_ids) * 0.07))]):
        roll = rng.random()
        kind = forced[t] if t < len(forced) else (
            "out" if roll < 0.15 else "expired" if roll < 0.20 else "in progress" if roll < 0.38 else "accepted")
        target = plan[(c.index + 1 + rng.randrange(len(plan) - 1)) % len(plan)] if len(plan) > 1 else None
        key = p + f"t:{t}"
        c.moved.add(member)
        if kind == "out" or target is None:  # across the system's edge: to a Party organization outside
            scope, external = _EXTERNAL[t % 2]
            out = await demo.run(key, RequestMemberTransfer(member, None, scope, "工作调动", external),
                                 on=today - timedelta(days=rng.randint(3, 20)))
            await demo.run(key + ":letter", IssueTransferLetter(member, UUID(out.extra["transfer_id"])),
                           on=today - timedelta(days=2))
            continue
        if kind in ("expired", "pocket"):  # a letter issued in the past, never presented
            day = today - timedelta(days=rng.randint(40, 120))
            out = await demo.run(key, RequestMemberTransfer(member, target.homes[0], TransferScope.WITHIN_CITY,
                                                            "搬迁至新居"), on=day)
            tid = UUID(out.extra["transfer_id"])
            await demo.run(key + ":letter", IssueTransferLetter(member, tid), on=day)
            if kind == "expired":
                await demo.run(key + ":expire", ExpireMemberTransfer(member, tid))
            continue
        in_progress = kind == "in progress"
        day = today - timedelta(days=rng.randint(1, 5) if in_progress else rng.randint(20, 300))
        out = await demo.run(key, RequestMemberTransfer(member, rng.choice(target.homes), TransferScope.WITHIN_CITY,
                                                        rng.choice(("搬迁至新居", "工作调动", "随子女居住"))), on=day)
        tid = UUID(out.extra["transfer_id"])
        await demo.run(key + ":letter", IssueTransferLetter(member, tid), on=day)
        if not in_progress:
            await demo.run(key + ":accept", AcceptMemberTransfer(member, tid), on=day + timedelta(days=3))


async def _engagement(demo: Demo, c: _Community, plan: list[_Community]) -> None:
    """Mobile members (about 4 %), dual reporting with volunteer hours (about a third), last year's appraisal."""
    rng, p, today, year = random.Random(f"{demo.seed}:{demo.scale.name}:{c.index}:engage"), f"c:{c.index}:", \
        demo.today, demo.today.year
    others = [o for o in plan if o.index != c.index]
    staying = [(mid, full) for mid, full in c.member_ids if mid not in c.moved]
    for n, (member, full) in enumerate(staying):
        roll = rng.random()
        key = p + f"e:{n}"
        if full and rng.random() < 0.6:  # Party life attended (三会一课, the theme day)
            on = min(date(year, 1, 1) + timedelta(days=rng.randint(30, 330)), today)
            await demo.run(key + ":life", RecordMemberActivity(
                member, ActivityKind.PARTY_LIFE, on, rng.choice(("支部党员大会", "党小组会", "主题党日", "党课"))),
                on=on)
        if roll < 0.04 and full:
            inflow = rng.choice(others) if others and rng.random() < 0.5 else None
            number = f"LD-{demo.scale.name[0].upper()}{c.index:03d}-{n:04d}"
            await demo.run(key + ":card", IssueMobileCard(
                member, number, today - timedelta(days=rng.randint(10, 300)),
                inflow.homes[0] if inflow else None,
                None if inflow else ExternalOrganization("东莞市长安镇流动党员党支部", "广东省", "东莞市"),
                "外出务工"))
            continue
        if roll < 0.37 and others and full:  # in-service members report where they live (双报到)
            residence = others[rng.randrange(len(others))]
            if residence.id is None:
                continue
            await demo.run(key + ":report", ReportToResidenceCommunity(
                member, residence.id, date(year, rng.randint(1, 3), rng.randint(1, 28))))
            for h in range(rng.randint(1, 3)):
                on = date(year, 1, 1) + timedelta(days=rng.randint(90, max((today - date(year, 1, 1)).days, 91)))
                on = min(on, today)
                await demo.run(key + f":hours:{h}", LogVolunteerHours(
                    member, uuid5(NAMESPACE_URL, demo.key(key + f":hours:{h}")),
                    rng.choice(("社区环境整治", "防疫志愿服务", "文明交通劝导", "关爱独居老人", "垃圾分类督导")), on,
                    rng.choice(("2", "2.5", "3", "4"))), on=on)


async def _red_fund(demo: Demo, street: UUID, communities: list[_Community]) -> None:
    """The street's red fund (红色基金) with its four sources and grants to two community funds."""
    year, today = demo.today.year, demo.today
    finance = Actor(f"demo-finance-{demo.scale.name}-street-0", "街道 财务", frozenset({Role.FINANCE_OFFICER}), street)
    red = (await demo.run("red", OpenFund(street, year, FundKind.RED_FUND), finance)).id
    start = date(year, 1, 1)
    for k, (amount, source, share) in enumerate((("30000.00", AllocationSource.DUES_ALLOCATION, 0.05),
                                                 ("50000.00", AllocationSource.FISCAL_SUBSIDY, 0.1),
                                                 ("15000.00", AllocationSource.UNIT_SPONSORSHIP, 0.2),
                                                 ("2000.00", AllocationSource.DONATION, 0.25))):
        on = min(start + timedelta(days=int((today - start).days * share)), today)
        await demo.run(f"red:alloc:{k}", AllocateFunds(red, amount, source, on, f"红基〔{year}〕{k + 1}号"), finance)
    for k, c in enumerate(communities):
        assert c.fund is not None
        await demo.run(f"red:grant:{k}", GrantFromRedFund(
            red, c.fund, "12000.00", min(start + timedelta(days=int((today - start).days * 0.6)), today),
            f"红基〔{year}〕{10 + k}号", reason="助老服务"), finance)


_Desk = tuple[UUID, Actor, frozenset[str]]
"""(department, its handler, the categories it handles)."""


async def _departments(demo: Demo, district: UUID, streets: list[UUID]) -> dict[UUID | None, list[_Desk]]:
    """The district's departments (城管, 民政, 住建) and every street's (交通, 综治), by owner (None: the district)."""
    out: dict[UUID | None, list[_Desk]] = {}
    owners: list[tuple[str, UUID | None, UUID, Actor, tuple[tuple[str, str, tuple[str, ...]], ...]]] = [
        ("dept", None, district, ADMIN, DISTRICT_DEPARTMENTS)]
    owners += [(f"street:{i}:dept", street, street, Actor(f"demo-street-admin-{demo.scale.name}-{i}", "街道 李书记",
                                                           frozenset({Role.STREET_ADMIN}), street),
                STREET_DEPARTMENTS) for i, street in enumerate(streets)]
    for key, owner, organization, actor, catalogue in owners:
        for k, (name, code, categories) in enumerate(catalogue):
            full = name if owner is None else f"街道{name}"
            dept = (await demo.run(f"{key}:{k}", RegisterDepartment(organization, full, code, categories), actor)).id
            handler = Actor(str(dept), full, frozenset({Role.DEPARTMENT_HANDLER}), organization)
            out.setdefault(owner, []).append((dept, handler, frozenset(categories)))
    return out


_PATHS = (("closed", 40), ("rated", 8), ("department", 22), ("reopened", 4), ("merged", 3), ("overdue", 4),
          ("reported", 4), ("taken", 4), ("escalated", 3), ("dispatched", 2), ("accepted", 3), ("resolved", 3))
"""How a year's requests end up: most handled by the community and closed, a fifth through a
department, a few reopened, merged or escalated by their deadline, and the last days' still open."""
_OPEN = {"reported", "taken", "escalated", "dispatched", "accepted", "resolved"}


async def _requests(demo: Demo, c: _Community, street: UUID, departments: dict[UUID | None, list[_Desk]]) -> None:
    """The community's share of the year's residents' requests, in every state, and a service
    order a member claimed (the first two communities)."""
    sc, today, p = demo.scale, demo.today, f"c:{c.index}:r:"
    rng = random.Random(f"{demo.seed}:{sc.name}:{c.index}:requests")
    per, extra = divmod(sc.requests, sc.communities)
    count = per + (c.index < extra)
    if c.id is None or not c.grid_ids or count == 0:
        return
    secretary = Actor(f"demo-secretary-{sc.name}-{c.index}", f"{c.name} 书记", frozenset({Role.COMMUNITY_SECRETARY}),
                      c.id)
    worker = Actor(f"demo-grid-worker-{sc.name}-{c.index}", f"{c.name} 网格员", frozenset({Role.GRID_WORKER}), c.id)
    street_admin = Actor(f"demo-street-admin-{sc.name}-{c.street}", "街道 李书记", frozenset({Role.STREET_ADMIN}),
                         street)
    desks = departments.get(street, []) + departments.get(None, [])
    start = date(today.year, 1, 1)
    span = max((today - start).days - 8, 1)
    names, weights = zip(*_PATHS, strict=True)
    for n in range(count):
        path = names[n] if n < len(names) and count >= len(names) else rng.choices(names, weights)[0]
        category = rng.choice(tuple(REQUESTS))
        if path == "overdue" or path == "department":
            category = rng.choice(("ROADS", "ENVIRONMENT", "NEIGHBOUR_DISPUTE", "PROPERTY", "SAFETY"))
        day = (today - timedelta(days=rng.randint(0, 4)) if path in _OPEN
               else start + timedelta(days=rng.randrange(span)))
        grid = rng.choice(c.grid_ids)
        key = p + str(n)
        source = rng.choice((Source.GRID_REPORT, Source.GRID_REPORT, Source.WALK_IN))
        who = worker if source is Source.GRID_REPORT else secretary
        resident = (rng.choice(("王", "李", "张", "刘", "陈")) + rng.choice(("阿姨", "先生", "女士", "大爷")),
                    phone(rng)) if rng.random() < 0.5 else (None, None)
        rid = (await demo.run(key, ReportRequest(
            grid, category, rng.choice(REQUESTS[category]), source,
            Urgency.URGENT if rng.random() < 0.05 and path not in ("overdue", "reported") else Urgency.NORMAL,
            address=f"{c.name[:-3]}{rng.randint(1, 30)}栋", resident_name=resident[0], phone=resident[1]),
            who, on=day)).id
        if path == "reported":
            continue
        if path == "merged":  # a second report of the same thing in the grid, merged into the first
            dup = (await demo.run(key + ":dup", ReportRequest(grid, category, "同一问题再次反映", Source.WALK_IN),
                                  secretary, on=day)).id
            await demo.run(key + ":merge", MergeRequests(dup, rid, "重复反映，合并办理"), secretary, on=day)
        rating = rng.choice((Rating.SATISFIED, Rating.SATISFIED, Rating.BASICALLY))
        if path in ("department", "overdue", "escalated", "dispatched", "accepted") or (
                path == "resolved" and rng.random() < 0.5):
            desk = next((d for d in desks if category in d[2]), desks[0] if desks else None)
            if path == "overdue":  # nobody responded within the day: the escalation sweep takes it up
                day += timedelta(days=2)
                await demo.run(key + ":overdue", EscalateOverdueRequest(rid), SYSTEM_ACTOR, on=day)
            else:
                await demo.run(key + ":escalate", EscalateRequest(rid, "需街道协调职能部门"), secretary, on=day)
            if path == "escalated" or desk is None:
                continue
            await demo.run(key + ":dispatch", DispatchRequest(rid, desk[0]), street_admin, on=day)
            if path == "dispatched":
                continue
            await demo.run(key + ":accept", AcceptRequest(rid), desk[1], on=day)
            if path == "accepted":
                continue
            day += timedelta(days=min(2, (today - day).days))
            await demo.run(key + ":resolve", ResolveRequest(rid, "已按职责处置完毕"), desk[1], on=day)
            if path == "resolved":
                continue
            await demo.run(key + ":feedback", FeedBackRequest(rid, "电话告知居民"), desk[1], on=day)
        else:
            await demo.run(key + ":take", TakeRequest(rid), secretary, on=day)
            if path == "taken":
                continue
            day += timedelta(days=min(1, (today - day).days))
            await demo.run(key + ":resolve", ResolveRequest(rid, "社区已协调解决"), secretary, on=day)
            if path == "resolved":
                continue
            await demo.run(key + ":feedback", FeedBackRequest(rid), secretary, on=day)
            if path == "reopened":  # the resident is not satisfied: back with the community, solved again
                day += timedelta(days=1)
                await demo.run(key + ":unhappy", RateRequest(rid, Rating.NOT_SATISFIED, "问题仍未解决"),
                               secretary, on=day)
                await demo.run(key + ":resolve:2", ResolveRequest(rid, "再次上门处理"), secretary, on=day)
                await demo.run(key + ":feedback:2", FeedBackRequest(rid), secretary, on=day)
        day += timedelta(days=1)
        await demo.run(key + ":rate", RateRequest(rid, rating), secretary, on=day)
        if path != "rated":
            await demo.run(key + ":close", CloseRequest(rid), secretary, on=day)
    if c.index < 2:
        await _service_order(demo, c, secretary, p)


async def _service_order(demo: Demo, c: _Community, secretary: Actor, p: str) -> None:
    """An elderly resident's request published as a service order (抢单), claimed by a member."""
    staying = [mid for mid, full in c.member_ids if mid not in c.moved and full]
    if not staying or c.grid is None:
        return
    day = demo.today - timedelta(days=1)
    rid = (await demo.run(p + "order", ReportRequest(c.grid, "ELDERLY_CARE", "独居老人需陪同就医", Source.WALK_IN),
                          secretary, on=day)).id
    order = (await demo.run(p + "order:publish", PublishServiceOrder(
        rid, "陪同老人就医", datetime.combine(demo.today, time(1), UTC), f"{c.name[:-3]}3栋", "2.0"),
        secretary, on=day)).id
    member = staying[-1]
    await demo.run(p + "order:claim", ClaimServiceOrder(order),
                   Actor(str(member), "党员", frozenset({Role.MEMBER}), c.id), on=day)


async def _shops(demo: Demo, biz: UUID, street: UUID, joint: list[UUID], used: set[str], serial: int) -> None:
    """The business district's demonstration-shop round (党员示范店): a quota, one shop more than it
    through pre-review, the quota approved (the last one refused: the quota is taken), pledges, an
    objection in the notice period resolved, and the plaques. Owners are full members of the
    business district's joint branches (shop keepers), registered for it."""
    sc, today = demo.scale, demo.today
    if sc.shops == 0:
        return
    base = date(today.year, 3, 1) if today >= date(today.year, 4, 15) else today - timedelta(days=40)
    year = base.year
    secretary = Actor(f"demo-bd-secretary-{sc.name}", "万达广场商圈党委 赵书记",
                      frozenset({Role.BUSINESS_DISTRICT_SECRETARY}), biz)
    street_admin = Actor(f"demo-street-admin-{sc.name}-0", "街道 李书记", frozenset({Role.STREET_ADMIN}), street)
    rnd = (await demo.run("shops:round", OpenSelectionRound(biz, year, sc.shops, opened_on=base), on=base)).id
    rng = random.Random(f"{demo.seed}:{sc.name}:shops")
    attested = tuple(Attestation(a, True, f"深龙市监证〔{year}〕{k + 1}号") for k, a in enumerate(Attested))
    shops: list[UUID] = []
    offset = {"small": 9_000_000, "district": 0, "city": 5_000_000}.get(sc.name, 0)
    for n in range(sc.shops + 1):  # the keepers (店主): full members of the joint branches, dues kept up
        name, male, born, ethnicity, joined = person(rng, today, True)
        while (idn := id_number(sc.county, born, serial)) in used:
            serial += 1
        used.add(idn)
        owner = (await demo.run(f"shops:{n}:keeper", RegisterMember(
            name, Gender.MALE if male else Gender.FEMALE, born, ethnicity, idn, phone(rng), Standing.FULL,
            min(joined, base - timedelta(days=400)), joint[n % len(joint)], base.replace(day=1)), on=base)).id
        body = f"92440307MA{offset + n:07d}"
        title = rng.choice(("红心", "先锋", "惠民", "诚信", "邻里")) + rng.choice(("便利店", "餐馆", "药房", "超市"))
        shops.append((await demo.run(f"shops:{n}", RegisterShop(
            biz, f"{title}{n + 1}号店", body + credit_check_character(body), date(year + 3, 12, 31),
            f"龙岗大道{100 + n}号", rng.choice(("RETAIL", "CATERING", "PHARMACY")), owner_member_id=owner,
            longitude=round(114.09 + n * 0.0003, 6), latitude=22.595), on=base)).id)

    def day(days: int) -> date:
        return base + timedelta(days=days)

    for n, shop in enumerate(shops):
        p = f"shops:{n}:"
        await demo.run(p + "apply", ApplyShop(shop, rnd, attested), secretary, on=day(4))
        await demo.run(p + "recommend", RecommendShop(shop, "商圈党委推荐"), secretary, on=day(7))
        await demo.run(p + "pre-review", PreReviewShop(shop, "街道初审通过"), street_admin, on=day(11))
    for n, shop in enumerate(shops):
        p = f"shops:{n}:"
        if n >= sc.shops:  # the quota is taken
            await demo.run(p + "refuse", RefuseShop(shop, "本年度名额已满"), on=day(14))
            continue
        await demo.run(p + "approve", ApproveShop(shop), on=day(14))
        await demo.run(p + "pledge", SignShopPledge(shop), secretary, on=day(19))
        if n == 0:  # an objection in the notice period (公示期), found unfounded before the plaques
            out = await demo.run(p + "objection", FileShopObjection(shop, "群众反映价格不透明"), secretary, on=day(20))
            await demo.run(p + "resolve", ResolveShopObjection(shop, UUID(out.extra["objection_id"]), False,
                                                               "经核查已明码标价"), on=day(22))
    for n, shop in enumerate(shops[:sc.shops]):
        await demo.run(f"shops:{n}:plaque", AwardShopPlaque(shop, f"LG-{year}-{n + 1:03d}"), on=day(26))
