"""A fund's public disclosure per period (公示): the table, its canonical form and digest.

``recordFundDisclosure`` computes the period's table from the fund's own events as they
stand when the command runs, writes it in one canonical form and records the SHA-256 of
that form in ``Fund.PeriodDisclosed``. Anyone holding the log can later recompute the
table from the events the disclosure covers (versions 1 to ``covers_version``) and
compare digests; anyone holding the published file can compare its digest too. A
correction (a reversal, a back-dated payment) changes the table; the period is then
disclosed again, a new event, and both stay in the log.

**The canonical form** (``grassroots-disclosure/1``): the table as JSON, UTF-8, object
keys sorted by code point, no whitespace (``,`` and ``:`` as separators), non-ASCII
characters written as themselves (never ``\\u`` escapes), money as decimal strings with
two decimals (``"120000.00"``), dates ``YYYY-MM-DD``, ids as lowercase hyphenated UUIDs,
absent values ``null``, integers (versions, the year) as JSON integers, no floats. The
digest is the lowercase hex SHA-256 of those bytes. A published file is checked by
parsing it and writing it in this form again, so its layout (indentation, key order)
does not matter and every value does.

The table (every key always present):

    {"format": "grassroots-disclosure/1",
     "fund": {"id", "organization_id", "year", "kind"},
     "period": {"label": "2026-H1", "from": "2026-01-01", "to": "2026-06-30"},
     "covers_version": 41,            # the fund's events 1..41 made this table (the last
                                      # event before it that is not a disclosure)
     "opening_balance", "closing_balance", "received", "spent",
     "movements": [{"version", "date", "kind", "amount" (signed), "balance_after", "source",
                    "reference", "project_id", "payment_id", "payee", "counterpart_fund_id"}],
     "projects": [{"id", "title", "category", "state", "proposed", "approved",
                   "paid_in_period", "paid_to_period_end"}]}

Movements are the period's money lines in business-date order (then recording order):
``ALLOCATION``, ``CARRY_IN``, ``GRANT_IN``, ``PAYMENT``, ``REVERSAL``, ``GRANT_OUT``,
``CARRY_OUT``, ``RETURN``, exactly as the ledger (``fund_movements``) names them; the
balance before the period's first day is the opening balance. Projects are every project
the fund holds at the command (state as then; ``CARRIED_OUT`` for one that left for next
year's fund), in the order they joined the fund.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.funds.aggregate import MAX_TITLE, Fund, check_not_ahead, check_text
from domain.shared import events as ev
from domain.shared.commands import Command
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.money import ZERO, fmt
from domain.shared.permissions import LOCAL

FORMAT = "grassroots-disclosure/1"
"""The canonical form's name, written into every table."""

_PERIOD = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    """A disclosure period: a year (``2026``), half (``2026-H1``), quarter (``2026-Q2``) or
    month (``2026-03``), from its first day to its last."""

    label: str
    start: date
    end: date

    @property
    def year(self) -> int:
        return self.start.year


def parse_period(text: str) -> Period:
    """``2026``, ``2026-H1``/``H2``, ``2026-Q1``..``Q4`` or ``2026-01``..``12``; else InvalidInput."""
    m = _PERIOD.match(text.strip().upper())
    if m is None:
        raise InvalidInput(f"a period is a year (2026), half (2026-H1), quarter (2026-Q2) or month (2026-03),"
                           f" not {text.strip()[:20]!r}", field="period")
    year, part = int(m.group(1)), m.group(2)
    if not 2000 <= year <= 2999:
        raise InvalidInput("a period's year lies between 2000 and 2999", field="period")
    if part is None:
        first, last = 1, 12
    elif part[0] == "H":
        first = 1 if part == "H1" else 7
        last = first + 5
    elif part[0] == "Q":
        first = 3 * int(part[1]) - 2
        last = first + 2
    else:
        first = last = int(part)
    end = date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)
    label = str(year) if part is None else f"{year}-{part}"
    return Period(label, date(year, first, 1), end - timedelta(days=1))


# -- the table ---------------------------------------------------------------------------

_STATES = {"ProjectDecisionRecorded": "DECIDED", "ProjectRejected": "REJECTED", "ProjectCancelled": "CANCELLED",
           "ProjectAccepted": "ACCEPTED", "DisclosurePublished": "DISCLOSED", "ProjectCarriedOut": "CARRIED_OUT"}


def _line(kind: str, p: Mapping[str, Any]) -> tuple[str, Decimal, str, dict[str, Any]] | None:
    """(movement, signed amount, business date, the line's other fields) of a money event."""
    ids = {"project_id": p.get("project_id"), "payment_id": p.get("payment_id")}
    if kind == "Allocated":
        return ("CARRY_IN" if p.get("carried_from") else "ALLOCATION", Decimal(p["amount"]), p["effective_on"],
                {"source": p["source"], "reference": p["document_no"], "counterpart_fund_id": p.get("carried_from"),
                 **ids})
    if kind == "GrantReceived":
        return ("GRANT_IN", Decimal(p["amount"]), p["granted_on"],
                {"source": "RED_FUND_GRANT", "reference": p["document_no"],
                 "counterpart_fund_id": p["from_fund_id"], **ids})
    if kind == "ProjectCarriedIn":
        return ("CARRY_IN", Decimal(p["carried"]), p["effective_on"],
                {"source": "CARRIED_OVER", "counterpart_fund_id": p["from_fund_id"], **ids})
    if kind == "PaymentRecorded":
        return ("PAYMENT", -Decimal(p["amount"]), p["paid_on"],
                {"reference": p["voucher_no"], "payee": p["payee"], **ids})
    if kind == "PaymentReversed":
        return ("REVERSAL", Decimal(p["amount"]), p["reversed_on"], ids)
    if kind == "GrantMade":
        return ("GRANT_OUT", -Decimal(p["amount"]), p["granted_on"],
                {"reference": p["document_no"], "counterpart_fund_id": p["to_fund_id"], **ids})
    if kind == "ProjectCarriedOut":
        return ("CARRY_OUT", -Decimal(p["amount"]), p["carried_on"],
                {"counterpart_fund_id": p["next_fund_id"], **ids})
    if kind == "YearClosed":
        out = "CARRY_OUT" if p["disposition"] == "CARRY_OVER" else "RETURN"
        return (out, -Decimal(p["balance"]), p["closed_on"], {"counterpart_fund_id": p.get("next_fund_id"), **ids})
    return None


_LINE_KEYS = ("source", "reference", "project_id", "payment_id", "payee", "counterpart_fund_id")


def disclosure_table(fund_id: UUID, rows: Iterable[tuple[int, str, Mapping[str, Any]]],
                     period: Period) -> dict[str, Any]:
    """The period's table from the fund's events (version, event type, payload), oldest
    first: every row given is covered (``covers_version`` is the version of the last one
    that is not itself a disclosure)."""
    fund: dict[str, Any] = {}
    projects: dict[str, dict[str, Any]] = {}
    lines: list[tuple[str, int, str, Decimal, dict[str, Any]]] = []
    version = 0
    for at, event_type, p in rows:
        kind = event_type.removeprefix("Fund.")
        if kind != "PeriodDisclosed":  # disclosures change no table: two in a row publish one table
            version = at
        if kind == "Opened":
            fund = {"id": str(fund_id), "organization_id": p["organization_id"], "year": p["year"],
                    "kind": p["kind"]}
        elif kind in ("ProjectProposed", "ProjectCarriedIn"):
            projects[p["project_id"]] = {
                "id": p["project_id"], "title": p["title"], "category": p["category"],
                "state": p.get("state", "PROPOSED"), "proposed": fmt(Decimal(p["amount"])),
                "approved": fmt(Decimal(p.get("approved_amount", "0"))), "paid_before": Decimal(p.get("paid", "0"))}
        elif kind == "ProjectApproved":
            projects[p["project_id"]].update(state="APPROVED", approved=fmt(Decimal(p["approved_amount"])))
        elif kind in _STATES:
            projects[p["project_id"]]["state"] = _STATES[kind]
        line = _line(kind, p)
        if line is not None:
            movement, amount, on, extra = line
            lines.append((on, at, movement, amount, extra))
    if not fund:
        raise NotFound(f"no fund {fund_id}", field="fundId")
    start, end = period.start.isoformat(), period.end.isoformat()
    lines.sort(key=lambda x: (x[0], x[1]))
    opening = sum((x[3] for x in lines if x[0] < start), ZERO)
    running, received, spent = opening, ZERO, ZERO
    paid_in: dict[str, Decimal] = {}
    paid_to_end: dict[str, Decimal] = {}
    movements = []
    for on, v, movement, amount, extra in lines:
        if on > end:
            continue
        pid = extra.get("project_id")
        if pid and movement in ("PAYMENT", "REVERSAL"):
            paid_to_end[pid] = paid_to_end.get(pid, ZERO) - amount
            if on >= start:
                paid_in[pid] = paid_in.get(pid, ZERO) - amount
        if on < start:
            continue
        running += amount
        if amount > 0:
            received += amount
        else:
            spent -= amount
        movements.append({"version": v, "date": on, "kind": movement, "amount": fmt(amount),
                          "balance_after": fmt(running), **{k: extra.get(k) for k in _LINE_KEYS}})
    listed = []
    for pid, project in projects.items():
        before = project.pop("paid_before")
        listed.append({**project, "paid_in_period": fmt(paid_in.get(pid, ZERO)),
                       "paid_to_period_end": fmt(before + paid_to_end.get(pid, ZERO))})
        project["paid_before"] = before
    return {"format": FORMAT, "fund": fund, "period": {"label": period.label, "from": start, "to": end},
            "covers_version": version, "opening_balance": fmt(opening), "closing_balance": fmt(running),
            "received": fmt(received), "spent": fmt(spent), "movements": movements, "projects": listed}


def canonical(table: Mapping[str, Any]) -> bytes:
    """The table's canonical bytes (see the module's docstring)."""
    return json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def digest(table: Mapping[str, Any]) -> str:
    """Lowercase hex SHA-256 of the canonical bytes."""
    return hashlib.sha256(canonical(table)).hexdigest()


def published_digest(data: bytes) -> str:
    """The digest of a published table file: parsed (UTF-8 JSON, with or without a BOM, any
    layout) and written canonically again. Numbers other than integers are refused (money is
    a string in this form), so ``"1.10"`` and ``1.1`` never pass for each other."""
    def no_float(text: str) -> Any:
        raise InvalidInput(f"a disclosure table holds no fractional numbers (money is a string): {text}",
                           field="published")
    try:
        parsed = json.loads(data.decode("utf-8-sig"), parse_float=no_float, parse_constant=no_float)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"the published table is not UTF-8 JSON: {exc}", field="published") from None
    return hashlib.sha256(canonical(parsed)).hexdigest()


def table_of(fund_id: UUID, rows: Sequence[tuple[int, str, Mapping[str, Any]]], period: Period,
             covers_version: int) -> dict[str, Any]:
    """The table a disclosure covering versions 1..``covers_version`` was made from."""
    return disclosure_table(fund_id, [r for r in rows if r[0] <= covers_version], period)


# -- the command -------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordFundDisclosure(Command):
    """Record that a fund's table for a period was published (公示), with its digest."""

    action = "recordFundDisclosure"
    allowed = LOCAL
    fund_id: UUID
    period: str
    published_on: date
    place: str
    """Where it was published: 公示栏 (the notice board), the website's address, ..."""


async def record_fund_disclosure(cmd: RecordFundDisclosure, unit: Unit) -> Decision:
    """Compute the period's table from the fund's stream as this attempt reads it; the
    append's version guard makes it the table of the log as committed (a concurrent event
    on the fund is a conflict, and the retry computes the table again)."""
    period = parse_period(cmd.period)
    place = check_text(cmd.place, "place", MAX_TITLE)
    check_not_ahead(cmd.published_on, unit.today(), "publishedOn", "a disclosure")
    rows = await unit.store.read_stream(cmd.fund_id)
    found = ev.replay(Fund, rows) if rows and rows[0].stream_type == "Fund" else None
    if not isinstance(found, Fund):
        raise NotFound(f"no fund {cmd.fund_id}", field="fundId")
    fund = found
    await unit.authorize(fund.organization_id)
    unit.expect(fund)
    if period.year != fund.year:
        raise InvalidInput(f"the {fund.year} fund discloses periods of {fund.year}, not {period.label}",
                           field="period")
    if cmd.published_on <= period.end:
        raise InvalidInput(f"{period.label} is disclosed once it has ended: publishedOn falls after"
                           f" {period.end.isoformat()}", field="publishedOn")
    table = disclosure_table(fund.id, [(r.version, r.event_type, r.payload) for r in rows], period)
    fund.record_period_disclosure(period.label, period.start, period.end, digest(table), table["covers_version"],
                                  cmd.published_on, place, Decimal(table["opening_balance"]),
                                  Decimal(table["closing_balance"]))
    return changed(fund, result={"period": period.label, "digest": digest(table)})


HANDLERS: dict[type, Handler] = {RecordFundDisclosure: record_fund_disclosure}
