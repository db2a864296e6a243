"""The ``fund_movements`` read model: a fund's ledger, one row per fund event.

``amount`` is the event's effect on the balance (positive in, negative out, 0 for
events that move no money) and ``balance_after`` the running balance, so the ledger
and the auditor's history with balances are one indexed range scan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("fund_movements", ("fund_movements",))


def _movement(e: RecordedEvent) -> tuple[str | None, Decimal, dict[str, Any]]:
    """(movement kind, effect on the balance, business date/source/reference/ids)."""
    p = e.payload
    kind = e.event_type.removeprefix("Fund.")
    ids = {"project_id": p.get("project_id"), "payment_id": p.get("payment_id")}
    if kind == "Allocated":
        carried = p.get("carried_from")
        return ("CARRY_IN" if carried else "ALLOCATION", Decimal(p["amount"]),
                {"business_date": p["effective_on"], "source": p["source"],
                 "reference": p["document_no"], **ids})
    if kind == "PaymentRecorded":
        return ("PAYMENT", -Decimal(p["amount"]),
                {"business_date": p["paid_on"], "reference": p["voucher_no"], **ids})
    if kind == "PaymentReversed":
        return ("REVERSAL", Decimal(p["amount"]), {"business_date": p["reversed_on"], **ids})
    if kind == "YearClosed":
        out = "CARRY_OUT" if p["disposition"] == "CARRY_OVER" else "RETURN"
        return (out, -Decimal(p["balance"]),
                {"business_date": p["closed_on"], "reference": p.get("next_fund_id"), **ids})
    if kind == "ProjectCarriedOut":
        return ("CARRY_OUT", -Decimal(p["amount"]),
                {"business_date": p["carried_on"], "reference": p["next_fund_id"], **ids})
    if kind == "ProjectCarriedIn":
        return ("CARRY_IN", Decimal(p["carried"]),
                {"business_date": p["effective_on"], "source": "CARRIED_OVER",
                 "reference": p["from_fund_id"], **ids})
    if kind == "GrantMade":
        return ("GRANT_OUT", -Decimal(p["amount"]),
                {"business_date": p["granted_on"], "reference": p["document_no"],
                 "counterpart": p["to_fund_id"], **ids})
    if kind == "GrantReceived":
        return ("GRANT_IN", Decimal(p["amount"]),
                {"business_date": p["granted_on"], "source": "RED_FUND_GRANT",
                 "reference": p["document_no"], "counterpart": p["from_fund_id"], **ids})
    on = p.get("meeting_on") or p.get("accepted_on") or p.get("published_on")
    return (None, Decimal("0.00"), {"business_date": on, **ids})


async def record(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    kind, amount, info = _movement(e)
    pid, pay = info.get("project_id"), info.get("payment_id")
    await conn.execute(
        """
        INSERT INTO fund_movements (fund_id, version, position, event_type, movement, amount,
                                    balance_after, business_date, source, reference, project_id,
                                    payment_id, recorded_at, actor, reason, counterpart_fund_id)
        SELECT $1, $2, $3, $4, $5, $6::numeric,
               coalesce((SELECT balance_after FROM fund_movements WHERE fund_id = $1
                          ORDER BY version DESC LIMIT 1), 0) + $6::numeric,
               $7::text::date, $8, $9, $10, $11, $12, $13, $14, $15
        """,
        e.stream_id, e.version, e.position, e.event_type, kind, str(amount),
        info.get("business_date"), info.get("source"), info.get("reference"),
        UUID(pid) if pid else None, UUID(pay) if pay else None, e.recorded_at, e.actor, e.reason,
        UUID(info["counterpart"]) if info.get("counterpart") else None,
    )


for _type in ("Opened", "Allocated", "ProjectProposed", "ProjectDecisionRecorded",
              "ProjectApproved", "ProjectRejected", "ProjectCancelled", "PaymentRecorded",
              "PaymentReversed", "ProjectAccepted", "DisclosurePublished", "YearClosed",
              "ProjectCarriedOut", "ProjectCarriedIn", "GrantMade", "GrantReceived", "PeriodDisclosed"):
    projection.on(f"Fund.{_type}")(record)
