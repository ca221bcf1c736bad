"""The portal: the OGC API server (``api/wsgi.py``) with the Dash UI mounted at / on the same Flask server.

Composing the two belongs above both packages (api/ does not import ui/, ``tests/test_package_graph.py``),
so it lives here. ``BUERGERGIS_UI=0`` (``settings.ui``) leaves the UI out: an API-only worker pool. What
runs it:

* ``python -m commands.serve`` (``./dev demo``): one process, Werkzeug's server with reused threads (``api/dev_server.py``);
* ``./dev serve``: gunicorn's asyncio worker, ``gunicorn -k asgi --preload 'commands.portal:create_asgi_app()'``
  (``api/production.py``);
* a city's gunicorn by hand: ``gunicorn -w 4 -k gthread --threads 4 --preload 'commands.portal:create_app()'``.
"""

from __future__ import annotations

from flask import Flask

from settings import Settings, get_settings

#: gunicorn's application for ``./dev serve`` (``api.production.gunicorn_command``).
ASGI_APP = "commands.portal:create_asgi_app()"


def create_app(settings: Settings | None = None) -> Flask:
    """The API server with the Dash UI at / (unless ``settings.ui`` is off)."""
    from api.wsgi import create_app as create_api_server

    settings = settings or get_settings()
    server = create_api_server(settings)
    if settings.ui:
        from api import headers
        from ui.app import create_dash

        # last: Dash answers every path the API's routes leave; its inline scripts are allowed by hash
        headers.allow_dash_scripts(server, create_dash(server, settings))
    return server


def create_asgi_app(settings: Settings | None = None):
    """The portal as an ASGI app for gunicorn's asyncio worker; refuses to start with weak environment tokens."""
    from api.production import asgi_app

    return asgi_app(create_app, settings)
