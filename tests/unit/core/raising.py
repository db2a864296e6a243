"""Which domain errors a mutation's command can raise: a static walk of the domain's code.

From the mutation's resolver to the command classes it builds, to each command's handler,
then through every call the handler makes into the domain (functions, constructors,
methods), collecting the ``raise SomeDomainError(...)`` found on the way. A method call is
followed into the receiver's class where the walk can tell it (``self``, a parameter's or
a helper's annotation, ``unit.load(Grid, ...)`` / ``unit.find(...)``, a constructor);
otherwise into every method of that name in the handler's area and the areas it depends on
(an over-approximation: it may find an error that cannot happen, never miss one by name).
Errors the shared command handling raises itself (claims, versions) are not walked: every
union has those (``errors.COMMON``) or the area lists its claim errors.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable
from types import FunctionType
from typing import Any

import domain
from domain.shared.area import DomainArea
from domain.shared.commands import Command
from domain.shared.errors import DomainError

_LOOKUPS = {"load", "find"}
"""``unit.load(Cls, id, ...)`` and ``unit.find(Cls, id)`` answer a ``Cls``."""


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "domain" else ""


def _function(value: object) -> FunctionType | None:
    value = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
    value = getattr(value, "__wrapped__", value)
    return value if isinstance(value, FunctionType) else None


class Raises:
    """The domain's functions and classes, indexed once; ``of(command)`` per command."""

    def __init__(self, areas: Iterable[DomainArea]) -> None:
        self.handlers: dict[type[Command], Callable[..., Any]] = {}
        self.area_of: dict[type[Command], DomainArea] = {}
        for area in areas:
            for command, handler in area.handlers.items():
                self.handlers[command], self.area_of[command] = handler, area
        self.classes: list[type] = []
        self.by_name: dict[str, list[tuple[type, FunctionType]]] = defaultdict(list)
        for info in pkgutil.walk_packages(domain.__path__, "domain."):
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if inspect.isclass(value) and value.__module__ == module.__name__:
                    self.classes.append(value)
                    for name, member in vars(value).items():
                        if (f := _function(member)) is not None:
                            self.by_name[name].append((value, f))
        self._trees: dict[int, ast.AST | None] = {}

    # -- the walk ----------------------------------------------------------------------

    def of(self, command: type[Command]) -> dict[type[DomainError], str]:
        """Each domain error the command's handler can raise, with where (``Class.method``)."""
        area = self.area_of[command]
        allowed = {area.name, "shared", *area.depends_on}
        found: dict[type[DomainError], str] = {}
        self._walk(self.handlers[command], None, allowed, set(), found)
        return found

    def _tree(self, f: FunctionType) -> ast.AST | None:
        if id(f) not in self._trees:
            try:
                self._trees[id(f)] = ast.parse(textwrap.dedent(inspect.getsource(f)))
            except (OSError, TypeError, SyntaxError):
                self._trees[id(f)] = None
        return self._trees[id(f)]

    def _walk(self, f: FunctionType, owner: type | None, allowed: set[str], seen: set[int],
              found: dict[type[DomainError], str]) -> None:
        if id(f) in seen or not f.__module__.startswith("domain"):
            return
        seen.add(id(f))
        tree = self._tree(f)
        if tree is None:
            return
        scope = _Scope(f, owner, self)
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                raised = scope.value(node.exc.func if isinstance(node.exc, ast.Call) else node.exc)
                if inspect.isclass(raised) and issubclass(raised, DomainError):
                    found.setdefault(raised, f.__qualname__)
            elif isinstance(node, ast.Call):
                for callee, cls in self._callees(node, scope, allowed):
                    self._walk(callee, cls, allowed, seen, found)

    def _callees(self, call: ast.Call, scope: _Scope, allowed: set[str]) -> list[tuple[FunctionType, type | None]]:
        target = scope.value(call.func)
        if (f := _function(target)) is not None:
            return [(f, None)]
        if inspect.isclass(target):
            init = _function(vars(target).get("__init__"))
            return [] if init is None else [(init, target)]
        if not isinstance(call.func, ast.Attribute):
            return []
        name = call.func.attr
        receivers = scope.types(call.func.value)
        if receivers:
            return [(m, cls) for cls in receivers if (m := self.method(cls, name)) is not None]
        return [(f, cls) for cls, f in self.by_name.get(name, []) if _area(cls.__module__) in allowed]

    def method(self, cls: type, name: str) -> FunctionType | None:
        for base in cls.__mro__:
            if (f := _function(vars(base).get(name))) is not None:
                return f
        return None


class _Scope:
    """What the walk knows of one function's names: globals, and the classes of its locals."""

    def __init__(self, f: FunctionType, owner: type | None, raises: Raises) -> None:
        self.globals = f.__globals__
        self.raises = raises
        self.locals: dict[str, set[type]] = defaultdict(set)
        tree = raises._tree(f)
        assert tree is not None
        definition = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
        arguments = definition.args
        for i, arg in enumerate([*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]):
            if i == 0 and arg.arg in ("self", "cls") and owner is not None:
                self.locals[arg.arg].add(owner)
            elif arg.annotation is not None:
                self.locals[arg.arg] |= self.annotated(arg.annotation)
        for node in ast.walk(tree):  # one pass: a name keeps every class it is ever given
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                kinds = self.result(node.value) if node.value is not None else set()
                if isinstance(node, ast.AnnAssign):
                    kinds |= self.annotated(node.annotation)
                for t in targets:
                    if isinstance(t, ast.Name):
                        self.locals[t.id] |= kinds

    def value(self, node: ast.expr) -> Any:
        """The object a dotted global name stands for (None if it is not one)."""
        if isinstance(node, ast.Name):
            return None if node.id in self.locals else self.globals.get(node.id, __builtins__.get(node.id)
                                                                        if isinstance(__builtins__, dict) else None)
        if isinstance(node, ast.Attribute):
            base = self.value(node.value)
            return None if base is None else getattr(base, node.attr, None)
        return None

    def annotated(self, node: ast.expr) -> set[type]:
        text = ast.unparse(node).strip("'\"")
        found = set()
        for name in re.findall(r"[A-Za-z_][\w.]*", text):
            value: Any = self.globals
            for part in name.split("."):
                value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if inspect.isclass(value) and value.__module__.startswith("domain"):
                found.add(value)
        return found

    def types(self, node: ast.expr) -> set[type]:
        """The classes an expression's value may have, as far as the walk can tell."""
        if isinstance(node, ast.Name):
            return set(self.locals.get(node.id, set()))
        return self.result(node)

    def result(self, node: ast.expr) -> set[type]:
        if isinstance(node, ast.Await):
            node = node.value
        if not isinstance(node, ast.Call):
            return self.types(node) if isinstance(node, ast.Name) else set()
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _LOOKUPS and node.args:
            looked_up = self.value(node.args[0])
            if inspect.isclass(looked_up):
                return {looked_up}
        target = self.value(func)
        if inspect.isclass(target) and target.__module__.startswith("domain"):
            return {target}
        f = _function(target)
        if f is None and isinstance(func, ast.Attribute):
            candidates = [self.raises.method(cls, func.attr) for cls in self.types(func.value)]
            return {cls for m in candidates if m is not None for cls in _Scope.returns(m)}
        return set() if f is None else _Scope.returns(f)

    @staticmethod
    def returns(f: FunctionType) -> set[type]:
        text = f.__annotations__.get("return")
        if not isinstance(text, str):
            return set()
        found = set()
        for name in re.findall(r"[A-Za-z_]\w*", text):
            value = f.__globals__.get(name)
            if inspect.isclass(value) and value.__module__.startswith("domain"):
                found.add(value)
        return found
