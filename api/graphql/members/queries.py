"""Queries of members and transfers."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import strawberry

from api import views
from api.graphql.core.bounds import NAME_SEARCH, name_search
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, argument_id, connection, subtree_condition
from api.graphql.members.engagement_filters import engagement_conditions
from api.graphql.members.types import Member, Transfer, load_member
from domain.members.aggregate import Standing, TransferState
from domain.members.dues import review_cutoff
from domain.shared.permissions import may_read, reads_by_scope


@strawberry.input(description="Narrow a list of members.")
class MemberFilter:
    within: strawberry.ID | None = strawberry.field(
        default=None, description="Members whose home lies in this organization's subtree."
    )
    standing: Standing | None = strawberry.field(default=None, description="Full or probationary.")
    name_contains: str | None = strawberry.field(
        default=None, description=f"Case-insensitive name match: {NAME_SEARCH}.")
    exited: bool | None = strawberry.field(
        default=None, description="Members who left the Party (true) or not (false). Omitted: the roster,"
                                  " members who have not exited.")
    flagged_for_review: bool | None = strawberry.field(
        default=None, description="Members with the six-month review flag (`reviewFlag`) as of today (true), or"
                                  " without it (false).")
    mobile: bool | None = strawberry.field(
        default=None, description="Members holding an open activity card (流动党员, `mobileCard`) (true), or not"
                                  " (false).")
    year: int | None = strawberry.field(
        default=None, description="The year `reported`, `inService` and `belowVolunteerMinimum` look at; defaults"
                                  " to the current year.")
    reported: bool | None = strawberry.field(
        default=None, description="Members who reported where they live (双报到) in `year` (true), or who did not"
                                  " (false: with `inService: true`, the in-service members still to report).")
    in_service: bool | None = strawberry.field(
        default=None, description="Members in service in `year`: their dues for it were assessed as EMPLOYED (true),"
                                  " or not (false).")
    below_volunteer_minimum: bool | None = strawberry.field(
        default=None, description="Members whose confirmed volunteer hours or projects in `year` are below the"
                                  " minimum (`GRASSROOTS_VOLUNTEER_MIN_HOURS`, `..._MIN_PROJECTS`) (true), or not"
                                  " (false).")
    dues_in_arrears: bool | None = strawberry.field(
        default=None, description="Members whose dues are paid through a month before last month, or not known to"
                                  " be paid at all (true), or who are paid through last month or later (false).")


MAX_WAITING_DAYS = 3650


@strawberry.input(description="Narrow a list of transfers.")
class TransferFilter:
    state: TransferState | None = strawberry.field(default=None, description="Only this state.")
    from_within: strawberry.ID | None = strawberry.field(
        default=None, description="Sending organization lies in this subtree."
    )
    to_within: strawberry.ID | None = strawberry.field(
        default=None, description="Receiving organization lies in this subtree."
    )
    overdue_receipt: bool | None = strawberry.field(
        default=None, description="Accepted, receipt past its due date (true) or not."
    )
    pocket: bool | None = strawberry.field(
        default=None, description="Pocket members: letter issued, never accepted, past validity."
    )
    expiring_soon: bool | None = strawberry.field(
        default=None, description="Letters issued, not accepted, expiring within"
                                  " `GRASSROOTS_TRANSFER_EXPIRING_DAYS` days, today included (true), or the rest"
                                  " (false).")
    waiting_longer_than: int | None = strawberry.field(
        default=None, description="Letters waiting for the receiver (issued or expired, neither accepted nor"
                                  " returned) issued more than this many days ago (0–3650).")


def due_lists(c: views.Conditions, f: TransferFilter, today: date, expiring_days: int) -> None:
    """The due and overdue lists of transfers (``Transfer.expiringSoon``: the same rule)."""
    if f.expiring_soon is not None:
        sql = "(state = 'LETTER_ISSUED' AND valid_until BETWEEN ? AND ?)"
        c.add(sql if f.expiring_soon else f"NOT coalesce({sql}, false)", today,
              today + timedelta(days=expiring_days))
    if f.waiting_longer_than is not None:
        if not 0 <= f.waiting_longer_than <= MAX_WAITING_DAYS:
            raise ValueError(f"waitingLongerThan is 0–{MAX_WAITING_DAYS} days")
        c.add("state IN ('LETTER_ISSUED', 'EXPIRED') AND issued_on < ?",
              today - timedelta(days=f.waiting_longer_than))


def _member(r) -> Member:  # type: ignore[no-untyped-def]
    return Member(id=strawberry.ID(str(r["id"])), row=r)


def _transfer(r) -> Transfer:  # type: ignore[no-untyped-def]
    return Transfer(id=strawberry.ID(str(r["id"])), row=r)


async def load_transfer(info: Info, tid: UUID) -> Transfer | None:
    row = await views.transfer(info.context.pool, tid)
    if row is None:
        return None
    for side in ("from_organization_id", "to_organization_id"):
        if row[side] is None:  # out of the system: no receiving organization in the tree
            continue
        org = await info.context.loaders.organization.load(row[side])
        if org is not None and may_read(info.context.actor, org["path"]):
            return _transfer(row)
    return None


@strawberry.type(description="Read members and their transfers.")
class MemberQueries:
    @strawberry.field(description="One member, if your scope holds the member's home or an incoming transfer.")
    async def member(self, info: Info, id: strawberry.ID) -> Member | None:
        return await load_member(info, argument_id(id, "id"))

    @strawberry.field(description="Members whose home lies within your scope, by name; members who left the"
                                  " Party only with `filter: {exited: true}`.")
    async def members(
        self, info: Info, filter: MemberFilter | None = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[Member]:
        f = filter or MemberFilter()
        c = views.Conditions()
        views.scope_condition(c, info.context.actor, "home_organization_id")
        if f.within is not None:
            subtree_condition(c, "home_organization_id", f.within, "within")
        if f.standing is not None:
            c.add("standing = ?", f.standing.value)
        if f.name_contains:
            c.add("name ILIKE '%' || ? || '%'", name_search(f.name_contains))
        c.add("exited_on IS NOT NULL" if f.exited else "exited_on IS NULL")
        if f.flagged_for_review is not None:  # the rule of Member.reviewFlag (domain.members.dues)
            cutoff = review_cutoff(info.context.today(), info.context.settings.members.review_months)
            c.add("last_active_month < ?" if f.flagged_for_review else "last_active_month >= ?", cutoff)
        engagement_conditions(c, f, info)
        page = await views.page(info.context.pool, "SELECT * FROM members", c, ("name", "id"),
                                views.decode_cursor(after, 2), info.context.page_size(first))
        return connection(page, _member, lambda r: (r["name"], str(r["id"])))

    @strawberry.field(description="One transfer, if either side lies within your scope.")
    async def transfer(self, info: Info, id: strawberry.ID) -> Transfer | None:
        return await load_transfer(info, argument_id(id, "id"))

    @strawberry.field(description="Transfers with either side within your scope, newest first.")
    async def transfers(
        self, info: Info, filter: TransferFilter | None = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection[Transfer]:
        f = filter or TransferFilter()
        c = views.Conditions()
        actor = info.context.actor
        if not reads_by_scope(actor):  # a shop operator's or a grid-scoped token: none (fails closed)
            c.add("false")
        if actor.scope is not None:
            c.add("(from_organization_id IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid])"
                  " OR to_organization_id IN (SELECT id FROM organizations WHERE path @> ARRAY[?::uuid]))",
                  actor.scope, actor.scope)
        if f.state is not None:
            c.add("state = ?", f.state.value)
        if f.from_within is not None:
            subtree_condition(c, "from_organization_id", f.from_within, "fromWithin")
        if f.to_within is not None:
            subtree_condition(c, "to_organization_id", f.to_within, "toWithin")
        today = info.context.today()
        for flag, (sql, value) in ((f.overdue_receipt, views.overdue_receipt_sql(today)),
                                   (f.pocket, views.pocket_sql(today))):
            if flag is True:
                c.add(sql, value)
            elif flag is False:
                c.add(f"NOT coalesce({sql}, false)", value)
        due_lists(c, f, today, info.context.settings.transfer_expiring_days)
        page = await views.page(info.context.pool, "SELECT * FROM transfers", c,
                                ("requested_position",), views.decode_cursor(after, 1),
                                info.context.page_size(first), descending=True)
        return connection(page, _transfer, lambda r: (r["requested_position"],))
