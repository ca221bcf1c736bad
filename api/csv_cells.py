"""CSV answers a spreadsheet opens as data, not formulas (``/oapi/collections/*/items?f=csv``).

pygeoapi 0.24's CSV formatter writes property values as they are: a contribution whose text is
``=HYPERLINK("https://…")``, ``+cmd|' /C calc'!A0`` or ``@SUM(…)`` became a live formula in Excel or
LibreOffice Calc (CSV injection). :func:`install` makes the formatter write such a cell with a leading
apostrophe (``'=HYPERLINK(…)``), as OWASP advises and as the Abwägungstabelle's CSV does
(``api/procedures.py``): a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return,
unless it is a plain number (``-12.5``). Numbers, dates and the geometry columns are not touched.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value):
    """``value`` as a spreadsheet will show it, never run it."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def install() -> None:
    """Wrap pygeoapi's CSV formatter (idempotent)."""
    from pygeoapi.formatter.csv_ import CSVFormatter

    original = CSVFormatter._add_feature
    if getattr(original, "_bgis_safe", False):
        return

    def _add_feature(self, writer, feature: dict, is_point: bool) -> None:
        properties = {name: safe_cell(value) for name, value in (feature.get("properties") or {}).items()}
        return original(self, writer, {**feature, "properties": properties}, is_point)

    _add_feature._bgis_safe = True
    CSVFormatter._add_feature = _add_feature
