"""The body, the id and the properties of an incoming feature: pure checks, one verdict for both stores.

The geometry is checked in :mod:`intake.geometry`. Every refusal is an
:class:`~intake.errors.IntakeError` naming the field; nothing is written before all
checks have passed.
"""

from __future__ import annotations

import json
import re
import uuid

from intake.errors import IntakeError
from store.geopackage import to_sql_value

#: A new feature's id, chosen by the client (POST): RFC 3986 "unreserved" characters only. An id is a
#: path segment (``/collections/{c}/items/{id}``), so these need no percent-encoding and cannot be read
#: as a path ('/'), a query ('?'), a fragment ('#') or a relative step ('.', '..'); 128 characters hold
#: a UUID, a gml:id or an ALKIS id with room to spare. Ids made by the server are UUIDs.
NEW_ID = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9._~-]{1,128}")
NEW_ID_MAX = 128
#: An existing item's id (PUT, from the URL): the stores hold ids that imports made (e.g. a stored
#: variant's ``variant/zone-1``); those stay editable, so only text without control characters is asked.
EXISTING_ID_MAX = 256

#: Catalogue column type -> what a value must be, in German (the English comes from the store's check).
EXPECTED_DE = {
    "text": "Text (ohne NUL-Zeichen)",
    "integer": "eine ganze Zahl von -2147483648 bis 2147483647",
    "real": "eine endliche Zahl",
    "boolean": "true oder false",
    "date": "ein Datum JJJJ-MM-TT",
    "datetime": "ein Zeitpunkt nach ISO 8601 (z. B. 2024-05-01T08:00:00Z)",
    "json": "ein JSON-Wert",
}


def parse_body(item) -> dict:
    """A request body (bytes, text or dict) as a GeoJSON Feature dict with ``properties`` an object."""
    if isinstance(item, (bytes, bytearray)):
        item = item.decode("utf-8", errors="replace")
    if isinstance(item, str):
        try:
            item = json.loads(item)
        except ValueError as err:
            raise IntakeError.of("body_json", error=str(err)[:200]) from None
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise IntakeError.of("body_feature")
    feature = dict(item)
    properties = feature.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise IntakeError.of("properties_object")
    feature["properties"] = dict(properties)
    return feature


def _as_text(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise IntakeError.of("id_type", got=type(value).__name__)
    return str(value)


def new_id(value=None) -> str:
    """The id of a feature being created: the client's (checked against :data:`NEW_ID`) or a new UUID."""
    if value is None:
        return str(uuid.uuid4())
    text = _as_text(value)
    if not NEW_ID.fullmatch(text):
        raise IntakeError.of("id_new", id=text[:140], max=NEW_ID_MAX)
    return text


def existing_id(value) -> str:
    """The id of an item being replaced (from the URL): text of 1-256 characters without control characters."""
    text = _as_text(value)
    if not text or len(text) > EXISTING_ID_MAX or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise IntakeError.of("id_existing", max=EXISTING_ID_MAX)
    return text


def body_id(feature: dict, id_columns: frozenset[str] = frozenset()):
    """The id a body carries: ``id``, else pygeoapi's ``properties.identifier`` (unless that is a column)."""
    if feature.get("id") is not None:
        return feature["id"]
    if "identifier" not in id_columns:
        return feature["properties"].get("identifier")
    return None


def replacing_id(feature: dict, identifier) -> str:
    """The id of a PUT: the URL's; a body that names another id is refused."""
    identifier = existing_id(identifier)
    sent = feature.get("id")
    if sent is not None and str(sent) != identifier:
        raise IntakeError.of("id_differs", body=sent, id=identifier)
    return identifier


def kinds_from_schema(fields: dict[str, dict]) -> dict[str, str]:
    """JSON Schema property types (pygeoapi's ``get_fields``) -> catalogue column types."""
    kinds = {}
    for name, spec in fields.items():
        kind, fmt = str(spec.get("type")), spec.get("format")
        kinds[name] = {
            "integer": "integer",
            "number": "real",
            "boolean": "boolean",
            "object": "json",
            "array": "json",
        }.get(kind, "text")
        if kind == "string" and fmt in ("date", "date-time"):
            kinds[name] = "date" if fmt == "date" else "datetime"
    return kinds


def check_properties(
    properties: dict,
    kinds: dict[str, str],
    id_field: str = "id",
    identifier: str | None = None,
    readonly: frozenset[str] = frozenset(),
) -> dict:
    """The properties to store: known columns only, each value of its column's type.

    ``kinds`` maps column -> catalogue type (``schema.catalog.COLUMN_TYPES``); the id column
    is the feature id: ``properties[id_field]`` may repeat it (QGIS sends a feature back as
    it read it) but not differ. ``readonly`` names fields the server sets: a value sent for
    one is dropped, not refused, so that a feature read, edited and sent back is accepted.
    Values are checked with the GeoPackage store's strict conversion, which is also the
    PostgreSQL range (32-bit integers, no NUL in text), so both stores take the same values.
    """
    clean = {}
    unknown = []
    for name, value in properties.items():
        if name == id_field or (name == "identifier" and name not in kinds):
            if name == id_field and value is not None and identifier is not None and str(value) != identifier:
                raise IntakeError.of("id_property_differs", field=id_field, value=value, id=identifier)
            continue
        if name in readonly:
            continue
        if name not in kinds:
            unknown.append(name)
            continue
        clean[name] = check_value(name, kinds[name], value)
    if unknown:
        allowed = ", ".join(n for n in kinds if n != id_field and n not in readonly)
        raise IntakeError.of("property_unknown", names=sorted(unknown), allowed=allowed)
    return clean


def check_value(name: str, kind: str, value):
    """One property value, checked for its column type; integers and reals come back as such."""
    if value is None:
        return None
    try:
        stored = to_sql_value(kind, value, strict=True)
    except ValueError as err:
        raise IntakeError.of(
            "property_type", name=name, expected=kind, expected_de=EXPECTED_DE[kind], reason=str(err)[:200]
        ) from None
    if kind in ("integer", "real"):
        return stored
    return value


__all__ = [
    "NEW_ID",
    "body_id",
    "check_properties",
    "check_value",
    "existing_id",
    "kinds_from_schema",
    "new_id",
    "parse_body",
    "replacing_id",
]
