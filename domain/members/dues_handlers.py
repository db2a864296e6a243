"""Dues' use cases and the review's evidence (``domain.members.dues``): authorize at the
member's home → decide.

Assessments, payments, activity records and the branch's reduction are taken at the
member's home (the branch and those above it); a reduction's approval and rejection are
structural (``Command.structural``): only from strictly above the home, the level above.
"""

from __future__ import annotations

from domain.members.aggregate import Member
from domain.members.commands import (
    ApproveDuesReduction,
    AssessMemberDues,
    ProposeDuesReduction,
    RecordDuesPayment,
    RecordMemberActivity,
    RejectDuesReduction,
)
from domain.members.dues import DuesRules
from domain.shared.commands import optional_reason, required_reason
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.money import parse_money

DuesCommand = (AssessMemberDues | ProposeDuesReduction | ApproveDuesReduction | RejectDuesReduction
               | RecordDuesPayment | RecordMemberActivity)


async def _member(unit: Unit, cmd: DuesCommand) -> Member:
    """The member, authorized against its home, at the version the client expected."""
    member = await unit.load(Member, cmd.member_id, "member")
    await unit.authorize(member.home_organization_id)
    unit.expect(member)
    return member


async def assess_member_dues(cmd: AssessMemberDues, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    income = None if cmd.declared_income is None else parse_money(cmd.declared_income, "declaredIncome",
                                                                   allow_zero=True)
    member = await _member(unit, cmd)
    member.assess_dues(cmd.year, cmd.category, income, unit.need(DuesRules), unit.today())
    return changed(member, reason=reason)


async def propose_dues_reduction(cmd: ProposeDuesReduction, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    amount = parse_money(cmd.monthly_amount, "monthlyAmount", allow_zero=True)
    member = await _member(unit, cmd)
    member.propose_dues_reduction(cmd.year, amount, cmd.decided_on, cmd.decision_reference, unit.today())
    return changed(member, reason=reason)


async def approve_dues_reduction(cmd: ApproveDuesReduction, unit: Unit) -> Decision:
    reason = optional_reason(cmd.reason)
    member = await _member(unit, cmd)
    member.approve_dues_reduction(cmd.year)
    return changed(member, reason=reason)


async def reject_dues_reduction(cmd: RejectDuesReduction, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    member = await _member(unit, cmd)
    member.reject_dues_reduction(cmd.year, reason)
    return changed(member, reason=reason)


async def record_dues_payment(cmd: RecordDuesPayment, unit: Unit) -> Decision:
    """A late payment's reason is recorded in the event and as the command's reason."""
    late_reason = optional_reason(cmd.late_reason)
    amount = parse_money(cmd.amount, "amount", allow_zero=True)
    member = await _member(unit, cmd)
    member.pay_dues(cmd.months, amount, cmd.paid_on or unit.today(), late_reason, unit.need(DuesRules),
                    unit.today())
    return changed(member, reason=late_reason)


async def record_member_activity(cmd: RecordMemberActivity, unit: Unit) -> Decision:
    member = await _member(unit, cmd)
    member.record_activity(cmd.kind, cmd.on, cmd.description, unit.today())
    return changed(member)


DUES_HANDLERS: dict[type, Handler] = {
    AssessMemberDues: assess_member_dues,
    ProposeDuesReduction: propose_dues_reduction,
    ApproveDuesReduction: approve_dues_reduction,
    RejectDuesReduction: reject_dues_reduction,
    RecordDuesPayment: record_dues_payment,
    RecordMemberActivity: record_member_activity,
}
