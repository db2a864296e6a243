"""A functional department (职能部门) of a street or a district: the registry the street
dispatches residents' requests to.

A department belongs to one street working committee or district committee (its owner), has
a short code the dispatchers know it by (交通, 城管, 民政), unique within its owner and never
reused there (a claim), and the categories of request it handles. A retired department takes
no new dispatch; requests it holds stay with it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import InvalidInput
from domain.shared.text import clean

MAX_DEPARTMENT_NAME, MAX_CODE, MAX_CATEGORIES = 100, 20, 40


def check_department_name(value: str) -> str:
    name = clean(value)
    if not 1 <= len(name) <= MAX_DEPARTMENT_NAME:
        raise InvalidInput(f"a department's name has 1–{MAX_DEPARTMENT_NAME} characters", field="name")
    return name


def check_department_code(value: str) -> str:
    code = clean(value).upper()
    if not 1 <= len(code) <= MAX_CODE or any(ch.isspace() for ch in code):
        raise InvalidInput(f"a department's code has 1–{MAX_CODE} characters, no spaces (交通, 城管, 民政)",
                           field="code")
    return code


class Department(Aggregate):
    """A street's or district's functional department and the categories it handles."""

    class Registered(Aggregate.Created):
        organization_id: UUID
        """The street working committee or district committee it belongs to."""
        name: str
        code: str
        categories: list[str]
        registered_at: datetime

    @event(Registered)
    def __init__(self, organization_id: UUID, name: str, code: str, categories: list[str],
                 registered_at: datetime) -> None:
        self.organization_id = organization_id
        self.name = name
        self.code = code
        self.categories = list(categories)
        self.registered_at = registered_at
        self.retired_at: datetime | None = None

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def retire(self, at: datetime) -> None:
        if self.retired:
            raise InvalidInput(f"the department {self.code} is retired already", field="departmentId")
        self._retired(retired_at=at)

    @event("Retired")
    def _retired(self, retired_at: datetime) -> None:
        self.retired_at = retired_at


def check_categories(categories: tuple[str, ...], known: tuple[str, ...]) -> list[str]:
    """Categories of the catalogue, each once, at least one."""
    found = [clean(c).upper() for c in categories]
    if not 1 <= len(found) <= MAX_CATEGORIES or len(set(found)) != len(found):
        raise InvalidInput("a department handles one or more categories, each once", field="categories")
    unknown = [c for c in found if c not in known]
    if unknown:
        raise InvalidInput(f"unknown categories {', '.join(unknown)}: the catalogue has {', '.join(known)}",
                           field="categories")
    return found
