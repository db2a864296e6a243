"""The requests area's typed errors (each answered by a GraphQL error type of the same name)."""

from __future__ import annotations

from domain.shared.errors import AlreadyExists, DomainError, NotFound


class NotYourStep(DomainError):
    """The request is not at a step this command takes (a dispatch before the community
    escalated, an acceptance of a request already accepted, ...), or the step is another
    organization's (a department accepting a request dispatched to another department)."""

    code = "NOT_YOUR_STEP"


class DeadlinePassed(DomainError):
    """The step's deadline has passed: the step is no longer open to this actor (a department
    accepting after its working day; the escalation sweep hands the request up)."""

    code = "DEADLINE_PASSED"


class DepartmentOutOfScope(DomainError):
    """The department cannot take the request: it belongs to neither the request's street nor
    its district, it does not handle the request's category, or it is retired."""

    code = "DEPARTMENT_OUT_OF_SCOPE"


class RequestNotFound(NotFound):
    """No request with this id lies within your scope."""

    code = "REQUEST_NOT_FOUND"


class DepartmentCodeTaken(AlreadyExists):
    """The organization has a department with this code already (codes are never reused)."""

    code = "DEPARTMENT_CODE_TAKEN"

    @classmethod
    def claimed(cls, scope: str, key: str) -> str:
        return f"the organization has a department coded {key.partition(':')[2]} already"
