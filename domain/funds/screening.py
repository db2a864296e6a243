"""The forbidden-purpose screen: what a project's title and purpose may not name.

Earmarked funds never pay for office costs, staff pay or benefits, loan repayment,
projects the government already funds, premises construction, or costs the property
manager should bear (the six forbidden categories of ``SpendingCategory``; shared/
DOMAIN.md). A proposal filed under an allowed category whose text names one of them is
refused with ``ForbiddenPurpose``; one whose text comes close is accepted but *flagged*
for the approver (``Project.reviewFlags`` in GraphQL, recorded in the
``Fund.ProjectProposed`` event), never silently passed.

The lists are local policy, so configuration (``GRASSROOTS_FORBIDDEN_PURPOSES``, read by
``api.config``); ``DEFAULT_TERMS`` is what applies without it. One entry per category,
each a tuple of terms:

- ``工资``: the text must not name it: refused;
- ``?维修``: a near miss: the project is flagged for the approver (``CATEGORY: term``);
- ``!社工资格``: an innocent phrase that contains a term (``社工资格`` holds ``工资``):
  where it occurs, it is not read as the term.

Besides the ``?`` terms, a refused term split by one or two other characters (``工x资``,
what is left of an obfuscation once invisible characters and punctuation are gone) is a
near miss too.

Comparison is on ``domain.shared.text.screening_form``: NFKC (fullwidth letters and
digits become plain ones), invisible characters removed (``工\\u200b资``), traditional
characters converted to simplified (``工資``), case folded, everything but letters and
digits dropped (``工 资``, ``工-资``). Latin terms (``salary``) match whole words
(``words_form``). The traditional-to-simplified conversion is OpenCC's, passed in as
``to_simplified`` by the API's wiring (``api.screening``): loading its dictionaries is
I/O, which the domain does not do. Without it (unit tests that build the handling
bare) traditional text is compared as it is.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from domain.funds.aggregate import ALLOWED_CATEGORIES, SpendingCategory
from domain.shared.errors import ForbiddenPurpose
from domain.shared.text import screening_form, words_form

C = SpendingCategory

DEFAULT_TERMS: Mapping[SpendingCategory, tuple[str, ...]] = MappingProxyType({
    C.OFFICE_COSTS: (
        "办公经费", "办公费", "办公用品", "办公家具", "办公桌椅", "办公设备", "办公电脑", "办公耗材",
        "办公室装修", "办公用房", "office supplies", "office furniture", "office equipment",
        "stationery", "?办公", "?桌椅", "?家具", "?电脑", "?打印机", "?复印", "?耗材", "?文具",
        "?office",
    ),
    C.STAFF_PAY: (
        "工资", "薪水", "薪资", "薪酬", "薪金", "奖金", "津贴", "福利", "加班费", "绩效奖", "年终奖",
        "过节费", "补助金发放", "salary", "salaries", "wage", "wages", "bonus", "bonuses", "payroll",
        "?劳务费", "?报酬", "?补贴", "?人员经费", "?误餐", "?allowance", "?stipend",
        "!社工资格", "!员工资料", "!职工资料",
    ),
    C.LOAN_REPAYMENT: (
        "还贷", "偿还", "贷款", "债务", "欠款", "还款", "借款", "loan", "loans", "debt", "debts",
        "repayment", "?垫付", "?欠", "?利息", "?interest",
    ),
    C.GOVERNMENT_FUNDED: (
        "财政已安排", "政府已安排", "已有资金安排", "已列入财政预算", "财政已拨付", "?财政资金",
        "?政府项目", "?已立项", "?government funded",
    ),
    C.PREMISES_CONSTRUCTION: (
        "阵地建设", "场所建设", "阵地装修", "场所装修", "活动室装修", "服务中心装修", "服务中心建设",
        "用房建设", "新建用房", "改扩建", "基建", "premises construction", "premises renovation",
        "?装修", "?改造", "?翻新", "?修缮", "?场地", "?阵地", "?renovation", "?construction",
    ),
    C.PROPERTY_MANAGEMENT_COSTS: (
        "物业费", "物业管理费", "物业维修", "物业公司维修", "物业承担", "维修基金", "公共维修资金",
        "property management fee", "property manager", "?物业", "?维修", "?保洁", "?绿化养护",
        "?电梯", "?repair", "?repairs",
    ),
})
"""The built-in lists (``GRASSROOTS_FORBIDDEN_PURPOSES`` replaces a category's list)."""

_WHY = {
    C.OFFICE_COSTS: "office costs",
    C.STAFF_PAY: "staff pay or benefits",
    C.LOAN_REPAYMENT: "loan repayment",
    C.GOVERNMENT_FUNDED: "projects the government already funds",
    C.PREMISES_CONSTRUCTION: "premises construction",
    C.PROPERTY_MANAGEMENT_COSTS: "costs the property manager should bear",
}
MAX_FLAGS = 20
_LATIN = re.compile(r"[a-z0-9 ]+", re.ASCII)


def forbidden_why(category: SpendingCategory) -> str:
    """What a forbidden category stands for, in words (``"office costs"``)."""
    return _WHY[category]


def check_terms(terms: Mapping[SpendingCategory, tuple[str, ...]]) -> None:
    """Refuse lists that name an allowed category or hold an empty term (``ValueError``)."""
    for category, entries in terms.items():
        if category in ALLOWED_CATEGORIES:
            raise ValueError(f"{category.name} is an allowed category: it has no forbidden terms")
        for entry in entries:
            if not screening_form(entry.lstrip("?!")):
                raise ValueError(f"{category.name}: empty term {entry!r}")


@dataclass(frozen=True)
class _Term:
    category: SpendingCategory
    text: str
    """As given (shown in messages and flags)."""
    form: str
    """As compared: ``screening_form``, or `` word `` for Latin terms."""
    latin: bool


@dataclass(frozen=True)
class PurposeScreen:
    """The screen a fund's handlers apply to every proposal (``unit.need(PurposeScreen)``)."""

    terms: Mapping[SpendingCategory, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_TERMS)
    to_simplified: Callable[[str], str] | None = None
    """Traditional -> simplified Chinese (OpenCC's ``t2s``), given by the wiring."""
    _refused: tuple[_Term, ...] = field(init=False, repr=False, compare=False, default=())
    _review: tuple[_Term, ...] = field(init=False, repr=False, compare=False, default=())
    _innocent: tuple[_Term, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        check_terms(self.terms)
        refused: list[_Term] = []
        review: list[_Term] = []
        innocent: list[_Term] = []
        for category in SpendingCategory:
            for entry in {**DEFAULT_TERMS, **self.terms}.get(category, ()):
                kind, text = (entry[0], entry[1:]) if entry[:1] in ("?", "!") else ("", entry)
                term = self._term(category, text)
                (review if kind == "?" else innocent if kind == "!" else refused).append(term)
        object.__setattr__(self, "_refused", tuple(refused))
        object.__setattr__(self, "_review", tuple(review))
        object.__setattr__(self, "_innocent", tuple(innocent))

    def _term(self, category: SpendingCategory, text: str) -> _Term:
        words = words_form(text, self.to_simplified)
        latin = _LATIN.fullmatch(words.strip()) is not None
        form = words if latin else screening_form(text, self.to_simplified)
        return _Term(category, text, form, latin)

    def screen(self, category: SpendingCategory, *texts: str) -> list[str]:
        """Refuse a forbidden category or a text naming a forbidden use; return the flags
        (``"PROPERTY_MANAGEMENT_COSTS: 维修"``) of near misses for the approver."""
        if category not in ALLOWED_CATEGORIES:
            raise ForbiddenPurpose(f"earmarked funds never pay for {_WHY[category]}", field="category")
        compact = screening_form(" ".join(texts), self.to_simplified)
        words = words_form(" ".join(texts), self.to_simplified)
        for innocent in self._innocent:
            if innocent.latin:
                words = words.replace(innocent.form, " ")
            else:
                compact = compact.replace(innocent.form, "\x00")
        for term in self._refused:
            if (term.form in words) if term.latin else (term.form in compact):
                raise ForbiddenPurpose(
                    f"the purpose names {term.text!r}: earmarked funds never pay for {_WHY[term.category]}",
                    field="purpose")
        flags: list[str] = []
        for term in self._refused:
            if not term.latin and len(term.form) >= 2 and _split(term.form).search(compact):
                flags.append(f"{term.category.name}: {term.text} (split)")
        for term in self._review:
            if (term.form in words) if term.latin else (term.form in compact):
                flags.append(f"{term.category.name}: {term.text}")
        return list(dict.fromkeys(flags))[:MAX_FLAGS]


@lru_cache(maxsize=1024)
def _split(form: str) -> re.Pattern[str]:
    """``form`` with one or two other characters between any two of its characters."""
    return re.compile("(?:" + "|".join(
        re.escape(form[:i]) + r"[^\x00]{1,2}" + re.escape(form[i:]) for i in range(1, len(form))) + ")")
