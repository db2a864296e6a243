"""Residents' requests' use cases: authorize → load → decide (``Handling`` appends).

Every step is authorized against the request's community (its grid's), whoever acts: the
community secretary there, the street admin above it, a department handler whose scope (the
department's owner, a street or district) holds it. Which step is whose is the request's
state (``Request.holder``); a department handler acts only on requests dispatched to its
own department: its token's subject is the department's id (``department_of``).

Set rules commit with the change: a department's code is claimed within its owner
(``request.department``, never released), an integration's ticket number within its source
(``request.external``). A resident's name and phone go to the request's ``RequestContact``
stream in the same append (sealed and erased per request, ``domain.requests.contacts``).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.grids.aggregate import Grid
from domain.organizations.aggregate import Organization, OrganizationKind
from domain.requests.aggregate import (
    MAX_ADDRESS,
    MAX_DESCRIPTION,
    MAX_REF,
    MAX_RESULT,
    Level,
    Request,
    RequestState,
    Source,
    check_text,
)
from domain.requests.commands import (
    AcceptRequest,
    CloseRequest,
    DispatchRequest,
    EraseRequestPersonalData,
    EscalateOverdueRequest,
    EscalateRequest,
    FeedBackRequest,
    MergeRequests,
    RateRequest,
    RegisterDepartment,
    ReportRequest,
    RequestCommand,
    ResolveRequest,
    RetireDepartment,
    SendBackRequest,
    TakeRequest,
)
from domain.requests.contacts import RequestContact, contact_id
from domain.requests.departments import (
    Department,
    check_categories,
    check_department_code,
    check_department_name,
)
from domain.requests.errors import (
    DeadlinePassed,
    DepartmentCodeTaken,
    DepartmentOutOfScope,
    NotYourStep,
    RequestNotFound,
)
from domain.requests.rules import RequestRules, check_attachments, check_phone, check_point
from domain.shared import events as ev
from domain.shared.commands import optional_reason, required_reason
from domain.shared.errors import AlreadyExists, InvalidInput, NotFound
from domain.shared.handling import Decision, Handler, Unit, changed
from domain.shared.permissions import Role
from domain.shared.ports import Claim

DEPARTMENT_CODE = "request.department"
EXTERNAL = "request.external"
OWNER_KINDS = frozenset({OrganizationKind.STREET_WORKING_COMMITTEE, OrganizationKind.DISTRICT_COMMITTEE})
MAX_NOTE = 2000


def _now(unit: Unit) -> datetime:
    return unit.handling.clock()


def _note(value: str | None) -> str | None:
    return check_text(value, "note", MAX_NOTE, required=False)


def department_of(unit: Unit) -> UUID | None:
    """The department a department handler's token acts for (its subject), or None when the
    actor acts by another role the command allows."""
    roles = unit.actor.roles
    if Role.DEPARTMENT_HANDLER not in roles or roles & (type(unit.command).allowed - {Role.DEPARTMENT_HANDLER}):
        return None
    try:
        return UUID(unit.actor.subject)
    except ValueError:
        raise NotYourStep("a department handler's token names its department by its subject (the department's"
                          " id)", field="requestId") from None


async def _request(unit: Unit, cmd: RequestCommand) -> Request:
    found = await unit.find(Request, cmd.request_id)
    if found is None:
        raise RequestNotFound(f"no request {cmd.request_id}", field="requestId")
    await unit.authorize(found.organization_id)
    unit.expect(found)
    return found


def _rules(unit: Unit) -> RequestRules:
    return unit.need(RequestRules)


# -- departments ------------------------------------------------------------------------


async def register_department(cmd: RegisterDepartment, unit: Unit) -> Decision:
    await unit.authorize(cmd.organization_id, field="organizationId")
    name, code = check_department_name(cmd.name), check_department_code(cmd.code)
    categories = check_categories(cmd.categories, _rules(unit).categories)
    owner = await unit.load(Organization, cmd.organization_id, "organization")
    if owner.dissolved:
        raise InvalidInput("the organization is dissolved", field="organizationId")
    if owner.kind not in OWNER_KINDS:
        raise InvalidInput("a department belongs to a street working committee or a district committee",
                           field="organizationId")
    department = Department(organization_id=owner.id, name=name, code=code, categories=categories,
                            registered_at=_now(unit))
    return Decision(department.id, ev.to_new_events(department), guards={owner.id: owner.version},
                    claims=[Claim(DEPARTMENT_CODE, f"{owner.id}:{code}", department.id)],
                    claim_errors={DEPARTMENT_CODE: DepartmentCodeTaken}, claim_fields={DEPARTMENT_CODE: "code"})


async def retire_department(cmd: RetireDepartment, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    department = await unit.find(Department, cmd.department_id)
    if department is None:
        raise NotFound(f"no department {cmd.department_id}", field="departmentId")
    await unit.authorize(department.organization_id)
    unit.expect(department)
    department.retire(_now(unit))
    return changed(department, reason=reason)


# -- reporting --------------------------------------------------------------------------


def _check_source(unit: Unit, source: Source) -> None:
    """An integration hands in residents' orders only; a resident's order comes only through one."""
    integration_only = unit.actor.roles == frozenset({Role.INTEGRATION})
    if integration_only != (source is Source.RESIDENT_ORDER):
        raise InvalidInput("an integration reports RESIDENT_ORDER requests, and only an integration does",
                           field="source")


async def report_request(cmd: ReportRequest, unit: Unit) -> Decision:
    rules = _rules(unit)
    grid = await unit.find(Grid, cmd.grid_id)
    if grid is None:
        raise NotFound(f"no grid {cmd.grid_id}", field="gridId")
    await unit.authorize(grid.organization_id, field="gridId", grid=grid.id)
    if grid.retired:
        raise InvalidInput(f"grid {grid.code} is retired: report in the grid that replaced it", field="gridId")
    _check_source(unit, cmd.source)
    category = rules.check_category(cmd.category)
    description = check_text(cmd.description, "description", MAX_DESCRIPTION)
    address = check_text(cmd.address, "address", MAX_ADDRESS, required=False)
    ref = check_text(cmd.external_ref, "externalRef", MAX_REF, required=False)
    name = check_text(cmd.resident_name, "residentName", 100, required=False)
    phone = check_phone(cmd.phone)
    now = _now(unit)
    assert description is not None
    request = Request(organization_id=grid.organization_id, grid_id=grid.id, category=category,
                      description=description, urgency=cmd.urgency, source=cmd.source,
                      point=check_point(cmd.latitude, cmd.longitude), address=address,
                      attachments=check_attachments(cmd.attachments), external_ref=ref, reported_at=now,
                      due_at=rules.due(cmd.urgency, "respond", now))
    events = ev.to_new_events(request)
    if name is not None or phone is not None:
        events += ev.to_new_events(RequestContact.record(request.id, grid.organization_id, name, phone))
    claims = [] if ref is None else [Claim(EXTERNAL, f"{cmd.source.value}:{ref}", request.id)]
    return Decision(request.id, events, guards={grid.id: grid.version}, claims=claims,
                    claim_errors={EXTERNAL: AlreadyExists}, claim_fields={EXTERNAL: "externalRef"})


# -- the community ----------------------------------------------------------------------


async def take_request(cmd: TakeRequest, unit: Unit) -> Decision:
    request = await _request(unit, cmd)
    now = _now(unit)
    request.take(now, _rules(unit).due(request.urgency, "handle", now))
    return changed(request)


async def escalate_request(cmd: EscalateRequest, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    request = await _request(unit, cmd)
    now = _now(unit)
    request.escalate(now, _rules(unit).due(request.urgency, "dispatch", now))
    return changed(request, reason=reason)


# -- the street and the department -------------------------------------------------------


async def dispatch_request(cmd: DispatchRequest, unit: Unit) -> Decision:
    note = optional_reason(cmd.note)
    request = await _request(unit, cmd)
    department = await unit.find(Department, cmd.department_id)
    if department is None:
        raise NotFound(f"no department {cmd.department_id}", field="departmentId")
    path = await unit.directory.path_of(request.organization_id) or []
    if department.organization_id not in path[:-1]:
        raise DepartmentOutOfScope("the department belongs to neither the request's street nor its district",
                                   field="departmentId")
    if department.retired:
        raise DepartmentOutOfScope(f"the department {department.code} is retired", field="departmentId")
    if request.category not in department.categories:
        raise DepartmentOutOfScope(f"the department {department.code} does not handle {request.category}"
                                   f" (it handles {', '.join(department.categories)})", field="departmentId")
    now = _now(unit)
    request.dispatch(department.id, now, _rules(unit).due(request.urgency, "accept", now))
    return changed(request, guards={department.id: department.version}, reason=note)


def _own_department(unit: Unit, request: Request) -> UUID:
    department = department_of(unit)
    if department is None or request.department_id != department:
        raise NotYourStep("the request is not with your department", field="requestId")
    return department


async def accept_request(cmd: AcceptRequest, unit: Unit) -> Decision:
    request = await _request(unit, cmd)
    department = _own_department(unit, request)
    now = _now(unit)
    if request.state is RequestState.DISPATCHED and request.due_at is not None and request.due_at < now:
        raise DeadlinePassed(f"the request was due to be accepted by {request.due_at.isoformat()}: the escalation"
                             " sweep hands it back to the street", field="requestId")
    request.accept(department, now, _rules(unit).due(request.urgency, "resolve", now))
    return changed(request)


async def send_back_request(cmd: SendBackRequest, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    request = await _request(unit, cmd)
    department = _own_department(unit, request)
    now = _now(unit)
    request.send_back(department, now, _rules(unit).due(request.urgency, "dispatch", now))
    return changed(request, reason=reason)


# -- resolution, feedback, rating, closing -----------------------------------------------

_LEVEL_ROLE = {Level.COMMUNITY: Role.COMMUNITY_SECRETARY, Level.STREET: Role.STREET_ADMIN,
               Level.DEPARTMENT: Role.DEPARTMENT_HANDLER}


def _check_holder(unit: Unit, request: Request, level: Level) -> None:
    """The actor acts for ``level``: holds its role, and a department handler its department."""
    if _LEVEL_ROLE[level] not in unit.actor.roles:
        raise NotYourStep(f"the request is with the {level.value.lower()}: it takes this step", field="requestId")
    if level is Level.DEPARTMENT:
        _own_department(unit, request)


async def resolve_request(cmd: ResolveRequest, unit: Unit) -> Decision:
    result = check_text(cmd.result, "result", MAX_RESULT)
    assert result is not None
    request = await _request(unit, cmd)
    level = request.holder()
    _check_holder(unit, request, level)
    request.resolve(level, result, _now(unit))
    return changed(request)


async def feed_back_request(cmd: FeedBackRequest, unit: Unit) -> Decision:
    note = _note(cmd.note)
    request = await _request(unit, cmd)
    if request.state is not RequestState.RESOLVED:
        raise NotYourStep(f"the request is {request.state.value}: it cannot be fed back now", field="requestId")
    if Role.DEPARTMENT_HANDLER in unit.actor.roles and department_of(unit) is not None:
        _check_holder(unit, request, Level.DEPARTMENT)  # only the department that resolved it
    request.feed_back(note, _now(unit))
    return changed(request)


async def rate_request(cmd: RateRequest, unit: Unit) -> Decision:
    note = _note(cmd.note)
    request = await _request(unit, cmd)
    now, rules = _now(unit), _rules(unit)
    due = {Level.COMMUNITY: rules.due(request.urgency, "handle", now),
           Level.STREET: rules.due(request.urgency, "dispatch", now),
           Level.DEPARTMENT: rules.due(request.urgency, "resolve", now)}
    request.rate(cmd.rating, note, now, due)
    return changed(request)


async def close_request(cmd: CloseRequest, unit: Unit) -> Decision:
    request = await _request(unit, cmd)
    request.close(_now(unit))
    return changed(request)


async def merge_requests(cmd: MergeRequests, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    duplicate = await _request(unit, cmd)
    target = await unit.find(Request, cmd.into_id)
    if target is None:
        raise RequestNotFound(f"no request {cmd.into_id}", field="intoId")
    duplicate.merge_into(target, _now(unit))
    return Decision(duplicate.id, [*ev.to_new_events(duplicate), *ev.to_new_events(target)], reason=reason,
                    result={"into_id": str(target.id)})


async def erase_request_personal_data(cmd: EraseRequestPersonalData, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    request = await _request(unit, cmd)
    contact = await unit.find(RequestContact, contact_id(request.id))
    if contact is None:
        raise InvalidInput("the request recorded no resident's name or phone: nothing to erase", field="requestId")
    contact.erase_personal_data()
    return Decision(request.id, ev.to_new_events(contact), reason=reason)


# -- the escalation sweep ---------------------------------------------------------------


async def escalate_overdue_request(cmd: EscalateOverdueRequest, unit: Unit) -> Decision:
    """The system escalates an overdue request; the broken rule is the event's reason."""
    unit.authorize_system()
    found = await unit.find(Request, cmd.request_id)
    if found is None:
        raise RequestNotFound(f"no request {cmd.request_id}", field="requestId")
    rules, now = _rules(unit), _now(unit)
    step = found.step
    if step is None:
        raise NotYourStep(f"the request is {found.state.value}: no deadline runs", field="requestId")
    rule = rules.rule(found.urgency, step)
    found.sweep(now, rule, rules.due(found.urgency, "dispatch", now))
    return changed(found, reason=f"overdue: {rule}")


HANDLERS: dict[type, Handler] = {
    RegisterDepartment: register_department,
    RetireDepartment: retire_department,
    ReportRequest: report_request,
    TakeRequest: take_request,
    EscalateRequest: escalate_request,
    DispatchRequest: dispatch_request,
    AcceptRequest: accept_request,
    SendBackRequest: send_back_request,
    ResolveRequest: resolve_request,
    FeedBackRequest: feed_back_request,
    RateRequest: rate_request,
    CloseRequest: close_request,
    MergeRequests: merge_requests,
    EraseRequestPersonalData: erase_request_personal_data,
    EscalateOverdueRequest: escalate_overdue_request,
}
