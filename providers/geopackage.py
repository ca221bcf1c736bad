"""pygeoapi feature provider for the embedded GeoPackage store (``store/geopackage.py``).

pygeoapi's own SQLiteGPKG provider needs SpatiaLite, which the Python builds
here cannot load; this provider needs only the standard library's sqlite3, the
R-tree the store maintains and shapely.

Configuration (one collection's ``providers`` entry)::

    type: feature
    name: providers.geopackage.GeoPackageProvider   # or providers.store.StoreFeatureProvider
    data: /path/store.gpkg          # ${BUERGERGIS_STORE}, substituted by pygeoapi
    table: buildings
    id_field: id                    # the unique text column (default: id)
    geom_field: geom                # optional; CQL2 may say "geometry" or this name
    storage_crs: http://www.opengis.net/def/crs/EPSG/0/25832
    crs: [http://www.opengis.net/def/crs/OGC/1.3/CRS84, ...]
    time_field: imported_at         # optional, a date or datetime column (datetime=…)
    title_field: name               # optional
    properties: [name, height]      # optional: serve only these columns
    editable: true                  # OGC API Features Part 4 create/replace/delete
    count: true                     # numberMatched (exact); false skips it except for hits

What it does, and why so:

* pygeoapi calls ``load_plugin`` for every request, so construction is cheap:
  table introspection is cached per (file, table) at module level and each
  thread keeps one sqlite3 connection per file (sqlite3 objects must not cross
  threads; a file replaced on disk is reopened).
* Every value reaches SQLite as a bound parameter; identifiers come only from
  the introspected column list. CQL2 (a pygeofilter AST) is compiled to a
  parameterised WHERE clause by ``providers/cql_sqlite.py``; an unknown property
  is a 400 that names it. Connections, schemas and transformers are cached in
  ``providers/geopackage_tables.py``.
* Spatial filters use the R-tree for candidates and shapely (through Python
  SQL functions) for the exact test, so ``numberMatched`` is exact. It is
  counted only when the page is full; a short page already tells the total.
* Rows become GeoJSON with one vectorised shapely call per page, and
  coordinate transforms (OGC API Features Part 2) run vectorised with the same
  pyproj transformation pygeoapi's ``crs`` helpers build (authority axis
  order: EPSG:4326 is served as lat/lon, CRS84 as lon/lat).
* Writes are single transactions (``BEGIN IMMEDIATE``, ``synchronous=FULL``):
  acknowledged means on disk. What a client sends is checked by the intake
  (``intake/``), the same functions the PostGIS provider calls: id, properties,
  geometry (CRS, range, size, type, repair), one verdict on both stores.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from copy import deepcopy

import numpy as np
import pyproj
import shapely
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderConnectionError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    ProviderQueryError,
    SchemaType,
)
from pygeoapi.util import json_serial, str2bool

from intake.errors import IntakeConflict, IntakeError
from intake.feature import body_id, check_properties, new_id, parse_body, replacing_id
from intake.geometry import check_geometry, source_crs
from providers.cql import prepare_filter
from providers.cql_sqlite import SQLITE_MAX_INT, FilterCompiler, Frag, join, like_to_glob
from providers.geopackage_tables import (
    close_connections,
    connection_for,
    table_schema,
    transform_geometries,
)
from providers.passthrough import RawFeatures, install_json_passthrough
from store import gpkg_functions
from store.crs import crs_from_wkt, transformer
from store.geopackage import from_sql_value, quote, to_sql_value, touch_contents, write_transaction

LOGGER = logging.getLogger(__name__)


def _invalid_query(msg: str) -> ProviderInvalidQueryError:
    return ProviderInvalidQueryError(msg, user_msg=msg)


def _geojson(geoms: np.ndarray) -> list[dict | None]:
    """GeoJSON geometry dicts for a page: one shapely call, one json.loads."""
    if not len(geoms):
        return []
    texts = shapely.to_geojson(geoms)
    return json.loads("[" + ",".join("null" if t is None else t for t in texts.tolist()) + "]")


# -- the provider -----------------------------------------------------------------------------------


class GeoPackageProvider(BaseProvider):
    """OGC API Features provider over one table of a GeoPackage file."""

    def __init__(self, provider_def: dict):
        super().__init__(provider_def)
        install_json_passthrough()  # pygeoapi writes this provider's pages as the text they are
        self.path = os.path.abspath(os.path.expanduser(os.fspath(self.data)))
        self.table = provider_def.get("table")
        if not self.table:
            raise ProviderConnectionError("GeoPackageProvider needs 'table' in its configuration")
        self.id_field = provider_def.get("id_field") or "id"
        self.editable = str2bool(provider_def.get("editable", False))
        self.count = str2bool(provider_def.get("count", True))
        self.api_crs = self.storage_crs  # the CRS pygeoapi assumes for bbox input and crs output
        self.schema = table_schema(self.path, self.table, create_epsg=_epsg_of(self.storage_crs))
        self.geom_field = provider_def.get("geom_field") or self.schema.geometry_column
        if self.id_field not in self.schema.columns:
            raise ProviderConnectionError(f"id_field {self.id_field!r} is not a column of {self.table}")
        if self.time_field and self.schema.columns.get(self.time_field) not in ("date", "datetime"):
            raise ProviderConnectionError(
                f"time_field {self.time_field!r} is not a date/datetime column of {self.table}"
            )
        unknown = set(self.properties or []) - set(self.schema.columns)
        if unknown:
            raise ProviderConnectionError(f"configured properties not in {self.table}: {sorted(unknown)}")
        # pygeoapi adds keys (x-ogc-role) to these dicts: a copy per instance.
        self._fields = deepcopy(self.schema.fields)
        if self.schema.crs is not None and self.api_crs != self.schema.crs:
            LOGGER.warning(
                "%s: storage_crs %s differs from the file's CRS %s; transforming",
                self.table,
                self.api_crs.name,
                self.schema.crs.name,
            )

    def __repr__(self):
        return f"<GeoPackageProvider> {self.path}:{self.table}"

    @property
    def conn(self) -> sqlite3.Connection:
        return connection_for(self.path)

    # -- metadata ----------------------------------------------------------------------------

    def get_fields(self) -> dict:
        return self._fields

    def exposed_columns(self) -> list[str]:
        """Columns served as properties (config ``properties`` restricts them)."""
        if self.properties:
            return [c for c in self.schema.columns if c in self.properties]
        return list(self.schema.columns)

    def get_schema(self, schema_type: SchemaType = SchemaType.item):
        """JSON Schema of request bodies (create/replace) for pygeoapi's OpenAPI document.

        For ``SchemaType.item`` this raises NotImplementedError on purpose:
        pygeoapi 0.24 would put it into the item response object without the
        ``description`` OpenAPI 3.0 requires, making the whole document invalid
        (pygeoapi catches the error and keeps its valid default). The item
        schema is available from :meth:`feature_schema`.
        """
        if schema_type == SchemaType.item:
            raise NotImplementedError("item schema: see feature_schema()")
        return self.feature_schema(schema_type)

    def feature_schema(self, schema_type: SchemaType = SchemaType.item) -> tuple[str, dict]:
        """``(media type, JSON Schema)`` of a GeoJSON feature of this collection."""
        props = {name: deepcopy(self.schema.fields[name]) for name in self.exposed_columns()}
        schema = {
            "type": "object",
            "title": self.table,
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string"},
                "geometry": {
                    "type": "object",
                    "description": "GeoJSON geometry, "
                    + (self.schema.geometry_type or "none")
                    + " (CRS84 longitude/latitude)",
                },
                "properties": {"type": "object", "properties": props, "additionalProperties": False},
            },
        }
        if schema_type == SchemaType.item:
            schema["required"].append("id")
        return "application/geo+json", schema

    # -- reading ---------------------------------------------------------------------------------

    def query(
        self,
        offset=0,
        limit=10,
        resulttype="results",
        bbox=None,
        datetime_=None,
        properties=None,
        sortby=None,
        select_properties=None,
        skip_geometry=False,
        q=None,
        filterq=None,
        crs_transform_spec=None,
        **kwargs,
    ):
        # pygeoapi's signature has [] defaults; None here, and an empty list for each left out
        bbox, properties = bbox or [], properties or []
        sortby, select_properties = sortby or [], select_properties or []
        # literals typed as their property, and what PostGIS cannot answer refused: the same answer on both
        filterq = prepare_filter(filterq, self._fields)
        offset = max(int(offset or 0), 0)
        if offset > SQLITE_MAX_INT or int(limit or 0) > SQLITE_MAX_INT:
            raise _invalid_query(f"offset and limit must be below {SQLITE_MAX_INT + 1}")
        limit = 10 if limit is None else max(int(limit), 0)
        with FilterCompiler(self.schema, self.api_crs, self.geom_field, self.time_field, self.conn) as compiler:
            box = compiler.bbox_geometry(bbox)
            others = [
                f
                for f in (
                    *compiler.property_filters(properties),
                    compiler.datetime_filter(datetime_),
                    compiler.text_search(q),
                    compiler.cql(filterq),
                )
                if f is not None
            ]
            indexed = [compiler.spatial_test("intersects", box)] if box is not None else []
            where = join("AND", indexed + others) if indexed or others else Frag("1")

            def count() -> int:
                if box is not None and not others:  # bbox only: count in the R-tree
                    fast = compiler.bbox_count(box)
                    if fast is not None:
                        return fast
                return self._count(where)

            if resulttype == "hits":
                return self._collection([], count())
            names = self._output_columns(select_properties)
            page_where = where
            if box is not None and not sortby and self._scan_is_cheaper(box, offset + limit):
                page_where = join("AND", [compiler.bbox_scan(box), *others])
            features = self._fetch(
                names,
                page_where,
                self._order_by(sortby),
                limit,
                offset,
                skip_geometry,
                crs_transform_spec,
                as_text=True,
            )
            matched = None
            if self.count:
                returned = len(features)
                if returned < limit and (returned > 0 or offset == 0):
                    matched = offset + returned  # a short page tells the total, no count query
                else:
                    matched = count()
        return self._collection(features, matched)

    def _scan_is_cheaper(self, box, rows_needed: int) -> bool:
        """Read a bbox page in storage order, testing rows, instead of collecting all R-tree candidates?

        Collecting costs about one unit per candidate (share ``s`` of the
        table's extent times its ``n`` rows); scanning about four units per row
        read, ``rows_needed / s`` of them. So scan when ``s² · n > 4 · rows_needed``:
        a box covering much of a large table.
        """
        row = self._execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?", [self.table])
        if not row or row[0][0] is None:
            return False
        extent = shapely.box(*row[0])
        if extent.area <= 0:
            return False
        share = shapely.intersection(extent, box).area / extent.area
        rows = self._execute(f"SELECT max(fid) FROM {quote(self.table)}", [])[0][0] or 0
        return share * share * rows > 4 * rows_needed

    @staticmethod
    def _collection(features: list, matched: int | None) -> dict:
        out = {"type": "FeatureCollection", "features": features}
        if matched is not None:
            out["numberMatched"] = matched
        out["numberReturned"] = len(features)
        return out

    def _count(self, where: Frag) -> int:
        sql = f"SELECT count(*) FROM {quote(self.table)} WHERE {where.sql}"
        return self._execute(sql, where.params)[0][0]

    def _execute(self, sql: str, params) -> list[tuple]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as err:
            LOGGER.error("%s: query failed: %s -- %s", self.table, err, sql)
            raise ProviderQueryError(f"query on {self.table} failed: {err}") from err

    def _output_columns(self, select_properties) -> list[str]:
        exposed = self.exposed_columns()
        if not select_properties:
            return exposed
        unknown = [p for p in select_properties if p not in self.schema.columns]
        if unknown:
            raise _invalid_query(f"unknown properties {unknown}; known: {', '.join(exposed)}")
        return [c for c in dict.fromkeys(select_properties) if c in exposed]

    def _order_by(self, sortby) -> str:
        parts = []
        for item in sortby or []:
            name = item.get("property")
            if name not in self.schema.columns:
                raise _invalid_query(f"cannot sort by unknown property {name!r}")
            # NULLs last in both directions, as on PostGIS (SQLite puts them first when ascending)
            parts.append(f"{quote(name)} {'DESC' if item.get('order') == '-' else 'ASC'} NULLS LAST")
        parts.append("fid ASC")  # stable pages
        return ", ".join(parts)

    def _fetch(
        self,
        names,
        where: Frag,
        order: str,
        limit: int,
        offset: int,
        skip_geometry: bool,
        crs_transform_spec,
        as_text: bool = False,
    ) -> list[dict] | RawFeatures:
        with_geometry = not skip_geometry and self.schema.geometry_column is not None
        select = [quote(self.id_field), *(quote(n) for n in names)]
        if with_geometry:
            select.append(quote(self.schema.geometry_column))
        sql = f"SELECT {', '.join(select)} FROM {quote(self.table)} WHERE {where.sql} ORDER BY {order} LIMIT ? OFFSET ?"
        rows = self._execute(sql, [*where.params, limit, offset])
        if as_text:
            return self._features_text(rows, names, with_geometry, crs_transform_spec)
        return self._features(rows, names, with_geometry, crs_transform_spec)

    def _features_text(
        self, rows: list[tuple], names: list[str], with_geometry: bool, crs_transform_spec
    ) -> RawFeatures:
        """The page as JSON text (:mod:`providers.passthrough`): GEOS writes the geometries, and nothing
        is parsed and written again (json.loads + json.dumps of the coordinates took half the page)."""
        geometries = (
            self._geometry_texts([r[-1] for r in rows], crs_transform_spec) if with_geometry else ["null"] * len(rows)
        )
        dumps = json.JSONEncoder(default=json_serial, separators=(",", ":")).encode
        parts = [
            f'{{"type":"Feature","id":{dumps(row[0])},"geometry":{geometry},"properties":{dumps(properties)}}}'
            for row, properties, geometry in zip(rows, self._properties(rows, names), geometries, strict=True)
        ]
        return RawFeatures("[" + ",".join(parts) + "]", len(parts))

    def _features(self, rows: list[tuple], names: list[str], with_geometry: bool, crs_transform_spec) -> list[dict]:
        geometries = (
            self._geometries([r[-1] for r in rows], crs_transform_spec) if with_geometry else [None] * len(rows)
        )
        return [
            {"type": "Feature", "id": row[0], "geometry": geometry, "properties": properties}
            for row, properties, geometry in zip(rows, self._properties(rows, names), geometries, strict=True)
        ]

    def _properties(self, rows: list[tuple], names: list[str]):
        """Each row's properties (the columns after the id), booleans and JSON as Python values."""
        convert = [
            (i, self.schema.columns[n]) for i, n in enumerate(names) if self.schema.columns[n] in ("boolean", "json")
        ]
        for row in rows:
            values_ = list(row[1 : 1 + len(names)])
            for i, kind in convert:
                values_[i] = from_sql_value(kind, values_[i])
            yield dict(zip(names, values_, strict=True))

    def _geometries(self, blobs: list, crs_transform_spec) -> list[dict | None]:
        return _geojson(self._output_geometries(blobs, crs_transform_spec))

    def _geometry_texts(self, blobs: list, crs_transform_spec) -> list[str]:
        geoms = self._output_geometries(blobs, crs_transform_spec)
        if not len(geoms):
            return []
        return ["null" if t is None else t for t in shapely.to_geojson(geoms).tolist()]

    def _output_geometries(self, blobs: list, crs_transform_spec) -> np.ndarray:
        """The rows' geometries, decoded and in the output CRS."""
        try:
            geoms = gpkg_functions.decode(blobs)
        except (gpkg_functions.GeoPackageBlobError, shapely.errors.GEOSException) as err:
            raise ProviderQueryError(f"{self.table}: unreadable geometry: {err}") from err
        transformer = self._output_transformer(crs_transform_spec)
        if transformer is not None and len(geoms):
            geoms = transform_geometries(geoms, transformer)
        return geoms

    def _output_transformer(self, crs_transform_spec) -> pyproj.Transformer | None:
        """File CRS -> the requested CRS (Part 2), with pygeoapi's axis-order rule (always_xy from config)."""
        source = self.schema.crs
        if source is None:
            return None
        if crs_transform_spec is not None:
            target = crs_from_wkt(crs_transform_spec.target_crs_wkt)
            always_xy = bool(crs_transform_spec.always_xy)
        elif self.api_crs != source:
            target, always_xy = self.api_crs, False
        else:
            return None
        if target == source:
            return None
        return transformer(source, target, always_xy)

    def get(self, identifier, crs_transform_spec=None, **kwargs):
        names = self.exposed_columns()
        with_geometry = self.schema.geometry_column is not None
        select = [quote(self.id_field), *(quote(n) for n in names)]
        if with_geometry:
            select.append(quote(self.schema.geometry_column))
        rows = self._execute(
            f"SELECT {', '.join(select)}, fid FROM {quote(self.table)} WHERE {quote(self.id_field)} = ?",
            [str(identifier)],
        )
        if not rows:
            msg = f"no item {identifier!r} in {self.table}"
            raise ProviderItemNotFoundError(msg, user_msg=msg)
        fid = rows[0][-1]
        feature = self._features([rows[0][:-1]], names, with_geometry, crs_transform_spec)[0]
        # Neighbours in storage order, as pygeoapi's SQL providers report them (prev/next links).
        prev = self._execute(
            f"SELECT {quote(self.id_field)} FROM {quote(self.table)} WHERE fid < ? ORDER BY fid DESC LIMIT 1", [fid]
        )
        nxt = self._execute(
            f"SELECT {quote(self.id_field)} FROM {quote(self.table)} WHERE fid > ? ORDER BY fid ASC LIMIT 1", [fid]
        )
        feature["prev"] = prev[0][0] if prev else feature["id"]
        feature["next"] = nxt[0][0] if nxt else feature["id"]
        return feature

    # -- writing (OGC API Features Part 4): the intake checks, this provider stores -------------------------

    def create(self, item, content_crs: str | None = None):
        """Store a new feature; returns its id (``uuid4`` when the feature has none)."""
        self._require_editable()
        feature = parse_body(item)
        identifier = new_id(body_id(feature, frozenset(self.schema.columns)))
        names, row, box = self._row(feature, identifier, content_crs)
        sql = (
            f"INSERT INTO {quote(self.table)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )
        try:
            with write_transaction(self.conn) as conn:
                conn.execute(sql, row)
                touch_contents(conn, self.table, box)
        except sqlite3.IntegrityError as err:
            raise IntakeConflict.of("id_exists", id=identifier, collection=self.table) from err
        except sqlite3.Error as err:
            raise ProviderQueryError(f"writing to {self.table} failed: {err}") from err
        return identifier

    def update(self, identifier, item, content_crs: str | None = None):
        """Replace a feature (OGC API Features Part 4 PUT): properties left out become null."""
        self._require_editable()
        feature = parse_body(item)
        identifier = replacing_id(feature, identifier)
        names, row, box = self._row(feature, identifier, content_crs)
        assignments = ", ".join(f"{quote(n)} = ?" for n in names if n != self.id_field)
        params = [v for n, v in zip(names, row, strict=True) if n != self.id_field]
        try:
            with write_transaction(self.conn) as conn:
                changed = conn.execute(
                    f"UPDATE {quote(self.table)} SET {assignments} WHERE {quote(self.id_field)} = ?",
                    [*params, identifier],
                ).rowcount
                if not changed:
                    msg = f"no item {identifier!r} in {self.table}"
                    raise ProviderItemNotFoundError(msg, user_msg=msg)
                touch_contents(conn, self.table, box)
        except sqlite3.Error as err:
            raise ProviderQueryError(f"writing to {self.table} failed: {err}") from err
        return True

    def delete(self, identifier):
        self._require_editable()
        try:
            with write_transaction(self.conn) as conn:
                deleted = conn.execute(
                    f"DELETE FROM {quote(self.table)} WHERE {quote(self.id_field)} = ?", [str(identifier)]
                ).rowcount
                if deleted:
                    touch_contents(conn, self.table, None)
        except sqlite3.Error as err:
            raise ProviderQueryError(f"deleting from {self.table} failed: {err}") from err
        if not deleted:
            msg = f"no item {identifier!r} in {self.table}"
            raise ProviderItemNotFoundError(msg, user_msg=msg)
        return True

    def _require_editable(self) -> None:
        if not self.editable:
            raise IntakeError.of("not_editable", collection=self.table)

    def _row(self, feature: dict, identifier: str, content_crs: str | None) -> tuple[list[str], list, tuple | None]:
        """Column names, values and the storage-CRS bounds of a feature the intake has checked."""
        props = check_properties(feature["properties"], self.schema.columns, self.id_field, identifier)
        names, row = [], []
        for name, kind in self.schema.columns.items():
            names.append(name)
            row.append(identifier if name == self.id_field else to_sql_value(kind, props.get(name), strict=True))
        box = None
        if self.schema.geometry_column is not None:
            geom = check_geometry(
                feature.get("geometry"),
                self.schema.geometry_type or "GEOMETRY",
                target=self.schema.crs,
                source=source_crs(feature, content_crs),
                collection=self.table,
            )
            box = tuple(geom.bounds)
            names.append(self.schema.geometry_column)
            row.append(gpkg_functions.encode_one(geom, self.schema.srs_id or 0))
        return names, row, box


_EPSG_CODES: dict[str, int | None] = {}


def _epsg_of(crs: pyproj.CRS) -> int | None:
    """The EPSG code of a projected storage CRS (None for 4326/CRS84 or none), looked up once per process.

    ``pyproj.CRS.to_epsg`` searches proj.db: ~15 ms in a thread that has not used PROJ
    yet, which under the dev server is every request (see ``providers.postgis.storage_srid``).
    """
    key = crs.srs
    if key not in _EPSG_CODES:
        try:
            code = crs.to_epsg()
        except pyproj.exceptions.CRSError:
            code = None
        _EPSG_CODES[key] = code if code and code != 4326 else None
    return _EPSG_CODES[key]


__all__ = [
    "FilterCompiler",
    "GeoPackageProvider",
    "close_connections",
    "connection_for",
    "like_to_glob",
    "table_schema",
]
