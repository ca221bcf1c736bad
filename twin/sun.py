"""Solar position after the NOAA Solar Calculator, vectorised over times and places.

The equations are those of NOAA's Global Monitoring Laboratory solar calculator
spreadsheet (after Jean Meeus, *Astronomical Algorithms*): accurate to about
0.01° for dates between 1901 and 2099, far better than a shadow study needs.
Elevation is corrected for atmospheric refraction, as NOAA's calculator does.

Angles are in degrees; azimuth is measured clockwise from true north
(0 = N, 90 = E, 180 = S, 270 = W).  Times are UTC: timezone-aware inputs are
converted, naive inputs are taken to be UTC already.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd

#: Days used by the shadow-study presets (year fixed so results are reproducible;
#: solar geometry of the same calendar day differs by < 0.3° between years).
EQUINOX = dt.date(2024, 3, 20)
SUMMER_SOLSTICE = dt.date(2024, 6, 21)
WINTER_SOLSTICE = dt.date(2024, 12, 21)
DAY_PRESETS = {"equinox": EQUINOX, "summer_solstice": SUMMER_SOLSTICE, "winter_solstice": WINTER_SOLSTICE}


class SolarPosition(NamedTuple):
    """Sun position arrays (degrees; equation of time in minutes)."""

    elevation: np.ndarray  # apparent elevation above the horizon, refraction-corrected
    azimuth: np.ndarray  # clockwise from north
    zenith: np.ndarray  # 90 - elevation
    declination: np.ndarray
    equation_of_time: np.ndarray


def _as_utc(times) -> np.ndarray:
    """Times (datetime, str, Timestamp, datetime64 or array-like of them) as 1-d ``datetime64[ns]`` UTC.

    Aware times are converted to UTC; naive times are taken as UTC.
    """
    if isinstance(times, np.ndarray) and np.issubdtype(times.dtype, np.datetime64):
        return np.atleast_1d(times.astype("datetime64[ns]"))
    values = list(times) if isinstance(times, (list, tuple, pd.Series, pd.Index, np.ndarray)) else [times]
    stamps = [pd.Timestamp(v) for v in values]
    stamps = [s.tz_convert("UTC").tz_localize(None) if s.tzinfo is not None else s for s in stamps]
    return np.array([s.to_datetime64() for s in stamps], dtype="datetime64[ns]")


def julian_day(times) -> np.ndarray:
    """Julian day (UTC) of ``times``.

    Parameters
    ----------
    times : datetime-like or array-like of datetime-like
        Instants (aware ones converted to UTC; naive ones are UTC).

    Returns
    -------
    ndarray of float
        Julian days.

    Notes
    -----
    .. math:: JD = \\frac{t - \\text{1970-01-01T00:00Z}}{1\\,\\text{d}} + 2440587.5

    Examples
    --------
    The J2000.0 epoch:

    >>> julian_day("2000-01-01T12:00:00").tolist()
    [2451545.0]
    """
    utc = _as_utc(times)
    return (utc - np.datetime64("1970-01-01T00:00:00", "ns")) / np.timedelta64(1, "D") + 2440587.5


def _refraction(elevation: np.ndarray) -> np.ndarray:
    """Atmospheric refraction (degrees) for a geometric elevation (degrees), NOAA's piecewise fit."""
    e = np.asarray(elevation, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        te = np.tan(np.radians(e))
        high = 58.1 / te - 0.07 / te**3 + 0.000086 / te**5
        low = 1735.0 + e * (-518.2 + e * (103.4 + e * (-12.79 + e * 0.711)))
        below = -20.772 / te
    arcsec = np.where(e > 85.0, 0.0, np.where(e > 5.0, high, np.where(e > -0.575, low, below)))
    return arcsec / 3600.0


def solar_position(times, lat, lon) -> SolarPosition:
    """Sun elevation and azimuth (NOAA Solar Calculator algorithm).

    Parameters
    ----------
    times : datetime-like or array-like of datetime-like
        Instants (aware ones converted to UTC; naive ones are UTC).
    lat, lon : float or array-like
        Latitude (north positive) and longitude (east positive) in degrees;
        broadcast against ``times``.

    Returns
    -------
    SolarPosition
        Arrays shaped like ``broadcast(times, lat, lon)``.

    Notes
    -----
    With Julian century :math:`T = (JD - 2451545) / 36525`:

    * mean longitude :math:`L_0 = 280.46646 + T(36000.76983 + 0.0003032 T)`,
      mean anomaly :math:`M = 357.52911 + T(35999.05029 - 0.0001537 T)`,
      eccentricity :math:`e = 0.016708634 - T(0.000042037 + 0.0000001267 T)`;
    * equation of centre :math:`C`, apparent longitude
      :math:`\\lambda = L_0 + C - 0.00569 - 0.00478 \\sin\\Omega`,
      :math:`\\Omega = 125.04 - 1934.136 T`;
    * corrected obliquity :math:`\\varepsilon`, declination
      :math:`\\delta = \\arcsin(\\sin\\varepsilon \\sin\\lambda)`;
    * equation of time :math:`E` (minutes), true solar time
      :math:`t_s = (\\text{UTC minutes} + E + 4\\,\\text{lon}) \\bmod 1440`,
      hour angle :math:`H = t_s/4 - 180`;
    * zenith :math:`\\cos\\theta = \\sin\\varphi\\sin\\delta + \\cos\\varphi\\cos\\delta\\cos H`,
      elevation :math:`90 - \\theta` plus refraction;
    * azimuth from :math:`\\cos A' = (\\sin\\varphi\\cos\\theta - \\sin\\delta)/(\\cos\\varphi\\sin\\theta)`,
      :math:`A = A' + 180` when :math:`H > 0`, else :math:`540 - A'` (mod 360).

    Examples
    --------
    Hamburg at solar noon on the summer solstice: the sun stands 60° high in the south.

    >>> position = solar_position("2024-06-21T11:21:00", 53.55, 10.0)
    >>> round(float(position.elevation[0]), 1), round(float(position.azimuth[0]), 1)
    (59.9, 179.6)
    """
    jd = julian_day(times)
    utc = _as_utc(times)
    minutes = (utc - utc.astype("datetime64[D]")) / np.timedelta64(1, "m")
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    jd, minutes, lat, lon = np.broadcast_arrays(jd, minutes, lat, lon)

    t = (jd - 2451545.0) / 36525.0
    l0 = np.mod(280.46646 + t * (36000.76983 + t * 0.0003032), 360.0)
    m = 357.52911 + t * (35999.05029 - 0.0001537 * t)
    e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    m_r = np.radians(m)
    c = (
        np.sin(m_r) * (1.914602 - t * (0.004817 + 0.000014 * t))
        + np.sin(2 * m_r) * (0.019993 - 0.000101 * t)
        + np.sin(3 * m_r) * 0.000289
    )
    true_long = l0 + c
    omega = np.radians(125.04 - 1934.136 * t)
    app_long = true_long - 0.00569 - 0.00478 * np.sin(omega)
    mean_obliq = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    obliq = mean_obliq + 0.00256 * np.cos(omega)
    obliq_r = np.radians(obliq)
    decl_r = np.arcsin(np.sin(obliq_r) * np.sin(np.radians(app_long)))

    y = np.tan(obliq_r / 2.0) ** 2
    l0_r = np.radians(l0)
    eq_time = 4.0 * np.degrees(
        y * np.sin(2 * l0_r)
        - 2 * e * np.sin(m_r)
        + 4 * e * y * np.sin(m_r) * np.cos(2 * l0_r)
        - 0.5 * y * y * np.sin(4 * l0_r)
        - 1.25 * e * e * np.sin(2 * m_r)
    )
    true_solar_time = np.mod(minutes + eq_time + 4.0 * lon, 1440.0)
    hour_angle = true_solar_time / 4.0 - 180.0

    lat_r = np.radians(lat)
    cos_zen = np.sin(lat_r) * np.sin(decl_r) + np.cos(lat_r) * np.cos(decl_r) * np.cos(np.radians(hour_angle))
    zen_r = np.arccos(np.clip(cos_zen, -1.0, 1.0))
    geometric_elevation = 90.0 - np.degrees(zen_r)
    elevation = geometric_elevation + _refraction(geometric_elevation)

    with np.errstate(divide="ignore", invalid="ignore"):
        cos_az = (np.sin(lat_r) * np.cos(zen_r) - np.sin(decl_r)) / (np.cos(lat_r) * np.sin(zen_r))
    az0 = np.degrees(np.arccos(np.clip(np.nan_to_num(cos_az, nan=1.0), -1.0, 1.0)))
    azimuth = np.where(hour_angle > 0, np.mod(az0 + 180.0, 360.0), np.mod(540.0 - az0, 360.0))

    return SolarPosition(elevation, azimuth, 90.0 - elevation, np.degrees(decl_r), eq_time)


def resolve_day(day) -> dt.date:
    """A date from a ``datetime.date``, an ISO string, or a preset name.

    Parameters
    ----------
    day : date, datetime, str
        A date, a datetime (its date counts), an ISO date or one of
        :data:`DAY_PRESETS` (``"equinox"``, ``"summer_solstice"``, ``"winter_solstice"``).

    Returns
    -------
    datetime.date

    Raises
    ------
    TypeError
        For anything else.

    Notes
    -----
    Presets fix the year (2024) so results are reproducible.

    Examples
    --------
    >>> resolve_day("winter_solstice"), resolve_day("2025-05-01")
    (datetime.date(2024, 12, 21), datetime.date(2025, 5, 1))
    """
    if isinstance(day, str):
        key = day.strip().lower()
        if key in DAY_PRESETS:
            return DAY_PRESETS[key]
        return dt.date.fromisoformat(day)
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    raise TypeError(f"expected a date, an ISO date string or one of {sorted(DAY_PRESETS)}, got {day!r}")


def day_times(day, lon: float, step_minutes: float = 60) -> np.ndarray:
    """UTC instants sampling one day at ``lon``, at the middle of each step.

    Parameters
    ----------
    day : date, ISO string or preset name
        The day (:func:`resolve_day`).
    lon : float
        Longitude in degrees east.
    step_minutes : float
        Sampling step; must divide 1440.

    Returns
    -------
    ndarray of datetime64[ns]
        ``24 * 60 / step_minutes`` instants (UTC).

    Raises
    ------
    ValueError
        If ``step_minutes`` does not divide a day.

    Notes
    -----
    The day runs from local mean solar midnight to midnight (UTC minus
    ``lon/15`` hours), so the steps sit symmetrically around solar noon and a
    midpoint rule integrates sunshine without a bias towards morning or evening:

    .. math:: t_k = \\text{day} - \\frac{\\text{lon}}{15}\\,\\text{h} + (k + \\tfrac12)\\,\\Delta t

    Examples
    --------
    Six-hour steps at 10° E (solar midnight is 23:20 UTC the evening before):

    >>> [str(t) for t in day_times("equinox", 10.0, 360)]
    ['2024-03-20T02:20:00.000000000', '2024-03-20T08:20:00.000000000', '2024-03-20T14:20:00.000000000', '2024-03-20T20:20:00.000000000']
    """
    if step_minutes <= 0 or (24 * 60) % step_minutes:
        raise ValueError(f"step_minutes must divide a day (1440 min), got {step_minutes}")
    day = resolve_day(day)
    n = int(24 * 60 // step_minutes)
    start = np.datetime64(day.isoformat(), "ns") - np.timedelta64(round(lon / 15.0 * 3600e9), "ns")
    offsets = (np.arange(n) + 0.5) * step_minutes * 60e9
    return start + offsets.astype("timedelta64[ns]")


def sun_path(day, lat: float, lon: float, step_minutes: float = 60) -> pd.DataFrame:
    """The sun's path over one day: ``time`` (UTC), ``elevation``, ``azimuth`` per step.

    Parameters
    ----------
    day : date, ISO string or preset name
        The day (:func:`resolve_day`).
    lat, lon : float
        Location in degrees.
    step_minutes : float
        Sampling step (:func:`day_times`).

    Returns
    -------
    DataFrame
        One row per step, night included (negative elevation).

    Notes
    -----
    :func:`solar_position` at the instants of :func:`day_times`.

    Examples
    --------
    Hamburg at the equinox, every three hours: the sun is up for the four steps around noon.

    >>> path = sun_path("equinox", 53.55, 10.0, 180)
    >>> path["elevation"].round(1).tolist()
    [-33.8, -14.1, 12.2, 32.9, 33.9, 14.4, -11.9, -32.5]
    """
    times = day_times(day, lon, step_minutes)
    pos = solar_position(times, lat, lon)
    return pd.DataFrame({"time": times, "elevation": pos.elevation, "azimuth": pos.azimuth})
