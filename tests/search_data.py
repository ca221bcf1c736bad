"""Test data for the place search: a small address list in the Hauskoordinaten (HK-DE) manner.

The addresses are made up for the tests (names chosen for umlauts, "straße" and a suffix), placed
around the bundled Langenhorn demo plans; the list is written as a Kommune delivers it: semicolons,
Windows-1252, decimal commas, UTM 32 coordinates in ``OST``/``NORD``.
"""

from __future__ import annotations

from pathlib import Path

#: (street, number, suffix, postcode, city, lon, lat)
ADDRESSES = [
    ("Tangstedter Landstraße", "12", "", "22415", "Hamburg", 10.0111, 53.6701),
    ("Tangstedter Landstraße", "14", "a", "22415", "Hamburg", 10.0116, 53.6703),
    ("Müllerstraße", "3", "", "22415", "Hamburg", 10.0131, 53.6688),
    ("Am Öhlmühlenweg", "7", "", "22417", "Hamburg", 10.0090, 53.6660),
]


def write_hk_csv(path: Path) -> Path:
    """The address list as ``path`` (HK-DE-like CSV, EPSG:25832); returns ``path``."""
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, 25832, always_xy=True)
    lines = ["OI;STN;HNR;ADZ;PLZ;ONM;OST;NORD"]
    for i, (street, number, suffix, postcode, city, lon, lat) in enumerate(ADDRESSES, start=1):
        x, y = to_utm.transform(lon, lat)
        lines.append(f"DEHHTEST{i:04d};{street};{number};{suffix};{postcode};{city};{x:.2f};{y:.2f}".replace(".", ","))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path
