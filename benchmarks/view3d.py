"""3D view at city scale: bytes and time to the first rendered frame in headless Chromium.

``python -m benchmarks.view3d [--buildings 400000] [--runs 3] [--gunicorn 2] [--pg URL]``

The synthetic city (:mod:`benchmarks.generate`, labelled synthetic) goes into one PostGIS; the
portal (UI and OGC API, ``gunicorn -w N`` as a city deploys it, or ``commands.serve`` with
``--gunicorn 0``) serves it, and Debian's Chromium (the flags of the browser tests: SwiftShader,
i.e. WebGL in software on the CPU, no GPU) opens the 3D view through a shared link
(``/?view=3d&lon=…&lat=…&zoom=…``), cold (a new browser profile per run), for two places:

* **district**: the middle of the city at zoom 15, pitched 45° (about 1.5 km × 1 km in view);
* **whole city**: the whole extent in view (zoom 11 for 400 000 buildings).

What is measured, per run (figures are medians over ``--runs``):

* **tiles, bytes**: the buildings' vector tiles the page fetched (count, encoded bytes), and all
  bytes the page fetched (scripts, plans and streets as GeoJSON, the 2D map's data: everything);
* **first tile**: when the first buildings tile had arrived (``responseEnd``);
* **first frame**: when the first frame showing tile buildings was drawn: the tiles' filter
  accessor (``window.buergergis.replaced3d``, called for each feature while deck.gl builds a
  tile's attributes, right before that tile is first drawn) is wrapped by the benchmark, and the
  first animation frame after its first call is the frame;
* **all in view**: the first frame after the last tile in view was processed (no new tile
  request and no accessor call for 3 s after it);

all in ms from navigation start; the two frame times come from the same run, the median one by
its first frame. A screenshot per place (``var/bench/view3d-<place>.png``) shows
what was drawn, and its share of non-background pixels is printed as a check ("–" where the
renderer was too busy drawing for chromedriver's screenshot, three times). For comparison,
the table gives the bytes the same buildings would take as one GeoJSON page (``items?bbox=``,
what the 3D view loaded before) — for the whole city extrapolated from a 1 000-feature page,
since no single request may return more than 10 000 features.
"""

from __future__ import annotations

import argparse
import io
import math
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.api import city_postgis, machine_note, run_timed, say, start_ours
from benchmarks.generate import City

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"

#: Run in the page before any of its scripts: wraps the tiles' filter accessor and keeps frame times.
INSTRUMENT = """
(() => {
  const m = window.__bench3d = {calls: 0, hidden: 0, first: null, last: null, frames: []};
  const tick = (t) => { m.frames.push(performance.now()); if (m.frames.length > 20000) m.frames.shift();
                        requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  let wrapped = null;
  const ns = window.buergergis = window.buergergis || {};
  Object.defineProperty(ns, 'replaced3d', {
    configurable: true, enumerable: true,
    get() { return wrapped; },
    set(impl) {
      wrapped = function (deck, id) {
        const now = performance.now();
        m.calls += 1; if (m.first === null) { m.first = now; } m.last = now;
        const replaced = impl(deck, id);
        m.hidden += replaced;
        return replaced;
      };
    },
  });
})();
"""

COLLECT = """
const m = window.__bench3d || {};
const all = performance.getEntriesByType('resource');
const tiles = all.filter(e => e.name.includes('/collections/buildings/tiles/'));
const after = (t) => t === null || t === undefined ? null : ((m.frames || []).find(f => f >= t) ?? null);
return {
  calls: m.calls || 0, first_call: m.first ?? null, last_call: m.last ?? null,
  first_frame: after(m.first), last_frame: after(m.last),
  tiles: tiles.map(e => ({url: e.name, status: e.responseStatus, bytes: e.encodedBodySize, end: e.responseEnd})),
  page_bytes: all.reduce((s, e) => s + (e.encodedBodySize || 0), 0)
              + (performance.getEntriesByType('navigation')[0] || {}).encodedBodySize || 0,
  requests: all.length,
};
"""


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.ui.conftest import CHROME_FLAGS  # the browser tests' flags: the same Chromium set-up

    chrome, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chrome and driver):
        raise SystemExit("Debian's chromium and chromium-driver are needed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    browser.set_script_timeout(60)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INSTRUMENT})
    return browser


def non_background_share(png: bytes) -> float:
    """Share of pixels unlike the most common colour (the empty view is one colour, near enough)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").reduce(2)
    pixels = list(zip(*(band.tobytes() for band in image.split()), strict=True))
    background = max(set(pixels), key=pixels.count)
    far = sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, background, strict=True)) > 24)
    return far / len(pixels)


def measure_once(base: str, link: str, place: str, quiet: float = 3.0, cap: float = 180.0) -> dict:
    """One cold page load of ``link``; waits until tiles and accessor calls have been quiet for ``quiet`` s."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By

    browser = _browser()
    try:
        browser.get(base + link)
        started = time.monotonic()
        last_change, seen = time.monotonic(), None
        while time.monotonic() - started < cap:
            time.sleep(0.5)
            try:
                state = browser.execute_script(
                    "const m = window.__bench3d || {}; const f = m.frames || [];"
                    "return [m.calls || 0, performance.getEntriesByType('resource')"
                    ".filter(e => e.name.includes('/buildings/tiles/')).length,"
                    " f.length > 0 && m.last !== null && f[f.length - 1] >= m.last];"
                )
            except TimeoutException:  # the renderer is busy drawing; ask again
                continue
            if state != seen:
                seen, last_change = state, time.monotonic()
            elif state[0] > 0 and state[2] and time.monotonic() - last_change >= quiet:
                break  # quiet, and the frame after the last tile's features has been drawn
        result = browser.execute_script(COLLECT)
        result["timed_out"] = time.monotonic() - started >= cap
        result["drawn_share"] = None
        # A frame of a whole city can take SwiftShader longer than chromedriver waits for a screenshot.
        for _attempt in range(3):
            try:
                png = browser.find_element(By.ID, "deck-region").screenshot_as_png
            except TimeoutException:
                continue
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / f"view3d-{place}.png").write_bytes(png)
            result["drawn_share"] = non_background_share(png)
            break
        return result
    finally:
        browser.quit()


def geojson_bytes(api: str, bbox: tuple[float, float, float, float]) -> tuple[int, int, bool]:
    """(bytes, features matched, extrapolated) of the buildings in ``bbox`` as GeoJSON from the OGC API."""
    import requests

    box = ",".join(f"{v:.6f}" for v in bbox)
    reply = requests.get(
        f"{api}/collections/buildings/items", params={"f": "json", "limit": 1000, "bbox": box}, timeout=300
    )
    reply.raise_for_status()
    body = reply.json()
    matched = int(body.get("numberMatched") or len(body["features"]))
    returned = max(len(body["features"]), 1)
    if matched <= returned:
        return len(reply.content), matched, False
    return int(len(reply.content) / returned * matched), matched, True


def city_places(buildings: int, width_px: int = 730) -> dict[str, dict]:
    """The two places: camera link fields and the CRS84 bbox in view (the bbox is for the GeoJSON comparison)."""
    import pyproj

    from benchmarks.generate import GENERATOR_EPSG

    x0, y0, x1, y1 = City.for_buildings(buildings).extent
    to_lonlat = pyproj.Transformer.from_crs(GENERATOR_EPSG, 4326, always_xy=True)
    w, s = to_lonlat.transform(x0, y0)
    e, n = to_lonlat.transform(x1, y1)
    lon, lat = (w + e) / 2, (s + n) / 2
    # the zoom at which the city's width fills the view (256-pixel world at zoom 0)
    city_zoom = math.floor(math.log2(width_px * 360 / ((e - w) * 256)) * 2) / 2
    dlon, dlat = 0.011, 0.0045  # ~1.5 km × 1 km around the middle
    return {
        "district": {"lon": lon, "lat": lat, "zoom": 15, "bbox": (lon - dlon, lat - dlat, lon + dlon, lat + dlat)},
        "whole city": {"lon": lon, "lat": lat, "zoom": max(10, min(city_zoom, 15)), "bbox": (w, s, e, n)},
    }


def link_for(place: dict, pitch: int = 45, bearing: int = -20) -> str:
    return (
        f"/?view=3d&lon={place['lon']:.5f}&lat={place['lat']:.5f}&zoom={place['zoom']}&pitch={pitch}&bearing={bearing}"
    )


def summarise(runs: list[dict]) -> dict:
    def med(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    tiles = [[t for t in r["tiles"] if t["status"] == 200] for r in runs]
    # the frame times of one run, the median one by its first frame (medians taken apart could cross)
    drawn = sorted((r for r in runs if r["first_frame"] is not None), key=lambda r: r["first_frame"])
    middle = drawn[(len(drawn) - 1) // 2] if drawn else {"first_frame": None, "last_frame": None}
    return {
        "tiles": med([len(t) for t in tiles]),
        "tile_bytes": med([sum(x["bytes"] for x in t) for t in tiles]),
        "page_bytes": med([r["page_bytes"] for r in runs]),
        "first_tile": med([min((x["end"] for x in t), default=None) for t in tiles]),
        "first_frame": middle["first_frame"],
        "all_in_view": middle["last_frame"],
        "features": med([r["calls"] for r in runs]),
        "drawn_share": med([r["drawn_share"] for r in runs]),
        "timed_out": any(r["timed_out"] for r in runs),
    }


def _mb(n) -> str:
    return "–" if n is None else (f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB")


def _ms(n) -> str:
    return "–" if n is None else f"{n:,.0f}"


def table(rows: list[tuple[str, dict, dict, tuple[int, int, bool]]]) -> str:
    lines = [
        "| place | zoom | tiles | tile bytes | page bytes | first tile ms | first frame ms | all in view ms "
        "| drawn | same buildings as GeoJSON |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for place, where, s, (gj_bytes, matched, extrapolated) in rows:
        geojson = f"{_mb(gj_bytes)} ({matched:,} buildings{', extrapolated' if extrapolated else ''})"
        lines.append(
            f"| {place} | {where['zoom']} | {s['tiles']:.0f} | {_mb(s['tile_bytes'])} | "
            f"{_mb(s['page_bytes'])} | {_ms(s['first_tile'])} | {_ms(s['first_frame'])} | "
            f"{_ms(s['all_in_view'])}{' (cap)' if s['timed_out'] else ''} | "
            f"{'–' if s['drawn_share'] is None else format(s['drawn_share'], '.0%')} | "
            f"{geojson} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=3, help="cold page loads per place (median reported)")
    parser.add_argument("--gunicorn", type=int, default=2, help="gunicorn workers (0: python -m commands.serve)")
    parser.add_argument("--pg", help="postgresql:// URL to use (default: a throwaway local cluster)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="buergergis-view3d-"))
    server = None
    try:
        with city_postgis(args.pg, "view3d", args.buildings) as pg_url:
            server = start_ours("portal", pg_url, work, gunicorn_workers=args.gunicorn, ui=True).wait()
            rows = []
            for place, where in city_places(args.buildings).items():
                link = link_for(where)
                say(f"{place}: {link}")
                runs = [
                    measure_once(server.base.removesuffix("/oapi"), link, place.replace(" ", "-"))
                    for _ in range(args.runs)
                ]
                rows.append((place, where, summarise(runs), geojson_bytes(server.base, where["bbox"])))
            server.stop()
            server = None
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\n3D view: {args.buildings:,} synthetic buildings on PostGIS, portal under "
        f"{'gunicorn ×' + str(args.gunicorn) if args.gunicorn else 'python -m commands.serve'}, "
        f"headless Chromium with SwiftShader (software WebGL, no GPU), cold page, median of {args.runs}"
    )
    print(machine_note())
    print()
    print(table(rows))
    print(f"(screenshots: {OUT}/view3d-*.png; ms from navigation start)")
    bad = [
        place
        for place, _, s, _ in rows
        if s["first_frame"] is None or (s["drawn_share"] is not None and s["drawn_share"] < 0.05)
    ]
    if bad:
        print(f"NOT DRAWN: {', '.join(bad)} (no tile building reached the screen)")
        return 1
    return 0


if __name__ == "__main__":
    run_timed(main)
