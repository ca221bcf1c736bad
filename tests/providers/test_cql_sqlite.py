"""The CQL2 → SQLite compiler on its own (``providers/cql_sqlite.py``): CQL2 text or JSON in, SQL and bound
parameters out; no server and no file. Each compiled WHERE clause is also run against a small in-memory table
(with the store's SQL functions), so the SQL is not only as expected but valid and selects the right rows."""

from __future__ import annotations

import sqlite3

import pyproj
import pytest
import shapely
from pygeoapi.provider.base import ProviderInvalidQueryError
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text

from providers.cql_sqlite import FilterCompiler, Frag, like_to_glob
from providers.geopackage_tables import TableSchema
from store import gpkg_functions

EPSG = 25832
SCHEMA = TableSchema(
    table="things",
    columns={
        "id": "text",
        "name": "text",
        "height": "real",
        "storeys": "integer",
        "built": "date",
        "seen": "datetime",
        "listed": "boolean",
    },
    geometry_column="geom",
    geometry_type="POINT",
    srs_id=EPSG,
    crs=pyproj.CRS.from_epsg(EPSG),
    rtree=None,
)
X0, Y0 = 566000.0, 5947000.0
ROWS = [  # made up for the test
    ("a", "Müllerhaus", 9.5, 3, "2001-05-17", "2024-06-30T12:00:00.000Z", 1, (X0, Y0)),
    ("b", "Schule_1", 14.0, 4, "2015-01-01", "2025-03-01T00:00:00.000Z", 0, (X0 + 100, Y0)),
    ("c", "Kiosk*", None, None, None, None, None, (X0 + 5000, Y0 + 5000)),
]


@pytest.fixture(scope="module")
def conn():
    db = gpkg_functions.register(sqlite3.connect(":memory:"))
    db.execute(
        "CREATE TABLE things (fid INTEGER PRIMARY KEY, id TEXT, name TEXT, height REAL, storeys INTEGER, "
        "built DATE, seen DATETIME, listed BOOLEAN, geom BLOB)"
    )
    for row in ROWS:
        db.execute(
            "INSERT INTO things (id, name, height, storeys, built, seen, listed, geom) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [*row[:-1], gpkg_functions.encode_one(shapely.Point(row[-1]), EPSG)],
        )
    yield db
    db.close()


def compiled(cql) -> tuple[Frag, FilterCompiler]:
    """CQL2 JSON (a dict), CQL2 text (a str) or a pygeofilter AST, compiled."""
    node = parse_json(cql) if isinstance(cql, dict) else parse_text(cql) if isinstance(cql, str) else cql
    compiler = FilterCompiler(SCHEMA)
    return compiler.cql(node), compiler


def _dwithin(distance: float, units: str):
    point = values.Geometry({"type": "Point", "coordinates": [X0, Y0]})
    return ast.DistanceWithin(ast.Attribute("geometry"), point, distance, units)


def selected(conn, cql) -> set[str]:
    frag, compiler = compiled(cql)
    with compiler:
        return {r[0] for r in conn.execute(f"SELECT id FROM things WHERE {frag.sql}", frag.params)}


@pytest.mark.parametrize(
    "cql, sql, params",
    [
        ("name = 'Müllerhaus'", '("name" = ?)', ["Müllerhaus"]),
        ("height > 3 AND storeys <= 3", '(("height" > ?) AND ("storeys" <= ?))', [3, 3]),
        ("storeys BETWEEN 1 AND 3", '("storeys" BETWEEN ? AND ?)', [1, 3]),
        ("name IN ('a', 'b')", '("name" IN (?, ?))', ["a", "b"]),
        ("height IS NULL", '("height" IS NULL)', []),
        ("NOT (listed = true)", '(NOT ("listed" = ?))', [1]),
        ("name LIKE 'Sch%'", '("name" GLOB ?)', ["Sch*"]),
        ("built > DATE('2010-01-01')", '("built" > ?)', ["2010-01-01"]),
        ({"op": "=", "args": [{"property": "name"}, "x' OR 1=1 --"]}, '("name" = ?)', ["x' OR 1=1 --"]),
    ],
)
def test_cql2_compiles_to_parameterised_sql(cql, sql, params):
    frag, compiler = compiled(cql)
    compiler.close()
    assert (frag.sql, frag.params) == (sql, params)


@pytest.mark.parametrize(
    "cql, ids",
    [
        ("name = 'Müllerhaus'", {"a"}),
        ("height > 10", {"b"}),
        ("height IS NULL", {"c"}),
        ("name LIKE 'Schule\\_%'", {"b"}),  # '_' escaped: a literal underscore
        ("name LIKE 'Kiosk*'", {"c"}),  # '*' is a plain character in CQL2 LIKE
        ("CASEI(name) LIKE CASEI('müller%')", {"a"}),
        ("seen T_AFTER TIMESTAMP('2025-01-01T00:00:00Z')", {"b"}),
        ("built T_BEFORE DATE('2010-01-01')", {"a"}),
        ("listed = false", {"b"}),
        (
            {
                "op": "s_intersects",
                "args": [
                    {"property": "geometry"},
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [X0 - 10, Y0 - 10],
                                [X0 + 10, Y0 - 10],
                                [X0 + 10, Y0 + 10],
                                [X0 - 10, Y0 + 10],
                                [X0 - 10, Y0 - 10],
                            ]
                        ],
                    },
                ],
            },
            {"a"},
        ),
        (_dwithin(150, "meters"), {"a", "b"}),
        ({"op": "=", "args": [{"property": "name"}, "x' OR '1'='1"]}, set()),
    ],
)
def test_compiled_filters_select_the_right_rows(conn, cql, ids):
    assert selected(conn, cql) == ids


def test_a_lon_lat_literal_is_transformed_to_the_storage_crs(conn):
    lon, lat = pyproj.Transformer.from_crs(EPSG, "OGC:CRS84", always_xy=True).transform(X0 + 100, Y0)
    ring = [
        (lon - 1e-4, lat - 1e-4),
        (lon + 1e-4, lat - 1e-4),
        (lon + 1e-4, lat + 1e-4),
        (lon - 1e-4, lat + 1e-4),
        (lon - 1e-4, lat - 1e-4),
    ]
    cql = f"S_INTERSECTS(geometry, POLYGON(({', '.join(f'{x} {y}' for x, y in ring)})))"
    assert selected(conn, cql) == {"b"}


@pytest.mark.parametrize(
    "cql, needle",
    [
        ("colour = 'rot'", "unknown property 'colour'"),
        ("geometry = 3", "spatial predicates"),
        ("height = 1e999", "finite"),
        (_dwithin(1, "feet"), "metres"),
        ({"op": "a_contains", "args": [{"property": "name"}, ["a"]]}, "array operators"),
    ],
)
def test_filters_it_cannot_compile_are_a_400_that_says_why(cql, needle):
    with pytest.raises(ProviderInvalidQueryError, match=needle):
        compiled(cql)


def test_simple_parameters():
    compiler = FilterCompiler(SCHEMA, time_field="seen")
    day = compiler.datetime_filter("2024-06-30")
    assert day.sql == '("seen" >= ? AND "seen" < ?)'
    assert day.params == ["2024-06-30T00:00:00.000Z", "2024-07-01T00:00:00.000Z"]
    frags = compiler.property_filters([("storeys", "3"), ("listed", "yes")])
    assert [(f.sql, f.params) for f in frags] == [('"storeys" = ?', [3]), ('"listed" = ?', [1])]
    with pytest.raises(ProviderInvalidQueryError, match="storeys"):
        compiler.property_filters([("storeys", "drei")])
    words = compiler.text_search("müller haus")
    assert "bgis_contains_ci" in words.sql and "LIKE" in words.sql and words.params.count("%haus%") == 2


def test_like_to_glob():
    assert like_to_glob("a%b_c") == "a*b?c"
    assert like_to_glob("100\\%*?[") == "100%[*][?][[]"
