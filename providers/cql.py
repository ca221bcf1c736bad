"""CQL2 shared by both stores: parsing as the standard writes it (1.0 JSON forms, BBOX, line breaks), the
checks and literal typing that make the GeoPackage and PostGIS give the same answer, which properties a
filter names."""

from __future__ import annotations

import json
import math

from pygeoapi.provider.base import ProviderInvalidQueryError
from pygeofilter import ast, values


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
            f"see /queryables for the properties of this collection"
        )


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
                f"or and/or/not of them), not {shown}"
            )


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


# -- parsing: CQL2 1.0 as clients send it, into the AST both stores compile ---------------------------------

#: CQL2-JSON operators pygeofilter 0.4 reads as predicates; any other ``{"op": name, "args": […]}`` is a
#: function call in CQL2 1.0 (pygeofilter knows only the draft form ``{"function": {"name", "arguments"}}``).
_JSON_PREDICATES = frozenset(
    {
        "and",
        "or",
        "not",
        "isNull",
        "between",
        "like",
        "in",
        "casei",
        "=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "s_intersects",
        "s_disjoint",
        "s_contains",
        "s_within",
        "s_touches",
        "s_crosses",
        "s_overlaps",
        "s_equals",
        "t_after",
        "t_before",
        "t_contains",
        "t_disjoint",
        "t_during",
        "t_equals",
        "t_finishedBy",
        "t_finishes",
        "t_intersects",
        "t_meets",
        "t_metBy",
        "t_overlappedBy",
        "t_overlaps",
        "t_startedBy",
        "t_starts",
        "a_equals",
        "a_contains",
        "a_containedBy",
        "a_overlaps",
    }
)


class FilterSyntaxError(ValueError):
    """A filter that does not parse; the message says where and why (for a 400)."""


def bbox_polygon(coords) -> values.Geometry:
    """A CQL2 ``BBOX(minx, miny[, minz], maxx, maxy[, maxz])`` as a GeoJSON polygon literal.

    pygeofilter 0.4 reads BBOX in CQL2 text as a function call (PostGIS: "unsupported function") and in
    CQL2-JSON as an ``Envelope`` whose fields it fills in another order than its SQLAlchemy backend reads
    them; a polygon means the same to both stores and is reprojected from ``filter-crs`` like any geometry.
    """
    numbers = [float(c) for c in coords]
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise FilterSyntaxError("BBOX needs four (or six) finite numbers: minx, miny, maxx, maxy")
    minx, miny, maxx, maxy = numbers
    if minx > maxx or miny > maxy:
        raise FilterSyntaxError("BBOX: the minimum is larger than the maximum (minx, miny, maxx, maxy)")
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return values.Geometry({"type": "Polygon", "coordinates": [ring]})


def _bbox_functions_as_polygons(node):
    """Replace every ``Function('bbox', …)`` with its polygon (in place where possible); returns the node."""
    if isinstance(node, ast.Function) and node.name.lower() == "bbox":
        if not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in node.arguments):
            raise FilterSyntaxError("BBOX takes numbers only")
        return bbox_polygon(node.arguments)
    if isinstance(node, list):
        return [_bbox_functions_as_polygons(item) for item in node]
    if isinstance(node, ast.Node):
        for name, value in vars(node).items():
            if isinstance(value, (ast.Node, list)):
                setattr(node, name, _bbox_functions_as_polygons(value))
    return node


def _cql2_json_10(node):
    """CQL2-JSON 1.0 forms rewritten into those pygeofilter 0.4 reads (a copy; the input is left alone).

    * ``{"op": "between", "args": [x, low, high]}`` (1.0) -> ``[x, [low, high]]`` (draft);
    * ``{"bbox": [...]}`` -> a GeoJSON polygon (see :func:`bbox_polygon`);
    * ``{"op": "<function>", "args": [...]}`` -> ``{"function": {"name", "arguments"}}``.
    """
    if isinstance(node, list):
        return [_cql2_json_10(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "bbox" in node and len(node) == 1 and isinstance(node["bbox"], list):
        return bbox_polygon(node["bbox"]).geometry
    if "type" in node and "coordinates" in node:
        return node
    node = {key: _cql2_json_10(value) for key, value in node.items()}
    op, args = node.get("op"), node.get("args")
    if isinstance(op, str) and isinstance(args, list):
        if op == "between" and len(args) == 3:
            node["args"] = [args[0], [args[1], args[2]]]
        elif op not in _JSON_PREDICATES:
            return {"function": {"name": op, "arguments": args}}
    return node


def parse_cql2_json(text: str | bytes | dict):
    """A CQL2-JSON filter (1.0 or pygeofilter's draft form) as a pygeofilter AST; FilterSyntaxError if not."""
    from pygeofilter.parsers.cql2_json import parse

    if isinstance(text, (str, bytes)):
        try:
            document = json.loads(text)
        except ValueError as err:
            raise FilterSyntaxError(f"not JSON: {err}") from None
    else:
        document = text
    try:
        return parse(_cql2_json_10(document))
    except FilterSyntaxError:
        raise
    except RecursionError:
        raise FilterSyntaxError("nested too deeply") from None
    except Exception as err:  # noqa: BLE001 - pygeofilter raises ValueError, KeyError, TypeError, IndexError for bad forms
        raise FilterSyntaxError(f"not a CQL2-JSON expression: {str(err)[:200]}") from None


def parse_cql2_text(text: str):
    """A CQL2 text filter as a pygeofilter AST; a JSON object is read as CQL2-JSON (``filter-lang=cql2-json``).

    Line breaks count as spaces (``api/compat.py`` lets the grammar ignore them); BBOX becomes a polygon.
    """
    from pygeofilter.parsers.cql2_text import parse

    if text.lstrip().startswith("{"):  # never CQL2 text; a client's GET with filter-lang=cql2-json
        return parse_cql2_json(text)
    try:
        node = parse(text)
    except RecursionError:
        raise FilterSyntaxError("nested too deeply") from None
    except Exception as err:  # noqa: BLE001 - lark's UnexpectedInput and the transformer's errors
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise FilterSyntaxError(first[:200]) from None
    return _bbox_functions_as_polygons(node)


# -- literals typed as the property they are compared with (the same answer on both stores) --------------

_NUMERIC = ("integer", "number")


def _typed_literal(name: str, kind: str, value):
    if isinstance(value, (bool, ast.Node)) or not isinstance(value, (str, int, float)):
        return value
    if kind == "string" and isinstance(value, (int, float)):
        # SQLite compares a text column with 203 as with '203'; PostgreSQL has no text = integer
        return str(value)
    if kind in _NUMERIC and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ProviderInvalidQueryError(
                user_msg=f"property {name!r} is a number; {value[:60]!r} is not one"
            ) from None
        if not math.isfinite(number):
            raise ProviderInvalidQueryError(user_msg=f"property {name!r}: numbers must be finite")
        return int(number) if kind == "integer" and number.is_integer() else number
    return value


def type_literals(node, field_types: dict[str, str]):
    """Literals compared with a property (=, <>, <, BETWEEN, IN) as that property's type, in place.

    ``field_types``: property name -> JSON Schema type (``string``, ``integer``, ``number``, …), as the
    providers' ``get_fields`` give them. A text property compared with a number compares with its text
    (``art_code = 203``); a numeric property with a text that is a number compares with the number, with
    any other text it is a 400 naming the property.
    """
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, ast.Node):
            continue
        if isinstance(item, ast.Comparison):
            if isinstance(item.lhs, ast.Attribute) and item.lhs.name in field_types:
                item.rhs = _typed_literal(item.lhs.name, field_types[item.lhs.name], item.rhs)
            elif isinstance(item.rhs, ast.Attribute) and item.rhs.name in field_types:
                item.lhs = _typed_literal(item.rhs.name, field_types[item.rhs.name], item.lhs)
        elif isinstance(item, ast.Between) and isinstance(item.lhs, ast.Attribute) and item.lhs.name in field_types:
            kind = field_types[item.lhs.name]
            item.low = _typed_literal(item.lhs.name, kind, item.low)
            item.high = _typed_literal(item.lhs.name, kind, item.high)
        elif isinstance(item, ast.In) and isinstance(item.lhs, ast.Attribute) and item.lhs.name in field_types:
            kind = field_types[item.lhs.name]
            item.sub_nodes = [_typed_literal(item.lhs.name, kind, v) for v in item.sub_nodes]
        stack.extend(v for v in vars(item).values() if isinstance(v, (ast.Node, list)))
    return node


def field_types(fields: dict) -> dict[str, str]:
    """``get_fields()`` of a provider -> property name -> JSON Schema type."""
    return {name: str(spec.get("type", "string")) for name, spec in fields.items()}


def check_supported(node, field_types: dict[str, str]) -> None:
    """Refuse, on both stores alike, what one of them could not answer (400 naming the reason).

    * array predicates (A_CONTAINS, …): neither store holds arrays it could compare;
    * temporal predicates without a property on the left (``T_DURING(INTERVAL(…), INTERVAL(…))``);
    * arithmetic with a text: SQLite computes ``'abc' + 10`` as 10, PostgreSQL has no such operator.
    """
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, ast.Node):
            continue
        if isinstance(item, ast.ArrayPredicate):
            raise ProviderInvalidQueryError(user_msg="array operators (A_EQUALS, A_CONTAINS, …) are not supported")
        if isinstance(item, ast.TemporalPredicate) and not isinstance(item.lhs, ast.Attribute):
            raise ProviderInvalidQueryError(user_msg="temporal predicates need a date or datetime property on the left")
        if isinstance(item, ast.Arithmetic):
            for operand in (item.lhs, item.rhs):
                if isinstance(operand, str) or (
                    isinstance(operand, ast.Attribute) and field_types.get(operand.name, "number") not in _NUMERIC
                ):
                    shown = repr(operand[:40]) if isinstance(operand, str) else f"property {operand.name!r}"
                    raise ProviderInvalidQueryError(user_msg=f"arithmetic (+ - * /) needs numbers; {shown} is text")
        stack.extend(v for v in vars(item).values() if isinstance(v, (ast.Node, list)))


def prepare_filter(node, fields: dict):
    """The checks of :func:`check_supported` and literals typed by :func:`type_literals` (both stores)."""
    if node is None:
        return None
    types = field_types(fields)
    check_supported(node, types)
    return type_literals(node, types)
