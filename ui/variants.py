"""Scenario variants in the 3D view: choose A and B, show them alone or side by side, compare indicators.

Variants are the shipped scenarios (``scenarios/examples``; only their ids and
titles are read here). Everything computed comes from the OGC API Process
``run-scenario`` over HTTP, like any other client: the variant's buildings
(``include_buildings``) and the indicator deltas A -> B (``deltas.totals``).
Buildings travel to deck.gl as layer *data* with a few numeric properties;
no scenario or user text ever goes into an accessor.
"""

from __future__ import annotations

import logging

import requests
from dash import html

from ui.api import ApiError, _detail, _forwarded_headers, unescape_pygeoapi
from ui.festsetzungen import number
from ui.i18n import TEXTS, t

LOG = logging.getLogger(__name__)

PROCESS = "run-scenario"

#: Rows of the whole area's table: (indicator in deltas.totals, i18n key, kind).
#: kind: "m2" (square metres, whole), "count" (whole), "share" (percent, 1 decimal; its difference in
#: percentage points). GRZ and GFZ are not here: averaged over every zone of a city they say nothing; they
#: are shown per affected zone (:func:`zone_rows`).
INDICATORS = (
    ("floor_area_m2", "variants.ind.floor_area", "m2"),
    ("dwellings", "variants.ind.dwellings", "count"),
    ("residents", "variants.ind.residents", "count"),
    ("sealed_share", "variants.ind.sealed_share", "share"),
    ("violations", "variants.ind.violations", "count"),
)

#: Building properties deck.gl and the pick details need; everything else stays on the server.
_BUILDING_PROPS = ("id", "height", "storeys", "synthetic", "change")

#: ``change`` of a variant's building compared with the stored one (the 3D view colours by it).
UNCHANGED, CHANGED, NEW = 0, 1, 2


def _short(title: str) -> str:
    """``Nachverdichtung Langenhorn: zwei Vollgeschosse …`` -> ``Nachverdichtung Langenhorn``."""
    return (title or "").split(":", 1)[0].strip()


def _load_variants() -> tuple[list[tuple[str, str, str]], dict[str, frozenset]]:
    """(id, German title, English title) of the shipped scenarios, baseline-like ones first; their plans."""
    try:
        from scenarios.model import shipped_scenarios

        scenarios = shipped_scenarios()
    except Exception as err:  # noqa: BLE001 - the 3D view works without variants
        LOG.warning("shipped scenarios not readable: %s", err)
        return [], {}
    rows = [(sid, s.title_de or sid, s.title_en or s.title_de or sid) for sid, s in scenarios.items()]
    plans = {}
    for sid in scenarios:  # a variant's plans are its own or, where it names none, those of its base
        seen, scenario = set(), scenarios[sid]
        while not scenario.plan_ids and scenario.base in scenarios and scenario.base not in seen:
            seen.add(scenario.base)
            scenario = scenarios[scenario.base]
        plans[sid] = frozenset(str(p) for p in scenario.plan_ids or ())
    return sorted(rows, key=lambda row: (not row[0].endswith("baseline"), row[0])), plans


VARIANTS, VARIANT_PLANS = _load_variants()
VARIANT_IDS = [row[0] for row in VARIANTS]
DEFAULT_A = VARIANT_IDS[0] if VARIANT_IDS else None
DEFAULT_B = next((v for v in VARIANT_IDS if v != DEFAULT_A), DEFAULT_A)

# Short titles as i18n entries, so the buttons follow the language switch like every other label.
for _sid, _de, _en in VARIANTS:
    TEXTS.setdefault(f"variant.{_sid}", (_short(_de), _short(_en)))


def applies(variant_id: str | None, catalog: dict | None) -> bool:
    """Whether a shipped variant is about plans this installation holds.

    The demo's variants are about Hamburg-Langenhorn; on another city's data running them would
    only compute an empty result, at the cost of reading the whole city. A variant naming no
    plans is about the whole city and always applies.
    """
    if not variant_id:
        return False
    plans = VARIANT_PLANS.get(variant_id) or STORED_PLANS.get(variant_id, frozenset())
    return not plans or any(str(p.get("id")) in plans for p in (catalog or {}).get("plans", []))


def variant_title(variant_id: str | None, lang: str = "de") -> str:
    if not variant_id:
        return ""
    if f"variant.{variant_id}" in TEXTS:
        return t(f"variant.{variant_id}", lang)
    return variant_id


def run_scenario(api_url: str, inputs: dict, timeout: float = 120) -> dict:
    """POST …/processes/run-scenario/execution (synchronous) and return its JSON; raises :class:`ApiError`."""
    url = f"{api_url.rstrip('/')}/processes/{PROCESS}/execution"
    headers = {"Content-Type": "application/json", "Accept": "application/json", **_forwarded_headers()}
    try:
        reply = requests.post(url, json={"inputs": inputs}, headers=headers, timeout=timeout)
    except requests.RequestException as err:
        raise ApiError(None, str(err)) from err
    if not reply.ok:
        raise ApiError(reply.status_code, _detail(reply))
    try:
        return unescape_pygeoapi(reply.json())
    except ValueError as err:
        raise ApiError(reply.status_code, "no JSON") from err


def slim_buildings(collection: dict | None, stored: dict[str, dict] | None = None) -> dict:
    """The variant's buildings with only the numeric properties the 3D view uses.

    ``stored``: the stored buildings of the variant's area by id (``{"height", "storeys", "geometry"}``); with it
    each building gets ``change`` (:data:`NEW`, :data:`CHANGED` or :data:`UNCHANGED`, see :func:`building_change`).
    """
    features = []
    for feature in (collection or {}).get("features") or []:
        props = feature.get("properties") or {}
        slim = {key: props.get(key) for key in _BUILDING_PROPS if key in props}
        try:
            slim["height"] = float(slim.get("height") or 0)
        except (TypeError, ValueError):
            slim["height"] = 0.0
        slim["synthetic"] = bool(slim.get("synthetic"))
        if stored is not None:
            slim["change"] = building_change(slim, feature.get("geometry"), stored.get(str(props.get("id"))))
        features.append({"type": "Feature", "properties": slim, "geometry": feature.get("geometry")})
    return {"type": "FeatureCollection", "features": features}


def building_change(props: dict, geometry: dict | None, stored: dict | None) -> int:
    """Is a variant's building new, changed (height, storeys or footprint) or as it stands today?"""
    if stored is None:
        return NEW
    try:
        if abs(float(props.get("height") or 0) - float(stored.get("height") or 0)) > 0.25:
            return CHANGED
    except (TypeError, ValueError):
        return CHANGED
    if (props.get("storeys") or None) != (stored.get("storeys") or None) and stored.get("storeys") is not None:
        return CHANGED
    if geometry and stored.get("geometry"):
        from shapely.geometry import shape

        try:
            mine, theirs = shape(geometry), shape(stored["geometry"])
        except (ValueError, TypeError, AttributeError):
            return UNCHANGED
        # the footprint moved or grew: more than 2 % of it is not where the stored one is
        if mine.area and mine.symmetric_difference(theirs).area > 0.02 * max(mine.area, theirs.area):
            return CHANGED
    return UNCHANGED


def collection_bbox(collection: dict | None) -> str | None:
    """``west,south,east,north`` around every feature of a GeoJSON collection (None when it has none)."""
    import shapely
    from shapely.geometry import shape

    geoms = []
    for feature in (collection or {}).get("features") or []:
        try:
            geoms.append(shape(feature.get("geometry")))
        except (ValueError, TypeError, AttributeError):
            continue
    if not geoms:
        return None
    west, south, east, north = shapely.GeometryCollection(geoms).bounds
    return f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}"


def assumptions_of(variant_id: str | None) -> tuple[float, float]:
    """(m² of floor area per dwelling, persons per dwelling) a variant's estimates use (shipped parameters,
    else the defaults of :class:`scenarios.model.Parameters`)."""
    from scenarios.model import Parameters

    defaults = Parameters()
    try:
        from scenarios.model import shipped_scenarios

        scenario = shipped_scenarios().get(variant_id or "")
    except Exception:  # noqa: BLE001 - the comparison works without the shipped files
        scenario = None
    params = getattr(scenario, "parameters", None) or defaults
    return float(params.m2_per_dwelling), float(params.persons_per_dwelling)


def format_indicator(value, kind: str, lang: str, signed: bool = False) -> str:
    """A number as the UI shows it: kind ``m2``, ``ratio``, ``share`` (percent), ``points`` (a difference of two
    shares, in percentage points) or ``count``."""
    if value is None:
        return "–"
    value = float(value)
    sign = ""
    if signed:
        sign = "+" if value > 0 else ("−" if value < 0 else "±")
        value = abs(value)
    if kind == "m2":
        return f"{sign}{number(value, lang, 0)} m²"
    if kind == "ratio":
        return sign + number(value, lang, 2)
    if kind == "share":
        return f"{sign}{number(value * 100, lang, 1)} %"
    if kind == "points":
        return f"{sign}{number(value * 100, lang, 1)} {t('variants.points', lang)}"
    return sign + number(value, lang, 0)


def compare_rows(deltas: dict | None, lang: str = "de") -> list[dict]:
    """The whole area's rows from a process ``deltas`` object: formatted a, b, delta, relative.

    A share's difference is in percentage points ("+2,9 Prozentpunkte", not "+2,9 %"), and it has no
    relative change (a change of a share relative to itself confuses more than it tells).
    """
    totals = (deltas or {}).get("totals") or {}
    rows = []
    for name, key, kind in INDICATORS:
        entry = totals.get(name)
        if not entry:
            continue
        relative = entry.get("relative") if kind != "share" else None
        rows.append(
            {
                "indicator": name,
                "label": t(key, lang),
                "a": format_indicator(entry.get("a"), kind, lang),
                "b": format_indicator(entry.get("b"), kind, lang),
                "delta": format_indicator(entry.get("delta"), "points" if kind == "share" else kind, lang, signed=True),
                "relative": "–" if relative is None else format_indicator(relative, "share", lang, signed=True),
                "direction": "up"
                if (entry.get("delta") or 0) > 0
                else ("down" if (entry.get("delta") or 0) < 0 else "same"),
            }
        )
    return rows


#: Per-zone figures whose change makes a zone "affected".
_ZONE_CHANGES = (
    "buildings",
    "footprint_m2",
    "floor_area_m2",
    "grz",
    "grz_permitted",
    "gfz_permitted",
    "z_permitted",
    "dwellings",
    "residents",
)


def _changed(entry) -> bool:
    if not isinstance(entry, dict):
        return False
    a, b = entry.get("a"), entry.get("b")
    if (a is None) != (b is None):
        return True
    delta = entry.get("delta")
    return delta is not None and abs(float(delta)) > 1e-6


def zone_rows(deltas: dict | None, catalog: dict | None, lang: str = "de") -> list[dict]:
    """One row per zone that changes from A to B: its name, GRZ A → B with the permitted one, and the
    differences of floor area, dwellings and residents (largest change of floor area first)."""
    from ui.catalog import find
    from ui.festsetzungen import art_label

    rows = []
    for zone in (deltas or {}).get("zones") or []:
        if not any(_changed(zone.get(metric)) for metric in _ZONE_CHANGES):
            continue
        row = find(catalog, "bp_baugebiet", str(zone.get("zone_id"))) or {"art_code": zone.get("art_code")}
        grz = zone.get("grz") or {}
        permitted = (zone.get("grz_permitted") or {}).get("b")
        grz_text = f"{format_indicator(grz.get('a'), 'ratio', lang)} → {format_indicator(grz.get('b'), 'ratio', lang)}"
        if permitted is not None:
            grz_text += f" ({format_indicator(permitted, 'ratio', lang)})"
        floor = (zone.get("floor_area_m2") or {}).get("delta")
        rows.append(
            {
                "zone_id": str(zone.get("zone_id")),
                "name": art_label(row, lang) if row else str(zone.get("zone_id")),
                "bbox": row.get("bbox") if row else None,
                "plan_id": zone.get("plan_id"),
                "grz": grz_text,
                "floor": format_indicator(floor, "m2", lang, signed=True),
                "dwellings": format_indicator((zone.get("dwellings") or {}).get("delta"), "count", lang, signed=True),
                "residents": format_indicator((zone.get("residents") or {}).get("delta"), "count", lang, signed=True),
                "order": -abs(float(floor or 0)),
            }
        )
    rows.sort(key=lambda r: (r["order"], r["name"]))
    # the same kind of zone twice reads the same: number them
    seen: dict[str, int] = {}
    for row in rows:
        seen[row["name"]] = seen.get(row["name"], 0) + 1
    counter: dict[str, int] = {}
    for row in rows:
        if seen[row["name"]] > 1:
            counter[row["name"]] = counter.get(row["name"], 0) + 1
            row["name"] = f"{row['name']} {counter[row['name']]}"
    return rows


def summary_block(deltas: dict | None, a_id: str | None, b_id: str | None, lang: str = "de") -> html.Div:
    """Plain words first: what B adds to A, how the buildings change, and what the estimates assume."""
    totals = (deltas or {}).get("totals") or {}

    def delta(name: str, kind: str) -> str:
        return format_indicator((totals.get(name) or {}).get("delta"), kind, lang, signed=True)

    lines = [
        html.P(
            t(
                "variants.summary",
                lang,
                floor=delta("floor_area_m2", "m2"),
                dwellings=delta("dwellings", "count"),
                residents=delta("residents", "count"),
            ),
            className="variant-summary",
        )
    ]
    changes = (deltas or {}).get("buildings") or {}
    if changes:
        lines.append(
            html.P(
                t(
                    "variants.buildings_changed",
                    lang,
                    added=number(changes.get("added", 0), lang, 0),
                    changed=number(changes.get("changed", 0), lang, 0),
                    removed=number(changes.get("removed", 0), lang, 0),
                )
            )
        )
    (m2_a, persons_a), (m2_b, persons_b) = assumptions_of(a_id), assumptions_of(b_id)
    if (m2_a, persons_a) == (m2_b, persons_b):
        assumed = t("variants.assumptions", lang, m2=number(m2_b, lang, 0), persons=number(persons_b, lang, 1))
    else:
        assumed = t(
            "variants.assumptions_ab",
            lang,
            m2_a=number(m2_a, lang, 0),
            persons_a=number(persons_a, lang, 1),
            m2_b=number(m2_b, lang, 0),
            persons_b=number(persons_b, lang, 1),
        )
    lines.append(html.P(assumed, className="hint", id="variant-assumptions"))
    return html.Div(lines)


def zones_table(rows: list[dict], a_title: str, b_title: str, lang: str = "de") -> html.Table | html.P:
    """The affected zones, one row each (caption, ``th scope``)."""
    if not rows:
        return html.P(t("variants.no_zone_change", lang), className="hint")
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(f"variants.col.{key}", lang), scope="col")
                for key in ("zone", "grz", "floor", "dwellings", "residents")
            ]
        )
    )
    from ui.plan_panel import select_button

    # each zone's name opens it in the details panel (and highlights it on the map), so it can be found
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(
                        select_button(row["name"], "bp_baugebiet", row["zone_id"], row.get("plan_id"), where="compare"),
                        scope="row",
                    ),
                    html.Td(row["grz"], style=_NOWRAP),
                    html.Td(row["floor"], style=_NOWRAP),
                    html.Td(row["dwellings"], style=_NOWRAP),
                    html.Td(row["residents"], style=_NOWRAP),
                ],
                **{"data-zone": row["zone_id"]},
            )
            for row in rows
        ]
    )
    return html.Table(
        className="data compare-table",
        id="variant-zones-table",
        children=[html.Caption(t("variants.zones_caption", lang, a=a_title, b=b_title)), head, body],
    )


_NOWRAP = {"whiteSpace": "nowrap"}


def compare_table(deltas: dict | None, a_title: str, b_title: str, lang: str = "de") -> html.Table:
    """Accessible table (caption, ``th scope``) of the indicator deltas A -> B."""
    rows = compare_rows(deltas, lang)
    head = html.Thead(
        html.Tr(
            [
                html.Th(t("variants.col.indicator", lang), scope="col"),
                html.Th(f"A: {a_title}", scope="col"),
                html.Th(f"B: {b_title}", scope="col"),
                html.Th(t("variants.col.delta", lang), scope="col"),
                html.Th(t("variants.col.relative", lang), scope="col"),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(row["label"], scope="row"),
                    html.Td(row["a"], style=_NOWRAP),
                    html.Td(row["b"], style=_NOWRAP),
                    html.Td(
                        row["delta"],
                        className=f"delta {row['direction']}",
                        style=_NOWRAP,
                        **{"data-indicator": row["indicator"]},
                    ),
                    html.Td(row["relative"], style=_NOWRAP),
                ]
            )
            for row in rows
        ]
    )
    return html.Table(
        className="data compare-table",
        id="variant-compare-table",
        children=[
            html.Caption(t("variants.caption", lang, a=a_title, b=b_title)),
            head,
            body,
        ],
    )


def stored_variants(client) -> list[dict]:
    """The computed variants from the ``scenarios`` collection (indicators and like counts), baseline first."""
    features = client.items("scenarios", limit=500, cache=False, skipGeometry="true")
    return sorted(features, key=lambda f: (not str(f.get("id", "")).endswith("baseline"), str(f.get("id", ""))))


def prefer_button(variant_id: str, title: str, likes: int, lang: str) -> html.Button:
    """One like per person and variant (``POST /api/scenarios/<id>/like``); the label says the count."""
    return html.Button(
        f"{t('variants.prefer', lang)} ({likes})",
        id={"type": "variant-like", "id": variant_id},
        n_clicks=0,
        className="btn small",
        **{"aria-label": t("variants.prefer_of", lang, name=title, n=likes)},
    )


# -- the studio's stored variants in the A/B choice ---------------------------------------------------------------

#: Plans and a version token of the studio's variants, from the last listing (``GET /api/variants``).
STORED_PLANS: dict[str, frozenset] = {}
STORED_VERSIONS: dict[str, str] = {}


def variant_choices(client) -> list[tuple[str, str, str]]:
    """(id, German title, English title) for the A/B choice: the shipped variants, then the studio's that the
    visitor may see -- published ones for everyone, internal ones too for planners (``GET /api/variants``,
    with the visitor's credentials). Their short titles become i18n entries like the shipped ones'."""
    rows = list(VARIANTS)
    try:
        body = client.get_site_json("api/variants")
    except ApiError as err:
        LOG.warning("studio variants not listed: %s", err)
        return rows
    planner = bool(body.get("planner"))
    for variant in body.get("variants") or []:
        vid = str(variant.get("id") or "")
        if not vid or vid in VARIANT_IDS:
            continue
        de, en = variant.get("title_de") or vid, variant.get("title_en") or variant.get("title_de") or vid
        if planner and variant.get("status") != "published":
            de, en = f"{_short(de)} (intern)", f"{_short(en)} (internal)"
        TEXTS[f"variant.{vid}"] = (_short(de), _short(en))
        STORED_PLANS[vid] = frozenset(str(p) for p in variant.get("plan_ids") or ())
        STORED_VERSIONS[vid] = (
            f"{variant.get('published_version')}:{len(variant.get('versions') or [])}:{variant.get('status')}"
        )
        rows.append((vid, de, en))
    return rows


def cache_key(variant_id: str | None):
    """What a computed variant depends on: its id, its stored version, and whether a planner asks (planners see
    the latest saved version of a studio variant, citizens the published one)."""
    planner = False
    try:
        from flask import has_request_context

        if has_request_context():
            from access.viewer import current_viewer

            planner = current_viewer().is_planner
    except Exception:  # noqa: BLE001 - outside the app
        planner = False
    return (variant_id, STORED_VERSIONS.get(variant_id or ""), planner)
