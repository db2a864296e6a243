"""Fund kinds as local policy: which are in use, what each pays for, whether it carries over.

Seed 004 keeps a 120,000 work fund (工作经费) beside a separate 100,000–200,000 惠民
fund for emergency services; other districts have activity and area funds. The kind
names are a fixed vocabulary (``FundKind``), so that the schema and stored events never
depend on one district's configuration; each district configures which kinds it opens
and, per kind, the allowed spending categories (always within the four that earmarked
money may pay for) and whether an unspent balance carries over into next year.

The policy applies when a command is decided, like every local rule: a project's
category and a year's disposition are recorded in the events, so replaying a fund never
depends on the configuration of the day. A fund of a kind no longer in use keeps
working under the built-in policy of its kind; only opening new ones is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.funds.aggregate import ALLOWED_CATEGORIES, FundKind, SpendingCategory
from domain.shared.errors import ForbiddenPurpose, InvalidInput

C = SpendingCategory


@dataclass(frozen=True)
class KindPolicy:
    """What one kind of fund may pay for, and what its year's end may do."""

    allowed: frozenset[SpendingCategory]
    carry_over: bool = True
    """False: closing the year returns the balance to the funder (never carried over)."""

    def __post_init__(self) -> None:
        if not self.allowed:
            raise ValueError("a fund kind allows at least one spending category")
        outside = sorted(c.value for c in self.allowed - ALLOWED_CATEGORIES)
        if outside:
            raise ValueError(f"earmarked money never pays for {', '.join(outside)}")


DEFAULT_KINDS: Mapping[FundKind, KindPolicy] = {
    FundKind.SERVICE_FUND: KindPolicy(ALLOWED_CATEGORIES),
    FundKind.RED_FUND: KindPolicy(ALLOWED_CATEGORIES),
    FundKind.WORK_FUND: KindPolicy(frozenset({C.PARTY_BUILDING, C.SELF_GOVERNANCE, C.OTHER_SERVICE})),
    FundKind.WELFARE_FUND: KindPolicy(frozenset({C.PUBLIC_SERVICE, C.OTHER_SERVICE}), carry_over=False),
    FundKind.ACTIVITY_FUND: KindPolicy(frozenset({C.PARTY_BUILDING, C.PUBLIC_SERVICE})),
    FundKind.AREA_FUND: KindPolicy(ALLOWED_CATEGORIES),
}
"""The built-in policy of every kind (the seeds' practice), and the kinds in use by default."""


@dataclass(frozen=True)
class FundKinds:
    """The kinds in use here and their policies (configuration: ``GRASSROOTS_FUND_KINDS``)."""

    in_use: Mapping[FundKind, KindPolicy] = field(default_factory=lambda: dict(DEFAULT_KINDS))

    def policy(self, kind: FundKind) -> KindPolicy:
        """The kind's policy: configured, else built in (for funds opened before a change)."""
        return self.in_use.get(kind) or DEFAULT_KINDS[kind]

    def check_open(self, kind: FundKind) -> None:
        if kind not in self.in_use:
            used = ", ".join(k.value for k in self.in_use)
            raise InvalidInput(f"{kind.value} is not a fund kind in use here (in use: {used})", field="kind")

    def check_category(self, kind: FundKind, category: SpendingCategory) -> None:
        """A project's category must be one its fund's kind pays for."""
        allowed = self.policy(kind).allowed
        if category in ALLOWED_CATEGORIES and category not in allowed:
            names = ", ".join(c.value for c in SpendingCategory if c in allowed)
            raise ForbiddenPurpose(f"a {kind.value} pays only for {names}", field="category")
