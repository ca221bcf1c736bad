"""Placeholder until the front end lands: the Dash app mounted on the shared Flask server."""

from __future__ import annotations

import dash
from dash import html


def create_dash(server, settings) -> dash.Dash:
    app = dash.Dash(__name__, server=server, url_base_pathname="/", title="Bürger-GIS")
    app.layout = html.Main([html.H1("Bürger-GIS"), html.A("OGC API", href="/oapi/")])
    return app
