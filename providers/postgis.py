"""pygeoapi's PostgreSQL providers, configured from a store URL and made fast at city scale.

Where the stock ``PostgreSQLProvider`` spends its time (cProfile, 400 000 buildings,
``items?bbox=…&limit=1000``: 0.8 s a page, 40 ms of it in PostGIS): for every row
SQLAlchemy builds an ORM object, shapely parses the WKB, a pure-Python
``shapely.ops.transform`` reprojects it coordinate by coordinate, and
``shapely.geometry.mapping`` builds the GeoJSON dict; then ``json.dumps`` turns the
page into text again. This provider instead:

* runs **one SQL statement per page** in which PostGIS builds each feature as GeoJSON
  text (``json_build_object`` + ``ST_AsGeoJSON(ST_Transform(geom, <output SRID>))``);
  filters are compiled by the stock helpers (pygeofilter's SQLAlchemy backend for
  CQL2, ``ST_Intersects`` for bbox, property and datetime filters), so the rows are
  exactly those the stock provider returns, in the same order (``ORDER BY id`` unless
  ``sortby``);
* **passes the page through as text**: ``query`` returns the features as
  :class:`RawFeatures`, and :func:`install_json_passthrough` lets pygeoapi's
  ``to_json`` splice that text into the FeatureCollection instead of parsing and
  re-serialising it. Everything else in pygeoapi that looks at the features (HTML
  pages, JSON-LD, formatters) gets ordinary dicts on first access;
* **counts only when needed** (unchanged semantics): a page shorter than ``limit``
  already tells the total (offset + rows returned), so ``SELECT count(*)`` runs only
  for a full page or a page past the end;
* reads **single items** with their prev/next neighbours in one statement.

Output CRS (OGC API Features Part 2) follows pygeoapi's ``crs_transform_spec``: the
target CRS's EPSG code is the ``ST_Transform`` SRID (CRS84 is served as SRID 4326,
lon/lat), and a CRS whose first axis points north (EPSG:4326 is lat/lon) gets
``ST_FlipCoordinates`` unless the collection sets ``always_xy``. A CRS without an EPSG
code falls back to the stock code path. Coordinates carry 9 decimals (0.1 mm in
degrees), as ``ST_AsGeoJSON`` and tipg give them. ``datetime`` columns are written as
``2024-05-01T08:00:00.000Z``, the form the GeoPackage store serves.

Connections: the SQLAlchemy engine (a pool) and the reflected table are cached per
(URL, table) by pygeoapi's ``get_engine``/``get_table_model``; pygeoapi asks for a
provider per request, and ``providers/store.py`` hands it one shared instance per
collection. What is derived from the table (field types, output CRS plans) is cached
at module level.

Vector tiles: :class:`PostGISTileProvider` is the stock ``MVTPostgreSQLProvider`` with
one SQL statement that transforms with integer SRIDs: the stock one passes
``'EPSG:3857'`` as text to ``ST_Transform``, which PostGIS resolves per row (z14 tile
of the synthetic city: 1.3 s in PostGIS alone, 0.05 s with SRIDs), and wraps every
geometry in ``ST_CurveToLine`` although the stores hold no curves.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sys
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

from pygeoapi.provider.mvt_postgresql import MVTPostgreSQLProvider
from pygeoapi.provider.sql import PostgreSQLProvider

from providers.passthrough import RawFeatures, install_json_passthrough
from providers.tile_detail import keep_column, sql_kind

# -- the store URL ---------------------------------------------------------------------------------


def pygeoapi_connection(url: str, schema: str = "public") -> dict:
    """``postgresql://user:pw@host:port/db`` -> the ``data`` mapping pygeoapi's SQL providers expect."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "dbname": parts.path.lstrip("/"),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "search_path": [schema],
    }


#: Session settings of every connection the providers open (libpq ``options``). JIT compilation
#: pays off for long analytical queries; a page of features is done in ~20 ms, and once the planner's
#: cost estimate passes jit_above_cost (a page plus its count does) JIT adds ~15 ms of compiling.
SESSION_OPTIONS = "-c jit=off"


def with_session_options(provider_def: dict) -> dict:
    """``provider_def`` with :data:`SESSION_OPTIONS` among its connection options (config values win)."""
    options = dict(provider_def.get("options") or {})
    options.setdefault("options", SESSION_OPTIONS)
    return {**provider_def, "options": options}


# -- SQL building blocks, cached per table ----------------------------------------------------------------

_OUTPUT_PLANS: dict[tuple, tuple[int, bool] | None] = {}
_COLUMN_KINDS: dict[tuple, dict[str, str]] = {}


def _output_plan(target_wkt: str, always_xy: bool) -> tuple[int, bool] | None:
    """``(SRID, flip axes)`` for a target CRS, or None when it has no EPSG code."""
    key = (target_wkt, bool(always_xy))
    if key not in _OUTPUT_PLANS:
        import pyproj

        crs = pyproj.CRS.from_wkt(target_wkt)
        authority = crs.to_authority() or (None, None)
        if authority == ("OGC", "CRS84"):
            plan = (4326, False)  # PostGIS' 4326 is lon/lat, as CRS84
        else:
            code = crs.to_epsg()
            first = (crs.axis_info[0].direction or "").lower() if crs.axis_info else ""
            plan = None if code is None else (int(code), not always_xy and first in ("north", "south"))
        _OUTPUT_PLANS[key] = plan
    return _OUTPUT_PLANS[key]


_ENGINES: dict[int, object] = {}


def _track_engine(engine) -> None:
    """Remember an engine so that a forked child drops the pooled connections it inherited."""
    _ENGINES.setdefault(id(engine), engine)


def _forget_inherited_connections() -> None:
    # gunicorn --preload forks workers after create_app() reflected the tables through
    # these pools; a socket shared by two processes corrupts both ("error with status
    # PGRES_TUPLES_OK and no message from the libpq"). dispose(close=False) leaves the
    # parent's connections alone and lets the child open its own.
    for engine in list(_ENGINES.values()):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_connections)


_SRIDS: dict[str, int | None] = {}
_STORAGE_CRS: dict[int, object] = {}  # SRID -> pyproj.CRS, built once per process (proj.db lookups are slow)


def storage_srid(provider) -> int | None:
    """The EPSG code of a provider's storage CRS, looked up once per process.

    ``pyproj.CRS.to_epsg`` searches proj.db: 8 ms in a thread that has not used
    PROJ yet, which under the dev server is every request.
    """
    key = provider.storage_crs.srs
    if key not in _SRIDS:
        from pygeoapi.crs import get_srid

        _SRIDS[key] = get_srid(provider.storage_crs)
    return _SRIDS[key]


def _sql_text(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


#: PostgreSQL's OFFSET is a bigint.
MAX_OFFSET = 2**63 - 1


def _invalid_query(message: str):
    from pygeoapi.provider.base import ProviderInvalidQueryError

    return ProviderInvalidQueryError(message, user_msg=message)


@contextmanager
def client_errors():
    """Input PostgreSQL cannot take is the client's error (400), not the server's (500).

    SQLSTATE class 22 (data exception: a value of the wrong type for the column, out of
    range, a bad date) and text with NUL characters, which psycopg2 refuses to send.
    """
    from sqlalchemy.exc import DataError, ProgrammingError, StatementError

    try:
        yield
    except DataError as err:
        detail = str(getattr(err, "orig", err)).strip().splitlines()[0]
        raise _invalid_query(f"a value in the query does not fit the data: {detail}") from None
    except ProgrammingError as err:
        if getattr(getattr(err, "orig", None), "pgcode", None) != "42883":  # undefined function or operator
            raise
        detail = str(err.orig).strip().splitlines()[0]
        raise _invalid_query(f"the filter combines values that cannot be compared: {detail}") from None
    except StatementError as err:
        if isinstance(err.orig, ValueError) and "NUL" in str(err.orig):
            raise _invalid_query("text in the query may not contain NUL characters") from None
        raise
    except ValueError as err:
        if "NUL" in str(err):
            raise _invalid_query("text in the query may not contain NUL characters") from None
        raise


@contextmanager
def write_errors():
    """A feature PostgreSQL cannot store (a value out of its column's range, NUL in text) is a 400, not a 500.

    :meth:`PostGISProvider._check_column_values` names the property for the known cases first;
    this is the net for the rest (SQLSTATE class 22).
    """
    from sqlalchemy.exc import DataError, StatementError

    from intake.errors import IntakeError

    try:
        yield
    except DataError as err:
        detail = str(getattr(err, "orig", err)).strip().splitlines()[0]
        raise IntakeError.of("value_does_not_fit", detail=detail[:200]) from None
    except StatementError as err:
        if isinstance(err.orig, ValueError) and "NUL" in str(err.orig):
            raise IntakeError.of("text_nul") from None
        raise
    except ValueError as err:  # psycopg2 refuses NUL while SQLAlchemy flushes, unwrapped
        if "NUL" in str(err):
            raise IntakeError.of("text_nul") from None
        raise


def _typed(name: str, column, value):
    """A query-string value as the column's type; a 400 naming the property when it is not one."""
    from datetime import date, datetime

    text = str(value)
    if "\x00" in text:
        raise _invalid_query(f"property {name!r}: NUL characters are not allowed")
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return text
    try:
        if kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError("expected true or false")
            return lowered in ("true", "1")
        if kind is int:
            number = int(text.strip())
            if not -(2**63) <= number < 2**63:
                raise ValueError("out of range")
            return number
        if kind is float:
            number = float(text.strip())
            if not math.isfinite(number):
                raise ValueError("not a finite number")
            return number
        if kind is datetime:
            return datetime.fromisoformat(text.strip())
        if kind is date:
            return date.fromisoformat(text.strip())
    except (TypeError, ValueError) as err:
        raise _invalid_query(f"invalid value {text!r} for property {name!r}: {err}") from None
    return text


def _accent_table() -> tuple[str, str]:
    """``translate()`` arguments that strip accents from Latin letters as the GeoPackage's ACCENTI does.

    The GeoPackage decomposes (NFKD) and drops combining marks (``store/gpkg_functions.py``); here every
    letter of Latin-1 Supplement and Latin Extended-A/B whose decomposition is one base letter plus marks
    is mapped to that letter -- no ``unaccent`` extension needed in the city's database.
    """
    import unicodedata

    source, target = [], []
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if len(base) == 1 and base != char:
            source.append(char)
            target.append(base)
    return "".join(source), "".join(target)


def _cql_functions_as_sql(node) -> None:
    """CQL2 functions by their standard names (any case): ``CASEI`` as ``lower``, ``ACCENTI`` as ``translate``.

    pygeofilter's SQLAlchemy backend knows ``lower`` only (by exact name); the GeoPackage answers all three.
    """
    from pygeofilter import ast
    from pygeofilter.backends.sqlalchemy import filters
    from sqlalchemy import func

    if "accenti" not in filters.function_map:
        accented, plain = _accent_table()
        filters.function_map.update(casei=func.lower, accenti=lambda value: func.translate(value, accented, plain))
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, ast.Node):
            if isinstance(item, ast.Function):
                item.name = item.name.lower()
            stack.extend(v for v in vars(item).values() if isinstance(v, (ast.Node, list)))


class FieldsCopied:
    """Fields handed out as copies: one provider instance serves every request and thread
    (``providers/store.py``), and pygeoapi's schema route edits the field dicts it gets."""

    def get_fields(self) -> dict:
        return {name: dict(spec) for name, spec in super().get_fields().items()}

    @property
    def fields(self) -> dict:
        return self.get_fields()


class PostGISProvider(FieldsCopied, PostgreSQLProvider):
    """PostgreSQL provider whose ``data`` may be a ``postgresql://`` URL; one statement per page."""

    def __init__(self, provider_def: dict):
        if isinstance(provider_def.get("data"), str):
            provider_def = {**provider_def, "data": pygeoapi_connection(provider_def["data"])}
        super().__init__(with_session_options(provider_def))
        _track_engine(self._engine)
        install_json_passthrough()

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
        from sqlalchemy import case, func, literal, select

        from providers.cql import check_filter_properties, prepare_filter

        check_filter_properties(filterq, set(self.get_fields()) | {self.geom})
        # art_code = 203: PostgreSQL has no text = integer (the GeoPackage compares texts); what one store
        # cannot answer is refused on both
        filterq = prepare_filter(filterq, self.get_fields())
        offset, limit = int(offset or 0), int(limit if limit is not None else 10)
        if offset > MAX_OFFSET:
            raise _invalid_query(f"offset is larger than {MAX_OFFSET}")
        where = self._where(bbox, datetime_, properties, filterq)
        table = self.table_model.__table__
        if resulttype == "hits":
            return {
                "type": "FeatureCollection",
                "features": [],
                "numberReturned": 0,
                "numberMatched": self._count(where),
            }
        names = self._output_names(select_properties)
        feature = self._feature_json(names, skip_geometry, crs_transform_spec)
        if feature is None:  # an output CRS PostGIS has no SRID for: the stock path
            return self._stock_query(
                offset,
                limit,
                resulttype,
                bbox,
                datetime_,
                properties,
                sortby,
                select_properties,
                skip_geometry,
                q,
                filterq,
                crs_transform_spec,
                **kwargs,
            )
        counted = self.count and limit > 0
        rows = (
            select(feature.label("feature"))
            .select_from(table)
            .where(*where)
            .order_by(*self._order_by(sortby))
            .offset(offset)
            .limit(limit)
            .subquery("page")
        )
        # The page comes back as one row holding the JSON array text: a thousand rows through the
        # driver and SQLAlchemy's result machinery cost more than the statement itself. The
        # aggregate reads the ordered, limited subquery in its order (a plain scan, no join).
        # numberMatched in the same statement, and only for a full page (a shorter one is the end of
        # the result): PostgreSQL runs the uncorrelated count as an InitPlan, on first use only.
        # correlate(None): the count scans the table itself.
        total = (
            select(func.count()).select_from(table).where(*where).correlate(None).scalar_subquery()
            if counted
            else literal(None)
        )
        statement = select(
            func.string_agg(rows.c.feature, literal(",")),
            func.count(),
            case((func.count() == limit, total), else_=literal(None)) if counted else total,
        )
        with client_errors(), self._engine.connect() as conn:
            features, returned, matched = conn.execute(statement).one()
            if self.count and matched is None:
                if 0 < returned < limit or (returned == 0 and offset == 0 and limit > 0):
                    matched = offset + returned  # the end of the result
                else:  # limit=0, or a page past the end: the total is still wanted
                    matched = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        page = {"type": "FeatureCollection", "features": RawFeatures(f"[{features or ''}]", returned)}
        if matched is not None:
            page["numberMatched"] = int(matched)
        page["numberReturned"] = returned
        return page

    def _stock_query(
        self,
        offset,
        limit,
        resulttype,
        bbox,
        datetime_,
        properties,
        sortby,
        select_properties,
        skip_geometry,
        q,
        filterq,
        crs_transform_spec,
        **kwargs,
    ):
        """The stock provider's query, counting lazily as ours does."""
        args = dict(
            bbox=bbox,
            datetime_=datetime_,
            properties=properties,
            sortby=sortby,
            select_properties=select_properties,
            skip_geometry=skip_geometry,
            q=q,
            filterq=filterq,
            crs_transform_spec=crs_transform_spec,
            **kwargs,
        )
        if not self.count:
            return super().query(offset=offset, limit=limit, resulttype=resulttype, **args)
        uncounted = copy.copy(self)  # this provider serves every thread: its own count flag stays as it is
        uncounted.count = False
        page = super(PostGISProvider, uncounted).query(offset=offset, limit=limit, resulttype=resulttype, **args)
        returned = page["numberReturned"]
        if returned < limit and (returned > 0 or offset == 0):
            page["numberMatched"] = offset + returned
        else:
            page["numberMatched"] = super().query(offset=0, limit=0, resulttype="hits", **args)["numberMatched"]
        return page

    def _where(self, bbox, datetime_, properties, filterq) -> list:
        clauses = [
            self._get_property_filters(properties),
            self._get_cql_filters(filterq),
            self._get_bbox_filter(bbox),
            self._get_datetime_filter(datetime_),
        ]
        return [c for c in clauses if c is not True]

    def _get_cql_filters(self, filterq):
        """The stock translation; what it cannot translate is the client's error (400), not a 500.

        pygeofilter's SQLAlchemy backend maps one function (``lower``): any other name is a
        KeyError; PostGIS cannot parse a geometry literal with an infinite coordinate; and a
        filter that is a bare value (a CQL2-JSON body ``-179``) is no WHERE clause.
        """
        from providers.cql import check_condition, check_finite_coordinates

        check_condition(filterq)
        check_finite_coordinates(filterq)
        _cql_functions_as_sql(filterq)
        try:
            return super()._get_cql_filters(filterq)
        except KeyError as err:
            raise _invalid_query(f"unsupported function {err.args[0]!r} in filter") from None
        except (TypeError, NotImplementedError) as err:  # an expression pygeofilter cannot translate
            raise _invalid_query(f"unsupported filter expression: {str(err)[:200]}") from None

    def _get_property_filters(self, properties):
        """``name=value`` query parameters, each value typed as its column (the stock one compares text)."""
        if not properties:
            return True
        from sqlalchemy import Text, and_, cast
        from sqlalchemy.dialects.postgresql import JSON, JSONB

        clauses = []
        for name, value in properties:
            column = getattr(self.table_model, name)
            if isinstance(column.type, (JSON, JSONB)):
                clauses.append(cast(column, Text) == _typed(name, cast(column, Text), value))
            else:
                clauses.append(column == _typed(name, column, value))
        return and_(*clauses)

    def _get_datetime_filter(self, datetime_):
        """The stock filter; without a time field a datetime is the client's error (400, the stock one: 500)."""
        if datetime_ not in (None, "../..") and self.time_field is None:
            raise _invalid_query("this collection has no time field; datetime is not applicable")
        return super()._get_datetime_filter(datetime_)

    def _get_bbox_filter(self, bbox: list[float]):
        """The stock filter (``ST_Intersects`` with the box in the storage CRS), SRID cached; 3D boxes too."""
        if not bbox:
            return True
        if len(bbox) == 6:  # minx, miny, minz, maxx, maxy, maxz: the stock one fails with a 500
            bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
        from geoalchemy2.functions import ST_Intersects, ST_MakeEnvelope

        return ST_Intersects(ST_MakeEnvelope(*bbox, storage_srid(self)), getattr(self.table_model, self.geom))

    def _count(self, where: list) -> int:
        from sqlalchemy import func, select

        with client_errors(), self._engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(self.table_model.__table__).where(*where)).scalar_one()

    def _order_by(self, sortby) -> list:
        from sqlalchemy import nulls_last

        # NULLs last in both directions, as on the GeoPackage (PostgreSQL puts them first when descending)
        clauses = [nulls_last(c) for c in self._get_order_by_clauses(sortby or [], self.table_model)]
        if sortby and all(s.get("property") != self.id_field for s in sortby):
            from sqlalchemy import asc

            clauses.append(asc(getattr(self.table_model, self.id_field)))  # stable pages
        return clauses

    def _output_names(self, select_properties) -> list[str]:
        fields = list(self.get_fields())
        names = list(dict.fromkeys(select_properties)) if select_properties else fields
        names = [n for n in names if n in fields]
        if self.properties:
            names = [n for n in names if n in self.properties]
        return names

    def _column_kinds(self) -> dict[str, str]:
        """Column name -> ``datetime`` / ``json`` / ``plain`` (how it goes into the JSON)."""
        key = (self._engine.url, self.table)
        kinds = _COLUMN_KINDS.get(key)
        if kinds is None:
            from sqlalchemy import DateTime
            from sqlalchemy.dialects.postgresql import JSON, JSONB

            kinds = {}
            for column in self.table_model.__table__.columns:
                if isinstance(column.type, DateTime):
                    kinds[column.name] = "datetime"
                elif isinstance(column.type, (JSON, JSONB)):
                    kinds[column.name] = "json"
                else:
                    kinds[column.name] = "plain"
            _COLUMN_KINDS[key] = kinds
        return kinds

    def _geometry_sql(self, crs_transform_spec):
        """SQL for the GeoJSON geometry in the output CRS; None when PostGIS cannot name that CRS."""
        from sqlalchemy import func

        geom = self.table_model.__table__.c[self.geom]
        if crs_transform_spec is not None:
            plan = _output_plan(crs_transform_spec.target_crs_wkt, crs_transform_spec.always_xy)
            if plan is None:
                return None
            srid, flip = plan
            geom = func.ST_Transform(geom, srid)
            if flip:
                geom = func.ST_FlipCoordinates(geom)
        return func.ST_AsGeoJSON(geom, 9)

    def _feature_json(self, names: list[str], skip_geometry: bool, crs_transform_spec, as_text: bool = True):
        """``json_build_object(...)`` of one feature (as text), or None for an unsupported output CRS.

        Remembered per output (columns, geometry, CRS): building the expression costs ~0.4 ms
        and SQLAlchemy expressions are immutable, so every thread may share one.
        """
        crs_key = (
            None if crs_transform_spec is None else (crs_transform_spec.target_crs_wkt, crs_transform_spec.always_xy)
        )
        key = (tuple(names), bool(skip_geometry), crs_key, as_text)
        cache = self.__dict__.setdefault("_feature_json_cache", {})
        if key not in cache:
            if len(cache) > 256:  # ?properties= combinations are the client's choice
                cache.clear()
            cache[key] = self._build_feature_json(names, skip_geometry, crs_transform_spec, as_text)
        return cache[key]

    def _build_feature_json(self, names: list[str], skip_geometry: bool, crs_transform_spec, as_text: bool):
        from sqlalchemy import Text, cast, func, literal_column, null
        from sqlalchemy.dialects.postgresql import JSON

        table = self.table_model.__table__
        kinds = self._column_kinds()
        values = []
        for name in names:
            column = table.c[name]
            if kinds.get(name) == "datetime":
                column = func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
            values += [literal_column(_sql_text(name)), column]
        # json_build_object takes at most 100 arguments: wide tables are built in parts
        parts = [func.jsonb_build_object(*values[i : i + 100]) for i in range(0, len(values), 100)]
        if len(parts) <= 1:
            properties = func.json_build_object(*values)
        else:
            merged = parts[0]
            for part in parts[1:]:
                merged = merged.op("||")(part)
            properties = cast(merged, JSON)
        if skip_geometry:
            geometry = null()
        else:
            geometry = self._geometry_sql(crs_transform_spec)
            if geometry is None:
                return None
            geometry = cast(geometry, JSON)
        feature = func.json_build_object(
            literal_column("'type'"),
            literal_column("'Feature'"),
            literal_column("'id'"),
            table.c[self.id_field],
            literal_column("'geometry'"),
            geometry,
            literal_column("'properties'"),
            properties,
        )
        return cast(feature, Text) if as_text else feature

    def get(self, identifier, crs_transform_spec=None, **kwargs):
        from pygeoapi.provider.base import ProviderItemNotFoundError
        from sqlalchemy import select
        from sqlalchemy.exc import DataError

        feature = self._feature_json(self._output_names([]), False, crs_transform_spec)
        if feature is None:
            return super().get(identifier, crs_transform_spec=crs_transform_spec, **kwargs)
        if isinstance(identifier, bool) or not isinstance(identifier, (str, int)) or "\x00" in str(identifier):
            # a NUL PostgreSQL text cannot hold; an id that is an object in a POSTed feature
            raise ProviderItemNotFoundError(f"No such item: {self.id_field}={identifier!r}.")
        identifier = str(identifier)  # a number as id in a POSTed feature: text < integer has no operator
        table = self.table_model.__table__
        key = table.c[self.id_field]
        prev_id = select(key).where(key < identifier).order_by(key.desc()).limit(1).scalar_subquery()
        next_id = select(key).where(key > identifier).order_by(key.asc()).limit(1).scalar_subquery()
        statement = select(feature, prev_id, next_id).select_from(table).where(key == identifier)
        try:
            with self._engine.connect() as conn:
                row = conn.execute(statement).first()
        except DataError:  # e.g. a text id for an integer key
            row = None
        if row is None:
            raise ProviderItemNotFoundError(f"No such item: {self.id_field}={identifier}.")
        item = json.loads(row[0])
        item["prev"] = row[1] if row[1] is not None else item["id"]
        item["next"] = row[2] if row[2] is not None else item["id"]
        return item

    # -- writes (OGC API Features Part 4): the intake checks, this provider stores ------------------------

    def create(self, item):
        """Store a new feature; returns its id (``uuid4`` when the feature has none)."""
        from sqlalchemy.exc import IntegrityError
        from sqlalchemy.orm import Session

        from intake.errors import IntakeConflict
        from intake.feature import body_id, new_id, parse_body

        feature = parse_body(item)
        identifier = new_id(body_id(feature, frozenset(self._intake_kinds())))
        instance = self._feature_to_sqlalchemy(feature, identifier)
        with write_errors(), Session(self._engine) as session:
            session.add(instance)
            try:
                session.commit()
            except IntegrityError:
                raise IntakeConflict.of("id_exists", id=identifier, collection=self.table) from None
        return identifier

    def update(self, identifier, item):
        """Replace an item (PUT): properties left out become null; the id comes from the URL."""
        from pygeoapi.provider.base import ProviderItemNotFoundError
        from sqlalchemy.orm import Session

        from intake.feature import parse_body, replacing_id

        feature = parse_body(item)
        identifier = replacing_id(feature, identifier)
        instance = self._feature_to_sqlalchemy(feature, identifier)
        with write_errors(), Session(self._engine) as session:
            if session.get(self.table_model, identifier) is None:
                msg = f"no item {identifier!r} in {self.table}"
                raise ProviderItemNotFoundError(msg, user_msg=msg)
            session.merge(instance)
            session.commit()
        return True

    def _intake_kinds(self) -> dict[str, str]:
        """Column -> catalogue type: the catalogue's for its layers, else read from the reflected fields."""
        from intake.feature import kinds_from_schema
        from schema.catalog import LAYERS

        layer = LAYERS.get(self.table)
        if layer is not None:
            return layer.columns
        return {self.id_field: "text", **kinds_from_schema(self.get_fields())}

    def _check_column_values(self, attributes: dict) -> None:
        """Values beyond PostgreSQL's column type where it is narrower than the catalogue's (smallint)."""
        from sqlalchemy import BigInteger, Float, Integer, SmallInteger

        from intake.errors import IntakeError

        columns = self.table_model.__table__.c
        for name, value in attributes.items():
            if name not in columns or value is None or isinstance(value, bool):
                continue
            column_type = columns[name].type
            low = high = None
            if isinstance(value, int) and isinstance(column_type, Integer):
                bits = (
                    64 if isinstance(column_type, BigInteger) else 16 if isinstance(column_type, SmallInteger) else 32
                )
                low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
                if not low <= value <= high:
                    raise IntakeError.of(
                        "property_range",
                        name=name,
                        problem_de=f"erwartet wird eine ganze Zahl von {low} bis {high}",
                        problem=f"must be an integer from {low} to {high}",
                    )
            elif isinstance(value, int) and isinstance(column_type, Float) and abs(value) > sys.float_info.max:
                raise IntakeError.of(
                    "property_range",
                    name=name,
                    problem_de="liegt außerhalb einer Gleitkommazahl",
                    problem="is beyond the range of a double precision number",
                )

    def _storage_target(self):
        """The CRS features are stored in, x/y order (PostGIS keeps EPSG:4326 as lon/lat, i.e. CRS84)."""
        import pyproj

        srid = storage_srid(self)
        if srid is None or srid == 4326:
            return pyproj.CRS.from_user_input("OGC:CRS84")
        if srid not in _STORAGE_CRS:
            _STORAGE_CRS[srid] = pyproj.CRS.from_epsg(srid)
        return _STORAGE_CRS[srid]

    def _feature_to_sqlalchemy(self, feature, identifier):
        """A checked feature (:mod:`intake`) as an instance of the reflected table."""
        from geoalchemy2.shape import from_shape

        from intake.errors import IntakeError
        from intake.feature import check_properties
        from intake.geometry import check_geometry, source_crs
        from schema.catalog import LAYERS

        layer = LAYERS.get(self.table)
        attributes = check_properties(feature["properties"], self._intake_kinds(), self.id_field, identifier)
        self._check_column_values(attributes)
        geometry_type = (layer.geometry_type if layer else "GEOMETRY") if getattr(self, "geom", None) else None
        geom = check_geometry(
            feature.get("geometry"),
            geometry_type,
            target=self._storage_target(),
            source=source_crs(feature),
            collection=self.table,
        )
        if geometry_type is not None:
            attributes[self.geom] = from_shape(geom, srid=storage_srid(self)) if geom is not None else None
        attributes[self.id_field] = identifier
        try:
            return self.table_model(**attributes)
        except (TypeError, ValueError) as err:  # SQLAlchemy's constructor: TypeError for an unknown attribute
            raise IntakeError(str(err)) from None


# -- vector tiles ---------------------------------------------------------------------------------------------


class PostGISTileProvider(MVTPostgreSQLProvider):
    """``MVTPostgreSQLProvider`` with integer SRIDs in ``ST_Transform`` and no ``ST_CurveToLine``.

    Same tiles as the stock provider (same rows: bounding boxes overlapping the tile's
    envelope in the storage CRS, ``&&`` as geoalchemy's ``intersects`` renders it;
    same columns, the id labelled ``id``; ``ST_AsMVTGeom`` defaults: extent 4096,
    buffer 256, clipped), one statement per tile.
    """

    def __init__(self, provider_def: dict):
        if isinstance(provider_def.get("data"), str):
            provider_def = {**provider_def, "data": pygeoapi_connection(provider_def["data"])}
        super().__init__(with_session_options(provider_def))
        _track_engine(self._engine)

    def get_default_metadata(self, dataset, server_url, layer, tileset, title, description, keywords, **kwargs):
        from providers.tile_metadata import tileset_metadata

        return tileset_metadata(self, dataset, server_url, layer, tileset, title, description, keywords)

    def get_vendor_metadata(self, dataset, server_url, layer, tileset, title, description, keywords, **kwargs):
        """TileJSON (``?f=tilejson``; the stock one passes a CRS URI to pyproj as ``EPSG:http://…``: 500)."""
        from providers.tile_metadata import tilejson

        return tilejson(
            self,
            dataset,
            server_url,
            layer,
            tileset,
            title,
            description,
            {name: sql_kind(column) for name, column in self.fields.items()},
        )

    def get_tiles(self, layer="default", tileset=None, z=None, y=None, x=None, format_=None):
        from pygeoapi.models.provider.base import TileMatrixSetEnum
        from pygeoapi.provider.tile import ProviderTileNotFoundError
        from sqlalchemy import func, literal_column, select

        try:
            z, y, x = map(int, [z, y, x])
        except (TypeError, ValueError):  # /tiles/WebMercatorQuad/abc/1/2: no such tile (the stock one: 500)
            raise ProviderTileNotFoundError from None
        schemes = [s for s in self.get_tiling_schemes() if tileset == s.tileMatrixSet]
        if (
            not schemes
            or min(z, x, y) < 0
            or z >= len(schemes[0].tileMatrices)
            or not self.is_in_limits(schemes[0], z, x, y)
        ):  # the stock one: IndexError (500) for z >= 30
            raise ProviderTileNotFoundError
        if tileset == TileMatrixSetEnum.WORLDCRS84QUAD.value.tileMatrixSet:
            size = 180 / 2**z
            xmin, ymax = size * x - 180, 90 - size * y
            envelope, out_srid = func.ST_MakeEnvelope(xmin, ymax - size, xmin + size, ymax, 4326), 4326
        else:
            envelope, out_srid = func.ST_TileEnvelope(z, x, y), 3857
        table = self.table_model.__table__
        geom = table.c[self.geom]
        srid = storage_srid(self)
        mvtgeom = func.ST_AsMVTGeom(func.ST_Transform(geom, out_srid), envelope).label("mvtgeom")
        columns = [
            c for name, c in self.fields.items() if keep_column(name, sql_kind(c), self.id_field, z)
        ]  # fewer at low zoom (tile_detail)
        rows = select(mvtgeom, *columns).where(geom.op("&&")(func.ST_Transform(envelope, srid))).subquery("mvtrow")
        statement = select(func.ST_AsMVT(literal_column("mvtrow.*"), layer, 4096, "mvtgeom")).select_from(rows)
        with client_errors(), self._engine.connect() as conn:
            result = conn.execute(statement).scalar()
        return (bytes(result) or None) if result is not None else None

    def __repr__(self):
        return f"<PostGISTileProvider> {self.table}"
