"""Webhook subscriptions in GraphQL: register, list, pause, resume, remove; delivery attempts.

Admins (district and street) manage webhooks within their scope; auditors read them.
The signing secret is shown once, in the registration's payload, and never again.
"""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import UUID

import asyncpg
import strawberry

from api import views
from api.graphql.core.common import execute, parse_id, parse_opt_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, Edge, PageInfo
from api.graphql.organizations.queries import load_organization
from api.graphql.organizations.types import Organization
from api.graphql.webhooks.errors import WebhookNotAllowed
from domain.shared.commands import Outcome
from domain.shared.permissions import ANYWHERE, Actor, Role, may_read
from domain.webhooks.aggregate import WebhookStatus
from domain.webhooks.commands import PauseWebhook, RegisterWebhook, RemoveWebhook, ResumeWebhook
from domain.webhooks.handlers import registered_secret

strawberry.enum(WebhookStatus, description="Whether a webhook delivers, is paused, or was removed.")

_SELECT = (
    "SELECT w.*, c.position AS delivered_through, c.consecutive_failures, c.next_attempt_at"
    " FROM webhooks w LEFT JOIN webhook_cursors c ON c.webhook_id = w.id"
)
_READERS = RegisterWebhook.allowed | {Role.AUDITOR}
_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")
_VERSION = "The version you last saw; if the webhook has moved on you get VersionConflict."


@strawberry.enum(description="How one delivery attempt ended.")
class DeliveryStatus(enum.Enum):
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@strawberry.type(description="One attempt to POST one event to a webhook.")
class WebhookDelivery:
    event_id: UUID = strawberry.field(description="The event (its Grassroots-Event-Id header).")
    position: int = strawberry.field(description="The event's log position.")
    attempt: int = strawberry.field(description="1 for the first try at this event, then 2, 3, …")
    status: DeliveryStatus = strawberry.field(description="DELIVERED (a 2xx answer) or FAILED.")
    response_code: int | None = strawberry.field(
        description="The receiver's HTTP status, if it answered.")
    error: str | None = strawberry.field(description="Why the attempt failed, if it did.")
    duration_ms: int = strawberry.field(description="How long the attempt took.")
    next_retry_at: datetime | None = strawberry.field(
        description="When the event is tried again (null once delivered or the webhook paused).")
    attempted_at: datetime = strawberry.field(description="When the attempt was made.")


@strawberry.type(
    description="A webhook subscription: matching events are POSTed, signed, in log order.")
class Webhook:
    row: strawberry.Private[asyncpg.Record]

    @strawberry.field(description="The webhook's UUID.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row["id"]))

    @strawberry.field(
        description="The organization whose subtree the webhook reads; null for the whole system.")
    async def organization(self, info: Info) -> Organization | None:
        oid = self.row["organization_id"]
        return None if oid is None else await load_organization(info, oid)

    @strawberry.field(description="Where events are POSTed.")
    def url(self) -> str:
        return str(self.row["url"])

    @strawberry.field(description="Only events of these stream types (e.g. Member); null for all.")
    def stream_types(self) -> list[str] | None:
        return self.row["stream_types"]  # type: ignore[no-any-return]

    @strawberry.field(
        description="Only these event types (e.g. Member.TransferRequested); null for all.")
    def event_types(self) -> list[str] | None:
        return self.row["event_types"]  # type: ignore[no-any-return]

    @strawberry.field(description="What the webhook is for.")
    def description(self) -> str | None:
        return self.row["description"]  # type: ignore[no-any-return]

    @strawberry.field(description="ACTIVE, PAUSED or REMOVED.")
    def status(self) -> WebhookStatus:
        return WebhookStatus(self.row["status"])

    @strawberry.field(description="Why it was paused, if it is.")
    def paused_reason(self) -> str | None:
        return self.row["paused_reason"]  # type: ignore[no-any-return]

    @strawberry.field(
        description="Whether delivery paused it after repeated failures (rather than a person).")
    def paused_automatically(self) -> bool:
        return bool(self.row["paused_automatically"])

    @strawberry.field(description="Who registered it (token subject).")
    def registered_by(self) -> str:
        return str(self.row["registered_by"])

    @strawberry.field(description="Version of the webhook's stream (for expectedVersion).")
    def version(self) -> int:
        return int(self.row["version"])

    @strawberry.field(description="Events after this log position are delivered.")
    def start_after(self) -> int:
        return int(self.row["start_after"])

    @strawberry.field(description="Every matching event up to this position has been delivered.")
    def delivered_through(self) -> int:
        value = self.row["delivered_through"]
        return int(self.row["start_after"] if value is None else value)

    @strawberry.field(description="Failed attempts since the last successful delivery.")
    def consecutive_failures(self) -> int:
        return int(self.row["consecutive_failures"] or 0)

    @strawberry.field(description="When the next attempt is due, while retrying.")
    def next_attempt_at(self) -> datetime | None:
        return self.row["next_attempt_at"]  # type: ignore[no-any-return]

    @strawberry.field(description="When it was registered.")
    def created_at(self) -> datetime:
        return self.row["created_at"]  # type: ignore[no-any-return]

    @strawberry.field(description="When it last changed.")
    def updated_at(self) -> datetime:
        return self.row["updated_at"]  # type: ignore[no-any-return]

    @strawberry.field(description="Delivery attempts, newest first.")
    async def deliveries(self, info: Info, first: int | None = None,
                         after: str | None = None) -> Connection[WebhookDelivery]:
        c = views.Conditions()
        c.add("webhook_id = ?", self.row["id"])
        page = await views.page(info.context.pool, "SELECT * FROM webhook_deliveries", c, ("id",),
                                views.decode_cursor(after, 1), info.context.page_size(first),
                                descending=True)
        edges = [Edge(node=_delivery(r), cursor=views.encode_cursor(r["id"])) for r in page.rows]
        return Connection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


def _delivery(r: asyncpg.Record) -> WebhookDelivery:
    return WebhookDelivery(
        event_id=r["event_id"], position=r["position"], attempt=r["attempt"],
        status=DeliveryStatus(r["status"]), response_code=r["response_code"], error=r["error"],
        duration_ms=r["duration_ms"], next_retry_at=r["next_retry_at"],
        attempted_at=r["attempted_at"])


def _may_read(actor: Actor) -> bool:
    """Whether the actor reads webhooks at all; which ones, its scope decides (in SQL)."""
    return may_read(actor, ANYWHERE, _READERS)


async def load_webhook(info: Info, webhook_id: UUID) -> Webhook | None:
    actor = info.context.actor
    if not _may_read(actor):
        return None
    c = views.Conditions()
    c.add("w.id = ?", webhook_id)
    views.scope_condition(c, actor, "w.organization_id")
    row = await info.context.pool.fetchrow(f"{_SELECT} WHERE {c.where}", *c.args)
    return None if row is None else Webhook(row=row)


@strawberry.type(description="Read webhook subscriptions and their delivery attempts.")
class WebhookQueries:
    @strawberry.field(description="Webhooks within your scope, oldest first (admins and auditors).")
    async def webhooks(self, info: Info, first: int | None = None,
                       after: str | None = None) -> Connection[Webhook]:
        actor = info.context.actor
        c = views.Conditions()
        if not _may_read(actor):
            c.add("false")
        views.scope_condition(c, actor, "w.organization_id")
        page = await views.page(info.context.pool, _SELECT, c, ("w.created_at", "w.id"),
                                views.decode_cursor(after, 2), info.context.page_size(first))
        edges = [Edge(node=Webhook(row=r),
                      cursor=views.encode_cursor(r["created_at"], str(r["id"])))
                 for r in page.rows]
        return Connection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="One webhook, if it lies within your scope.")
    async def webhook(self, info: Info, id: strawberry.ID) -> Webhook | None:
        try:
            wid = UUID(str(id))
        except ValueError as exc:
            raise ValueError(f"id is not a UUID: {id!r}") from exc
        return await load_webhook(info, wid)


@strawberry.input(description="Subscribe a URL to the events of an organization's subtree.")
class RegisterWebhookInput:
    url: str = strawberry.field(description="http:// or https:// URL that receives the POSTs: 1–2000 characters.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Whose events (its subtree); defaults to your scope.")
    stream_types: list[str] | None = strawberry.field(
        default=None, description="Only these stream types (e.g. Member): 1–50 names of at most 100 characters;"
                                  " omit for all.")
    event_types: list[str] | None = strawberry.field(
        default=None,
        description="Only these event types (e.g. Member.TransferRequested): 1–50 names of at most 100"
                    " characters; omit for all.")
    description: str | None = strawberry.field(default=None, description="What it is for: at most 300 characters.")
    secret: str | None = strawberry.field(
        default=None, description="Signing secret (16–200 characters); omit to have one generated.")
    start_after: int | None = strawberry.field(
        default=None, description="Deliver events after this log position; default: from now on.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Stop deliveries for now; nothing is skipped when resumed.")
class PauseWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook.")
    reason: str = strawberry.field(description="Why (recorded; 1–500 characters).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Deliver again, starting with the event the webhook stopped at.")
class ResumeWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Remove a webhook for good; its secret is deleted.")
class RemoveWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook.")
    reason: str | None = strawberry.field(default=None, description="Why (recorded; at most 500 characters).")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


_SECRET = ("HMAC-SHA256 signing secret; store it now: it is shown only in the answer to the"
           " registration that stored it. Null when this answer replays an earlier registration"
           " (the same idempotencyKey repeated): a replay returns the webhook but never its secret."
           " Lost it? Remove the webhook and register it again.")


@strawberry.type(description="A registered webhook and its signing secret, shown this once.")
class WebhookRegistration:
    webhook: Webhook | None = strawberry.field(description="The webhook as the read model has it.")
    secret: str | None = strawberry.field(description=_SECRET)
    position: int = strawberry.field(description="Log position of the registration.")


@strawberry.type(description="The webhook as the read model has it after the change.")
class WebhookPayload:
    webhook: Webhook | None = strawberry.field(description="The changed webhook.")
    position: int = strawberry.field(description="Log position of the change.")


RegisterResult = result_union("RegisterWebhookResult", WebhookRegistration)
PauseResult = result_union("PauseWebhookResult", WebhookPayload, WebhookNotAllowed)
ResumeResult = result_union("ResumeWebhookResult", WebhookPayload, WebhookNotAllowed)
RemoveResult = result_union("RemoveWebhookResult", WebhookPayload, WebhookNotAllowed)


async def _present(info: Info, o: Outcome) -> WebhookPayload:
    return WebhookPayload(webhook=await load_webhook(info, o.id), position=o.position)


@strawberry.type(description="Manage webhook subscriptions.")
class WebhookMutations:
    @strawberry.mutation(
        description="Register a webhook; the payload shows its signing secret once (a repeat with"
                    " the same idempotencyKey returns the webhook, with secret null).")
    async def register_webhook(self, info: Info, input: RegisterWebhookInput) -> RegisterResult:
        async def present(o: Outcome) -> WebhookRegistration:
            return WebhookRegistration(webhook=await load_webhook(info, o.id),
                                       secret=await registered_secret(o), position=o.position)

        return await execute(info, input, lambda: RegisterWebhook(
            url=input.url, organization_id=parse_opt_id(input.organization_id, "organizationId"),
            stream_types=None if input.stream_types is None else tuple(input.stream_types),
            event_types=None if input.event_types is None else tuple(input.event_types),
            description=input.description, secret=input.secret, start_after=input.start_after), present)

    @strawberry.mutation(description="Pause a webhook's deliveries, with a reason.")
    async def pause_webhook(self, info: Info, input: PauseWebhookInput) -> PauseResult:
        return await execute(info, input, lambda: PauseWebhook(
            webhook_id=parse_id(input.id, "id"), reason=input.reason), lambda o: _present(info, o))

    @strawberry.mutation(description="Resume a paused webhook where it stopped.")
    async def resume_webhook(self, info: Info, input: ResumeWebhookInput) -> ResumeResult:
        return await execute(info, input, lambda: ResumeWebhook(webhook_id=parse_id(input.id, "id")),
                             lambda o: _present(info, o))

    @strawberry.mutation(description="Remove a webhook for good.")
    async def remove_webhook(self, info: Info, input: RemoveWebhookInput) -> RemoveResult:
        return await execute(info, input, lambda: RemoveWebhook(
            webhook_id=parse_id(input.id, "id"), reason=input.reason), lambda o: _present(info, o))
