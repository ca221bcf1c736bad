"""Standards points real clients rely on (issue 14), on both stores: CQL2 as the standard writes it, CORS,
geo+json and describedby, Content-Crs on writes, WWW-Authenticate, OpenAPI security, tileset metadata,
coverage parameters."""

import json

import pytest
import requests

from tests.conftest import PLANNER_TOKEN


def _items(server, collection="bp_baugebiet", **params):
    return requests.get(
        f"{server.api}/collections/{collection}/items", params={"f": "json", "limit": 1000, **params}, timeout=30
    )


def _ids(response) -> set:
    assert response.status_code == 200, response.text[:300]
    return {f["id"] for f in response.json()["features"]}


# -- CQL2 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["art_code=203", "id = 5", "art_code = 1000", "grz = '0.4'"])
def test_a_literal_of_another_type_is_compared_as_the_property_type(api_server, text):
    """PostGIS answered text = integer with 500; the GeoPackage compared texts."""
    assert _items(api_server, filter=text).status_code == 200


def test_a_text_where_a_number_belongs_is_a_400_naming_the_property(api_server):
    r = _items(api_server, filter="grz = 'viel'")
    assert r.status_code == 400 and "grz" in r.json()["description"]


def test_bbox_function_in_a_spatial_predicate(api_server):
    box = "9.9,53.6,10.1,53.75"
    expected = _ids(_items(api_server, bbox=box))
    assert expected
    assert _ids(_items(api_server, filter=f"S_INTERSECTS(geometry,BBOX({box}))")) == expected
    body = {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [9.9, 53.6, 10.1, 53.75]}]}
    assert _ids(_items(api_server, filter=json.dumps(body), **{"filter-lang": "cql2-json"})) == expected


def test_cql2_text_over_several_lines(api_server):
    one_line = _ids(_items(api_server, filter="grz >= 0.4 AND z <= 3"))
    assert _ids(_items(api_server, filter="grz >= 0.4\nAND\r\n  z <= 3")) == one_line


def test_get_with_cql2_json_and_the_1_0_between(api_server):
    expected = _ids(_items(api_server, filter="grz BETWEEN 0.3 AND 0.5"))
    assert expected
    body = {"op": "between", "args": [{"property": "grz"}, 0.3, 0.5]}
    assert _ids(_items(api_server, filter=json.dumps(body), **{"filter-lang": "cql2-json"})) == expected


def test_a_filter_that_does_not_parse_says_why(api_server):
    r = _items(api_server, filter="grz >= ")
    assert r.status_code == 400
    assert "Ungültiger Filter" in r.json()["description"] and "invalid filter" in r.json()["description"]


def test_sortby_puts_nulls_last_in_both_directions(api_server):
    for order in ("-grz", "grz"):
        values = [f["properties"]["grz"] for f in _items(api_server, sortby=order).json()["features"]]
        assert None in values, "the demo data has zones without GRZ"
        first_null = values.index(None)
        assert all(v is None for v in values[first_null:]), (order, values)
        numbers = values[:first_null]
        assert numbers == sorted(numbers, reverse=order.startswith("-"))


def test_bbox_across_the_antimeridian_is_answered_as_two_boxes(api_server):
    def ids(**params):
        r = _items(api_server, limit=1000, **params)
        assert r.status_code == 200, r.text[:300]
        return {f["id"] for f in r.json()["features"]}

    east_of = ids(bbox="9.99,53.6,180,53.75")
    assert east_of and ids(bbox="9.99,53.6,-170,53.75") == east_of  # 9.99 E → 180 and -180 → 170 W
    assert ids(bbox="170,53.6,-170,53.75") == set()  # the Pacific only
    assert ids(bbox="9.99,53.6,-170,53.75", filter="grz > 0.3") == ids(bbox="9.99,53.6,180,53.75", filter="grz > 0.3")
    projected = _items(
        api_server, bbox="570000,5940000,560000,5950000", **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/25832"}
    )
    assert projected.status_code == 400 and "minx" in projected.json()["description"]


# -- HTTP ------------------------------------------------------------------------------------------------


def test_cors_open_for_reads(api_server):
    for path in ("/oapi/collections/bp_plan/items?f=json", "/api/search?q=Tangstedter"):
        r = requests.get(api_server.url + path, headers={"Origin": "https://karte.example.org"}, timeout=30)
        assert r.headers.get("Access-Control-Allow-Origin") == "*", path
    r = requests.options(
        f"{api_server.api}/collections/bp_plan/items",
        timeout=30,
        headers={"Origin": "https://karte.example.org", "Access-Control-Request-Method": "GET"},
    )
    assert r.headers.get("Access-Control-Allow-Origin") == "*"
    r = requests.options(
        f"{api_server.api}/collections/bp_plan/items",
        timeout=30,
        headers={"Origin": "https://karte.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert "POST" not in r.headers.get("Access-Control-Allow-Methods", "")


def test_items_are_geojson_and_link_their_schema(api_server):
    r = _items(api_server, limit=2)
    assert r.headers["Content-Type"].startswith("application/geo+json")
    described = [link for link in r.json()["links"] if link["rel"] == "describedby"]
    assert described and described[0]["type"] == "application/schema+json"
    # First the GeoJSON-Feature form GDAL reads (attributes under properties.properties), then Part 5's.
    feature = requests.get(described[0]["href"], timeout=30)
    assert feature.headers["Content-Type"].startswith("application/schema+json")
    assert feature.json()["properties"]["properties"]["properties"]["grz"]["type"] == "number"
    assert requests.get(described[1]["href"], timeout=30).json()["properties"]["grz"]["type"] == "number"
    feature_id = r.json()["features"][0]["id"]
    item = requests.get(
        f"{api_server.api}/collections/bp_baugebiet/items/{feature_id}", params={"f": "json"}, timeout=30
    )
    assert item.headers["Content-Type"].startswith("application/geo+json")
    for url in (f"{api_server.api}/collections/bp_baugebiet", f"{api_server.api}/collections"):
        body = requests.get(url, params={"f": "json"}, timeout=30).json()
        collection = body if "id" in body else next(c for c in body["collections"] if c["id"] == "bp_baugebiet")
        assert any(link["rel"] == "describedby" for link in collection["links"]), url


def test_schema_names_the_geometry_type(api_server):
    schema = requests.get(f"{api_server.api}/collections/bp_baugebiet/schema", params={"f": "json"}, timeout=30).json()
    assert schema["properties"]["geometry"]["format"] == "geometry-multipolygon"  # was geometry-any


def test_every_401_says_how_to_authenticate(api_server):
    r = requests.post(
        f"{api_server.api}/collections/bp_baugrenze/items",
        data="{}",
        headers={"Content-Type": "application/geo+json"},
        timeout=30,
    )
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


def test_openapi_declares_security(api_server):
    spec = requests.get(f"{api_server.api}/openapi", params={"f": "json"}, timeout=30).json()
    schemes = spec["components"]["securitySchemes"]
    assert {"bearerToken", "staffSession", "contributionSecret"} <= set(schemes)
    assert spec["paths"]["/collections/bp_baugrenze/items"]["post"]["security"]
    assert spec["paths"]["/collections/contributions/items/{featureId}"]["put"]["security"][0] == {
        "contributionSecret": []
    }


def test_content_crs_on_post(api_server):
    auth = {
        "Content-Type": "application/geo+json",
        "Authorization": f"Bearer {PLANNER_TOKEN}",
        "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/25832>",
    }
    import pyproj

    to_utm = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:25832", always_xy=True)
    start, end = to_utm.transform(10.0, 53.67), to_utm.transform(10.001, 53.671)
    feature = {
        "type": "Feature",
        "properties": {"plan_id": "TEST_CRS", "art": "Baugrenze"},
        "geometry": {"type": "LineString", "coordinates": [list(start), list(end)]},
    }
    r = requests.post(
        f"{api_server.api}/collections/bp_baugrenze/items", data=json.dumps(feature), headers=auth, timeout=30
    )
    assert r.status_code == 201, r.text[:300]
    item = requests.get(r.headers["Location"], params={"f": "json"}, timeout=30).json()
    lon, lat = item["geometry"]["coordinates"][0]
    assert abs(lon - 10.0) < 1e-6 and abs(lat - 53.67) < 1e-6, (lon, lat)
    requests.delete(r.headers["Location"], headers={"Authorization": f"Bearer {PLANNER_TOKEN}"}, timeout=30)
    r = requests.post(
        f"{api_server.api}/collections/bp_baugrenze/items",
        data=json.dumps(feature),
        timeout=30,
        headers={**auth, "Content-Crs": "<http://example.org/no-such-crs>"},
    )
    assert r.status_code == 400 and "Content-Crs" in r.json()["description"]


# -- tiles and coverage --------------------------------------------------------------------------------------


def test_tileset_metadata_links_its_tiling_scheme_and_tilejson_works(api_server):
    base = f"{api_server.api}/collections/bp_baugebiet/tiles/WebMercatorQuad"
    meta = requests.get(base, params={"f": "json"}, timeout=30).json()
    assert meta["crs"].endswith("EPSG/0/3857")
    assert any(link["rel"].endswith("/tiling-scheme") for link in meta["links"])
    tilejson = requests.get(base, params={"f": "tilejson"}, timeout=30)
    assert tilejson.status_code == 200, tilejson.text[:300]
    assert tilejson.json()["tiles"][0].endswith("/WebMercatorQuad/{z}/{y}/{x}?f=mvt")
    quad = requests.get(
        f"{api_server.api}/collections/bp_baugebiet/tiles/WorldCRS84Quad", params={"f": "json"}, timeout=30
    )
    assert quad.status_code in (200, 404)
    if quad.status_code == 200:
        assert "3857" not in quad.json()["crs"]


def test_coverage_bbox_crs_subset_and_datetime(api_server):
    coverage = f"{api_server.api}/collections/dem/coverage"
    crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    by_bbox = requests.get(
        coverage, params={"f": "json", "bbox": "-97.4,32.6,-97.3,32.7", "bbox-crs": crs84}, timeout=60
    )
    assert by_bbox.status_code == 200, by_bbox.text[:300]
    axes = by_bbox.json()["domain"]["axes"]
    subset = ",".join(
        f"{name}({min(a['start'], a['stop'])}:{max(a['start'], a['stop'])})"
        for name, a in axes.items()
        if name in ("x", "y")
    )
    by_subset = requests.get(coverage, params={"f": "json", "subset": subset}, timeout=60)
    assert by_subset.status_code == 200, (subset, by_subset.text[:300])
    assert by_subset.json()["domain"]["axes"]["x"]["num"] == axes["x"]["num"]
    assert requests.get(coverage, params={"f": "json", "datetime": "2020-01-01"}, timeout=60).status_code == 400
    dem = requests.get(f"{api_server.api}/collections/dem", params={"f": "json"}, timeout=30).json()
    assert dem["itemType"] == "coverage"


def test_collections_link_a_gml_application_schema_older_gdal_reads(api_server):
    """GDAL up to 3.8 (under Debian's QGIS) reads field and geometry types only from a link spelled
    ``describedBy``, and the geometry type only from an XML schema: the XSD says what ``/schema`` says."""
    from lxml import etree

    collection = requests.get(f"{api_server.api}/collections/bp_baugebiet", params={"f": "json"}, timeout=30).json()
    (link,) = [lk for lk in collection["links"] if lk["rel"] == "describedBy"]
    assert link["type"] == "application/xml"
    r = requests.get(link["href"], timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/xml")
    xs = {"xs": "http://www.w3.org/2001/XMLSchema"}
    root = etree.fromstring(r.content)
    types = {e.get("name"): e.get("type") for e in root.iterfind(".//xs:sequence/xs:element", xs)}
    assert types["geometry"] == "gml:MultiSurfacePropertyType"
    assert types["grz"] == "xs:double" and types["z"] == "xs:long" and types["plan_id"] == "xs:string"
    assert root.find("xs:element", xs).get("name") == "bp_baugebiet"
    # the empty contributions keep their fields, and a list stays a list
    empty = etree.fromstring(requests.get(f"{api_server.api}/collections/contributions/schema/gml", timeout=30).content)
    fields = {e.get("name"): e for e in empty.iterfind(".//xs:sequence/xs:element", xs)}
    assert {"kind", "text", "status"} <= set(fields) and fields["status_history"].get("maxOccurs") == "unbounded"
    missing = requests.get(f"{api_server.api}/collections/no_such_layer/schema/gml", timeout=30)
    assert missing.status_code == 404 and "no feature collection" in missing.json()["description"]


def test_gdal_reads_field_and_geometry_types_from_the_schema(api_server):
    import pyogrio

    info = pyogrio.read_info(f"OAPIF:{api_server.api}/collections/procedures")
    fields = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert fields["opens_at"].startswith("datetime64") and fields["title_de"] == "object"
    assert info["geometry_type"] == "MultiPolygon"
