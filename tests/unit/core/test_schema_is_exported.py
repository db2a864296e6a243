"""The committed schema.graphql is the product's contract: it must match the code."""

from __future__ import annotations

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)

from api.schema import SCHEMA_FILE, export_sdl, schema


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_sdl(), (
        "schema.graphql drifted: run `grassroots export-schema` and commit the file"
    )


def test_every_type_and_field_has_a_description() -> None:
    missing = []
    for name, gql_type in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(
            gql_type, GraphQLObjectType | GraphQLInputObjectType | GraphQLInterfaceType
        ):
            continue
        if not gql_type.description:
            missing.append(name)
        for field_name, field in gql_type.fields.items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert missing == []


def test_mutations_return_unions_named_after_them() -> None:
    sdl = export_sdl()
    for mutation in re.findall(r"^  (\w+)\(input: \w+Input!\)", sdl, re.M):
        result = mutation[0].upper() + mutation[1:] + "Result"
        assert f"union {result} =" in sdl


def test_every_scalar_enum_and_union_of_ours_has_a_description() -> None:
    # GraphQL's own scalars (String, Int, Float, Boolean, ID) are described by the spec.
    builtin = {"String", "Int", "Float", "Boolean", "ID"}
    missing = [name for name, t in schema._schema.type_map.items()
               if not name.startswith("__") and name not in builtin
               and isinstance(t, GraphQLScalarType | GraphQLEnumType | GraphQLUnionType) and not t.description]
    assert missing == []
