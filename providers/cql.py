"""CQL2 helpers shared by the providers: which properties a filter names."""

from __future__ import annotations

import math

from pygeofilter import ast, values
from pygeoapi.provider.base import ProviderInvalidQueryError


def attribute_names(node) -> set[str]:
    """Every property name a pygeofilter AST refers to (walks any node type)."""
    names: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Attribute):
            names.add(item.name)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, ast.Node):
            stack.extend(vars(item).values())
    return names


def check_filter_properties(filterq, known: set[str]) -> None:
    """Refuse a filter that names a property the collection does not have (400, naming it)."""
    if filterq is None:
        return
    unknown = attribute_names(filterq) - known
    if unknown:
        raise ProviderInvalidQueryError(
            user_msg=f"unknown property in filter: {', '.join(sorted(unknown))}; "
                     f"see /queryables for the properties of this collection")


def check_condition(filterq) -> None:
    """Refuse a filter that is no condition (400): a bare value, property or list, alone or inside and/or/not.

    CQL2 filters are boolean expressions: comparisons, spatial/temporal/array predicates,
    ``true``/``false``, combined with and/or/not. pygeofilter parses a CQL2-JSON body such as
    ``-179`` or ``{"property": "name"}`` into a plain value, which SQLAlchemy cannot put into
    a WHERE clause (a 500 on PostGIS).
    """
    if filterq is None:
        return
    stack = [filterq]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Not):
            stack.append(item.sub_node)
        elif isinstance(item, ast.Combination):
            stack.extend((item.lhs, item.rhs))
        elif not isinstance(item, (ast.Predicate, bool)):
            shown = type(item).__name__ if isinstance(item, ast.Node) else repr(item)[:60]
            raise ProviderInvalidQueryError(
                user_msg=f"a filter must be a condition (a comparison, a spatial, temporal or array predicate, "
                         f"or and/or/not of them), not {shown}")


def _numbers(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)


def check_finite_coordinates(filterq) -> None:
    """Refuse geometry literals with infinite or NaN coordinates (400); PostGIS cannot even parse them."""
    stack = [filterq]
    while stack:
        item = stack.pop()
        if isinstance(item, values.Geometry):
            numbers = _numbers(item.geometry)
        elif isinstance(item, values.Envelope):
            numbers = (item.x1, item.x2, item.y1, item.y2)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        elif isinstance(item, ast.Node):
            stack.extend(vars(item).values())
            continue
        else:
            continue
        if not all(math.isfinite(n) for n in numbers):
            raise ProviderInvalidQueryError(user_msg="coordinates in filters must be finite numbers")
