"""Start the portal: ``python -m commands.serve [--demo] [--production] [--store URL] [--port N]``.

``--demo`` imports the bundled Hamburg-Langenhorn plans into the store first
(skipped when they are already there), so a fresh clone shows real plans, and makes
strong planner and moderator tokens for this run where none are set (printed once).

``--production`` (``./dev serve``) runs the same app under gunicorn's asyncio worker
(``api/production.py``): several processes, and slow clients cost no thread. Without it
one process serves with Werkzeug's server, its threads reused (``api/dev_server.py``; a laptop, the tests).

Both refuse to start with a weak ``BUERGERGIS_PLANNER_TOKEN``, ``BUERGERGIS_MODERATOR_TOKEN``
or ``BUERGERGIS_SECRET_KEY`` (shorter than 32 characters or too regular; ``access/tokens.py``).
The app is the portal of ``commands/portal.py``: the OGC API, and the Dash UI unless ``BUERGERGIS_UI=0``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from settings import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Bürger-GIS: OGC API (/oapi) and Dash UI (/)")
    parser.add_argument("--demo", action="store_true", help="import the bundled demo data first")
    parser.add_argument(
        "--production",
        action="store_true",
        help="serve with gunicorn's asyncio worker (several processes; BUERGERGIS_SERVER_*)",
    )
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
    from access.tokens import WeakTokenError, demo_tokens, require_strong_env_secrets

    if args.demo:
        for variable, token in demo_tokens().items():
            print(f"  Demo: {variable}={token}", flush=True)
    try:
        require_strong_env_secrets()
    except WeakTokenError as err:
        print(err.code, file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    if args.demo:
        from commands.demo import load_demo

        load_demo(settings)
    if args.production:
        from api.production import gunicorn_command
        from commands.portal import ASGI_APP

        command = gunicorn_command(settings, app=ASGI_APP)
        print(f"\n  Bürger-GIS läuft / is running:  {settings.public_url}/   (gunicorn, asyncio worker)\n", flush=True)
        os.execv(command[0], command)  # gunicorn takes over this process (signals, exit status)
    from commands.portal import create_app

    app = create_app(settings)
    print(f"\n  Bürger-GIS läuft / is running:  {settings.public_url}/   (OGC API: {settings.api_url})\n", flush=True)
    from api.dev_server import serve  # Werkzeug's server with reused threads, without its version banner

    serve(app, settings.host, settings.port)


if __name__ == "__main__":
    main()
