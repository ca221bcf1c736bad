"""Coordinate reference systems for every package: a GML ``srsName`` read as an EPSG code, and pyproj
CRS objects and transformers cached per thread.

One place, so that an XPlanGML and a CityGML file with the same ``srsName`` land in the same CRS, and
so that no module builds (or shares between threads) its own pyproj objects.  pyproj's ``Transformer``
and ``CRS`` objects must not be used by two threads at once, hence the caches are thread-local; building
one costs about a millisecond, more than transforming a small frame.
"""

from __future__ import annotations

import re
import threading

from pyproj import CRS, Transformer

#: EPSG codes written into an srsName: ``EPSG:25832``, ``urn:ogc:def:crs:EPSG::25832`` (also the
#: compound ``urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::7837``, whose first, horizontal part counts),
#: ``http://www.opengis.net/def/crs/EPSG/0/25832`` and ``http://www.opengis.net/gml/srs/epsg.xml#25832``.
_EPSG_IN_SRS_NAME = re.compile(r"EPSG:(?:[\d.]*:)?(\d+)|/EPSG/[\d.]+/(\d+)|epsg\.xml#(\d+)", re.IGNORECASE)

#: The German AdV's CRS names (``urn:adv:crs:ETRS89_UTM32*DE_DHHN2016_NH``: vertical datum after '*').
_ADV_NAMES = {
    "DE_DHDN_3GK2": 31466,
    "DE_DHDN_3GK3": 31467,
    "DE_DHDN_3GK4": 31468,
    "DE_DHDN_3GK5": 31469,
    "ETRS89_LAT-LON": 4258,
    "ETRS89_LAT_LON": 4258,
}
_ADV_UTM = re.compile(r"ETRS89_UTM(\d{2})", re.IGNORECASE)  # ETRS89 / UTM zone NN = EPSG:258NN

_THREAD = threading.local()


def epsg_from_srs_name(srs_name: str | None) -> int | None:
    """EPSG code named by a GML ``srsName``, or None when it names none this module knows.

    Parameters
    ----------
    srs_name
        The ``srsName`` attribute as written: an EPSG code in any OGC spelling, or an AdV name.

    Returns
    -------
    int or None
        The EPSG code; None for a missing or unknown name (the caller asks the user for the CRS).

    Examples
    --------
    >>> epsg_from_srs_name("urn:ogc:def:crs:EPSG::25833")
    25833
    >>> epsg_from_srs_name("urn:adv:crs:DE_DHDN_3GK3*DE_DHHN92_NH")
    31467
    >>> epsg_from_srs_name("urn:adv:crs:ETRS89_UTM32*DE_DHHN2016_NH")
    25832
    >>> epsg_from_srs_name("local") is None
    True
    """
    if not srs_name:
        return None
    match = _EPSG_IN_SRS_NAME.search(srs_name)
    if match:
        return int(next(group for group in match.groups() if group))
    match = _ADV_UTM.search(srs_name)
    if match:
        return 25800 + int(match.group(1))
    upper = srs_name.upper()
    for name, code in _ADV_NAMES.items():
        if name in upper:
            return code
    return None


def crs_from_epsg(epsg: int) -> CRS:
    """This thread's pyproj CRS of an EPSG code (parsing "EPSG:25832" anew costs more than a small frame)."""
    cache: dict[int, CRS] = _THREAD.__dict__.setdefault("crs", {})
    crs = cache.get(epsg)
    if crs is None:
        crs = cache[epsg] = CRS.from_epsg(epsg)
    return crs


def crs_from_wkt(wkt: str) -> CRS:
    """This thread's pyproj CRS of a WKT text (pygeoapi hands the output CRS of a request over as WKT)."""
    cache: dict[str, CRS] = _THREAD.__dict__.setdefault("crs_wkt", {})
    crs = cache.get(wkt)
    if crs is None:
        crs = cache[wkt] = CRS.from_wkt(wkt)
    return crs


def transformer(source: int | str | CRS, target: int | str | CRS, always_xy: bool = True) -> Transformer:
    """This thread's transformer from ``source`` to ``target`` (EPSG codes, CRS strings or CRS objects).

    ``always_xy`` (the default) takes and returns easting/longitude first, whatever the CRS's axis order.
    """
    cache: dict[tuple, Transformer] = _THREAD.__dict__.setdefault("transformers", {})
    key = (_key(source), _key(target), always_xy)
    found = cache.get(key)
    if found is None:
        found = cache[key] = Transformer.from_crs(source, target, always_xy=always_xy)
    return found


def _key(crs: int | str | CRS) -> int | str:
    return crs.to_wkt() if isinstance(crs, CRS) else crs
