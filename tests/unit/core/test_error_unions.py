"""No domain error surfaces as an internal error: every mutation's result union answers it.

Three parts, each over every mutation of the schema (iterated, so those added later are
covered too). Every union has the common errors (``errors.COMMON``: malformed input, roles
and scope, ids, concurrency, idempotency, outages, a dissolved organization, and
``NotAllowed``). Every union has the own type of each domain error its command's handler
can raise, as a static walk of the domain finds them (``raising.Raises``: the handler and
every domain function, constructor and method it calls). And should one still be missed,
the error is answered with the union's nearest type carrying the error's own code, and
logged as an error with the correlation id (``common.answer``), never left to strawberry,
which would fail the field with an internal error.
"""

from __future__ import annotations

import ast
import inspect
import logging
import re
import textwrap
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import GraphQLUnionType, get_named_type

from api.areas import DOMAIN_AREAS
from api.graphql.core import errors as e
from api.graphql.core.common import answer
from api.schema import Mutation, schema
from domain.grids.errors import GridCodeTaken, GridNotAllowed
from domain.grids.residence import AssignMemberResidence
from domain.members.errors import MemberExited
from domain.shared.commands import Command
from domain.shared.errors import OrganizationDissolved
from domain.shops.commands import RegisterShop
from tests.unit.core.raising import Raises

OUTSIDE_THE_DOMAIN = {"recordCheckpoint"}
"""Mutations that run no command (a checkpoint is signed by the integrity machinery)."""


def _graphql(python_name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), python_name)


def _union(field: str) -> Any:
    """The result union of the mutation ``field`` (by its GraphQL name), as strawberry holds it."""
    return next(f.type for f in Mutation.__strawberry_definition__.fields if _graphql(f.python_name) == field)


@dataclass
class _Context:
    correlation_id: uuid.UUID


@dataclass
class _Info:
    """What ``answer`` reads of strawberry's ``Info``: the field, its type, the request."""

    field_name: str
    return_type: Any
    context: _Context


def test_every_mutation_answers_every_common_error() -> None:
    root = schema._schema.mutation_type
    assert root is not None and len(root.fields) > 100
    common = {t.__name__ for t in e.COMMON}
    lacking = {}
    for name, field in root.fields.items():
        union = get_named_type(field.type)
        assert isinstance(union, GraphQLUnionType), name
        missing = common - {member.name for member in union.types}
        if missing:
            lacking[name] = sorted(missing)
    assert lacking == {}


def _commands(resolver: Any) -> set[type[Command]]:
    """The command classes a resolver names (it builds them, or hands one to a helper)."""
    f = inspect.unwrap(resolver)
    found = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(f)))):
        value: Any = None
        if isinstance(node, ast.Name):
            value = f.__globals__.get(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            value = getattr(f.__globals__.get(node.value.id), node.attr, None)
        if inspect.isclass(value) and issubclass(value, Command) and value is not Command:
            found.add(value)
    return found


def test_every_mutation_lists_every_error_its_command_can_raise() -> None:
    raises = Raises(DOMAIN_AREAS)
    lacking, commandless = [], set()
    for field in Mutation.__strawberry_definition__.fields:
        commands = _commands(field.base_resolver.wrapped_func)
        name = _graphql(field.python_name)
        if not commands:
            commandless.add(name)
        members = set(field.type.types)
        for command in commands:
            for error, where in raises.of(command).items():
                if e.answering(error) not in members:
                    lacking.append(f"{name}: {error.__name__} (raised in {where})")
    assert commandless == OUTSIDE_THE_DOMAIN
    assert lacking == []


def test_the_walk_finds_what_a_handler_raises_through_the_aggregates_it_loads() -> None:
    raises = Raises(DOMAIN_AREAS)
    assert {OrganizationDissolved} <= set(raises.of(RegisterShop))  # org = unit.load(Organization, ...)
    assert {GridNotAllowed, MemberExited} <= set(raises.of(AssignMemberResidence))
    assert GridNotAllowed not in raises.of(RegisterShop)  # Grid.ensure_active is not Organization's


def test_a_dissolved_organization_is_answered_by_its_own_type_in_every_union() -> None:
    for field in Mutation.__strawberry_definition__.fields:
        found, own = e.answer(OrganizationDissolved("organization 东风社区党委 was dissolved"),
                              frozenset(field.type.types))
        assert own and type(found) is e.OrganizationDissolved, field.name
        assert found.code == "ORGANIZATION_DISSOLVED"  # type: ignore[attr-defined]


def test_an_error_the_union_lists_is_answered_by_its_own_type_unlogged(caplog: pytest.LogCaptureFixture) -> None:
    info = _Info("retireGrid", _union("retireGrid"), _Context(uuid.uuid4()))
    with caplog.at_level(logging.ERROR):
        found = answer(info, GridNotAllowed("grid 110105001001001 was retired", field="gridId"))  # type: ignore[arg-type]
    assert type(found).__name__ == "GridNotAllowed"
    assert (found.code, found.field) == ("GRID_NOT_ALLOWED", "gridId")  # type: ignore[attr-defined]
    assert caplog.records == []


def test_an_error_the_union_lacks_is_answered_as_not_allowed_with_its_code_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    correlation = uuid.uuid4()
    info = _Info("registerShop", _union("registerShop"), _Context(correlation))
    exc = MemberExited("member 王秀兰 left the Party", field="ownerMemberId")
    with caplog.at_level(logging.ERROR):
        found = answer(info, exc)  # type: ignore[arg-type]
    assert type(found) is e.NotAllowed
    assert (found.code, found.message, found.field) == (  # type: ignore[attr-defined]
        "MEMBER_EXITED", "member 王秀兰 left the Party", "ownerMemberId")
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "registerShop" in record.getMessage() and "MemberExited" in record.getMessage()
    assert str(correlation) in record.getMessage()


def test_an_error_the_union_lacks_is_answered_by_its_nearest_listed_base() -> None:
    # GridCodeTaken is an AlreadyExists: a union with AlreadyExists but not GridCodeTaken answers that
    members = frozenset(_union("establishOrganization").types)
    assert e.AlreadyExists in members
    found, own = e.answer(GridCodeTaken("the unit-grid code 110105001001001 is another grid's"), members)
    assert not own and type(found) is e.AlreadyExists
    assert found.code == "GRID_CODE_TAKEN"  # type: ignore[attr-defined]
