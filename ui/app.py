"""The Dash front end, mounted at / on the shared Flask server (``api.wsgi.create_app``).

The UI reads and writes only through the OGC API below /oapi — the browser
loads map layers itself, and server-side callbacks use ``ui.api.ApiClient``
against ``settings.api_url`` — so one set of rules (validation, access
control, moderation) holds for every client.
"""

from __future__ import annotations

import re

import dash

from api.settings import ROOT
from ui import layout
from ui.api import ApiClient

ASSETS = ROOT / "assets"

# <html lang="de">: the page language from the first byte (WCAG 3.1.1); the switch updates it.
INDEX = """<!DOCTYPE html>
<html lang="de">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        {%config%}
        {%scripts%}
        {%renderer%}
    </body>
</html>"""


#: Code-split parts of the component libraries that the start page loads as it mounts (the map's shapes and
#: drawing tools, the photo upload of the form): fetched with the page's scripts, not after its first render.
START_CHUNKS = (
    "dash_leaflet/async-GeoJSON.js",
    "dash_leaflet/async-EditControl.ts.js",
    "dash/dcc/async-upload.js",
)


#: The longest the page's scripts wait for the browser to show the first paint (ms): on a busy device the copy
#: of the page may take that long to reach the screen; the scripts then run anyway.
FIRST_PAINT_WAIT_MS = 3000

#: Runs the page's scripts (``<template id="page-scripts">``) in their order once the browser has shown the
#: first paint (the copy of the page, ``ui.first_paint``), then starts Dash's renderer (RENDERER: its own line).
LOADER = """(function () {
  var list = document.getElementById("page-scripts");
  var sources = list ? Array.prototype.map.call(list.content.querySelectorAll("script[src]"),
                                                function (script) { return script.getAttribute("src"); }) : [];
  function start() { RENDERER }
  function load() {
    if (!sources.length) { start(); return; }
    var last = null;
    sources.forEach(function (src) {
      last = document.createElement("script");
      last.src = src;
      last.async = false;  /* in this order, as the page listed them */
      document.body.appendChild(last);
    });
    last.addEventListener("load", start);
  }
  var begun = false;
  function go() { if (!begun) { begun = true; load(); } }
  if (!document.getElementById("first-paint")) { go(); return; }
  try {
    new PerformanceObserver(function (entries) {
      if (entries.getEntriesByName("first-contentful-paint").length) { go(); }
    }).observe({type: "paint", buffered: true});
  } catch (err) { go(); }
  window.setTimeout(go, WAIT);
})();"""


class Portal(dash.Dash):
    """Dash with a start page that shows before its scripts have run and draws its shapes as it mounts.

    * The first layout is made per page load, with the start view's state (``ui.layout.StartLayout``).
    * The page carries that layout as plain HTML (``ui.first_paint``), painted with the stylesheets.
    * The scripts are fetched at once (preloaded), but run once the browser has shown that first paint
      (:data:`LOADER`, at most :data:`FIRST_PAINT_WAIT_MS` later): on a phone, running a megabyte of script
      first would keep the page blank, and the browser would only count Dash's page as painted. The renderer
      starts after them, as Dash's page would start it.
    * The renderer's first requests (layout, callbacks) and the code-split chunks the start page needs
      (:data:`START_CHUNKS`) are preloaded too.
    """

    start_layout: layout.StartLayout | None = None

    def serve_layout(self):
        if self.start_layout is None:
            return super().serve_layout()
        from flask import request

        return self.backend.make_response(self.start_layout.json(request.referrer), mimetype="application/json")

    def interpolate_index(self, **kwargs):
        from flask import has_request_context, request

        prefix = self.config.requests_pathname_prefix
        scripts = kwargs.get("scripts", "")
        tags = re.findall(r'<script src="[^"]*"></script>\n?', scripts)
        sources = [re.search(r'src="([^"]*)"', tag).group(1) for tag in tags]  # type: ignore[union-attr]
        for tag in tags:
            scripts = scripts.replace(tag, "", 1)
        # listed, not run (a template's scripts do not run): assets/… and Dash's, in Dash's order, for LOADER
        kwargs["scripts"] = '<template id="page-scripts">' + "".join(tags) + "</template>\n" + scripts
        preloads = [(src, "script", "") for src in sources]
        preloads += [(f"{prefix}_dash-component-suites/{chunk}", "script", "") for chunk in START_CHUNKS]
        # the renderer's first two requests, made with the page's scripts instead of after them
        preloads += [(f"{prefix}{route}", "fetch", " crossorigin") for route in ("_dash-layout", "_dash-dependencies")]
        kwargs["css"] = kwargs.get("css", "") + "".join(
            f'\n<link rel="preload" as="{kind}"{extra} href="{href}">' for href, kind, extra in preloads
        )
        if self.start_layout is not None and has_request_context():
            kwargs["app_entry"] = self.start_layout.first_paint(request.url) + kwargs.get("app_entry", "")
        return super().interpolate_index(**kwargs)


def create_dash(server, settings) -> dash.Dash:
    """Build the Dash app on ``server`` for ``settings`` (keeps this name and signature: api.wsgi calls it)."""
    from ui.bundles import defer_3d_bundle, leave_out_unused_bundles

    defer_3d_bundle()  # deck.gl loads when a 3D view is first shown (assets/deck_lazy.js)
    leave_out_unused_bundles()  # DataTable: no view uses it
    app = Portal(
        __name__,
        server=server,
        url_base_pathname="/",
        title="Bürger-GIS",
        update_title=None,  # keep the title; "Updating..." flickers in tabs and screen readers
        assets_folder=str(ASSETS),
        # Dash matches this against file names: the 3D view's vector-tile worker is served, never a page script.
        assets_ignore=r"-worker\.js$",
        # Layers and panel buttons are created by callbacks; their ids are not in the first layout.
        suppress_callback_exceptions=True,
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "description", "content": "Bebauungspläne verstehen und mitreden – Bürger-GIS"},
        ],
        serve_locally=True,  # no CDN: the portal works offline and without third-party requests
    )
    app.index_string = INDEX
    # the page's scripts after its first paint, then the renderer (Portal, LOADER)
    app.renderer = LOADER.replace("RENDERER", app.renderer.replace("var renderer =", "window.renderer =")).replace(
        "WAIT", str(FIRST_PAINT_WAIT_MS)
    )
    from ui import legal

    legal.register(server, settings)  # /impressum, /datenschutz, /barrierefreiheit, /leichte-sprache
    client = ApiClient(settings.api_url)
    app.layout = layout.build(settings)
    start_layout = layout.StartLayout(app.layout, client, settings)
    layout.register(app, client, settings)
    # Dash fills its registry of scripts on its first request, without a lock: under gunicorn's threads
    # a script request racing a worker's first page load found it empty (500, a blank portal). One
    # request now, before any visitor's, fills it (with --preload once, in the parent of all workers).
    from api.voters import install_portal

    # every browser gets its signed id for likes with its first page (api/voters.py), from after the warm-up on
    start_handing_out_voter_ids = install_portal(server)
    with server.test_client() as warm_up:
        warm_up.get(app.config.requests_pathname_prefix)
    start_handing_out_voter_ids()
    # the start view's state from the first visitor's page on (the API may not listen yet during the warm-up)
    app.start_layout = start_layout
    return app
