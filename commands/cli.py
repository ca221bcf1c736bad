"""Command line: ``buergergis import-xplan FILE…``, ``import-citygml``, ``import-osm``, ``import-vector``,
``import-addresses`` (the Kommune's address list for the place search),
``run-scenarios``, ``delete-plan``, ``token create NAME --role planner`` / ``token list`` / ``token revoke NAME``
(service tokens, access/tokens.py).

The store comes from ``--store`` or ``BUERGERGIS_STORE`` (a GeoPackage path or a
``postgresql://`` URL); every command creates the schema when it is missing.
Exit code 0 on success, 1 when an input was refused (the message names the
file and the reason, and nothing was written), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from settings import get_settings
from store.base import StoreError, open_store


def _store(args):
    settings = get_settings()
    store = open_store(args.store or settings.store, epsg=args.epsg or settings.storage_epsg)
    store.create_schema()
    return store


def _print_report(report) -> None:
    for plan in report.plans:
        print(f"plan {plan}")
        classes = report.classes.get(plan)
        if classes:
            print(f"  {'class / Klasse':42s} {'in file':>8s} {'stored':>8s}")
            for name, n in classes.items():
                flag = "" if n["in_file"] == n["stored"] else "  <-- differs"
                print(f"  {name:42s} {n['in_file']:8d} {n['stored']:8d}{flag}")
        validation = report.validation.get(plan)
        if validation is not None:
            print("  " + validation.text().replace("\n", "\n  "))
    for layer_id, n in sorted(report.rows.items()):
        print(f"  {layer_id}: {n} rows")
    for warning in report.warnings:
        print(f"  warning: {warning}", file=sys.stderr)


def cmd_import_xplan(args) -> None:
    from layers.importing import import_xplan_files

    store = _store(args)
    raster_dir = Path(args.raster_dir) if args.raster_dir else get_settings().raster_dir
    _print_report(import_xplan_files(store, args.files, raster_dir=raster_dir, strict=args.strict))


def cmd_import_citygml(args) -> None:
    from layers.citygml import read_citygml
    from layers.importing import import_layer_frames

    store = _store(args)
    for path in args.files:
        frames = read_citygml(path, epsg=store.epsg)
        _print_report(import_layer_frames(store, frames, source=f"citygml:{Path(path).name}"))


def cmd_import_osm(args) -> None:
    from layers.importing import import_layer_frames
    from layers.osm import read_osm

    store = _store(args)
    frames = read_osm(args.file, epsg=store.epsg)
    _print_report(import_layer_frames(store, frames, source=f"osm:{Path(args.file).name}"))
    _search_index(args)


def cmd_import_vector(args) -> None:
    from layers.importing import import_layer_frames
    from layers.vector import read_vector

    store = _store(args)
    source = args.source or f"file:{Path(args.file).name}"
    frames = read_vector(
        args.file, args.layer_id, epsg=store.epsg, layer=args.source_layer, source=source, crs=args.crs
    )
    _print_report(import_layer_frames(store, frames, source=source))


def cmd_import_addresses(args) -> None:
    from layers.addresses import read_address_list, summary
    from layers.importing import import_layer_frames

    columns = {}
    for item in args.column or []:
        field, sep, name = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--column wants FIELD=NAME, e.g. housenumber=HNR; got {item!r}")
        columns[field.strip()] = name.strip()
    store = _store(args)
    source = args.source or f"addresses:{Path(args.file).name}"
    frames = read_address_list(
        args.file, epsg=store.epsg, crs=args.crs, columns=columns, layer=args.source_layer, source=source
    )
    _print_report(import_layer_frames(store, frames, source=source))
    print(f"  {summary(frames['addresses'])}")
    _search_index(args)


def _search_index(args) -> None:
    """PostGIS: the prefix index of the place search (api/search.py), made once the addresses table exists."""
    from api.search import ensure_search_index

    ensure_search_index(args.store or get_settings().store)


def cmd_delete_plan(args) -> None:
    store = _store(args)
    print(f"deleted {store.delete_plan(args.plan_id)} rows of plan {args.plan_id}")


def cmd_run_scenarios(args) -> None:
    from scenarios.results import run_and_store

    store = _store(args)
    try:
        results = run_and_store(store, args.scenarios or None)
    except KeyError as err:
        raise ValueError(str(err).strip("'\"")) from None
    for result in results:
        t = result.totals
        print(
            f"scenario {result.scenario_id}: {t['buildings']} buildings, floor area {t['floor_area_m2']:.0f} m², "
            f"GRZ {t['grz'] or 0:.3f}, GFZ {t['gfz'] or 0:.3f}, {t['violations']} violations"
        )


def cmd_token(args) -> None:
    """``token create NAME --role R`` (prints the token once), ``token list``, ``token revoke NAME``."""
    from access.db import Db
    from access.tokens import ServiceTokens, TokenError

    settings = get_settings()
    db = Db(args.store or settings.store)
    db.create_tables(args.epsg or settings.storage_epsg)
    tokens = ServiceTokens(db)
    try:
        if args.token_command == "create":
            token, row = tokens.create(args.name, args.role)
            print(token)
            print(
                f"service token {row['name']!r} ({row['role']}) created; it is shown only now: keep it safe. "
                f"Send it as 'Authorization: Bearer <token>'.",
                file=sys.stderr,
            )
        elif args.token_command == "revoke":
            row = tokens.revoke(args.name)
            print(f"revoked service token {row['name']!r} ({row['role']}) at {row['revoked_at']}")
        else:
            print(f"{'name':24s} {'role':10s} {'created':25s} {'last used':25s} revoked")
            for row in tokens.list():
                print(
                    f"{row['name']:24s} {row['role']:10s} {row['created_at'] or '-':25s} "
                    f"{row['last_used_at'] or '-':25s} {row['revoked_at'] or '-'}"
                )
    except TokenError as err:
        raise ValueError(str(err)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="buergergis", description="Import data into the Bürger-GIS store and compute scenario results."
    )
    parser.add_argument("--store", help="GeoPackage path or postgresql:// URL (default: BUERGERGIS_STORE)")
    parser.add_argument("--epsg", type=int, help="storage CRS (default: BUERGERGIS_STORAGE_EPSG or 25832)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "import-xplan", help="import XPlanGML plans of any type (BP, FP, SO, RP, LP; XPlanung 4.0–6.0), validated"
    )
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--strict", action="store_true", help="refuse plans whose validation finds errors (nothing written)")
    p.add_argument("--raster-dir", help="where warped plan images go (default: var/rasters)")
    p.set_defaults(func=cmd_import_xplan)

    p = sub.add_parser("import-citygml", help="import CityGML LoD1/LoD2 buildings")
    p.add_argument("files", nargs="+", type=Path)
    p.set_defaults(func=cmd_import_citygml)

    p = sub.add_parser(
        "import-osm", help="import buildings, streets, addresses, water and green areas from an OSM PBF file"
    )
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_import_osm)

    p = sub.add_parser("import-vector", help="import a GeoPackage/GeoJSON/Shapefile into a layer")
    p.add_argument("file", type=Path)
    p.add_argument("layer_id", help="target layer, e.g. buildings, streets, parcels")
    p.add_argument("--source-layer", help="layer inside the file")
    p.add_argument("--source", help="source label (default: file:<name>)")
    p.add_argument("--crs", help="CRS of the file when it declares none, e.g. EPSG:25832")
    p.set_defaults(func=cmd_import_vector)

    p = sub.add_parser(
        "import-addresses",
        help="import the Kommune's address list (Hauskoordinaten/ALKIS CSV with "
        "x/y or lon/lat, or a GeoPackage) for the place search",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--crs", help="CRS of x/y columns, e.g. EPSG:25832 (lon/lat columns are WGS84)")
    p.add_argument(
        "--column",
        action="append",
        metavar="FIELD=NAME",
        help="column of a field when its name is unusual (street, housenumber, suffix, postcode, city, "
        "id, x, y, lon, lat); repeatable",
    )
    p.add_argument("--source-layer", help="layer inside a GeoPackage")
    p.add_argument("--source", help="source label (default: addresses:<file name>); a re-import replaces it")
    p.set_defaults(func=cmd_import_addresses)

    p = sub.add_parser(
        "run-scenarios",
        help="run planning scenarios on the stored twin and store their results "
        "(collections scenarios, scenario_buildings, scenario_zone_indicators)",
    )
    p.add_argument("scenarios", nargs="*", help="scenario ids (default: every shipped scenario)")
    p.set_defaults(func=cmd_run_scenarios)

    p = sub.add_parser("delete-plan", help="delete a plan and all its objects")
    p.add_argument("plan_id")
    p.set_defaults(func=cmd_delete_plan)

    p = sub.add_parser("token", help="named service tokens for scripts and other systems (stored hashed)")
    tokens = p.add_subparsers(dest="token_command", required=True)
    t = tokens.add_parser("create", help="make a token (printed once) for NAME with a role")
    t.add_argument("name")
    t.add_argument("--role", required=True, choices=("moderator", "planner", "admin"))
    tokens.add_parser("list", help="list the tokens (names, roles, dates; never the tokens)")
    t = tokens.add_parser("revoke", help="revoke NAME's active token")
    t.add_argument("name")
    p.set_defaults(func=cmd_token)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    from layers.importing import ImportFailed

    try:
        args.func(args)
    except (ImportFailed, StoreError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def import_xplan_main() -> int:
    """Entry point ``import-xplan FILE…`` (same as ``buergergis import-xplan``)."""
    return main(["import-xplan", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
