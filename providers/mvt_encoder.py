"""Mapbox vector tile (MVT 2.1) encoding of a whole layer at once, with numpy.

Why not ``mapbox_vector_tile.encode`` for the embedded store's tiles: it quantises, orients and
encodes each feature in Python (shapely objects per ring, a Python loop per coordinate), about
150 µs per building; a zoom-14 tile of a city holds 1,000–3,000 buildings, so encoding alone took
~200 ms, while PostGIS does the same in C (``ST_AsMVT``). Here every step runs on all coordinates
of the tile together (quantise, drop repeated points, ring areas and orientation, command and
zig-zag delta streams).

Why not the library's generated protobuf classes (``vector_tile_pb2``) for the message either: filling
them feature by feature (``features.add()``, ``extend`` of geometry and tags, a dictionary lookup per
attribute value) was two thirds of a first-rendered z14 tile and kept the GeoPackage at 3× PostGIS's
ST_AsMVT under load. So the message is written in protobuf's wire format by numpy as well, a layer at a
time: the attributes column by column (each distinct value once per layer, keys and values numbered in
the order they first appear, feature by feature), then every feature's words — field keys, lengths,
tags, type, geometry commands — as one array of varints. Fields are written in ascending field number
with packed tags and geometry, as protobuf's own serializer writes them, so the bytes are the ones the
generated classes gave; ``mapbox_vector_tile.decode`` reads them (tests/providers/test_mvt_encoder.py
compares with the library's encoder and with shapely's clipping of the source features).

The rules followed (MVT specification 2.1, §4.3): integer tile coordinates with y pointing down,
commands MoveTo (1), LineTo (2), ClosePath (7) as ``id | count << 3``, parameters zig-zag encoded
deltas from the previous cursor position (the cursor carries over between the parts of a feature);
exterior rings with positive area by the surveyor's formula in tile coordinates (clockwise as seen),
interior rings negative; rings that collapse to fewer than 3 distinct points or zero area, and lines
of fewer than 2 points, are dropped.

Protobuf's wire format (https://protobuf.dev/programming-guides/encoding/): a field is its key
``number << 3 | wire type`` as a varint, then a varint (wire type 0), 8 bytes little-endian (1) or a
varint length and that many bytes (2); a varint is 7 bits per byte, least significant first, the high
bit set on every byte but the last.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from itertools import chain, islice, repeat
from operator import itemgetter

import numpy as np
import shapely

MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7
POINT, LINESTRING, POLYGON = 1, 2, 3
#: shapely's type id (Point, LineString, LinearRing, Polygon, Multi…, GeometryCollection) -> MVT geometry type;
#: 0: not encoded (a bare LinearRing; collections are made plain first by :func:`_plain`).
_KIND_OF_TYPE_ID = np.array([POINT, LINESTRING, 0, POLYGON, POINT, LINESTRING, POLYGON, 0], dtype=np.int64)
_COLLECTION_TYPE_ID = 7

# Field keys of vector_tile.proto (number << 3 | wire type; all below 128, so one byte each).
_TILE_LAYER = 3 << 3 | 2
_LAYER_NAME, _LAYER_FEATURE, _LAYER_KEY, _LAYER_VALUE = 1 << 3 | 2, 2 << 3 | 2, 3 << 3 | 2, 4 << 3 | 2
_LAYER_EXTENT, _LAYER_VERSION = 5 << 3 | 0, 15 << 3 | 0
_FEATURE_TAGS, _FEATURE_TYPE, _FEATURE_GEOMETRY = 2 << 3 | 2, 3 << 3 | 0, 4 << 3 | 2
_VALUE_STRING, _VALUE_DOUBLE, _VALUE_INT, _VALUE_SINT, _VALUE_BOOL = 1 << 3 | 2, 3 << 3 | 1, 4 << 3, 6 << 3, 7 << 3

#: Python type of a property value -> the MVT value field it goes into (negative ints: ``sint_value``).
_VALUE_FIELDS = {str: "string_value", bool: "bool_value", int: "int_value", float: "double_value"}
#: The value fields in the order their values are encoded (before they are put in the order of first use).
_FIELD_ORDER = ("bool_value", "int_value", "string_value", "double_value")

_EMPTY_WORDS = np.empty(0, dtype=np.uint64)
_EMPTY_INDEX = np.empty(0, dtype=np.int64)


def encode_layer(
    name: str,
    geometries: Sequence,
    properties: Sequence[dict],
    bounds: tuple[float, float, float, float],
    extent: int = 4096,
) -> bytes:
    """One MVT layer ``name`` of ``geometries`` (shapely, in the CRS of ``bounds``) with their ``properties``.

    Features without a geometry or whose geometry vanishes at tile resolution are left out; an empty layer
    gives ``b""``.
    """
    columns: dict = {}
    for i, props in enumerate(properties):
        for key, value in props.items():
            column = columns.get(key)
            if column is None:
                column = columns[key] = [None] * len(properties)
            column[i] = value
    return encode_columns(name, geometries, columns, bounds, extent)


def encode_columns(
    name: str,
    geometries: Sequence,
    columns: Mapping[str, Sequence],
    bounds: tuple[float, float, float, float],
    extent: int = 4096,
    *,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    buffer: float | None = None,
) -> bytes:
    """:func:`encode_layer` with the attributes by column: ``columns[key][i]`` is feature ``i``'s value.

    None (a missing geometry, a missing value) is left out; so are values of other types than str, bool,
    int and float, and keys that are not text. The store's rows come as columns, so no dictionary per
    feature is built.

    ``transform``: the geometries are in another CRS than ``bounds``; this maps an (n, 2) array of their
    coordinates into it. It is applied to all coordinates of the layer at once (one call), and no
    transformed geometry is built except for those that are clipped. ``buffer``: geometries reaching more
    than this many tile units beyond the tile are clipped there, in the CRS of ``bounds`` (GEOS's rectangle
    clipping, as ``ST_AsMVTGeom`` clips; the others are left whole); None: no clipping.
    """
    geoms = _plain(np.asarray(geometries, dtype=object))
    if not len(geoms):
        return b""
    minx, miny, maxx, maxy = bounds
    scale = (minx, miny, extent / (maxx - minx), extent / (maxy - miny), extent)
    clip = None
    if buffer is not None:
        dx, dy = buffer * (maxx - minx) / extent, buffer * (maxy - miny) / extent
        clip = (minx - dx, miny - dy, maxx + dx, maxy + dy)
    kinds = _kinds(geoms)
    words, feature = _geometry_words(geoms, kinds, scale, transform, clip)
    if not len(words):
        return b""
    if int(words.max()) >= 1 << 32:
        raise ValueError("geometry out of range for MVT's uint32 command stream")
    # the features that kept a geometry, and each word's feature numbered among them (words are in feature order)
    starts = np.r_[True, feature[1:] != feature[:-1]]
    kept, feature = feature[starts], np.cumsum(starts) - 1
    tag_words, tag_feature, keys, values = _attributes(columns, kept)
    features = _layer_features(kinds[kept], words, feature, tag_words, tag_feature, len(kept))
    layer = b"".join(
        [
            _field(_LAYER_NAME, name.encode()),
            features,
            *(_field(_LAYER_KEY, key.encode()) for key in keys),
            values,
            bytes([_LAYER_EXTENT]),
            _varint(extent),
            bytes([_LAYER_VERSION, 2]),
        ]
    )
    return _field(_TILE_LAYER, layer)


def _kinds(geoms: np.ndarray) -> np.ndarray:
    type_ids = shapely.get_type_id(geoms)
    return np.where(type_ids >= 0, _KIND_OF_TYPE_ID[type_ids], 0)


def _geometry_words(geoms: np.ndarray, kinds: np.ndarray, scale: tuple, transform, clip) -> tuple:
    """The command words of every feature's geometry and the feature of each word, in feature order.

    With ``clip``, the features reaching beyond it are cut; ``kinds`` is updated for those whose cut left
    another kind (a polygon cut along an edge may leave a line, or nothing).
    """
    words_parts, feature_parts = [], []
    for kind, parts_of, words_of in (
        (POLYGON, _polygon_parts, _polygon_words),
        (LINESTRING, _line_parts, _line_words),
        (POINT, _point_parts, _point_words),
    ):
        index = np.flatnonzero(kinds == kind)
        if not len(index):
            continue
        group = geoms[index]
        xy, vertex_feature, structure = parts_of(group)
        if not len(xy):
            continue
        if transform is not None:
            xy = transform(xy)
        if clip is not None:
            out = _reaching_out(xy, vertex_feature, len(index), clip)
            if out.any():
                xy, structure, strays, stray_pieces = _cut(group, kind, xy, vertex_feature, structure, out, clip)
                if len(strays):
                    kinds[index[strays]] = stray_kinds = _kinds(stray_pieces)
                    words, feature = _geometry_words(stray_pieces, stray_kinds, scale, None, None)
                    words_parts.append(words)
                    feature_parts.append(index[strays][feature])
        words, feature = words_of(xy, *structure, *scale)
        words_parts.append(words)
        feature_parts.append(index[feature])
    if not words_parts:
        return _EMPTY_WORDS, _EMPTY_INDEX
    return _in_feature_order(np.concatenate(words_parts), np.concatenate(feature_parts))


def _cut(group: np.ndarray, kind: int, xy, vertex_feature, structure: tuple, out: np.ndarray, clip: tuple) -> tuple:
    """Cut the features ``out`` of ``group`` (one kind, coordinates ``xy`` already in the tile's CRS) at ``clip``.

    Their vertices are replaced by those of their cut pieces where the cut left the same kind; the others
    (strays: their positions in ``group`` and their pieces, None where nothing is left) are returned apart.
    """
    parts_of = {POLYGON: _polygon_parts, LINESTRING: _line_parts, POINT: _point_parts}[kind]
    cut = np.flatnonzero(out)
    at_cut = out[vertex_feature]
    # the transformed coordinates are at hand: no second transform of the geometries
    pieces = shapely.set_coordinates(group[cut], xy[at_cut])
    # GEOS's rectangle clipping, as ST_AsMVTGeom clips (ST_ClipByBox2D): ~8× faster than a general
    # intersection, and it does not fail on an invalid ring. A polygon that only touches the rectangle
    # leaves nothing (an intersection left a line or a point of it).
    pieces = _plain(shapely.clip_by_rect(pieces, *clip))
    same = _kinds(pieces) == kind
    keep = ~at_cut
    xy, structure = xy[keep], (structure[0][keep], *structure[1:])
    if same.any():
        piece_xy, _, piece_structure = parts_of(pieces[same])
        xy = np.concatenate([xy, piece_xy])
        # the pieces' paths, parts and features follow the group's, numbered on from them
        joined = []
        for level, (mine, theirs) in enumerate(zip(structure, piece_structure, strict=True)):
            if level + 1 < len(structure):
                joined.append(np.concatenate([mine, theirs + len(structure[level + 1])]))
            else:
                joined.append(np.concatenate([mine, cut[same][theirs]]))
        structure = tuple(joined)
    return xy, structure, cut[~same], pieces[~same]


def _in_feature_order(words: np.ndarray, feature: np.ndarray) -> tuple:
    """Words whose features each come in one run, but not in feature order, put in feature order (no sort)."""
    starts = np.flatnonzero(np.r_[True, feature[1:] != feature[:-1]])
    if np.all(feature[starts[1:]] > feature[starts[:-1]]):
        return words, feature
    counts = np.bincount(feature)
    place = np.cumsum(counts) - counts
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(feature)]))
    target = place[feature] + np.arange(len(feature)) - starts[run]
    ordered_words, ordered_feature = np.empty_like(words), np.empty_like(feature)
    ordered_words[target], ordered_feature[target] = words, feature
    return ordered_words, ordered_feature


def _reaching_out(xy: np.ndarray, vertex_feature: np.ndarray, count: int, clip: tuple) -> np.ndarray:
    """Which of ``count`` features have a vertex outside ``clip`` (their vertices come feature after feature)."""
    starts = np.flatnonzero(np.r_[True, vertex_feature[1:] != vertex_feature[:-1]])
    x, y = xy[:, 0], xy[:, 1]
    inside = (
        (np.minimum.reduceat(x, starts) >= clip[0])
        & (np.minimum.reduceat(y, starts) >= clip[1])
        & (np.maximum.reduceat(x, starts) <= clip[2])
        & (np.maximum.reduceat(y, starts) <= clip[3])
    )
    out = np.zeros(count, dtype=bool)
    out[vertex_feature[starts]] = ~inside
    return out


def _plain(geoms: np.ndarray) -> np.ndarray:
    """Geometry collections (a clip can leave a polygon with a stray line) become their polygons, else lines."""
    collections = np.flatnonzero(shapely.get_type_id(geoms) == _COLLECTION_TYPE_ID)
    if not len(collections):
        return geoms
    geoms = geoms.copy()
    for i in collections.tolist():
        parts = [p for p in geoms[i].geoms if not p.is_empty]
        for wanted in (("Polygon", "MultiPolygon"), ("LineString", "MultiLineString"), ("Point", "MultiPoint")):
            chosen = [p for p in parts if p.geom_type in wanted]
            if chosen:
                geoms[i] = shapely.union_all(chosen) if len(chosen) > 1 else chosen[0]
                break
        else:
            geoms[i] = None
    return geoms


# -- protobuf wire format ----------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(key: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return bytes([key]) + _varint(len(payload)) + payload


def _varint_sizes(words: np.ndarray) -> np.ndarray:
    """Bytes per varint of each word (as unsigned 64-bit: a negative one takes ten)."""
    words = words.astype(np.uint64, copy=False)
    top = int(words.max()) if len(words) else 0
    sizes = np.ones(len(words), dtype=np.int64)
    for k in range(1, (top.bit_length() + 6) // 7):
        sizes += words >= (1 << (7 * k))
    return sizes


def _varints(words: np.ndarray) -> np.ndarray:
    """The words as consecutive varints (uint8 array): one pass for all first bytes, then one per further byte,
    over the words that have it (most words of a tile need one byte or two)."""
    words = words.astype(np.uint64, copy=False)
    if len(words) and int(words.max()) < 1 << 32:
        words = words.astype(np.uint32)  # half the memory traffic
    sizes = _varint_sizes(words)
    ends = np.cumsum(sizes)
    out = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    pos = ends - sizes
    out[pos] = words.astype(np.uint8) & 0x7F
    more = np.flatnonzero(sizes > 1)
    k = 1
    while len(more):
        at = pos[more] + k
        out[at - 1] |= 0x80
        out[at] = (words[more] >> (7 * k)).astype(np.uint8) & 0x7F
        more = more[sizes[more] > k + 1]
        k += 1
    return out


def _spread(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``starts[i], …, starts[i] + lengths[i] - 1`` of every ``i``, one after the other."""
    total = int(lengths.sum())
    if not total:
        return _EMPTY_INDEX
    before = np.cumsum(lengths) - lengths
    return np.repeat(starts - before, lengths) + np.arange(total)


def _layer_features(
    kinds: np.ndarray,
    geometry: np.ndarray,
    geometry_feature: np.ndarray,
    tags: np.ndarray,
    tag_feature: np.ndarray,
    count: int,
) -> bytes:
    """The layer's ``count`` Feature fields: tags (packed, left out when none), type, geometry (packed).

    ``geometry`` and ``tags`` are words sorted by their feature (``geometry_feature``, ``tag_feature``).
    """
    n_geometry = np.bincount(geometry_feature, minlength=count)
    n_tags = np.bincount(tag_feature, minlength=count)
    geometry_bytes = np.bincount(geometry_feature, weights=_varint_sizes(geometry), minlength=count).astype(np.int64)
    tag_bytes = np.bincount(tag_feature, weights=_varint_sizes(tags), minlength=count).astype(np.int64)
    has_tags = n_tags > 0
    tags_field = np.where(has_tags, 1 + _varint_sizes(tag_bytes) + tag_bytes, 0)
    feature_bytes = tags_field + 2 + 1 + _varint_sizes(geometry_bytes) + geometry_bytes
    # words of a feature: key + length, [key + length + tags], type key + type, key + length + geometry
    tag_words = np.where(has_tags, 2 + n_tags, 0)
    n_words = 2 + tag_words + 4 + n_geometry
    start = np.cumsum(n_words) - n_words
    stream = np.empty(int(n_words.sum()), dtype=np.uint64)
    stream[start] = _LAYER_FEATURE
    stream[start + 1] = feature_bytes
    with_tags = start[has_tags]
    stream[with_tags + 2] = _FEATURE_TAGS
    stream[with_tags + 3] = tag_bytes[has_tags]
    stream[_spread(start + 4, n_tags)] = tags
    at = start + 2 + tag_words
    stream[at] = _FEATURE_TYPE
    stream[at + 1] = kinds
    stream[at + 2] = _FEATURE_GEOMETRY
    stream[at + 3] = geometry_bytes
    stream[_spread(at + 4, n_geometry)] = geometry
    return _varints(stream).tobytes()


# -- attributes -------------------------------------------------------------------------------------


def _field_of(value) -> str | None:
    """The MVT value field of one value; None: not a tile attribute (None, bytes, lists, numpy scalars)."""
    field = _VALUE_FIELDS.get(value.__class__)
    if field is not None:
        return field
    for kind in (bool, str, int, float):  # bool before int: True is an int too
        if isinstance(value, kind):
            return _VALUE_FIELDS[kind]
    return None


def _attributes(columns: Mapping[str, Sequence], rows: np.ndarray) -> tuple:
    """The tags of the features at ``rows`` of the columns, the layer's keys and its encoded values.

    Returns tag words (key, value pairs, feature after feature, in column order), the feature (0 …
    ``len(rows)`` - 1) of each word, the keys in their numbering and the Value fields as bytes. Each
    distinct value of a value field is stored once per layer; keys and values are numbered in the order
    they first appear, feature after feature and column after column.

    A value is known by the position (feature × columns + column) where it first appears: the columns of
    one value field are read feature after feature in one pass of ``dict.setdefault`` (C, no Python call
    per value), which gives each cell the position of its value's first appearance.
    """
    n = len(rows)
    names = [key for key in columns if isinstance(key, str)]
    width = len(names)
    picked = rows.tolist()
    cells: list[Sequence] = []
    by_field: dict[str, list[int]] = {}
    mixed: list[int] = []
    for j, key in enumerate(names):
        column = columns[key]
        column = column if len(column) == n else [column[i] for i in picked]
        cells.append(column)
        kinds = set(map(type, column))
        kinds.discard(type(None))
        if kinds:
            field = _VALUE_FIELDS.get(kinds.pop()) if len(kinds) == 1 else None
            if field is None:
                mixed.append(j)
            else:
                by_field.setdefault(field, []).append(j)
    position = np.arange(n * width, dtype=np.int64).reshape(n, width)
    first = np.full((n, width), -1, dtype=np.int64)  # position of the first appearance of each cell's value
    tables: dict[str, dict] = {field: {None: -1} for field in _FIELD_ORDER}  # value -> its first position
    for field, at in by_field.items():
        values = cells[at[0]] if len(at) == 1 else chain.from_iterable(zip(*(cells[j] for j in at), strict=True))
        found = map(tables[field].setdefault, values, position[:, at].ravel().tolist())
        first[:, at] = np.fromiter(found, dtype=np.int64, count=n * len(at)).reshape(n, len(at))
    for j in mixed:  # a column of several types (SQLite's typing is per value): each value by its own field
        for i, value in enumerate(cells[j]):
            field = _field_of(value)
            if field is not None:
                first[i, j] = tables[field].setdefault(value, i * width + j)
    used = first >= 0
    if not used.any():
        return _EMPTY_WORDS, _EMPTY_INDEX, [], b""
    # values are numbered in the order they first appear (frequent values early: short varints in the tags)
    pieces: list[bytes] = []  # two per value (a string's head and its text; a number and b"")
    found = []
    for field in _FIELD_ORDER:
        table = tables[field]
        m = len(table) - 1
        if m:
            pieces += _VALUE_ENCODERS[field](list(islice(table, 1, None)))
            found.append(np.fromiter(islice(table.values(), 1, None), dtype=np.int64, count=m))
    positions = np.concatenate(found)
    order = np.argsort(positions)
    number_at = np.empty(n * width, dtype=np.int64)  # position of a first appearance -> the value's number
    number_at[positions[order]] = np.arange(len(order))
    values = b"".join(itemgetter(*np.column_stack([2 * order, 2 * order + 1]).ravel().tolist())(pieces))
    # keys in the order of their column's first used cell
    key_used = used.any(axis=0)
    key_position = np.where(key_used, used.argmax(axis=0) * width + np.arange(width), n * width)
    key_order = np.argsort(key_position, kind="stable")[: int(key_used.sum())]
    key_number = np.empty(width, dtype=np.int64)
    key_number[key_order] = np.arange(len(key_order))
    feature, column = np.nonzero(used)
    tags = np.empty(2 * len(feature), dtype=np.uint64)
    tags[0::2] = key_number[column]
    tags[1::2] = number_at[first[feature, column]]
    return tags, np.repeat(feature, 2), [names[j] for j in key_order.tolist()], values


#: Layer.values field, Value.string_value field of a string of 0 … 125 UTF-8 bytes (one-byte lengths).
_STRING_HEADS = [bytes([_LAYER_VALUE, size + 2, _VALUE_STRING, size]) for size in range(126)]
#: Layer.values field holding a Value.double_value field.
_DOUBLE_VALUE = partial(struct.Struct("<BBBd").pack, _LAYER_VALUE, 9, _VALUE_DOUBLE)
_BOOL_VALUES = {False: bytes([_LAYER_VALUE, 2, _VALUE_BOOL, 0]), True: bytes([_LAYER_VALUE, 2, _VALUE_BOOL, 1])}


def _string_values(values: list) -> list[bytes]:
    raw = list(map(str.encode, values))
    sizes = list(map(len, raw))
    heads = _STRING_HEADS if max(sizes) < len(_STRING_HEADS) else _StringHeads()
    return list(chain.from_iterable(zip(map(heads.__getitem__, sizes), raw, strict=True)))


class _StringHeads(dict):
    """The heads of strings of any length (longer than 125 bytes: lengths of two and more bytes)."""

    def __missing__(self, size: int) -> bytes:
        length = _varint(size)
        head = self[size] = bytes([_LAYER_VALUE]) + _varint(1 + len(length) + size) + bytes([_VALUE_STRING]) + length
        return head


def _int_values(values: list) -> list[bytes]:
    out = []
    for value in values:
        if not -(1 << 63) <= value < 1 << 63:
            raise ValueError(f"integer attribute {value} out of MVT's 64-bit range")
        if value < 0:
            inner = bytes([_VALUE_SINT]) + _varint((value << 1) ^ (value >> 63))
        else:
            inner = bytes([_VALUE_INT]) + _varint(value)
        out += (_field(_LAYER_VALUE, inner), b"")
    return out


def _bool_values(values: list) -> list[bytes]:
    return [piece for value in values for piece in (_BOOL_VALUES[bool(value)], b"")]


def _double_values(values: list) -> list[bytes]:
    return list(chain.from_iterable(zip(map(_DOUBLE_VALUE, values), repeat(b""))))


#: The Value fields (as Layer.values fields) of a value field's distinct values, two pieces each.
_VALUE_ENCODERS = {
    "string_value": _string_values,
    "int_value": _int_values,
    "bool_value": _bool_values,
    "double_value": _double_values,
}


# -- coordinates -------------------------------------------------------------------------------------


def _quantised(xy: np.ndarray, minx, miny, xfac, yfac, extent) -> tuple[np.ndarray, np.ndarray]:
    """Integer tile coordinates x, y (y down) of coordinates in the CRS of the tile's bounds."""
    x = np.round((xy[:, 0] - minx) * xfac).astype(np.int64)
    y = extent - np.round((xy[:, 1] - miny) * yfac).astype(np.int64)
    return x, y


def _repeated(x: np.ndarray, y: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Vertices equal to the one before them in the same part."""
    repeated = np.zeros(len(x), dtype=bool)
    repeated[1:] = (x[1:] == x[:-1]) & (y[1:] == y[:-1]) & (owner[1:] == owner[:-1])
    return repeated


def _path_words(x: np.ndarray, y: np.ndarray, path: np.ndarray, feature_of_path: np.ndarray, closed: bool) -> tuple:
    """Command words of consecutive paths (rings or lines): MoveTo, LineTo(n-1)[, ClosePath] each.

    Parameters are zig-zag deltas from the previous vertex of the same feature (from (0, 0) for its first).
    Returns the words (uint64) and the feature of each word.
    """
    counts = np.bincount(path, minlength=len(feature_of_path))
    used = counts > 0
    counts, feature_of_path = counts[used], feature_of_path[used]
    n = len(x)
    path_start = np.cumsum(counts) - counts
    vertex_path = np.repeat(np.arange(len(counts)), counts)
    vertex_feature = feature_of_path[vertex_path]
    feature_start = np.ones(n, dtype=bool)
    feature_start[1:] = vertex_feature[1:] != vertex_feature[:-1]
    dx, dy = np.diff(x, prepend=0), np.diff(y, prepend=0)
    dx[feature_start], dy[feature_start] = x[feature_start], y[feature_start]
    # words per path: MoveTo + 2, LineTo + 2(n-1), ClosePath
    words = 2 * counts + 2 + (1 if closed else 0)
    offsets = np.cumsum(words) - words
    stream = np.empty(int(words.sum()), dtype=np.int64)
    stream[offsets] = MOVE_TO | (1 << 3)
    stream[offsets + 3] = LINE_TO | ((counts - 1) << 3)
    if closed:
        stream[offsets + words - 1] = CLOSE_PATH | (1 << 3)
    vertex_rank = np.arange(n) - path_start[vertex_path]
    # the first vertex sits after the MoveTo word, the others after the LineTo word
    slot = offsets[vertex_path] + 1 + 2 * vertex_rank + (vertex_rank > 0)
    stream[slot] = (dx << 1) ^ (dx >> 63)
    stream[slot + 1] = (dy << 1) ^ (dy >> 63)
    return stream.view(np.uint64), np.repeat(feature_of_path, words)


def _polygon_parts(geoms: np.ndarray) -> tuple:
    """Coordinates of (multi)polygons, the feature of each vertex and (ring of each vertex, polygon of each ring,
    feature of each polygon)."""
    polygons, feature_of_polygon = shapely.get_parts(geoms, return_index=True)
    rings, polygon_of_ring = shapely.get_rings(polygons, return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    return xy, feature_of_polygon[polygon_of_ring[ring]], (ring, polygon_of_ring, feature_of_polygon)


def _line_parts(geoms: np.ndarray) -> tuple:
    lines, feature_of_line = shapely.get_parts(geoms, return_index=True)
    xy, line = shapely.get_coordinates(lines, return_index=True)
    return xy, feature_of_line[line], (line, feature_of_line)


def _point_parts(geoms: np.ndarray) -> tuple:
    xy, feature = shapely.get_coordinates(geoms, return_index=True)
    return xy, feature, (feature,)


def _polygon_words(xy, ring, polygon_of_ring, feature_of_polygon, minx, miny, xfac, yfac, extent) -> tuple:
    n_rings, n_polygons = len(polygon_of_ring), len(feature_of_polygon)
    x, y = _quantised(xy, minx, miny, xfac, yfac, extent)
    if not len(x):
        return _EMPTY_WORDS, _EMPTY_INDEX
    # every ring repeats its first vertex at the end: it goes, and so do repeated vertices
    drop = _repeated(x, y, ring)
    drop[:-1] |= ring[1:] != ring[:-1]
    drop[-1] = True
    keep = ~drop
    x, y, ring = x[keep], y[keep], ring[keep]
    # a ring whose last vertex snapped onto its first one: that vertex goes too
    index = np.arange(len(x))
    first = np.ones(len(x), dtype=bool)
    first[1:] = ring[1:] != ring[:-1]
    final = np.r_[first[1:], True]
    start_of = np.maximum.accumulate(np.where(first, index, 0))
    closing = final & ~first & (x == x[start_of]) & (y == y[start_of])
    if closing.any():
        keep = ~closing
        x, y, ring, start_of, index = x[keep], y[keep], ring[keep], start_of[keep], index[keep]
        start_of = np.searchsorted(index, start_of)  # a ring's first vertex stays
        index = np.arange(len(x))
        final = np.r_[ring[1:] != ring[:-1], True]
    counts = np.bincount(ring, minlength=n_rings)
    # the surveyor's formula per ring (y down: positive = clockwise as seen = exterior)
    following = np.where(final, start_of, index + 1)
    area = np.bincount(ring, weights=x * y[following] - x[following] * y, minlength=n_rings)
    first_ring = np.r_[True, polygon_of_ring[1:] != polygon_of_ring[:-1]]
    usable = (counts >= 3) & (area != 0)
    # a polygon whose exterior vanished loses its holes too
    exterior_ok = np.zeros(n_polygons, dtype=bool)
    exterior_ok[polygon_of_ring[first_ring]] = usable[first_ring]
    usable &= exterior_ok[polygon_of_ring]
    reverse = usable & np.where(first_ring, area < 0, area > 0)
    keep = usable[ring]
    if not keep.all():
        x, y, ring, start_of, index = x[keep], y[keep], ring[keep], start_of[keep], index[keep]
        start_of = np.searchsorted(index, start_of)
    if not len(x):
        return _EMPTY_WORDS, _EMPTY_INDEX
    # reverse the vertices of wrongly oriented rings, keeping each ring's first vertex first
    flip = reverse[ring]
    if flip.any():
        at = np.arange(len(x))
        rank = at - start_of
        size = counts[ring]
        source = np.where(flip & (rank > 0), start_of + size - rank, at)
        x, y = x[source], y[source]
    return _path_words(x, y, ring, feature_of_polygon[polygon_of_ring], closed=True)


def _line_words(xy, line, feature_of_line, minx, miny, xfac, yfac, extent) -> tuple:
    x, y = _quantised(xy, minx, miny, xfac, yfac, extent)
    keep = ~_repeated(x, y, line)
    x, y, line = x[keep], y[keep], line[keep]
    keep = (np.bincount(line, minlength=len(feature_of_line)) >= 2)[line]
    x, y, line = x[keep], y[keep], line[keep]
    if not len(x):
        return _EMPTY_WORDS, _EMPTY_INDEX
    return _path_words(x, y, line, feature_of_line, closed=False)


def _point_words(xy, feature, minx, miny, xfac, yfac, extent) -> tuple:
    """One MoveTo with all of a feature's points (repeated points stay, as the library keeps them)."""
    x, y = _quantised(xy, minx, miny, xfac, yfac, extent)
    if not len(x):
        return _EMPTY_WORDS, _EMPTY_INDEX
    counts = np.bincount(feature)
    used = np.flatnonzero(counts)
    counts = counts[used]
    first = np.ones(len(x), dtype=bool)
    first[1:] = feature[1:] != feature[:-1]
    dx, dy = np.diff(x, prepend=0), np.diff(y, prepend=0)
    dx[first], dy[first] = x[first], y[first]
    words = 1 + 2 * counts
    offsets = np.cumsum(words) - words
    stream = np.empty(int(words.sum()), dtype=np.int64)
    stream[offsets] = MOVE_TO | (counts << 3)
    rank = np.arange(len(x)) - np.repeat(np.cumsum(counts) - counts, counts)
    slot = np.repeat(offsets, counts) + 1 + 2 * rank
    stream[slot] = (dx << 1) ^ (dx >> 63)
    stream[slot + 1] = (dy << 1) ^ (dy >> 63)
    return stream.view(np.uint64), np.repeat(used, words)
