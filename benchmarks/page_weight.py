"""The citizen's start page: bytes transferred, time to the plan's shapes, Lighthouse scores.

``python -m benchmarks.page_weight [--runs 3] [--no-lighthouse]``

Starts ``./dev demo``'s portal on a fresh GeoPackage (the bundled Langenhorn plans, one
process as ``./dev demo`` runs it), then opens the start page cold (a new browser profile per
run) in Debian's Chromium with the browser tests' flags, for a desktop window (1280 × 900) and a
phone (390 × 844, device pixel ratio 3). Per run:

* **bytes**: what went over the wire for the page and everything it fetched before the plans
  were drawn (``encodedBodySize`` of every resource plus the document: compressed bytes);
* **uncompressed**: the same resources decoded (what the browser parses);
* **requests** and the largest five resources;
* **plan shapes**: ms from navigation start until the frame that paints the first plan shape (a Leaflet
  vector path in a plan layer's pane): a script in the page watches for it from the first byte on
  (:data:`WATCH`) and takes the time in the next animation frame;
* **first paint**: first contentful paint, largest contentful paint and the layout shift (CLS) the
  browser itself reports for the load;
* **3D bundle**: whether deck.gl's script was fetched on the 2D page;
* **callbacks**: Dash callback requests (``_dash-update-component``) until then: each answer makes Dash's
  renderer run a selector for every mounted component (``assets/dash_batch.js`` makes that once per task).

Lighthouse (``npm ci --prefix benchmarks/web`` installs the version pinned in
``benchmarks/web/package-lock.json``; nothing else is downloaded) then scores the same page
for desktop and mobile (its default: a throttled Moto G-class phone) with the same Chromium.
Targets (issue 13): ≤ 1.5 MB transferred, shapes ≤ 2 s, performance ≥ 90 desktop / ≥ 75 mobile.
Figures are medians over ``--runs``; the machine note says what they were measured on.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.api import Server, free_port, machine_note, run_timed, say

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "benchmarks" / "web" / "node_modules" / ".bin" / "lighthouse"

#: Shapes of the plans: Leaflet draws the GeoJSON layers as SVG paths, each layer in its own pane (ui/map.py).
SHAPES = "document.querySelectorAll('[class*=\"leaflet-pane-bp_\"] path, [class*=\"leaflet-pane-xplan\"] path').length"

#: Put into the page before its own scripts: when the first plan shape is drawn (the animation frame after it
#: is in the page), and what the browser reports on paints and layout shifts.
WATCH = """
window.__pw = {shapes: null, lcp: null, cls: 0};
(function () {
  var selector = SELECTOR;
  var observer = new MutationObserver(function () {
    if (window.__pw.shapes === null && document.querySelector(selector)) {
      observer.disconnect();
      requestAnimationFrame(function () { window.__pw.shapes = performance.now(); });
    }
  });
  observer.observe(document, {childList: true, subtree: true});
  try {
    new PerformanceObserver(function (list) {
      var entries = list.getEntries(); window.__pw.lcp = entries[entries.length - 1].startTime;
    }).observe({type: "largest-contentful-paint", buffered: true});
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) { if (!e.hadRecentInput) { window.__pw.cls += e.value; } });
    }).observe({type: "layout-shift", buffered: true});
  } catch (e) { /* a browser without these entries */ }
})();
""".replace("SELECTOR", json.dumps('[class*="leaflet-pane-bp_"] path, [class*="leaflet-pane-xplan"] path'))

RESOURCES = """
const nav = performance.getEntriesByType('navigation')[0] || {};
const all = performance.getEntriesByType('resource');
const rows = all.map(e => ({url: e.name, bytes: e.encodedBodySize || 0, decoded: e.decodedBodySize || 0,
                            transfer: e.transferSize || 0}));
rows.push({url: nav.name || 'document', bytes: nav.encodedBodySize || 0, decoded: nav.decodedBodySize || 0,
           transfer: nav.transferSize || 0});
return rows;
"""

VIEWPORTS = {"desktop": (1280, 900, 1, False), "phone": (390, 844, 3, True)}


def start_demo(work: Path) -> tuple[Server, str]:
    """The demo portal on a fresh GeoPackage in ``work`` (imports the bundled plans first)."""
    port = free_port()
    env = {
        "BUERGERGIS_STORE": str(work / "demo.gpkg"),
        "BUERGERGIS_DATA_DIR": str(work),
        "BUERGERGIS_PORT": str(port),
        "BUERGERGIS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BUERGERGIS_LIMIT_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
    }
    base = f"http://127.0.0.1:{port}"
    server = Server(
        "demo", [sys.executable, "-m", "commands.serve", "--demo"], env, base + "/oapi/?f=json", work / "server.log"
    )
    return server.wait(600), base


def _browser(viewport: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.ui.conftest import CHROME_FLAGS

    width, height, ratio, mobile = VIEWPORTS[viewport]
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    browser.set_window_size(width, height + 120)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": mobile},
    )
    return browser


def measure_once(base: str, viewport: str, cap: float = 60.0) -> dict:
    """One cold load of the start page: bytes, requests and time to the first plan shape."""
    browser = _browser(viewport)
    try:
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
        browser.get(base + "/")
        started = time.monotonic()
        shapes_ms = None
        while time.monotonic() - started < cap:
            drawn = browser.execute_script("return window.__pw && window.__pw.shapes")
            if drawn is not None and browser.execute_script(f"return {SHAPES}"):
                shapes_ms = drawn - browser.execute_script(
                    "return (performance.getEntriesByType('navigation')[0] || {startTime: 0}).startTime"
                )
                break
            time.sleep(0.1)
        time.sleep(1.0)  # let requests started with the shapes finish
        rows = browser.execute_script(RESOURCES)
        paints = browser.execute_script(
            "var p = performance.getEntriesByType('paint').filter(e => e.name === 'first-contentful-paint');"
            "return {fcp: p.length ? p[0].startTime : null, lcp: window.__pw.lcp, cls: window.__pw.cls};"
        )
    finally:
        browser.quit()
    return {
        **paints,
        "bytes": sum(r["bytes"] for r in rows),
        "decoded": sum(r["decoded"] for r in rows),
        "requests": len(rows),
        "shapes_ms": shapes_ms,
        "deck": any("/deckgl_dash/" in r["url"] for r in rows),
        "callbacks": sum("/_dash-update-component" in r["url"] for r in rows),
        "largest": sorted(rows, key=lambda r: -r["bytes"])[:5],
    }


def lighthouse(base: str, preset: str, save: Path | None = None) -> dict | None:
    """Lighthouse scores (0–100) for the start page, or None where Lighthouse is not installed.

    ``save``: a folder where Lighthouse's whole JSON report is kept (``lighthouse-<preset>.json``).
    """
    if not LIGHTHOUSE.exists():
        return None
    flags = " ".join(
        f for f in ("--headless=new", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader")
    )
    cmd = [
        str(LIGHTHOUSE),
        base + "/",
        "--output=json",
        "--quiet",
        f"--chrome-flags={flags}",
        "--only-categories=performance,accessibility,best-practices",
    ]
    if preset == "desktop":
        cmd.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": shutil.which("chromium") or "chromium"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        say(f"  lighthouse {preset} failed: {done.stderr.strip()[-400:]}")
        return None
    report = json.loads(done.stdout)
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        (save / f"lighthouse-{preset}.json").write_text(done.stdout, encoding="utf-8")
    scores = {name: round(100 * (cat["score"] or 0)) for name, cat in report["categories"].items()}
    audits = report["audits"]
    for audit in (
        "first-contentful-paint",
        "largest-contentful-paint",
        "total-blocking-time",
        "cumulative-layout-shift",
        "speed-index",
    ):
        scores[audit] = audits[audit]["displayValue"]
    return scores


def _ms(runs: list[dict], key: str) -> str:
    values = [r[key] for r in runs if r.get(key) is not None]
    return f"{statistics.median(values):.0f} ms" if values else "–"


def _mb(value: float) -> str:
    return f"{value / 1e6:.2f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--report", type=Path, help="a folder to keep Lighthouse's JSON reports in")
    args = parser.parse_args(argv)
    say(machine_note())
    with tempfile.TemporaryDirectory(prefix="page-weight-") as tmp:
        server, base = start_demo(Path(tmp))
        try:
            measure_once(base, "desktop")  # warm the server's caches (first tiles, catalogue)
            for viewport in VIEWPORTS:
                runs = [measure_once(base, viewport) for _ in range(args.runs)]
                shapes = [r["shapes_ms"] for r in runs if r["shapes_ms"] is not None]
                middle = sorted(runs, key=lambda r: r["bytes"])[len(runs) // 2]
                say(
                    f"\n{viewport}: {_mb(statistics.median(r['bytes'] for r in runs))} transferred "
                    f"({_mb(statistics.median(r['decoded'] for r in runs))} uncompressed), "
                    f"{middle['requests']} requests ({middle['callbacks']} Dash callbacks), plan shapes after "
                    + (f"{statistics.median(shapes):.0f} ms" if shapes else "– (none drawn)")
                    + f" ({len(shapes)}/{len(runs)} runs), 3D bundle on the 2D page: "
                    + ("yes" if middle["deck"] else "no")
                    + f"; first contentful paint {_ms(runs, 'fcp')}, largest {_ms(runs, 'lcp')}, "
                    f"layout shift {statistics.median(r['cls'] or 0 for r in runs):.3f}"
                )
                for row in middle["largest"]:
                    say(f"    {row['bytes'] / 1e3:8.1f} kB  ({row['decoded'] / 1e3:8.1f} kB)  {row['url'][:110]}")
            if args.no_lighthouse:
                return 0
            for preset in ("desktop", "mobile"):
                scores = lighthouse(base, preset, args.report)
                if scores is None:
                    say(f"\nLighthouse {preset}: not run (install with: npm ci --prefix benchmarks/web)")
                    continue
                say(f"\nLighthouse {preset}: " + ", ".join(f"{k} {v}" for k, v in scores.items()))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    run_timed(main)
