"""The forbidden-purpose screen, as the server wires it (configured lists, OpenCC).

Before, ``工\\u200b资``, traditional ``工資``, fullwidth ``ｓａｌａｒｙ`` and the synonym
``薪水`` passed, office furniture, premises renovation and property-manager repairs passed
as "public service", and nothing that came close was shown to the approver.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from api import bootstrap
from api.config import ConfigError, Settings
from api.screening import purpose_screen
from domain.funds.aggregate import FundKind, SpendingCategory
from domain.funds.screening import DEFAULT_TERMS, PurposeScreen
from domain.shared.errors import ForbiddenPurpose
from domain.shared.permissions import Role
from tests.unit.fakes import World, actor, req, world

C = SpendingCategory


async def screened_world(settings: Settings | None = None) -> tuple[World, UUID]:
    w = await world()
    w.commands.handling.services[PurposeScreen] = purpose_screen(settings or Settings())
    fund = (await w.commands.open_fund(req(_finance(w)), w.east, 2026, FundKind.SERVICE_FUND)).id
    return w, fund


def _finance(w: World):  # type: ignore[no-untyped-def]
    return actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")


async def propose(w: World, fund: UUID, title: str, purpose: str, category: C = C.PUBLIC_SERVICE) -> UUID:
    out = await w.commands.propose_project(req(_finance(w)), fund, category, title, "1000.00", purpose, "居民")
    return UUID(out.extra["project_id"])


BYPASSES = [
    ("工资", "发放社区工作者工\u200b资"),
    ("工资", "发放工資"),
    ("工资", "工 资 补 发"),
    ("salary", "monthly ｓａｌａｒｙ of the caretaker"),
    ("薪水", "支付网格员薪水"),
    ("办公家具", "购置办公家具"),
    ("办公家具", "購置辦公傢俱"),
    ("场所装修", "党群服务中心场所装修"),
    ("物业维修", "小区物业维修"),
    ("office furniture", "Office Furniture for the committee"),
    ("premises renovation", "premises renovation"),
    ("property manager", "repairs the property manager should pay"),
    ("偿还", "償還欠款"),
]


@pytest.mark.parametrize(("term", "purpose"), BYPASSES)
async def test_bypasses_of_the_screen_are_refused_and_append_nothing(term: str, purpose: str) -> None:
    w, fund = await screened_world()
    before = len(w.store.events)
    with pytest.raises(ForbiddenPurpose) as caught:
        await propose(w, fund, "为民服务", purpose)
    assert term in caught.value.message and caught.value.field == "purpose"
    assert len(w.store.events) == before


@pytest.mark.parametrize(("purpose", "flag"), [
    ("老旧小区楼道维修（无物业）", "PROPERTY_MANAGEMENT_COSTS: 维修"),
    ("活动室桌椅更换", "OFFICE_COSTS: 桌椅"),
    ("志愿者劳务费", "STAFF_PAY: 劳务费"),
    ("工x资", "STAFF_PAY: 工资 (split)"),
])
async def test_near_misses_pass_flagged_for_the_approver(purpose: str, flag: str) -> None:
    w, fund = await screened_world()
    project = await propose(w, fund, "为民服务", purpose)
    (proposed,) = [e for e in w.store.events if e.event_type == "Fund.ProjectProposed"
                   and e.payload["project_id"] == str(project)]
    assert flag in proposed.payload["review_flags"] and proposed.schema_version == 2


async def test_plain_service_projects_and_innocent_phrases_pass_unflagged() -> None:
    w, fund = await screened_world()
    for purpose in ("为独居老人提供午餐", "社工资格证书培训", "议事会物料与公示栏"):
        project = await propose(w, fund, "为民服务", purpose)
        (proposed,) = [e for e in w.store.events if e.payload.get("project_id") == str(project)
                       and e.event_type == "Fund.ProjectProposed"]
        assert proposed.payload["review_flags"] == [], purpose


async def test_a_forbidden_category_is_refused_whatever_the_text() -> None:
    w, fund = await screened_world()
    with pytest.raises(ForbiddenPurpose) as caught:
        await propose(w, fund, "活动", "活动", C.PREMISES_CONSTRUCTION)
    assert caught.value.field == "category"


async def test_the_lists_come_from_the_configuration() -> None:
    settings = Settings.from_env({"GRASSROOTS_FORBIDDEN_PURPOSES": "OFFICE_COSTS=茶叶,?饮用水;STAFF_PAY=工资"})
    assert settings.funds.forbidden_purposes[C.OFFICE_COSTS] == ("茶叶", "?饮用水")
    assert settings.funds.forbidden_purposes[C.LOAN_REPAYMENT] == DEFAULT_TERMS[C.LOAN_REPAYMENT]
    w, fund = await screened_world(settings)
    with pytest.raises(ForbiddenPurpose):
        await propose(w, fund, "会议", "采购茶葉")  # traditional 葉: OpenCC reads it as 叶
    project = await propose(w, fund, "会议", "会议饮用水")
    (proposed,) = [e for e in w.store.events if e.payload.get("project_id") == str(project)]
    assert proposed.payload["review_flags"] == ["OFFICE_COSTS: 饮用水"]
    # The server's command handling is built with the configured screen.
    handling = bootstrap.handling(settings, None, lambda: datetime.now(UTC))  # type: ignore[arg-type]
    assert handling.services[PurposeScreen].terms[C.OFFICE_COSTS] == ("茶叶", "?饮用水")


@pytest.mark.parametrize("value", ["PUBLIC_SERVICE=午餐", "NOT_A_CATEGORY=x", "STAFF_PAY=?"])
def test_a_bad_list_is_refused_at_start_up(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"GRASSROOTS_FORBIDDEN_PURPOSES": value})
    assert str(caught.value).startswith("GRASSROOTS_FORBIDDEN_PURPOSES")
