"""Command handlers for funds, projects and inspections: authorize → load → decide → append.

They share the plumbing (idempotency, bounded retries, metadata) of ``Commands.run``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.funds.aggregate import (
    AllocationSource,
    Fund,
    FundKind,
    SpendingCategory,
    YearEnd,
    fund_id,
)
from domain.inspections.aggregate import Inspection, Severity
from domain.organizations.aggregate import Organization
from domain.shared import events as ev
from domain.shared.errors import AlreadyExists, InvalidInput, NotFound
from domain.shared.handling import Commands, Outcome, Request, required_reason
from domain.shared.money import fmt, parse_money
from domain.shared.permissions import Action
from domain.shared.ports import Append, Metadata

ev.register(Fund)
ev.register(Inspection)

_NO_META = Metadata(actor="", actor_roles=(), correlation_id=UUID(int=0))
Change = Callable[[Fund], dict[str, Any] | None]


def optional_reason(reason: str | None) -> str | None:
    """A reason the command may state: trimmed, at most 500 characters, or None."""
    return required_reason(reason) if reason is not None and reason.strip() else None


class FundCommands:
    """The use cases of earmarked funds, their projects, and inspections."""

    def __init__(self, commands: Commands, year_end: YearEnd = YearEnd.CARRY_OVER) -> None:
        self.base = commands
        self.year_end = year_end

    def today(self) -> date:
        return self.base.today()

    async def _load_fund(self, fid: UUID) -> Fund:
        found = ev.replay(Fund, await self.base.store.read_stream(fid))
        if found is None:
            raise NotFound(f"no fund {fid}", field="fundId")
        return found

    async def _fund_command(
        self, req: Request, action: Action, fid: UUID, payload: dict[str, Any], change: Change,
        reason: str | None = None,
    ) -> Outcome:
        fund = await self._load_fund(fid)
        await self.base.authorize(req, action, fund.organization_id)

        async def decide() -> tuple[UUID, Append]:
            fresh = await self._load_fund(fid)
            self.base.check_expected(req, fresh)  # type: ignore[arg-type]
            result = change(fresh) or {}
            return fresh.id, Append(ev.to_new_events(fresh), _NO_META, result=result)

        return await self.base.run(req, action, {"fund": fid, **payload}, decide, reason)

    # -- funds --------------------------------------------------------------------------

    async def open_fund(
        self, req: Request, organization_id: UUID, year: int, kind: FundKind
    ) -> Outcome:
        await self.base.authorize(req, Action.OPEN_FUND, organization_id)
        if not 2000 <= year <= 2100:
            raise InvalidInput("the fiscal year lies between 2000 and 2100", field="year")

        async def decide() -> tuple[UUID, Append]:
            org = await self.base.load(Organization, organization_id, "organization")
            org.ensure_active()
            if await self.base.store.read_stream(fund_id(org.id, year, kind)):
                raise AlreadyExists(f"{org.name} already has a {kind.value} for {year}",
                                    field="year")
            fund = Fund(organization_id=org.id, year=year, kind=kind)
            return fund.id, Append(ev.to_new_events(fund), _NO_META, guards={org.id: org.version})

        payload = {"organization": organization_id, "year": year, "kind": kind.value}
        return await self.base.run(req, Action.OPEN_FUND, payload, decide)

    async def allocate_funds(
        self, req: Request, fid: UUID, amount: str | Decimal, source: AllocationSource,
        effective_on: date, document_no: str, reason: str | None = None,
    ) -> Outcome:
        money = parse_money(amount, "amount")
        reason = optional_reason(reason)

        def change(f: Fund) -> dict[str, Any]:
            return {"allocation_id": str(f.allocate(money, source, effective_on, document_no))}

        payload = {"amount": fmt(money), "source": source.value, "on": effective_on,
                   "doc": document_no, "reason": reason}
        return await self._fund_command(req, Action.ALLOCATE_FUNDS, fid, payload, change, reason)

    async def close_fiscal_year(
        self, req: Request, fid: UUID, closed_on: date | None = None,
        disposition: YearEnd | None = None, reason: str | None = None,
    ) -> Outcome:
        how = disposition or self.year_end
        reason = optional_reason(reason)
        fund = await self._load_fund(fid)
        await self.base.authorize(req, Action.CLOSE_FISCAL_YEAR, fund.organization_id)

        async def decide() -> tuple[UUID, Append]:
            fresh = await self._load_fund(fid)
            self.base.check_expected(req, fresh)  # type: ignore[arg-type]
            on = closed_on or self.today()
            if on > self.today():
                raise InvalidInput("a year is closed on a date that has come, not ahead of time",
                                   field="closedOn")
            balance, next_id = fresh.close_year(on, how)
            events = ev.to_new_events(fresh)
            if next_id is not None:
                # Both funds change in one append: the balance leaves one and arrives in
                # the other, or neither happens.
                following = ev.replay(Fund, await self.base.store.read_stream(next_id))
                if following is None:
                    following = Fund(organization_id=fresh.organization_id, year=fresh.year + 1,
                                     kind=fresh.kind)
                following.carry_in(balance, fresh.id)
                events += ev.to_new_events(following)
            result = {"next_fund_id": str(next_id) if next_id else None, "moved": fmt(balance)}
            return fresh.id, Append(events, _NO_META, result=result)

        payload = {"fund": fid, "on": closed_on, "how": how.value, "reason": reason}
        return await self.base.run(req, Action.CLOSE_FISCAL_YEAR, payload, decide, reason)

    # -- projects -----------------------------------------------------------------------

    async def propose_project(
        self, req: Request, fid: UUID, category: SpendingCategory, title: str,
        amount: str | Decimal, purpose: str, beneficiaries: str,
    ) -> Outcome:
        money = parse_money(amount, "amount")

        def change(f: Fund) -> dict[str, Any]:
            pid = f.propose_project(category, title, money, purpose, beneficiaries,
                                    req.actor.subject)
            return {"project_id": str(pid)}

        payload = {"category": category.value, "title": title, "amount": fmt(money),
                   "purpose": purpose, "beneficiaries": beneficiaries}
        return await self._fund_command(req, Action.PROPOSE_PROJECT, fid, payload, change)

    async def record_project_decision(
        self, req: Request, fid: UUID, project_id: UUID, meeting_on: date, attendees: list[str],
        resolution: str,
    ) -> Outcome:
        def change(f: Fund) -> dict[str, Any]:
            f.record_project_decision(project_id, meeting_on, attendees, resolution, self.today())
            return {"project_id": str(project_id)}

        payload = {"project": project_id, "on": meeting_on, "who": attendees,
                   "resolution": resolution}
        return await self._fund_command(req, Action.RECORD_PROJECT_DECISION, fid, payload, change)

    async def approve_project(
        self, req: Request, fid: UUID, project_id: UUID, amount: str | Decimal | None = None,
        reason: str | None = None,
    ) -> Outcome:
        money = None if amount is None else parse_money(amount, "amount")
        reason = optional_reason(reason)

        def change(f: Fund) -> dict[str, Any]:
            f.approve_project(project_id, req.actor.subject, money)
            return {"project_id": str(project_id)}

        payload = {"project": project_id, "amount": None if money is None else fmt(money),
                   "reason": reason}
        return await self._fund_command(req, Action.APPROVE_PROJECT, fid, payload, change, reason)

    async def reject_project(self, req: Request, fid: UUID, project_id: UUID, reason: str) -> Outcome:
        reason = required_reason(reason)

        def change(f: Fund) -> dict[str, Any]:
            f.reject_project(project_id, req.actor.subject)
            return {"project_id": str(project_id)}

        payload = {"project": project_id, "reason": reason}
        return await self._fund_command(req, Action.REJECT_PROJECT, fid, payload, change, reason)

    async def cancel_project(self, req: Request, fid: UUID, project_id: UUID, reason: str) -> Outcome:
        reason = required_reason(reason)

        def change(f: Fund) -> dict[str, Any]:
            f.cancel_project(project_id)
            return {"project_id": str(project_id)}

        payload = {"project": project_id, "reason": reason}
        return await self._fund_command(req, Action.CANCEL_PROJECT, fid, payload, change, reason)

    async def record_payment(
        self, req: Request, fid: UUID, project_id: UUID, amount: str | Decimal, paid_on: date,
        payee: str, voucher_no: str,
    ) -> Outcome:
        money = parse_money(amount, "amount")

        def change(f: Fund) -> dict[str, Any]:
            payment_id = f.record_payment(project_id, money, paid_on, payee, voucher_no)
            return {"project_id": str(project_id), "payment_id": str(payment_id)}

        payload = {"project": project_id, "amount": fmt(money), "on": paid_on, "payee": payee,
                   "voucher": voucher_no}
        return await self._fund_command(req, Action.RECORD_PAYMENT, fid, payload, change)

    async def reverse_payment(
        self, req: Request, fid: UUID, payment_id: UUID, reason: str,
        reversed_on: date | None = None,
    ) -> Outcome:
        reason = required_reason(reason)

        def change(f: Fund) -> dict[str, Any]:
            f.reverse_payment(payment_id, reversed_on or self.today())
            return {"project_id": str(f.payments[payment_id].project_id),
                    "payment_id": str(payment_id)}

        payload = {"payment": payment_id, "reason": reason, "on": reversed_on}
        return await self._fund_command(req, Action.REVERSE_PAYMENT, fid, payload, change, reason)

    async def accept_project(
        self, req: Request, fid: UUID, project_id: UUID, accepted_on: date | None = None,
    ) -> Outcome:
        def change(f: Fund) -> dict[str, Any]:
            f.accept_project(project_id, accepted_on or self.today(), self.today())
            return {"project_id": str(project_id)}

        payload = {"project": project_id, "on": accepted_on}
        return await self._fund_command(req, Action.ACCEPT_PROJECT, fid, payload, change)

    async def publish_project_disclosure(
        self, req: Request, fid: UUID, project_id: UUID, summary: str,
        published_on: date | None = None,
    ) -> Outcome:
        def change(f: Fund) -> dict[str, Any]:
            f.publish_disclosure(project_id, published_on or self.today(), summary)
            return {"project_id": str(project_id)}

        payload = {"project": project_id, "on": published_on, "summary": summary}
        return await self._fund_command(req, Action.PUBLISH_DISCLOSURE, fid, payload, change)

    # -- inspections --------------------------------------------------------------------

    async def open_inspection(
        self, req: Request, title: str, organization_id: UUID | None = None,
        fid: UUID | None = None, opened_on: date | None = None,
    ) -> Outcome:
        if (organization_id is None) == (fid is None):
            raise InvalidInput("an inspection covers either a fund or an organization subtree",
                               field="fundId")
        title = Inspection.check_title(title)
        target = organization_id
        if fid is not None:
            target = (await self._load_fund(fid)).organization_id
        assert target is not None
        await self.base.authorize(req, Action.OPEN_INSPECTION, target)

        async def decide() -> tuple[UUID, Append]:
            org = await self.base.load(Organization, target, "organization")
            insp = Inspection(organization_id=org.id, fund_id=fid, title=title,
                              opened_on=opened_on or self.today())
            return insp.id, Append(ev.to_new_events(insp), _NO_META)

        payload = {"title": title, "organization": organization_id, "fund": fid}
        return await self.base.run(req, Action.OPEN_INSPECTION, payload, decide)

    async def _load_inspection(self, inspection_id: UUID) -> Inspection:
        found = ev.replay(Inspection, await self.base.store.read_stream(inspection_id))
        if found is None:
            raise NotFound(f"no inspection {inspection_id}", field="inspectionId")
        return found

    async def _inspection_command(
        self, req: Request, action: Action, inspection_id: UUID, payload: dict[str, Any],
        change: Callable[[Inspection], Any],
    ) -> Outcome:
        insp = await self._load_inspection(inspection_id)
        await self.base.authorize(req, action, insp.organization_id)

        async def decide() -> tuple[UUID, Append]:
            fresh = await self._load_inspection(inspection_id)
            result = await change(fresh)
            return fresh.id, Append(ev.to_new_events(fresh), _NO_META, result=result or {})

        return await self.base.run(req, action, {"inspection": inspection_id, **payload}, decide)

    async def record_inspection_finding(
        self, req: Request, inspection_id: UUID, description: str, severity: Severity,
        fid: UUID | None = None, project_ids: list[UUID] | None = None,
        payment_ids: list[UUID] | None = None,
    ) -> Outcome:
        projects, payments = list(project_ids or []), list(payment_ids or [])

        async def change(insp: Inspection) -> dict[str, Any]:
            known_projects: set[UUID] = set()
            known_payments: set[UUID] = set()
            if projects or payments:
                cited = fid or insp.fund_id
                if cited is None:
                    raise InvalidInput("name the fund whose projects or payments the finding cites",
                                       field="fundId")
                fund = await self._load_fund(cited)
                path = await self.base.directory.path_of(fund.organization_id) or []
                if insp.organization_id not in path:
                    raise NotFound("the fund lies outside the inspected organization", field="fundId")
                known_projects, known_payments = set(fund.projects), set(fund.payments)
            finding = insp.record_finding(description, severity, projects, payments,
                                          known_projects, known_payments)
            return {"finding_id": str(finding)}

        payload = {"description": description, "severity": severity.value, "fund": fid,
                   "projects": projects, "payments": payments}
        return await self._inspection_command(
            req, Action.RECORD_INSPECTION_FINDING, inspection_id, payload, change)

    async def record_rectification(
        self, req: Request, inspection_id: UUID, finding_id: UUID, description: str,
        rectified_on: date | None = None,
    ) -> Outcome:
        async def change(insp: Inspection) -> dict[str, Any]:
            insp.record_rectification(finding_id, description, rectified_on or self.today())
            return {"finding_id": str(finding_id)}

        payload = {"finding": finding_id, "description": description}
        return await self._inspection_command(
            req, Action.RECORD_RECTIFICATION, inspection_id, payload, change)

    async def close_inspection(
        self, req: Request, inspection_id: UUID, conclusion: str, closed_on: date | None = None,
    ) -> Outcome:
        async def change(insp: Inspection) -> None:
            insp.close(closed_on or self.today(), conclusion)

        payload = {"conclusion": conclusion, "on": closed_on}
        return await self._inspection_command(
            req, Action.CLOSE_INSPECTION, inspection_id, payload, change)
