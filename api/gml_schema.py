"""A feature collection's schema as a GML application schema (XSD), for GIS clients that read only that.

GDAL's OAPIF driver up to 3.8 -- the one Debian's QGIS 3.22 uses for "OGC API - Features" layers opened
through GDAL -- builds its fields from a collection link whose ``rel`` is exactly ``describedBy``; it takes
an XML schema in preference to a JSON one, and only from the XML schema does it learn the geometry type
(an empty collection, such as the contributions at first, then still opens with its fields and geometry).
Newer GDAL reads the JSON schema (``api/standards.py``). Relation types compare case-insensitively
(RFC 8288), so the ``describedBy`` spelling names the same relation as ``describedby``.

The schema is written from the collection's OGC API Features Part 5 schema (pygeoapi's ``/schema``), so it
says what that says: one feature type, named after the collection, its attributes with XML Schema types
and its geometry as the GML 3.2 property type of the catalogue's geometry type.
"""

from __future__ import annotations

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
GML = "http://www.opengis.net/gml/3.2"
#: Namespace of the portal's feature types (a name, not an address anything is fetched from).
NAMESPACE = "urn:buergergis:features"

#: Part 5 geometry ``format`` -> GML 3.2 property type (GDAL maps these to its geometry types).
GEOMETRY_TYPES = {
    "geometry-point": "gml:PointPropertyType",
    "geometry-multipoint": "gml:MultiPointPropertyType",
    "geometry-linestring": "gml:LineStringPropertyType",
    "geometry-multilinestring": "gml:MultiCurvePropertyType",
    "geometry-polygon": "gml:PolygonPropertyType",
    "geometry-multipolygon": "gml:MultiSurfacePropertyType",
}


def _xml_type(spec: dict) -> tuple[str, bool]:
    """The XML Schema type of one Part 5 property, and whether it repeats (a list)."""
    kind = spec.get("type")
    if isinstance(kind, list):  # ["number", "null"]: the non-null one
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "array":
        inner, _ = _xml_type(spec.get("items") or {"type": "string"})
        return inner, True
    if kind == "number":
        return "xs:double", False
    if kind == "integer":
        return "xs:long", False
    if kind == "boolean":
        return "xs:boolean", False
    fmt = spec.get("format")
    if fmt == "date-time":
        return "xs:dateTime", False
    if fmt == "date":
        return "xs:date", False
    return "xs:string", False


def gml_application_schema(collection_id: str, part5: dict) -> bytes:
    """The XSD of a collection's features, from its Part 5 schema.

    Parameters
    ----------
    collection_id : str
        The collection, also the name of its feature type (an XML name: the catalogue's ids are).
    part5 : dict
        The collection's OGC API Features Part 5 schema (``/collections/<id>/schema?f=json``).

    Returns
    -------
    bytes
        A GML 3.2 application schema (UTF-8) with one feature type.

    Examples
    --------
    >>> xsd = gml_application_schema("bp_baugebiet", {"properties": {
    ...     "id": {"type": "string", "x-ogc-role": "id"}, "grz": {"type": "number"},
    ...     "geometry": {"format": "geometry-multipolygon", "x-ogc-role": "primary-geometry"}}})
    >>> b'name="grz" type="xs:double"' in xsd, b'type="gml:MultiSurfacePropertyType"' in xsd
    (True, True)
    """
    properties = part5.get("properties") or {}
    root = etree.Element(
        f"{{{XS}}}schema",
        nsmap={"xs": XS, "gml": GML, "bg": NAMESPACE},
        targetNamespace=NAMESPACE,
        elementFormDefault="qualified",
        version="1.0",
    )
    # The GML namespace is imported by name only: GML clients know its types, and nothing is fetched.
    etree.SubElement(root, f"{{{XS}}}import", namespace=GML)
    type_name = f"{collection_id}Type"
    etree.SubElement(
        root, f"{{{XS}}}element", name=collection_id, type=f"bg:{type_name}", substitutionGroup="gml:AbstractFeature"
    )
    complex_type = etree.SubElement(root, f"{{{XS}}}complexType", name=type_name)
    extension = etree.SubElement(
        etree.SubElement(complex_type, f"{{{XS}}}complexContent"), f"{{{XS}}}extension", base="gml:AbstractFeatureType"
    )
    sequence = etree.SubElement(extension, f"{{{XS}}}sequence")
    geometry = properties.get("geometry")
    if isinstance(geometry, dict):
        geometry_type = GEOMETRY_TYPES.get(str(geometry.get("format")), "gml:GeometryPropertyType")
        etree.SubElement(sequence, f"{{{XS}}}element", name="geometry", type=geometry_type, minOccurs="0")
    for name, spec in properties.items():
        # the id is the feature's own id (gml:id), the geometry is above
        if name == "geometry" or not isinstance(spec, dict) or spec.get("x-ogc-role") == "id":
            continue
        xml_type, repeats = _xml_type(spec)
        attributes = {"name": name, "type": xml_type, "minOccurs": "0"}
        if repeats:
            attributes["maxOccurs"] = "unbounded"
        etree.SubElement(sequence, f"{{{XS}}}element", **attributes)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
