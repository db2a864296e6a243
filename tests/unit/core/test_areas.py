"""The one list of areas is complete and exact: each area registers what it contributes,
and nothing is registered that no area contributes.

The walk finds contributions by what they are (command classes in the domain, aggregates,
GraphQL node and error types, projections), not by a list kept beside the code, so a
new module whose command, type or projection is not declared in its area fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import strawberry
from eventsourcing.domain import Aggregate

import api.graphql
import domain
import projections
from api.areas import API_AREAS, AREAS, DOMAIN_AREAS, PROJECTIONS
from api.graphql.core.errors import SHARED, Error
from api.graphql.core.relay import Node
from api.schema import ERROR_TYPES, LOADERS, schema
from domain.shared import errors as de
from domain.shared.commands import Command
from projections.runtime.base import Projection


def modules(package: ModuleType) -> list[ModuleType]:
    found = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        found.append(importlib.import_module(info.name))
    return found


def defined(package: ModuleType, test: object) -> set[object]:
    """Objects defined (not imported) in the package's modules that pass ``test``."""
    return {value for m in modules(package) for value in vars(m).values()
            if getattr(value, "__module__", None) == m.__name__ and test(value)}  # type: ignore[operator]


def test_every_area_has_one_name_across_the_layers() -> None:
    names = [a.name for a in AREAS]
    assert len(names) == len(set(names))
    for a in AREAS:
        assert a.domain is None or a.domain.name == a.name
        assert a.api is None or a.api.name == a.name


def test_every_command_is_handled_by_exactly_one_area_and_names_a_rule() -> None:
    commands = defined(domain, lambda v: inspect.isclass(v) and issubclass(v, Command) and "action" in vars(v))
    listed = [c for area in DOMAIN_AREAS for c in area.commands]
    assert len(listed) == len(set(listed)), "a command is listed by two areas"
    assert set(listed) == commands
    actions = [c.action for c in listed]
    assert len(actions) == len(set(actions)), "two commands share a name"
    for c in listed:
        assert isinstance(c.allowed, frozenset), c


def test_every_aggregate_is_declared_by_its_area() -> None:
    aggregates = defined(domain, lambda v: inspect.isclass(v) and issubclass(v, Aggregate) and v is not Aggregate)
    declared = {agg for area in DOMAIN_AREAS for agg in area.aggregates}
    assert declared == aggregates
    for area in DOMAIN_AREAS:
        for agg in area.aggregates:
            assert agg.__module__.startswith(f"domain.{area.name}."), (agg, area.name)


def test_areas_depend_only_on_areas_that_exist() -> None:
    names = {area.name for area in DOMAIN_AREAS}
    for area in DOMAIN_AREAS:
        assert area.name not in area.depends_on
        assert set(area.depends_on) <= names, area


def test_every_projection_is_registered_once() -> None:
    found = {id(v) for m in modules(projections) for v in vars(m).values() if isinstance(v, Projection)}
    assert {id(p) for p in PROJECTIONS.values()} == found
    assert len(PROJECTIONS) == sum(len(a.projections) for a in AREAS)


def test_every_domain_error_is_answered_by_exactly_one_schema_error() -> None:
    domain_errors = defined(domain, lambda v: inspect.isclass(v) and issubclass(v, de.DomainError))
    answered = [cls for t in ERROR_TYPES for cls in t.answers]
    assert len(answered) == len(set(answered))
    assert set(answered) == domain_errors - {de.DomainError}


def test_every_error_type_is_declared_by_an_area_and_in_the_schema() -> None:
    modules(api.graphql)
    made = set(Error.__subclasses__())
    declared = {t for area in API_AREAS for t in area.errors}
    assert made == declared | set(SHARED)
    for t in made:
        assert schema.get_type_by_name(t.__name__) is not None, t


def test_every_node_type_is_declared_and_looked_up_by_node() -> None:
    nodes = defined(api.graphql, lambda v: inspect.isclass(v) and issubclass(v, Node) and v is not Node)
    declared = {t for area in API_AREAS for t in area.types}
    assert nodes <= declared | {t for t in nodes if not hasattr(t, "__strawberry_definition__")}
    lookup = schema.nodes  # type: ignore[attr-defined]
    streams = {agg.__name__ for area in DOMAIN_AREAS for agg in area.aggregates}
    node_names = {t.__name__ for t in nodes}
    # Each aggregate that is a node is found by its stream type; objects inside a
    # stream (transfers, projects) by the areas' inner lookups.
    assert set(lookup.by_stream) == streams & node_names
    assert set(lookup.by_stream) | set(lookup.inner) == node_names, "a node type node(id) cannot find"


def test_every_area_root_is_part_of_the_schema() -> None:
    for area in API_AREAS:
        for kind, root in (("query", schema.query), ("mutation", schema.mutation),
                           ("subscription", schema.subscription)):
            part = getattr(area, kind)
            if part is None:
                continue
            assert part.__strawberry_definition__ is not None
            fields = {f.python_name for f in part.__strawberry_definition__.fields}
            root_fields = {f.python_name for f in strawberry.type(root).__strawberry_definition__.fields}
            assert fields <= root_fields, (area.name, kind, fields - root_fields)


def test_every_loader_a_resolver_uses_is_declared_by_an_area() -> None:
    root = Path(api.graphql.__file__).parent
    used = {m for path in root.rglob("*.py") for m in re.findall(r"loaders\.(\w+)", path.read_text())}
    assert used - {"reset", "forget", "items"} == set(LOADERS)
