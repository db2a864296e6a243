"""Mutations of residents' requests and departments: each builds a command and hands it to the domain."""

from __future__ import annotations

from typing import Any

import strawberry

from api.graphql.core.common import execute, parse_id, result_union
from api.graphql.core.context import Info
from api.graphql.core.errors import AlreadyExists
from api.graphql.requests.errors import (
    DeadlinePassed,
    DepartmentCodeTaken,
    DepartmentOutOfScope,
    NotYourStep,
    RequestNotFound,
)
from api.graphql.requests.queries import load_department, load_request
from api.graphql.requests.types import Department, Request
from domain.requests import commands as rc
from domain.requests.aggregate import Rating, Source
from domain.requests.rules import Attachment, Urgency
from domain.shared.commands import Outcome

_KEY = ("Repeat a mutation with the same key (1–200 characters) to get its first result; nothing is"
        " appended twice.")
_VERSION = "The request's version you last saw; another is VersionConflict (default: retried on conflict)."


@strawberry.type(description="The request as the read model has it after the change.")
class RequestPayload:
    request: Request | None = strawberry.field(description="The changed request (for a merge: the duplicate).")
    into_id: strawberry.ID | None = strawberry.field(description="A merge's surviving request.")
    position: int = strawberry.field(description="Log position of the change.")


@strawberry.type(description="The department as the read model has it after the change.")
class DepartmentPayload:
    department: Department | None = strawberry.field(description="The department.")
    position: int = strawberry.field(description="Log position of the change.")


_STEP = (RequestPayload, RequestNotFound, NotYourStep)
RegisterDepartmentResult = result_union("RegisterDepartmentResult", DepartmentPayload, DepartmentCodeTaken)
RetireDepartmentResult = result_union("RetireDepartmentResult", DepartmentPayload)
ReportRequestResult = result_union("ReportRequestResult", RequestPayload, AlreadyExists)
TakeRequestResult = result_union("TakeRequestResult", *_STEP)
EscalateRequestResult = result_union("EscalateRequestResult", *_STEP)
DispatchRequestResult = result_union("DispatchRequestResult", *_STEP, DepartmentOutOfScope)
AcceptRequestResult = result_union("AcceptRequestResult", *_STEP, DeadlinePassed)
SendBackRequestResult = result_union("SendBackRequestResult", *_STEP)
ResolveRequestResult = result_union("ResolveRequestResult", *_STEP)
FeedBackRequestResult = result_union("FeedBackRequestResult", *_STEP)
RateRequestResult = result_union("RateRequestResult", *_STEP)
CloseRequestResult = result_union("CloseRequestResult", *_STEP)
MergeRequestsResult = result_union("MergeRequestsResult", *_STEP)
EraseRequestPersonalDataResult = result_union("EraseRequestPersonalDataResult", *_STEP)


@strawberry.input(description="Register a functional department (职能部门) of a street or district.")
class RegisterDepartmentInput:
    organization_id: strawberry.ID = strawberry.field(description="The street working committee or district"
                                                                  " committee it belongs to.")
    name: str = strawberry.field(description="Its name: 1–100 characters.")
    code: str = strawberry.field(description="Its short code (交通, 城管, 民政): 1–20 characters, no spaces, unique"
                                             " within the organization and never reused.")
    categories: list[str] = strawberry.field(description="The request categories it handles (of"
                                                         " GRASSROOTS_REQUEST_CATEGORIES), each once: 1–40.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="Retire a department: it takes no dispatch from now on.")
class RetireDepartmentInput:
    department_id: strawberry.ID = strawberry.field(description="The department.")
    reason: str = strawberry.field(description="Why: 1–500 characters.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="A file attached by reference: it stays in your storage.")
class AttachmentInput:
    url: str = strawberry.field(description="An http or https URL: at most 2000 characters.")
    sha256: str = strawberry.field(description="The file's SHA-256 digest: 64 hexadecimal digits (a"
                                               " 64-character string).")


@strawberry.input(description="Report a resident's request in a grid (the resident's name and phone are personal"
                              " data: sealed in the log under the request's own keys, masked for those who do not"
                              " handle it, erasable with eraseRequestPersonalData).")
class ReportRequestInput:
    grid_id: strawberry.ID = strawberry.field(description="The grid it lies in (its community handles it first).")
    category: str = strawberry.field(description="One of GRASSROOTS_REQUEST_CATEGORIES (ENVIRONMENT, ROADS,"
                                                 " NEIGHBOUR_DISPUTE, ELDERLY_CARE, SAFETY, ... by default), at"
                                                 " most 40 characters.")
    description: str = strawberry.field(description="What it is about: 1–2000 characters.")
    source: Source = strawberry.field(description="GRID_REPORT (a grid worker), WALK_IN, or RESIDENT_ORDER (an"
                                                  " integration such as the 12345 hotline, and only one).")
    urgency: Urgency = strawberry.field(default=Urgency.NORMAL, description="Sets each step's deadline.")
    latitude: float | None = strawberry.field(default=None, description="Where (WGS-84), with longitude.")
    longitude: float | None = strawberry.field(default=None, description="Where (WGS-84), with latitude.")
    address: str | None = strawberry.field(default=None, description="The address: at most 200 characters.")
    attachments: list[AttachmentInput] = strawberry.field(default_factory=list, description="Photos and files by"
                                                                                            " reference: at most"
                                                                                            " 10.")
    resident_name: str | None = strawberry.field(default=None, description="The resident, if named: at most 100"
                                                                           " characters.")
    phone: str | None = strawberry.field(default=None, description="The resident's phone: at most 20 characters.")
    external_ref: str | None = strawberry.field(default=None, description="Your own number for it (a 12345"
                                                                          " ticket), at most 64 characters: one"
                                                                          " request per number and source"
                                                                          " (AlreadyExists).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="A step of a request.")
class _RequestStep:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="A step of a request with a reason.")
class _ReasonedStep(_RequestStep):
    reason: str = strawberry.field(description="Why: 1–500 characters.")


@strawberry.input(description="The community takes a reported request to handle it itself.")
class TakeRequestInput(_RequestStep):
    pass


@strawberry.input(description="The community escalates a request to the street, with a reason.")
class EscalateRequestInput(_ReasonedStep):
    pass


@strawberry.input(description="The street dispatches an escalated request to a department of the street or of"
                              " its district that handles the request's category.")
class DispatchRequestInput(_RequestStep):
    department_id: strawberry.ID = strawberry.field(description="The department.")
    note: str | None = strawberry.field(default=None, description="A note to the department: at most 500"
                                                                  " characters (recorded as the reason).")


@strawberry.input(description="The department accepts a request dispatched to it, within its deadline.")
class AcceptRequestInput(_RequestStep):
    pass


@strawberry.input(description="The department sends a request dispatched to it back to the street, with a reason.")
class SendBackRequestInput(_ReasonedStep):
    pass


@strawberry.input(description="Whoever holds the request resolves it with a result.")
class ResolveRequestInput(_RequestStep):
    result: str = strawberry.field(description="What was done: 1–2000 characters.")


@strawberry.input(description="The result is fed back to the resident.")
class FeedBackRequestInput(_RequestStep):
    note: str | None = strawberry.field(default=None, description="How and what was said: at most 2000"
                                                                  " characters.")


@strawberry.input(description="Record the resident's rating; NOT_SATISFIED reopens the request (the first time"
                              " with whoever resolved it, afterwards with the street).")
class RateRequestInput(_RequestStep):
    rating: Rating = strawberry.field(description="The resident's rating.")
    note: str | None = strawberry.field(default=None, description="What the resident said: at most 2000"
                                                                  " characters.")


@strawberry.input(description="Close a rated request.")
class CloseRequestInput(_RequestStep):
    pass


@strawberry.input(description="Merge a duplicate request into another of the same grid: both histories stay, the"
                              " duplicate is closed as merged.")
class MergeRequestsInput(_ReasonedStep):
    into_id: strawberry.ID = strawberry.field(description="The request that stays.")


@strawberry.input(description="Erase the resident's name and phone on a lawful request (the request stays).")
class EraseRequestPersonalDataInput(_ReasonedStep):
    pass


def _request_payload(info: Info) -> Any:
    async def present(o: Outcome) -> RequestPayload:
        into = o.extra.get("into_id")
        return RequestPayload(request=await load_request(info, o.id), position=o.position,
                              into_id=strawberry.ID(into) if into else None)
    return present


def _department_payload(info: Info) -> Any:
    async def present(o: Outcome) -> DepartmentPayload:
        return DepartmentPayload(department=await load_department(info, o.id), position=o.position)
    return present


def _rid(input: Any) -> Any:
    return parse_id(input.request_id, "requestId")


@strawberry.type(description="Report residents' requests, take them through the loop, keep the departments.")
class RequestMutations:
    @strawberry.mutation(description="Register a department of a street or district (the street or district admin).")
    async def register_department(self, info: Info, input: RegisterDepartmentInput) -> RegisterDepartmentResult:
        return await execute(info, input, lambda: rc.RegisterDepartment(
            parse_id(input.organization_id, "organizationId"), input.name, input.code, tuple(input.categories)),
            _department_payload(info))

    @strawberry.mutation(description="Retire a department (the street or district admin).")
    async def retire_department(self, info: Info, input: RetireDepartmentInput) -> RetireDepartmentResult:
        return await execute(info, input, lambda: rc.RetireDepartment(
            parse_id(input.department_id, "departmentId"), input.reason), _department_payload(info))

    @strawberry.mutation(description="Report a request in a grid (a grid worker, the community, the street, or an"
                                     " integration with RESIDENT_ORDER).")
    async def report_request(self, info: Info, input: ReportRequestInput) -> ReportRequestResult:
        return await execute(info, input, lambda: rc.ReportRequest(
            parse_id(input.grid_id, "gridId"), input.category, input.description, input.source, input.urgency,
            input.latitude, input.longitude, input.address,
            tuple(Attachment(a.url, a.sha256) for a in input.attachments), input.resident_name, input.phone,
            input.external_ref), _request_payload(info))

    @strawberry.mutation(description="Take a reported request to handle it in the community (its secretary).")
    async def take_request(self, info: Info, input: TakeRequestInput) -> TakeRequestResult:
        return await execute(info, input, lambda: rc.TakeRequest(_rid(input)), _request_payload(info))

    @strawberry.mutation(description="Escalate a reported or taken request to the street (the community secretary).")
    async def escalate_request(self, info: Info, input: EscalateRequestInput) -> EscalateRequestResult:
        return await execute(info, input, lambda: rc.EscalateRequest(_rid(input), input.reason),
                             _request_payload(info))

    @strawberry.mutation(description="Dispatch an escalated request to a department (the street admin).")
    async def dispatch_request(self, info: Info, input: DispatchRequestInput) -> DispatchRequestResult:
        return await execute(info, input, lambda: rc.DispatchRequest(
            _rid(input), parse_id(input.department_id, "departmentId"), input.note), _request_payload(info))

    @strawberry.mutation(description="Accept a request dispatched to your department (a department handler).")
    async def accept_request(self, info: Info, input: AcceptRequestInput) -> AcceptRequestResult:
        return await execute(info, input, lambda: rc.AcceptRequest(_rid(input)), _request_payload(info))

    @strawberry.mutation(description="Send a request dispatched to your department back to the street.")
    async def send_back_request(self, info: Info, input: SendBackRequestInput) -> SendBackRequestResult:
        return await execute(info, input, lambda: rc.SendBackRequest(_rid(input), input.reason),
                             _request_payload(info))

    @strawberry.mutation(description="Resolve a request you hold: the community (reported or taken), the street"
                                     " (escalated), the department (accepted).")
    async def resolve_request(self, info: Info, input: ResolveRequestInput) -> ResolveRequestResult:
        return await execute(info, input, lambda: rc.ResolveRequest(_rid(input), input.result),
                             _request_payload(info))

    @strawberry.mutation(description="Record that the result was fed back to the resident.")
    async def feed_back_request(self, info: Info, input: FeedBackRequestInput) -> FeedBackRequestResult:
        return await execute(info, input, lambda: rc.FeedBackRequest(_rid(input), input.note),
                             _request_payload(info))

    @strawberry.mutation(description="Record the resident's rating (the community secretary or the street admin).")
    async def rate_request(self, info: Info, input: RateRequestInput) -> RateRequestResult:
        return await execute(info, input, lambda: rc.RateRequest(_rid(input), input.rating, input.note),
                             _request_payload(info))

    @strawberry.mutation(description="Close a rated request.")
    async def close_request(self, info: Info, input: CloseRequestInput) -> CloseRequestResult:
        return await execute(info, input, lambda: rc.CloseRequest(_rid(input)), _request_payload(info))

    @strawberry.mutation(description="Merge a duplicate request into another of the same grid.")
    async def merge_requests(self, info: Info, input: MergeRequestsInput) -> MergeRequestsResult:
        return await execute(info, input, lambda: rc.MergeRequests(
            _rid(input), parse_id(input.into_id, "intoId"), input.reason), _request_payload(info))

    @strawberry.mutation(description="Erase a request's resident's name and phone (the district admin).")
    async def erase_request_personal_data(self, info: Info, input: EraseRequestPersonalDataInput,
                                          ) -> EraseRequestPersonalDataResult:
        return await execute(info, input, lambda: rc.EraseRequestPersonalData(_rid(input), input.reason),
                             _request_payload(info))
