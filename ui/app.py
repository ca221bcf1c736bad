"""The Dash front end, mounted at / on the shared Flask server (``api.wsgi.create_app``).

The UI reads and writes only through the OGC API below /oapi — the browser
loads map layers itself, and server-side callbacks use ``ui.api.ApiClient``
against ``settings.api_url`` — so one set of rules (validation, access
control, moderation) holds for every client.
"""

from __future__ import annotations

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


def create_dash(server, settings) -> dash.Dash:
    """Build the Dash app on ``server`` for ``settings`` (keeps this name and signature: api.wsgi calls it)."""
    from ui.bundles import defer_3d_bundle

    defer_3d_bundle()  # deck.gl loads when a 3D view is first shown (assets/deck_lazy.js)
    app = dash.Dash(
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
    from ui import legal

    legal.register(server, settings)  # /impressum, /datenschutz, /barrierefreiheit, /leichte-sprache
    client = ApiClient(settings.api_url)
    app.layout = layout.build(settings)
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
    return app
