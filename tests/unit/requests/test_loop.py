"""The closed loop of a resident's request on the in-memory store: given a place, when a step,
then its events or a typed error (and nothing recorded)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from api.escalation import SYSTEM_ACTOR
from domain.grids.commands import RegisterGrid
from domain.organizations.aggregate import OrganizationKind
from domain.requests import commands as rc
from domain.requests.aggregate import Level, Rating, RequestState, Source
from domain.requests.contacts import contact_id
from domain.requests.errors import DeadlinePassed, DepartmentOutOfScope, NotYourStep, RequestNotFound
from domain.requests.rules import Attachment, Limit, Urgency, parse_deadlines
from domain.shared.errors import AlreadyExists, InvalidInput, NotAuthorized
from domain.shared.permissions import Actor, Role
from tests.unit.fakes import actor, req
from tests.unit.requests.support import PHOTO, Place, place


def types_of(p: Place, rid: object) -> list[str]:
    return [e.event_type for e in p.w.store.events if e.stream_id == rid]


async def test_a_request_goes_round_the_loop_and_a_dissatisfied_resident_reopens_it_once() -> None:
    p = await place()
    rid = await p.at_street()
    await p.run(p.street_admin, rc.DispatchRequest(rid, p.traffic))
    await p.run(p.handler(p.traffic), rc.SendBackRequest(rid, "属城管职责"))
    assert (await p.request(rid)).state is RequestState.ESCALATED
    await p.run(p.street_admin, rc.DispatchRequest(rid, p.urban))
    await p.run(p.handler(p.urban), rc.AcceptRequest(rid))
    await p.run(p.handler(p.urban), rc.ResolveRequest(rid, "已修补路面"))
    await p.run(p.secretary, rc.FeedBackRequest(rid, "电话告知居民"))
    await p.run(p.secretary, rc.RateRequest(rid, Rating.NOT_SATISFIED, "修补不平整"))
    reopened = await p.request(rid)
    assert (reopened.state, reopened.level, reopened.department_id) == (RequestState.ACCEPTED, Level.DEPARTMENT,
                                                                        p.urban)
    await p.run(p.handler(p.urban), rc.ResolveRequest(rid, "重新铺设沥青"))
    await p.run(p.handler(p.urban), rc.FeedBackRequest(rid))
    await p.run(p.secretary, rc.RateRequest(rid, Rating.SATISFIED))
    await p.run(p.secretary, rc.CloseRequest(rid))
    assert (await p.request(rid)).state is RequestState.CLOSED
    assert types_of(p, rid) == [
        "Request.Reported", "Request.Escalated", "Request.Dispatched", "Request.SentBack", "Request.Dispatched",
        "Request.Accepted", "Request.Resolved", "Request.FedBack", "Request.Rated", "Request.Reopened",
        "Request.Resolved", "Request.FedBack", "Request.Rated", "Request.Closed"]
    sent_back = next(e for e in p.w.store.events if e.event_type == "Request.SentBack")
    assert (sent_back.reason, sent_back.payload["department_id"]) == ("属城管职责", str(p.traffic))


async def test_the_second_dissatisfaction_goes_to_the_street() -> None:
    p = await place()
    rid = await p.report()
    await p.run(p.secretary, rc.TakeRequest(rid))
    for _ in range(2):
        holder = p.secretary if (await p.request(rid)).state is RequestState.TAKEN else p.street_admin
        await p.run(holder, rc.ResolveRequest(rid, "已协调"))
        await p.run(p.secretary, rc.FeedBackRequest(rid))
        await p.run(p.secretary, rc.RateRequest(rid, Rating.NOT_SATISFIED))
        r = await p.request(rid)
        assert r.state is (RequestState.TAKEN if r.reopen_count == 1 else RequestState.ESCALATED)
    assert (r.reopen_count, r.level) == (2, Level.STREET)


async def test_a_department_outside_the_street_and_district_or_its_categories_is_out_of_scope() -> None:
    p = await place()
    other = (await p.w.commands.establish_organization(req(p.w.admin), OrganizationKind.STREET_WORKING_COMMITTEE,
                                                       "兴海街道党工委", p.w.district, "211403003000")).id
    elsewhere = (await p.run(p.w.admin, rc.RegisterDepartment(other, "兴海街道交通办", "交通", ("ROADS",)))).id
    rid = await p.at_street()
    with pytest.raises(DepartmentOutOfScope) as exc:
        await p.run(p.w.admin, rc.DispatchRequest(rid, elsewhere))
    assert exc.value.field == "departmentId"
    safety = await p.report(category="SAFETY", description="楼道堆放杂物")
    await p.run(p.secretary, rc.EscalateRequest(safety, "消防隐患"))
    with pytest.raises(DepartmentOutOfScope):
        await p.run(p.street_admin, rc.DispatchRequest(safety, p.traffic))
    await p.run(p.street_admin, rc.RetireDepartment(p.traffic, "机构改革"))
    with pytest.raises(DepartmentOutOfScope):
        await p.run(p.street_admin, rc.DispatchRequest(rid, p.traffic))
    assert types_of(p, rid) == ["Request.Reported", "Request.Escalated"]


async def test_each_step_is_its_holders_and_in_its_state() -> None:
    p = await place()
    rid = await p.report()
    with pytest.raises(NotYourStep):  # not escalated yet
        await p.run(p.street_admin, rc.DispatchRequest(rid, p.urban))
    with pytest.raises(NotAuthorized):  # the community does not dispatch
        await p.run(p.secretary, rc.DispatchRequest(rid, p.urban))
    with pytest.raises(NotYourStep):  # the community holds it: the street does not resolve it
        await p.run(p.street_admin, rc.ResolveRequest(rid, "已处理"))
    await p.run(p.secretary, rc.EscalateRequest(rid, "需街道协调"))
    await p.run(p.street_admin, rc.DispatchRequest(rid, p.urban))
    with pytest.raises(NotYourStep):  # dispatched to 城管, not to 交通
        await p.run(p.handler(p.traffic), rc.AcceptRequest(rid))
    stranger = actor(Role.DEPARTMENT_HANDLER, scope=p.w.district, subject="not-a-department")
    with pytest.raises(NotYourStep):
        await p.run(stranger, rc.AcceptRequest(rid))
    with pytest.raises(RequestNotFound):
        await p.run(p.secretary, rc.TakeRequest(uuid4()))
    west = actor(Role.COMMUNITY_SECRETARY, scope=p.w.west, subject="secretary-west")
    with pytest.raises(NotAuthorized):
        await p.run(west, rc.FeedBackRequest(rid))
    assert types_of(p, rid) == ["Request.Reported", "Request.Escalated", "Request.Dispatched"]


async def test_a_department_accepts_within_one_working_day() -> None:
    assert Limit(1, "wd").after(datetime(2026, 3, 6, 2, 0, tzinfo=UTC)) == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    p = await place()
    p.w.clock.now = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)  # Friday 10:00 in China
    rid = await p.at_street()
    await p.run(p.street_admin, rc.DispatchRequest(rid, p.urban))
    assert (await p.request(rid)).due_at == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Monday 10:00
    p.w.clock.now = datetime(2026, 3, 9, 2, 1, tzinfo=UTC)
    with pytest.raises(DeadlinePassed):
        await p.run(p.handler(p.urban), rc.AcceptRequest(rid))


async def test_the_sweep_escalates_an_overdue_request_once_by_the_system_with_the_rule() -> None:
    p = await place()
    rid = await p.report(urgency=Urgency.URGENT)
    with pytest.raises(NotYourStep):  # not overdue yet
        await p.run(SYSTEM_ACTOR, rc.EscalateOverdueRequest(rid))
    with pytest.raises(NotAuthorized):  # a person never runs it
        await p.run(p.street_admin, rc.EscalateOverdueRequest(rid))
    p.w.clock.now += timedelta(hours=3)
    await p.run(SYSTEM_ACTOR, rc.EscalateOverdueRequest(rid))
    with pytest.raises(NotYourStep):
        await p.run(SYSTEM_ACTOR, rc.EscalateOverdueRequest(rid))
    escalated = [e for e in p.w.store.events if e.event_type == "Request.Escalated"]
    assert len(escalated) == 1
    (e,) = escalated
    assert (e.actor, e.reason) == ("system:request-escalation", "overdue: URGENT requests: respond within 2h")
    assert (e.payload["automatic"], e.payload["overdue_step"], e.payload["state_after"]) == (True, "respond",
                                                                                           "ESCALATED")
    r = await p.request(rid)
    assert (r.state, r.level) == (RequestState.ESCALATED, Level.STREET)
    p.w.clock.now += timedelta(hours=5)  # the street does not dispatch within 4 h: the district's attention
    await p.run(SYSTEM_ACTOR, rc.EscalateOverdueRequest(rid))
    r = await p.request(rid)
    assert (r.state, r.level) == (RequestState.ESCALATED, Level.DISTRICT)


async def test_an_integration_hands_in_residents_orders_only_and_each_ticket_once() -> None:
    p = await place()
    order = rc.ReportRequest(p.grid, "ELDERLY_CARE", "独居老人需要助餐", Source.RESIDENT_ORDER, resident_name="李秀兰",
                             phone="13940001234", external_ref="12345-2026-0007")
    rid = (await p.run(p.hotline, order)).id
    with pytest.raises(AlreadyExists) as exc:
        await p.run(p.hotline, order)
    assert exc.value.field == "externalRef"
    with pytest.raises(InvalidInput):
        await p.run(p.hotline, rc.ReportRequest(p.grid, "ROADS", "路灯不亮", Source.GRID_REPORT))
    with pytest.raises(InvalidInput):
        await p.run(p.grid_worker, rc.ReportRequest(p.grid, "ROADS", "路灯不亮", Source.RESIDENT_ORDER))
    with pytest.raises(NotAuthorized):
        await p.run(p.hotline, rc.TakeRequest(rid))
    stored = [e for e in p.w.store.events if e.stream_id == contact_id(rid)]
    assert [e.event_type for e in stored] == ["RequestContact.Recorded"]
    assert "李秀兰" not in str(stored[0].payload)  # sealed under the request's contact keys
    (opened,) = await p.w.store.read_stream(contact_id(rid))
    assert (opened.payload["resident_name"], opened.payload["phone"]) == ("李秀兰", "13940001234")
    await p.run(p.w.admin, rc.EraseRequestPersonalData(rid, "居民申请删除"))
    opened = (await p.w.store.read_stream(contact_id(rid)))[0]
    assert (opened.payload["resident_name"], opened.payload["phone"]) == (None, None)
    with pytest.raises(InvalidInput):
        await p.run(p.w.admin, rc.EraseRequestPersonalData(rid, "居民申请删除"))


@pytest.mark.parametrize(("attachments", "field"), [
    ((Attachment("ftp://oss.example.cn/a.jpg", "ab" * 32),), "attachments.url"),
    ((Attachment("https:///a.jpg", "ab" * 32),), "attachments.url"),
    ((Attachment("https://oss.example.cn/a.jpg", "ab" * 31),), "attachments.sha256"),
    ((Attachment("https://oss.example.cn/a.jpg", "zz" * 32),), "attachments.sha256"),
    ((PHOTO, PHOTO), "attachments"),
    (tuple(Attachment(f"https://oss.example.cn/{i}.jpg", "cd" * 32) for i in range(11)), "attachments"),
])
async def test_attachments_are_http_references_with_a_digest(attachments: tuple[Attachment, ...],
                                                             field: str) -> None:
    p = await place()
    before = len(p.w.store.events)
    with pytest.raises(InvalidInput) as exc:
        await p.report(attachments=attachments)
    assert exc.value.field == field
    assert len(p.w.store.events) == before


async def test_a_duplicate_is_merged_into_a_request_of_its_grid_and_both_histories_stay() -> None:
    p = await place()
    first, second = await p.report(), await p.report(description="人民路路面塌陷（重复）")
    await p.run(p.secretary, rc.MergeRequests(second, first, "同一问题"))
    assert (await p.request(second)).state is RequestState.CLOSED
    assert (await p.request(second)).merged_into == first
    assert (await p.request(first)).duplicates == [second]
    assert types_of(p, first)[-1] == "Request.DuplicateMerged"
    with pytest.raises(NotYourStep):
        await p.run(p.secretary, rc.MergeRequests(second, first, "同一问题"))


def test_deadlines_are_configured_per_urgency_and_step() -> None:
    rules = parse_deadlines("NORMAL:accept=2wd;URGENT:respond=30h")
    assert (str(rules[Urgency.NORMAL]["accept"]), str(rules[Urgency.URGENT]["respond"])) == ("2wd", "30h")
    assert str(rules[Urgency.NORMAL]["resolve"]) == "7d"
    for bad in ("LOW:respond=1h", "NORMAL:answer=1h", "NORMAL:respond=1w"):
        with pytest.raises(ValueError):
            parse_deadlines(bad)


async def test_a_grid_scoped_worker_reports_in_its_own_grid_only() -> None:
    p = await place()
    other = (await p.run(p.w.admin, RegisterGrid(p.w.east, "211403002001002", "仙山二网格", "RESIDENTIAL"))).id
    mine = Actor("worker-grid-1", "网格员", frozenset({Role.GRID_WORKER}), p.w.east, grid=p.grid)
    await p.run(mine, rc.ReportRequest(p.grid, "SAFETY", "楼道堵塞", Source.GRID_REPORT))
    with pytest.raises(NotAuthorized):
        await p.run(mine, rc.ReportRequest(other, "SAFETY", "楼道堵塞", Source.GRID_REPORT))
