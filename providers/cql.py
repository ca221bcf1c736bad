"""CQL2 helpers shared by the providers: which properties a filter names."""

from __future__ import annotations

from pygeofilter import ast
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
