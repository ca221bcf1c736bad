"""Start the portal: ``python -m api.serve [--demo] [--store URL] [--port N]``.

``--demo`` imports the bundled Hamburg-Langenhorn plans into the store first
(skipped when they are already there), so a fresh clone shows real plans.
"""

from __future__ import annotations

import argparse
import logging
import os

from api.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Bürger-GIS: OGC API (/oapi) and Dash UI (/)")
    parser.add_argument("--demo", action="store_true", help="import the bundled demo data first")
    parser.add_argument("--store", help="GeoPackage path or postgresql:// URL (default: BUERGERGIS_STORE)")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    for name in ("store", "host", "port"):
        if getattr(args, name):
            os.environ[f"BUERGERGIS_{name.upper()}"] = str(getattr(args, name))
    get_settings.cache_clear()
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Werkzeug's access log names client IP addresses; keep personal data out of the logs (DSGVO).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.demo:
        from layers.demo import load_demo

        load_demo(settings)
    from api.wsgi import create_app

    app = create_app(settings)
    print(f"\n  Bürger-GIS läuft / is running:  {settings.public_url}/   (OGC API: {settings.api_url})\n", flush=True)
    from api.headers import QuietRequestHandler  # no "Server: Werkzeug/… Python/…" banner

    app.run(host=settings.host, port=settings.port, threaded=True, use_reloader=False,
            request_handler=QuietRequestHandler)


if __name__ == "__main__":
    main()
