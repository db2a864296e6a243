"""Dues money (党费) in a fund has stricter uses than the fund's other money.

Money allocated from dues (``AllocationSource.DUES_ALLOCATION``, recorded by
``allocateDuesToRedFund`` or ``allocateFunds``) stays dues money in the fund that holds it,
and in any fund a red fund's grant carries it to. The accounting rule, **dues money is
spent last**:

- ``Fund.dues_available`` is the part of the balance that is dues money: what came from
  dues, less what payments and grants drew on it (never more than the balance).
- A payment or a grant draws first on the fund's other money (``balance − dues_available``)
  and on dues money only for the rest; the part it draws on dues is recorded in its event
  (``from_dues``), and a reversal gives it back to dues money.
- A payment that draws on dues money at all must name its use (``PaymentUse``), and the use
  must be one dues money pays for (``DuesMoneyRules.uses``, configuration; by default
  training, study materials, commendations, hardship support and disaster relief).
  Anything else is ``DuesMoneyRestricted``, whose message names the rule (``RULE``).
- A grant moves dues money unspent: the receiving fund holds it as dues money, under the
  same rule.

So a fund's other money is never held back, and dues money is never spent on anything
else; an approval still counts the whole balance (``available``), because which money a
payment will draw on is known only when it is paid.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

from domain.funds.errors import DuesMoneyRestricted
from domain.shared.money import ZERO, fmt


class PaymentUse(enum.Enum):
    """What a payment pays for, as far as the dues rule asks (the vocabulary is fixed; which
    uses dues money pays for is configuration)."""

    TRAINING = "TRAINING"  # 党员教育培训
    STUDY_MATERIALS = "STUDY_MATERIALS"  # 学习资料
    COMMENDATION = "COMMENDATION"  # 表彰先进
    HARDSHIP_SUPPORT = "HARDSHIP_SUPPORT"  # 困难党员、老党员帮扶慰问
    DISASTER_RELIEF = "DISASTER_RELIEF"  # 抗灾救灾
    ACTIVITIES = "ACTIVITIES"  # 组织活动
    SERVICES = "SERVICES"  # 为民服务
    OFFICE_EQUIPMENT = "OFFICE_EQUIPMENT"  # 办公设备、家具
    OTHER = "OTHER"


DEFAULT_USES = (PaymentUse.TRAINING, PaymentUse.STUDY_MATERIALS, PaymentUse.COMMENDATION,
                PaymentUse.HARDSHIP_SUPPORT, PaymentUse.DISASTER_RELIEF)

RULE = "dues-money-uses (党费使用范围)"
"""The rule's name, as every refusal states it."""


@dataclass(frozen=True)
class DuesMoneyRules:
    """Local policy: what dues money pays for (``GRASSROOTS_DUES_MONEY_USES``)."""

    uses: tuple[PaymentUse, ...] = field(default_factory=lambda: DEFAULT_USES)


def parse_uses(text: str) -> tuple[PaymentUse, ...]:
    """``"training,study_materials"`` (names of ``PaymentUse``, any case) → the uses."""
    names = [part.strip().upper() for part in text.split(",") if part.strip()]
    try:
        uses = tuple(PaymentUse(n) for n in names)
    except ValueError:
        known = ", ".join(u.value.lower() for u in PaymentUse)
        raise ValueError(f"unknown payment use in {text!r} (known: {known})") from None
    if not uses:
        raise ValueError("dues money pays for at least one use")
    return tuple(dict.fromkeys(uses))


def drawn_on_dues(amount: Decimal, balance: Decimal, dues_available: Decimal) -> Decimal:
    """The part of ``amount`` that dues money pays: dues money is spent last."""
    other = max(ZERO, balance - dues_available)
    return min(amount, max(ZERO, amount - other))


def check_use(rules: DuesMoneyRules, use: PaymentUse | None, from_dues: Decimal) -> None:
    """A payment drawing ``from_dues`` of dues money must be for one of the allowed uses."""
    if from_dues <= ZERO:
        return
    allowed = ", ".join(u.value for u in rules.uses)
    if use is None:
        raise DuesMoneyRestricted(
            f"rule {RULE}: this payment draws {fmt(from_dues)} of dues money, which pays only for {allowed};"
            " name the payment's use", field="use")
    if use not in rules.uses:
        raise DuesMoneyRestricted(
            f"rule {RULE}: this payment draws {fmt(from_dues)} of dues money for {use.value}; dues money pays"
            f" only for {allowed}", field="use")
