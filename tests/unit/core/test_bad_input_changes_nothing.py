"""Unicode look-alikes and impossible values: one spelling per value, or a typed refusal
that appends nothing.

Item 15: fullwidth digits registered a person twice (``３２０５…`` beside ``3205…``), an
Arabic-Indic digit made a second community code, fullwidth phones were stored as typed.
Codes, ID numbers and phones are now NFKC-normalised (invisible characters removed)
before any check and claim, and digits other than 0-9 are refused; names are normalised
and refused when nothing visible is left.

Item 17: dues paid through 2099 or 1900, organizations established in 2999 or year 1,
inspections opened in 2999, allocations and payments dated after today, and Money given
as the JSON integer 5, "1_000", "1e3" or Arabic-Indic digits were all accepted.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.members.aggregate import Member
from domain.organizations.aggregate import OrganizationKind
from domain.shared.errors import AlreadyExists, InvalidInput
from domain.shared.events import replay
from domain.shared.money import MAX_AMOUNT, MONEY_PATTERN, parse_money
from domain.shared.permissions import Role
from domain.shared.text import clean, is_invisible
from tests.idnumbers import id_number
from tests.unit.fakes import World, actor, req, world
from tests.unit.members.test_members_and_transfers import register

K = OrganizationKind


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def arabic_indic(text: str) -> str:
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in text)


async def refused(w: World, field: str, attempt, error: type[Exception] = InvalidInput):  # type: ignore[no-untyped-def]
    """``attempt`` is refused with ``error`` naming ``field``, and nothing is appended."""
    before = len(w.store.events)
    with pytest.raises(error) as caught:
        await attempt()
    assert len(w.store.events) == before, f"a refused command appended ({caught.value!r})"
    assert getattr(caught.value, "field", None) == field, caught.value
    return caught.value


def payload(w: World, stream: UUID) -> dict[str, object]:
    return next(e.payload for e in reversed(w.store.events) if e.stream_id == stream)


async def member(w: World, stream: UUID) -> Member:
    """The member as its stream replays (personal fields as decided, whatever the log stores)."""
    found = replay(Member, await w.store.read_stream(stream))
    assert found is not None
    return found


# -- item 15: one spelling per value ------------------------------------------------------------


async def test_an_id_number_in_fullwidth_digits_or_with_invisible_characters_is_the_same_person() -> None:
    w = await world()
    number = id_number("211403196809030", 7)
    registered = await register(w, w.east, id_number=number)
    assert (await member(w, registered)).id_number == number
    for variant in (fullwidth(number), number[:6] + "\u200b" + number[6:] + "\ufeff", f" {fullwidth(number)}\u3000"):
        await refused(w, "idNumber", lambda v=variant: register(w, w.west, id_number=v), AlreadyExists)
    await refused(w, "idNumber", lambda: register(w, w.west, id_number=arabic_indic(number)))


async def test_a_fullwidth_new_id_number_is_stored_in_ascii_digits() -> None:
    w = await world()
    number = id_number("211403196809030", 8)
    registered = await register(w, w.east, id_number=fullwidth(number.lower()))
    assert (await member(w, registered)).id_number == number


async def test_division_codes_accept_only_digits_0_to_9_after_normalising() -> None:
    w = await world()
    admin = req(w.admin)
    # The east community is 211403002001: its fullwidth twin is the same code.
    await refused(w, "code", lambda: w.commands.establish_organization(
        admin, K.COMMUNITY_COMMITTEE, "又一个", w.street, fullwidth("211403002001")), AlreadyExists)
    await refused(w, "code", lambda: w.commands.establish_organization(
        admin, K.COMMUNITY_COMMITTEE, "又一个", w.street, "211403002" + arabic_indic("003")))
    made = await w.commands.establish_organization(admin, K.COMMUNITY_COMMITTEE, "新社区", w.street,
                                                   fullwidth("211403002003"))
    assert payload(w, made.id)["code"] == "211403002003"


async def test_phones_are_stored_in_ascii_and_other_digits_are_refused() -> None:
    w = await world()
    registered = await register(w, w.east, phone=fullwidth("158-4000-1234"))
    assert (await member(w, registered)).phone == "158-4000-1234"
    for bad in (arabic_indic("15840001234"), "-----", "+ - -", "1" * 21, "1584\n0001234x"):
        await refused(w, "phone", lambda p=bad: register(w, w.west, serial=9, phone=p))


async def test_names_are_normalised_and_refused_when_nothing_visible_is_left() -> None:
    w = await world()
    registered = await member(w, await register(w, w.east, name="李\u200b秀英\u00ad", ethnicity="汉族\u200d"))
    assert (registered.name, registered.ethnicity) == ("李秀英", "汉族")
    org = await w.commands.establish_organization(req(w.admin), K.GRID_BRANCH, "第一网格　党支部", w.east)
    assert payload(w, org.id)["name"] == "第一网格 党支部"  # the ideographic space is a space
    for blank in ("\u200b\u200c\u200d\ufeff", "\u2060 \u202e", "\u3000\u00a0"):
        await refused(w, "name", lambda n=blank: register(w, w.west, serial=9, name=n))
        await refused(w, "name", lambda n=blank: w.commands.rename_organization(req(w.admin), org.id, n))


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_clean_is_stable_and_leaves_nothing_invisible(text: str) -> None:
    once = clean(text)
    assert clean(once) == once
    assert not any(is_invisible(ch) for ch in once)
    assert unicodedata.normalize("NFKC", once) == once
    assert once == once.strip() and "  " not in once


# -- item 17: what cannot be true -----------------------------------------------------------------


async def test_dues_paid_through_far_ahead_or_before_joining_are_refused() -> None:
    w = await world()  # today is 2026-03-02; the member joined 2025-07-01
    for bad in (date(2099, 1, 1), date(1900, 1, 1), date(2027, 4, 1), date(2025, 6, 30)):
        await refused(w, "duesPaidThrough", lambda d=bad: register(w, w.east, dues_paid_through=d))
    registered = await register(w, w.east, dues_paid_through=date(2027, 3, 15))  # a year ahead: allowed
    assert (await member(w, registered)).dues_paid_through == date(2027, 3, 1)
    await refused(w, "duesPaidThrough", lambda: w.commands.correct_member_details(
        req(w.admin), registered, {"dues_paid_through": date(2099, 12, 1)}, "更正"))


async def test_organizations_cannot_be_established_in_2999_or_before_the_party() -> None:
    w = await world()
    for bad in (date(2999, 1, 1), date(1, 1, 1), date(1921, 6, 30), date(2026, 3, 3)):
        await refused(w, "establishedOn", lambda d=bad: w.commands.establish_organization(
            req(w.admin), K.GRID_BRANCH, "网格", w.east, established_on=d))
    grid = await w.commands.establish_organization(req(w.admin), K.GRID_BRANCH, "网格", w.east,
                                                   established_on=date(1921, 7, 1))
    await refused(w, "dissolvedOn", lambda: w.commands.dissolve_organization(
        req(w.admin), grid.id, "撤销", date(2999, 1, 1)))


async def test_member_dates_that_have_not_come_are_refused() -> None:
    w = await world()
    registered = await register(w, w.east)
    await refused(w, "convertedOn", lambda: w.commands.convert_member_to_full(
        req(w.admin), registered, date(2999, 1, 1)))
    await refused(w, "joinedOn", lambda: register(w, w.west, serial=9, joined_on=date(1920, 1, 1),
                                                  birth_date=date(1900, 1, 1)))


async def _fund(w: World) -> tuple[UUID, object]:
    finance = actor(Role.FINANCE_OFFICER, scope=w.east, subject="finance-east")
    fund = (await w.commands.open_fund(req(finance), w.east, 2026, FundKind.SERVICE_FUND)).id
    return fund, finance


async def test_allocations_payments_and_inspections_dated_after_today_are_refused() -> None:
    w = await world()  # today is 2026-03-02
    fund, finance = await _fund(w)
    f = w.commands
    await refused(w, "effectiveOn", lambda: f.allocate_funds(
        req(finance), fund, "1000.00", AllocationSource.FISCAL_BUDGET, date(2026, 12, 1), "文1"))
    await f.allocate_funds(req(finance), fund, "50000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 5), "文1")
    out = await f.propose_project(req(finance), fund, SpendingCategory.PUBLIC_SERVICE, "助餐", "1000.00", "助餐",
                                  "老人")
    project = UUID(out.extra["project_id"])
    await f.record_project_decision(req(finance), fund, project, date(2026, 2, 1), ["甲", "乙", "丙"], "同意")
    street = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    await f.approve_project(req(street), fund, project)
    await refused(w, "paidOn", lambda: f.record_payment(
        req(finance), fund, project, "100.00", date(2026, 11, 30), "公司", "V1"))
    await refused(w, "openedOn", lambda: f.open_inspection(
        req(w.admin), "督查", fund_id=fund, opened_on=date(2999, 1, 1)))
    await refused(w, "openedOn", lambda: f.open_inspection(
        req(w.admin), "督查", organization_id=w.east, opened_on=date(2025, 1, 1)))  # before it existed
    await refused(w, "year", lambda: f.open_fund(req(finance), w.east, 2999, FundKind.RED_FUND))


@pytest.mark.parametrize("amount", [5, 0.1, True, "1_000", "1e3", "٥٠٠", "５００", " 500", "500 ", "+500",
                                    "500.", ".5", "500.001", "Infinity", "NaN", "0x10", "１"])
async def test_money_is_a_plain_decimal_string_and_nothing_else(amount: object) -> None:
    w = await world()
    fund, finance = await _fund(w)
    await refused(w, "amount", lambda: w.commands.allocate_funds(
        req(finance), fund, amount, AllocationSource.FISCAL_BUDGET, date(2026, 1, 5), "文1"))


_MONEY = re.compile(MONEY_PATTERN, re.ASCII)


@given(st.text(max_size=16) | st.from_regex(r"-?[0-9]{1,13}(\.[0-9]{1,3})?", fullmatch=True))
@settings(max_examples=400)
def test_a_string_is_money_exactly_when_it_matches_the_documented_pattern(text: str) -> None:
    try:
        amount = parse_money(text, "amount")
    except InvalidInput:
        assert not _MONEY.fullmatch(text) or not Decimal(0) < Decimal(text) <= MAX_AMOUNT
    else:
        assert _MONEY.fullmatch(text) and amount == Decimal(text)
