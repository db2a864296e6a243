"""An area adds fields to another area's type (``ApiArea.fields``), once, and never over one."""

from __future__ import annotations

import pytest
import strawberry

from api.graphql.core.area import ApiArea, extend_types
from api.schema import schema


def test_organization_has_the_grids_areas_field_in_the_composed_schema() -> None:
    organization = schema.get_type_by_name("Organization")
    assert organization is not None
    assert "grids" in {f.python_name for f in organization.fields}  # type: ignore[union-attr]


def test_extending_twice_adds_nothing_and_a_clash_is_refused() -> None:
    @strawberry.type
    class Target:
        name: str

    @strawberry.type
    class Extra:
        @strawberry.field
        def size(self) -> int:
            return 3

    @strawberry.type
    class Clash:
        @strawberry.field
        def name(self) -> str:
            return "other"

    area = ApiArea("one", fields={Target: Extra})
    extend_types([area])
    extend_types([area])
    assert [f.python_name for f in Target.__strawberry_definition__.fields] == ["name", "size"]
    with pytest.raises(ValueError, match=r"Target\.name"):
        extend_types([ApiArea("two", fields={Target: Clash})])
    built = strawberry.Schema(query=Target)
    assert built.execute_sync("{ name size }", root_value=Target(name="网格")).data == {"name": "网格", "size": 3}
