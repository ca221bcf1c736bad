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
