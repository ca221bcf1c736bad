"""Every shared XPlanGML plan of every type, read, validated and stored; and a large FNP.

``python -m benchmarks.xplan_all [--fnp-side 60] [--store PATH]``

Prints, per file of ``$BUERGERGIS_SHARED_DATA/xplan`` and ``…/xplan-more``: plan type, XPlanung
version, objects, classes, seconds to read (every object), to validate (XSD, geometry, references,
Flächenschluss, Konformitätsregeln) and to write into a fresh GeoPackage; then the same for a
**synthetic** Flächennutzungsplan of ``side²`` FP_BebauungsFlaeche/FP_Gruen squares in Flächenschluss
(no real FNP of that size is shared; it is written to a temporary file, labelled synthetic in its name).
Targets (issue "The whole plan"): ≥ 5 plans/s for the 13 Bebauungspläne, an FNP with thousands of objects
in seconds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BUERGERGIS_SHARED_DATA", ROOT.parent / "shared" / "data"))


def synthetic_fnp(path: Path, side: int, cell: float = 50.0) -> int:
    """Write a synthetic FP_Plan of ``side × side`` square areas tiling its Geltungsbereich; returns objects."""
    x0, y0 = 566000.0, 5947000.0
    members = []
    ids = []
    for i in range(side):
        for j in range(side):
            fid = f"SYN_{i}_{j}"
            ids.append(fid)
            x, y = x0 + i * cell, y0 + j * cell
            ring = f"{x} {y} {x + cell} {y} {x + cell} {y + cell} {x} {y + cell} {x} {y}"
            cls = "FP_BebauungsFlaeche" if (i + j) % 3 else "FP_Gruen"
            extra = (
                "<xplan:allgArtDerBaulNutzung>1000</xplan:allgArtDerBaulNutzung>"
                if cls == "FP_BebauungsFlaeche"
                else ""
            )
            members.append(
                f'<gml:featureMember><xplan:{cls} gml:id="{fid}"><xplan:gehoertZuBereich xlink:href="#B1"/>'
                f'<xplan:rechtscharakter>1000</xplan:rechtscharakter>'
                f'<xplan:position><gml:Polygon gml:id="{fid}_g" srsName="EPSG:25832"><gml:exterior><gml:LinearRing>'
                f'<gml:posList>{ring}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></xplan:position>'
                f'<xplan:flaechenschluss>true</xplan:flaechenschluss>{extra}</xplan:{cls}></gml:featureMember>'
            )
    x1, y1 = x0 + side * cell, y0 + side * cell
    outer = f"{x0} {y0} {x1} {y0} {x1} {y1} {x0} {y1} {x0} {y0}"
    planinhalt = "".join(f'<xplan:planinhalt xlink:href="#{fid}"/>' for fid in ids)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xplan:XPlanAuszug xmlns:xplan="http://www.xplanung.de/xplangml/5/2" xmlns:gml="http://www.opengis.net/gml/3.2" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" gml:id="A1">'
        '<gml:featureMember><xplan:FP_Plan gml:id="P1"><xplan:name>Synthetischer FNP (Benchmark)</xplan:name>'
        '<xplan:raeumlicherGeltungsbereich><gml:Polygon gml:id="P1_g" srsName="EPSG:25832"><gml:exterior><gml:LinearRing>'
        f'<gml:posList>{outer}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></xplan:raeumlicherGeltungsbereich>'
        '<xplan:gemeinde><xplan:XP_Gemeinde><xplan:ags>02000000</xplan:ags></xplan:XP_Gemeinde></xplan:gemeinde>'
        '<xplan:planArt>1000</xplan:planArt><xplan:bereich xlink:href="#B1"/></xplan:FP_Plan></gml:featureMember>'
        '<gml:featureMember><xplan:FP_Bereich gml:id="B1"><xplan:nummer>0</xplan:nummer>'
        f'{planinhalt}<xplan:gehoertZuPlan xlink:href="#P1"/></xplan:FP_Bereich></gml:featureMember>'
        + "".join(members)
        + "</xplan:XPlanAuszug>",
        encoding="utf-8",
    )
    return side * side + 2


def measure(path: Path, store, rounds: int = 3) -> dict:
    """Best of ``rounds``: reading alone, reading with validation (validation = the difference), writing."""
    from layers.xplanung import read_xplan

    read = full = write = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        plans = read_xplan(path, epsg=store.epsg, validate=False)
        t1 = time.perf_counter()
        validated = read_xplan(path, epsg=store.epsg, validate=True)
        t2 = time.perf_counter()
        for plan in validated:
            store.replace(plan.frames, plan_id=plan.plan_id)
        t3 = time.perf_counter()
        read, full, write = min(read, t1 - t0), min(full, t2 - t1), min(write, t3 - t2)
    objects = sum(len(p.frames["xplan_objekt"]) for p in plans)
    classes = len({c for p in plans for c in p.class_counts})
    errors = sum(p.report.counts.get("error", 0) for p in validated if p.report is not None)
    return {
        "file": path.parent.name,
        "type": ",".join(sorted({p.plan_type for p in plans})),
        "plans": len(plans),
        "objects": objects,
        "classes": classes,
        "read": read,
        "validate": max(full - read, 0.0),
        "write": write,
        "errors": errors,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fnp-side", type=int, default=60, help="squares per side of the synthetic FNP")
    args = parser.parse_args(argv)
    from store.geopackage import GeoPackageStore

    files = sorted((SHARED / "xplan").glob("*/xplan.gml")) + sorted((SHARED / "xplan-more").glob("*/xplan.gml"))
    with tempfile.TemporaryDirectory() as tmp:
        store = GeoPackageStore(str(Path(tmp) / "bench.gpkg"))
        store.create_schema()
        fnp_dir = Path(tmp) / "FP_5-2_synthetisch"
        fnp_dir.mkdir()
        synthetic_fnp(fnp_dir / "xplan.gml", args.fnp_side)
        rows = [measure(path, store) for path in files + [fnp_dir / "xplan.gml"]]
        store.close()
    print(
        f"{'file':36s} {'type':4s} {'plans':>5s} {'objects':>7s} {'classes':>7s} {'read s':>7s} "
        f"{'valid. s':>8s} {'write s':>7s} {'errors':>6s}"
    )
    for r in rows:
        print(
            f"{r['file']:36s} {r['type']:4s} {r['plans']:5d} {r['objects']:7d} {r['classes']:7d} "
            f"{r['read']:7.2f} {r['validate']:8.2f} {r['write']:7.2f} {r['errors']:6d}"
        )
    bp = [r for r in rows if r["file"] in {p.parent.name for p in files[:13]}]
    total = sum(r["read"] + r["validate"] + r["write"] for r in bp)
    print(
        f"\n13 shared Bebauungspläne: {sum(r['plans'] for r in bp)} plans in {total:.2f} s = "
        f"{sum(r['plans'] for r in bp) / total:.1f} plans/s (read, validate, write; target ≥ 5)"
    )
    fnp = rows[-1]
    print(
        f"synthetic FNP: {fnp['objects']} objects in {fnp['read'] + fnp['validate'] + fnp['write']:.2f} s "
        f"(read {fnp['read']:.2f}, validate {fnp['validate']:.2f}, write {fnp['write']:.2f})"
    )


if __name__ == "__main__":
    main()
