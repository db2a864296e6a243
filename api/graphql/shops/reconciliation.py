"""``shopReconciliation(year, within)``: the year's demonstration shops, counted from the log.

Every number comes from the plaques' dated events (``shop_tenures``: one row per plaque
awarded, with its revocation): held at the start of the year (awarded before it, not
revoked before it), awarded in it, revoked in it, held at its end (awarded by its last
day, not revoked by then). Each is counted on its own from those rows, none computed
from the others or stored as a number someone typed, and each lists the shops behind
it. ``balanced`` reports start + awarded − revoked = end over them: the plaques of a
year are exactly those held at its start or awarded in it, and each of them is either
revoked in it or still held at its end, so the identity holds whenever every plaque's
award and revocation are in the log; the field lets a client (and the walkthrough test)
confirm it rather than trust it.
"""

from __future__ import annotations

from datetime import date

import asyncpg
import strawberry

from api import views
from api.graphql.core.context import Info
from api.graphql.core.relay import subtree_condition
from api.graphql.shops.types import Shop, operator_only, shop

MAX_TENURES = 5000
"""The most plaques one reconciliation lists: narrow `within` for more."""


@strawberry.type(description="One number of a reconciliation and the shops behind it.")
class ReconciliationLine:
    count: int = strawberry.field(description="How many plaques (a shop revoked and selected again in one year"
                                              " counts in each line it belongs to).")
    shops: list[Shop] = strawberry.field(description="The shops behind the number.")


@strawberry.type(description="A year of demonstration shops in a subtree: start + awarded − revoked = end.")
class ShopReconciliation:
    year: int = strawberry.field(description="The year.")
    start: ReconciliationLine = strawberry.field(description="Holding a plaque on 1 January.")
    awarded: ReconciliationLine = strawberry.field(description="Awarded a plaque during the year.")
    revoked: ReconciliationLine = strawberry.field(description="Revoked (摘牌) during the year.")
    end: ReconciliationLine = strawberry.field(description="Holding a plaque on 31 December (or today, for the"
                                                           " current year: nothing later is recorded yet).")
    balanced: bool = strawberry.field(description="Whether start + awarded − revoked = end holds.")


def _line(rows: list[asyncpg.Record]) -> ReconciliationLine:
    return ReconciliationLine(count=len(rows), shops=[shop(r) for r in rows])


async def reconcile(info: Info, year: int, within: strawberry.ID | None) -> ShopReconciliation:
    if not 2000 <= year <= 2100:
        raise ValueError("year is 2000–2100")
    first, last = date(year, 1, 1), date(year, 12, 31)
    c = views.Conditions()
    actor = info.context.actor
    if operator_only(actor):
        views.within_scope_condition(c, actor, "t.organization_id")
        c.add("s.operator_subject = ?", actor.subject)
    else:
        views.scope_condition(c, actor, "t.organization_id")
    if within is not None:
        subtree_condition(c, "t.organization_id", within, "within")
    c.add("t.awarded_on <= ? AND (t.revoked_on IS NULL OR t.revoked_on >= ?)", last, first)
    rows = await info.context.pool.fetch(
        "SELECT s.*, t.awarded_on AS tenure_awarded_on, t.revoked_on AS tenure_revoked_on"
        f" FROM shop_tenures t JOIN shops s ON s.id = t.shop_id WHERE {c.where}"
        f" ORDER BY t.awarded_position LIMIT {MAX_TENURES + 1}", *c.args)
    if len(rows) > MAX_TENURES:
        raise ValueError(f"a reconciliation lists at most {MAX_TENURES} plaques: narrow `within`")
    start = [r for r in rows if r["tenure_awarded_on"] < first]
    awarded = [r for r in rows if r["tenure_awarded_on"] >= first]
    revoked = [r for r in rows if r["tenure_revoked_on"] is not None]
    end = [r for r in rows if r["tenure_revoked_on"] is None or r["tenure_revoked_on"] > last]
    return ShopReconciliation(year=year, start=_line(start), awarded=_line(awarded), revoked=_line(revoked),
                              end=_line(end), balanced=len(start) + len(awarded) - len(revoked) == len(end))
