"""A deterministic, city-scale *synthetic* dataset for benchmarks only.

``python -m benchmarks.generate STORE [--buildings N] [--plans N] [--contributions N]
[--parcels N] [--seed S] [--replace]`` writes into ``STORE`` (a GeoPackage path or a
``postgresql://`` URL) through the Store interface (``store.base.open_store(url).replace``),
so both stores get exactly the same rows for the same arguments.

The city is a grid of 120 m × 90 m blocks with 20 m streets (EPSG:25832, north of
Hamburg; transformed when the store uses another storage CRS):

* ``buildings``: 8 plots per block, one building each (70 % rectangles, 30 % L shapes),
  storeys, height, function, roof; ``source = "synthetic:city"``;
* ``parcels``: one per plot (``--parcels``, default one per building, 0 for none);
* ``streets``: one line per street segment between two crossings;
* ``bp_plan`` / ``bp_bereich`` / ``bp_baugebiet`` (one Baugebietsteilfläche per block:
  WA, MI, GE with GRZ, GFZ, Z) / ``bp_baugrenze`` (Baufenster 6 m inside the block) /
  ``bp_verkehrsflaeche`` (the plan's streets) / ``bp_textabschnitt`` (two per plan):
  every plan covers a square of blocks (3 × 3 at the defaults); Gemeinde "Synthetika";
* ``contributions``: only when the catalogue has such a layer (points, 70 % inside a plan
  and linked to it; columns filled by name or catalogue type); otherwise skipped.

Layers and columns the catalogue does not have (any more) are left out with a note.

Labelled synthetic everywhere: ``synthetic = True`` where the layer has that column,
and "Synthetisch…"/"synthetic" in names, numbers, ids and sources, so nobody mistakes
them for real data. Same seed and sizes -> same rows (ids, attributes, coordinates).

The defaults (20 000 buildings, 250 plans, 5 000 contributions) run in well under a
minute; ``--buildings 400000 --plans 5000 --contributions 100000`` is city scale.
Run it on a fresh store: buildings, streets and parcels replace their source's
earlier rows, but synthetic plans already there stop the run unless ``--replace``
(which deletes them plan by plan first).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from schema.catalog import LAYERS

SOURCE = "synthetic:city"
GEMEINDE = "Synthetika"
#: South-west corner of the synthetic city (EPSG:25832), north of Hamburg.
ORIGIN = (560_000.0, 5_935_000.0)
GENERATOR_EPSG = 25832
BLOCK_W, BLOCK_D, STREET = 120.0, 90.0, 20.0
PITCH_X, PITCH_Y = BLOCK_W + STREET, BLOCK_D + STREET
PLOTS_PER_SIDE = 4  # plots along each long side of a block: 8 buildings per block
PLOTS_PER_BLOCK = 2 * PLOTS_PER_SIDE
SETBACK = 5.0  # front garden between street edge and building (m)
BAUFENSTER_INSET = 6.0

FUNCTIONS = np.array(["Wohnhaus", "Wohn- und Geschäftsgebäude", "Bürogebäude", "Garage", "Schule", "Gewerbehalle"])
FUNCTION_P = np.array([0.55, 0.15, 0.1, 0.1, 0.02, 0.08])
ROOFS = np.array(["Flachdach", "Satteldach", "Walmdach", "Pultdach"])
ZONES = [  # art_code, allgemeine Art, besondere Art, GRZ, GFZ, Z, Bauweise
    ("WA", "WohnBauflaeche", "AllgWohngebiet", 0.4, 0.8, 2, "OffeneBauweise"),
    ("WA", "WohnBauflaeche", "AllgWohngebiet", 0.4, 1.2, 3, "OffeneBauweise"),
    ("WR", "WohnBauflaeche", "ReinesWohngebiet", 0.3, 0.6, 2, "OffeneBauweise"),
    ("MI", "GemischteBauflaeche", "Mischgebiet", 0.6, 1.2, 3, "GeschlosseneBauweise"),
    ("MU", "GemischteBauflaeche", "UrbanesGebiet", 0.8, 3.0, 5, "GeschlosseneBauweise"),
    ("GE", "GewerblicheBauflaeche", "Gewerbegebiet", 0.8, 1.6, 2, None),
]
RECHTSSTAENDE = [
    ("Festgesetzt", "4000"),
    ("InAufstellung", "1000"),
    ("Entwurf", "2000"),
    ("OeffentlicheAuslegung", "2100"),
]

DEFAULTS = {"buildings": 20_000, "plans": 250, "contributions": 5_000}
CITY_SCALE = {"buildings": 400_000, "plans": 5_000, "contributions": 100_000}


class GeneratorError(ValueError):
    """The requested sizes do not fit (e.g. more plans than the city has room for)."""


@dataclass(frozen=True)
class City:
    """The block grid every layer is laid out on."""

    side: int  # blocks per row and column
    n_blocks: int

    @classmethod
    def for_buildings(cls, buildings: int) -> City:
        n_blocks = max(1, math.ceil(buildings / PLOTS_PER_BLOCK))
        return cls(side=max(1, math.ceil(math.sqrt(n_blocks))), n_blocks=n_blocks)

    def block_origin(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """South-west corners of blocks (row-major: block = row * side + col)."""
        row, col = np.divmod(block, self.side)
        return ORIGIN[0] + col * PITCH_X, ORIGIN[1] + row * PITCH_Y

    @property
    def extent(self) -> tuple[float, float, float, float]:
        return (
            ORIGIN[0] - STREET / 2,
            ORIGIN[1] - STREET / 2,
            ORIGIN[0] + self.side * PITCH_X - STREET / 2,
            ORIGIN[1] + self.side * PITCH_Y - STREET / 2,
        )


def _boxes(x0, y0, x1, y1) -> np.ndarray:
    return shapely.box(x0, y0, x1, y1)


def _multi(polygons: np.ndarray) -> np.ndarray:
    """Each polygon as a one-part MultiPolygon (the catalogue's MULTIPOLYGON layers)."""
    return shapely.multipolygons(polygons, indices=np.arange(len(polygons)))


# -- buildings and parcels ------------------------------------------------------------------------


def building_frames(city: City, n: int, n_parcels: int, rng: np.random.Generator) -> dict[str, gpd.GeoDataFrame]:
    """``n`` buildings (plot order) and the first ``n_parcels`` of their plots."""
    plot = np.arange(n)
    block, slot = np.divmod(plot, PLOTS_PER_BLOCK)
    north, along = np.divmod(slot, PLOTS_PER_SIDE)  # north = 1: plots on the block's north side
    bx, by = city.block_origin(block)
    plot_w, plot_d = BLOCK_W / PLOTS_PER_SIDE, BLOCK_D / 2
    px0 = bx + along * plot_w
    py0 = by + north * plot_d

    width = rng.uniform(10.0, plot_w - 4.0, n)
    depth = rng.uniform(9.0, 16.0, n)
    offset = rng.uniform(2.0, plot_w - 2.0 - width)
    x0 = px0 + offset
    # front = the street side: south side of south plots, north side of north plots
    front = np.where(north == 1, by + BLOCK_D - SETBACK, by + SETBACK)
    sign = np.where(north == 1, -1.0, 1.0)  # depth grows into the block

    is_l = rng.random(n) < 0.3
    wing_w = width * rng.uniform(0.35, 0.6, n)
    wing_d = rng.uniform(5.0, 12.0, n)
    # local (u along the street, v into the block) outlines; rectangles repeat the last vertex
    u = np.stack([np.zeros(n), width, width, wing_w, wing_w, np.zeros(n), np.zeros(n)], axis=1)
    v = np.stack([np.zeros(n), np.zeros(n), depth, depth, depth + wing_d, depth + wing_d, np.zeros(n)], axis=1)
    rect_u = np.stack([np.zeros(n), width, width, np.zeros(n), np.zeros(n)], axis=1)
    rect_v = np.stack([np.zeros(n), np.zeros(n), depth, depth, np.zeros(n)], axis=1)
    polygons = np.empty(n, dtype=object)
    for mask, uu, vv in ((is_l, u, v), (~is_l, rect_u, rect_v)):
        if mask.any():
            xs = x0[mask, None] + uu[mask]
            ys = front[mask, None] + sign[mask, None] * vv[mask]
            polygons[mask] = shapely.polygons(np.stack([xs, ys], axis=2))
    polygons = shapely.orient_polygons(polygons) if hasattr(shapely, "orient_polygons") else polygons

    function = rng.choice(FUNCTIONS, n, p=FUNCTION_P)
    storeys = np.where(function == "Garage", 1, rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 8], n))
    height = np.round(storeys * 3.0 + rng.uniform(0.0, 3.0, n), 2)
    ids = np.char.add("synthetic-building-", np.char.zfill(plot.astype(str), 7))
    buildings = gpd.GeoDataFrame(
        {
            "id": ids,
            "source": SOURCE,
            "source_id": plot.astype(str),
            "name": np.char.add("Synthetisches Gebäude ", (plot + 1).astype(str)),
            "function": function,
            "height": height,
            "storeys": storeys.astype("int64"),
            "height_estimated": False,
            "base_height": np.round(8.0 + 0.002 * (bx - ORIGIN[0]) + rng.uniform(0, 1, n), 2),
            "roof_type": rng.choice(ROOFS, n),
            "synthetic": True,
        },
        geometry=_multi(polygons),
        crs=f"EPSG:{GENERATOR_EPSG}",
    )

    frames = {"buildings": buildings}
    m = max(0, min(n_parcels, n))
    if m:
        parcels = gpd.GeoDataFrame(
            {
                "id": np.char.add("synthetic-parcel-", np.char.zfill(plot[:m].astype(str), 7)),
                "source": SOURCE,
                "source_id": plot[:m].astype(str),
                "flurstueck_nummer": np.char.add(
                    np.char.add("SYN ", block[:m].astype(str)), np.char.add("/", (slot[:m] + 1).astype(str))
                ),
                "synthetic": True,
            },
            geometry=_multi(_boxes(px0[:m], py0[:m], px0[:m] + plot_w, py0[:m] + plot_d)),
            crs=f"EPSG:{GENERATOR_EPSG}",
        )
        frames["parcels"] = parcels
    return frames


def street_frame(city: City) -> gpd.GeoDataFrame:
    """One line per street segment between two crossings (east-west and north-south)."""
    s = city.side
    # crossings at block corners minus half a street
    cx = ORIGIN[0] - STREET / 2 + np.arange(s + 1) * PITCH_X
    cy = ORIGIN[1] - STREET / 2 + np.arange(s + 1) * PITCH_Y
    r, c = np.meshgrid(np.arange(s + 1), np.arange(s), indexing="ij")  # east-west: row r, between col c, c+1
    ew = np.stack([np.stack([cx[c], cy[r]], -1), np.stack([cx[c + 1], cy[r]], -1)], axis=-2).reshape(-1, 2, 2)
    ew_name = np.char.add("Synthetische Straße ", (r.ravel() + 1).astype(str))
    ew_kind = np.where(r.ravel() % 5 == 0, "secondary", "residential")
    r2, c2 = np.meshgrid(np.arange(s), np.arange(s + 1), indexing="ij")  # north-south: col c2, between r2, r2+1
    ns = np.stack([np.stack([cx[c2], cy[r2]], -1), np.stack([cx[c2], cy[r2 + 1]], -1)], axis=-2).reshape(-1, 2, 2)
    ns_name = np.char.add("Synthetischer Weg ", (c2.ravel() + 1).astype(str))
    ns_kind = np.where(c2.ravel() % 5 == 0, "primary", "residential")
    coords = np.concatenate([ew, ns])
    lines = shapely.linestrings(coords)
    k = np.arange(len(lines))
    return gpd.GeoDataFrame(
        {
            "id": np.char.add("synthetic-street-", np.char.zfill(k.astype(str), 7)),
            "source": SOURCE,
            "source_id": k.astype(str),
            "name": np.concatenate([ew_name, ns_name]),
            "highway": np.concatenate([ew_kind, ns_kind]),
            "synthetic": True,
        },
        geometry=shapely.multilinestrings(lines, indices=k),
        crs=f"EPSG:{GENERATOR_EPSG}",
    )


# -- plans -------------------------------------------------------------------------------------------


def plan_frames(city: City, n_plans: int, rng: np.random.Generator) -> dict[str, gpd.GeoDataFrame]:
    """``n_plans`` Bebauungspläne, each over a square of blocks, with their Festsetzungen."""
    if n_plans <= 0:
        return {}
    k = 3
    while k > 1 and (city.side // k) ** 2 < n_plans:
        k -= 1
    cells_per_side = city.side // k
    if cells_per_side**2 < n_plans:
        raise GeneratorError(
            f"{n_plans} plans do not fit into a city of {city.side} × {city.side} blocks; "
            "generate more buildings or fewer plans"
        )
    cells = np.sort(rng.choice(cells_per_side**2, n_plans, replace=False))
    cell_row, cell_col = np.divmod(cells, cells_per_side)
    p = np.arange(n_plans)
    plan_ids = np.char.add("synthetic-plan-", np.char.zfill(p.astype(str), 5))
    # plan area: the k × k blocks and the streets around them (half a street on each side)
    x0 = ORIGIN[0] + cell_col * k * PITCH_X - STREET / 2
    y0 = ORIGIN[1] + cell_row * k * PITCH_Y - STREET / 2
    areas = _boxes(x0, y0, x0 + k * PITCH_X, y0 + k * PITCH_Y)
    crs = f"EPSG:{GENERATOR_EPSG}"

    state = rng.integers(0, len(RECHTSSTAENDE), n_plans)
    day = pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 5000, n_plans), unit="D")
    in_participation = state == 3
    plan = gpd.GeoDataFrame(
        {
            "id": plan_ids,
            "plan_id": plan_ids,
            "name": np.char.add("Synthetischer Bebauungsplan ", (p + 1).astype(str)),
            "nummer": np.char.add("SYN-", (p + 1).astype(str)),
            "beschreibung": "Synthetische Testdaten für Lasttests – kein echter Plan",
            "gemeinde": GEMEINDE,
            "planart": "BPlan",
            "rechtsstand": [RECHTSSTAENDE[i][0] for i in state],
            "rechtsstand_code": [RECHTSSTAENDE[i][1] for i in state],
            "aufstellungsbeschluss_datum": day.strftime("%Y-%m-%d"),
            "inkrafttretens_datum": np.where(state == 0, (day + pd.Timedelta(days=700)).strftime("%Y-%m-%d"), None),
            "xplan_version": "6.0",
            "source_file": "synthetic",
            "imported_at": "2025-01-01T00:00:00+00:00",
            "participation_start": np.where(in_participation, "2025-01-01T00:00:00+00:00", None),
            "participation_end": np.where(in_participation, "2035-12-31T23:59:59+00:00", None),
        },
        geometry=_multi(areas),
        crs=crs,
    )
    bereich = gpd.GeoDataFrame(
        {
            "id": np.char.add(plan_ids, "-bereich"),
            "plan_id": plan_ids,
            "nummer": "0",
            "name": "Synthetischer Geltungsbereich",
            "xplan_class": "BP_Bereich",
        },
        geometry=_multi(areas),
        crs=crs,
    )

    # one Baugebietsteilfläche and one Baugrenze per block of the plan
    plan_of, (dr, dc) = np.repeat(p, k * k), np.divmod(np.tile(np.arange(k * k), n_plans), k)
    block = (cell_row[plan_of] * k + dr) * city.side + cell_col[plan_of] * k + dc
    bx, by = city.block_origin(block)
    blocks = _boxes(bx, by, bx + BLOCK_W, by + BLOCK_D)
    zone = rng.integers(0, len(ZONES), len(block))
    z = np.array([ZONES[i] for i in zone], dtype=object)
    object_ids = np.char.add(np.char.add(plan_ids[plan_of], "-"), (dr * k + dc).astype(str))
    common = {
        "plan_id": plan_ids[plan_of],
        "bereich_id": np.char.add(plan_ids[plan_of], "-bereich"),
        "rechtscharakter": "Festsetzung",
    }
    baugebiet = gpd.GeoDataFrame(
        {
            "id": np.char.add(object_ids, "-baugebiet"),
            **common,
            "xplan_class": "BP_BaugebietsTeilFlaeche",
            "allg_art_der_baulichen_nutzung": z[:, 1],
            "besondere_art_der_baulichen_nutzung": z[:, 2],
            "art_code": z[:, 0],
            "grz": z[:, 3].astype(float),
            "gfz": z[:, 4].astype(float),
            "z": z[:, 5].astype("int64"),
            "bauweise": z[:, 6],
            "flaeche_m2": BLOCK_W * BLOCK_D,
        },
        geometry=_multi(blocks),
        crs=crs,
    )
    inset = BAUFENSTER_INSET
    baugrenze = gpd.GeoDataFrame(
        {
            "id": np.char.add(object_ids, "-baugrenze"),
            **common,
            "xplan_class": "BP_BauGrenze",
            "art": "Baugrenze",
        },
        geometry=_boxes(bx + inset, by + inset, bx + BLOCK_W - inset, by + BLOCK_D - inset),
        crs=crs,
    )
    streets = shapely.difference(areas, shapely.multipolygons(blocks, indices=plan_of))
    verkehr = gpd.GeoDataFrame(
        {
            "id": np.char.add(plan_ids, "-verkehrsflaeche"),
            "plan_id": plan_ids,
            "bereich_id": np.char.add(plan_ids, "-bereich"),
            "rechtscharakter": "Festsetzung",
            "xplan_class": "BP_StrassenVerkehrsFlaeche",
            "zweckbestimmung": "Strassenverkehr",
        },
        geometry=streets,
        crs=crs,
    )
    text_plan = np.repeat(p, 2)
    nr = np.tile([1, 2], n_plans)
    texts = gpd.GeoDataFrame(
        {
            "id": np.char.add(np.char.add(plan_ids[text_plan], "-text-"), nr.astype(str)),
            "plan_id": plan_ids[text_plan],
            "schluessel": np.char.add("§ ", nr.astype(str)),
            "gesetzliche_grundlage": "BauNVO",
            "text": np.where(
                nr == 1,
                "Synthetische Festsetzung: Stellplätze sind nur innerhalb der Baugrenzen zulässig.",
                "Synthetische Festsetzung: Flachdächer sind zu begrünen.",
            ),
            "rechtscharakter": "Festsetzung",
            "sort_key": nr.astype("int64"),
        },
        geometry=_multi(areas[text_plan]),
        crs=crs,
    )
    return {
        "bp_plan": plan,
        "bp_bereich": bereich,
        "bp_baugebiet": baugebiet,
        "bp_baugrenze": baugrenze,
        "bp_verkehrsflaeche": verkehr,
        "bp_textabschnitt": texts,
    }


# -- contributions (only if the catalogue has the layer) -----------------------------------------------


#: Plausible values for columns of the contributions layer, where the catalogue has them.
CONTRIBUTION_KINDS = np.array(["kommentar", "vorschlag", "maengelmeldung"])
CONTRIBUTION_CATEGORIES = np.array(["strasse", "beleuchtung", "gruen", "muell", "sonstiges"])
CONTRIBUTION_STATUS = np.array(["freigegeben", "eingereicht", "abgelehnt", "in_bearbeitung", "erledigt"])


def generic_frame(
    layer_id: str,
    n: int,
    city: City,
    rng: np.random.Generator,
    plan_ids: np.ndarray | None = None,
    plan_areas: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """``n`` synthetic rows of a catalogue layer (contributions): points, columns filled by name or type.

    With plans given, 70 % of the rows are about a plan (``plan_id``) and lie inside it.
    """
    layer = LAYERS[layer_id]
    k = np.arange(n)
    minx, miny, maxx, maxy = city.extent
    x, y = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    plan = np.full(n, None, dtype=object)
    if plan_ids is not None and len(plan_ids):
        linked = rng.random(n) < 0.7
        which = rng.integers(0, len(plan_ids), n)
        bounds = shapely.bounds(plan_areas[which])
        x = np.where(linked, rng.uniform(bounds[:, 0], bounds[:, 2]), x)
        y = np.where(linked, rng.uniform(bounds[:, 1], bounds[:, 3]), y)
        plan = np.where(linked, plan_ids[which], None)
    created = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), unit="min")
    created_text = created.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    status = rng.choice(CONTRIBUTION_STATUS, n, p=[0.6, 0.15, 0.1, 0.1, 0.05])
    known = {
        "kind": rng.choice(CONTRIBUTION_KINDS, n, p=[0.6, 0.25, 0.15]),
        "category": rng.choice(CONTRIBUTION_CATEGORIES, n),
        "text": np.char.add("Synthetischer Beitrag für Lasttests Nr. ", (k + 1).astype(str)),
        "plan_id": plan,
        "target_collection": np.where(plan != None, "bp_plan", None),  # noqa: E711 (element-wise)
        "target_id": plan,
        "pseudonym": np.char.add("Synthetische Person ", (k % 997 + 1).astype(str)),
        "status": status,
        "status_history": [json.dumps([{"status": s, "at": c}]) for s, c in zip(status, created_text, strict=True)],
        "like_count": rng.poisson(1.5, n).astype("int64"),
        "created_at": created_text,
        "updated_at": created_text,
    }
    data: dict[str, object] = {}
    for name, kind in layer.columns.items():
        if name == "id":
            data[name] = np.char.add(f"synthetic-{layer_id}-", np.char.zfill(k.astype(str), 7))
        elif name == "synthetic":
            data[name] = True
        elif name == "source":
            data[name] = SOURCE
        elif name in known:
            data[name] = known[name]
        elif name.endswith(("_id", "_hash")):
            data[name] = None
        elif kind == "text":
            data[name] = np.char.add(f"synthetisch ({name}) ", (k + 1).astype(str))
        elif kind == "integer":
            data[name] = rng.integers(0, 5, n).astype("int64")
        elif kind == "real":
            data[name] = np.round(rng.uniform(0, 100, n), 2)
        elif kind == "boolean":
            data[name] = rng.random(n) < 0.5
        elif kind == "date":
            data[name] = "2025-01-01"
        elif kind == "datetime":
            data[name] = created_text
        elif kind == "json":
            data[name] = '{"synthetic": true}'
    geometry = None
    if layer.geometry_type in ("POINT", "GEOMETRY"):
        geometry = shapely.points(x, y)
    elif layer.geometry_type == "MULTIPOINT":
        geometry = shapely.multipoints(shapely.points(x, y), indices=k)
    frame = gpd.GeoDataFrame(data, geometry=geometry, crs=f"EPSG:{GENERATOR_EPSG}")
    return frame


# -- writing ---------------------------------------------------------------------------------------------


def generate_frames(
    buildings: int,
    plans: int,
    contributions: int,
    parcels: int | None = None,
    seed: int = 42,
    notes: list[str] | None = None,
) -> dict[str, dict[str, gpd.GeoDataFrame]]:
    """The synthetic city as ``{"city": frames, "plans": frames, "contributions": frames}`` (EPSG:25832)."""
    notes = notes if notes is not None else []
    rng = np.random.default_rng(seed)
    city = City.for_buildings(buildings)
    parcels = buildings if parcels is None else parcels
    city_frames = building_frames(city, buildings, parcels, rng) if buildings > 0 else {}
    if buildings > 0:
        city_frames["streets"] = street_frame(city)
    plans_frames = plan_frames(city, plans, np.random.default_rng(seed + 1))
    contribution_frames = {}
    if contributions > 0:
        if "contributions" in LAYERS:
            plan_layer = plans_frames.get("bp_plan")
            frame = generic_frame(
                "contributions",
                contributions,
                city,
                np.random.default_rng(seed + 2),
                None if plan_layer is None else plan_layer["id"].to_numpy(),
                None if plan_layer is None else plan_layer.geometry.values,
            )
            if frame.geometry.isna().all() and LAYERS["contributions"].geometry_type:
                notes.append(
                    f"contributions: geometry type {LAYERS['contributions'].geometry_type} not generated; skipped"
                )
            else:
                contribution_frames["contributions"] = frame
        else:
            notes.append("contributions: no such layer in schema/catalog.py yet; skipped")
    for layer_id in ("bp_gruenflaeche", "bp_planraster"):
        if plans > 0:
            notes.append(f"{layer_id}: not generated (the benchmarks do not query it)")
    return {
        name: _fit_catalogue(group, notes)
        for name, group in (("city", city_frames), ("plans", plans_frames), ("contributions", contribution_frames))
    }


def _fit_catalogue(frames: dict[str, gpd.GeoDataFrame], notes: list[str]) -> dict[str, gpd.GeoDataFrame]:
    """Only layers and columns the catalogue has (it changes while the generator stays the same)."""
    fitted = {}
    for layer_id, frame in frames.items():
        if layer_id not in LAYERS:
            notes.append(f"{layer_id}: not in the catalogue; skipped")
            continue
        extra = [c for c in frame.columns if c != "geometry" and c not in LAYERS[layer_id].columns]
        frame = frame.drop(columns=extra) if extra else frame
        if not isinstance(frame, gpd.GeoDataFrame):  # a table without geometry
            frame = gpd.GeoDataFrame(frame, geometry=None, crs=f"EPSG:{GENERATOR_EPSG}")
        fitted[layer_id] = frame
    return fitted


def _to_store_crs(frames: dict[str, gpd.GeoDataFrame], epsg: int) -> dict[str, gpd.GeoDataFrame]:
    if epsg == GENERATOR_EPSG:
        return frames
    return {k: f.to_crs(epsg) for k, f in frames.items()}


def generate(
    url: str,
    buildings: int = DEFAULTS["buildings"],
    plans: int = DEFAULTS["plans"],
    contributions: int = DEFAULTS["contributions"],
    parcels: int | None = None,
    seed: int = 42,
    replace: bool = False,
    epsg: int | None = None,
    log=print,
) -> dict[str, int]:
    """Write the synthetic city into the store at ``url``; returns rows written per layer."""
    from store.base import StoreError, open_store

    notes: list[str] = []
    t0 = time.perf_counter()
    groups = generate_frames(buildings, plans, contributions, parcels, seed, notes)
    log(
        f"generated in {time.perf_counter() - t0:.1f} s: "
        + ", ".join(f"{k} {len(f)}" for g in groups.values() for k, f in g.items())
    )
    written: dict[str, int] = {}
    store = open_store(url, epsg=epsg)
    try:
        store.create_schema()
        if groups["plans"]:
            old = store.read("bp_plan", where={"gemeinde": GEMEINDE})
            if len(old):
                if not replace:
                    raise StoreError(f"{url} holds {len(old)} synthetic plans already; use a fresh store or --replace")
                for plan_id in old["id"]:
                    store.delete_plan(plan_id)
        contributions_there = False
        if groups["contributions"]:
            first = groups["contributions"]["contributions"]["id"].iloc[0]
            contributions_there = len(store.read("contributions", where={"id": first})) > 0
            if contributions_there:
                notes.append("contributions: the synthetic ones are there already; kept as they are")
        for name, frames in groups.items():
            if not frames or (name == "contributions" and contributions_there):
                continue
            t1 = time.perf_counter()
            frames = _to_store_crs(frames, store.epsg)
            source = SOURCE if name == "city" else None
            result = store.replace(frames, source=source)
            written.update(result)
            log(
                f"wrote {name} in {time.perf_counter() - t1:.1f} s: " + ", ".join(f"{k} {v}" for k, v in result.items())
            )
    finally:
        store.close()
    for note in notes:
        log(f"note: {note}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", help="GeoPackage path or postgresql:// URL")
    parser.add_argument("--buildings", type=int, default=DEFAULTS["buildings"])
    parser.add_argument("--plans", type=int, default=DEFAULTS["plans"])
    parser.add_argument("--contributions", type=int, default=DEFAULTS["contributions"])
    parser.add_argument("--parcels", type=int, default=None, help="default: one per building; 0 for none")
    parser.add_argument(
        "--city", action="store_true", help="city scale: 400 000 buildings, 5 000 plans, 100 000 contributions"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--epsg", type=int, default=None, help="storage CRS of a new store (default 25832)")
    parser.add_argument("--replace", action="store_true", help="delete synthetic plans already in the store")
    args = parser.parse_args(argv)
    sizes = dict(CITY_SCALE) if args.city else {k: getattr(args, k) for k in DEFAULTS}
    t0 = time.perf_counter()
    generate(args.store, parcels=args.parcels, seed=args.seed, replace=args.replace, epsg=args.epsg, **sizes)
    print(f"done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
