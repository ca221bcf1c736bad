"""Solar position against published reference values and hand calculation."""

import datetime as dt

import numpy as np
import pytest

from twin.sun import DAY_PRESETS, EQUINOX, WINTER_SOLSTICE, day_times, julian_day, resolve_day, solar_position, sun_path

HAMBURG = (53.55, 10.0)


def test_julian_day_of_j2000():
    assert julian_day("2000-01-01T12:00:00")[0] == pytest.approx(2451545.0)


def test_nrel_spa_reference_case():
    # NREL SPA (Reda & Andreas 2004, table A4.1): 2003-10-17 12:30:30 local time (UTC-7),
    # 39.742476 N, 105.1786 W: zenith 50.11162°, azimuth 194.34024°.  NOAA's algorithm lies
    # within a few hundredths of a degree (SPA also corrects for pressure and parallax).
    when = dt.datetime(2003, 10, 17, 12, 30, 30, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    pos = solar_position(when, 39.742476, -105.1786)
    assert pos.zenith[0] == pytest.approx(50.11162, abs=0.05)
    assert pos.azimuth[0] == pytest.approx(194.34024, abs=0.05)


def test_hamburg_noon_elevation_at_solstices():
    # At solar noon the elevation is 90° - latitude + declination (±23.44° at the solstices),
    # plus refraction (0.01° at 60°, 0.07° at 13°): 59.9° in June, 13.0° in December.
    summer = sun_path("summer_solstice", *HAMBURG, step_minutes=1)
    winter = sun_path("winter_solstice", *HAMBURG, step_minutes=1)
    assert summer.elevation.max() == pytest.approx(59.90, abs=0.3)
    assert winter.elevation.max() == pytest.approx(13.08, abs=0.3)
    # solar noon in Hamburg (10° E) is about 40 min before 12:00 UTC, shifted by the equation of time
    noon = summer.loc[summer.elevation.idxmax(), "time"]
    assert abs((noon - np.datetime64("2024-06-21T11:21:30")) / np.timedelta64(1, "m")) <= 2
    assert summer.loc[summer.elevation.idxmax(), "azimuth"] == pytest.approx(180.0, abs=1.0)


def test_hamburg_at_noon_utc_hand_computed():
    # 12:00 UTC is 38 min after solar noon (10° E = 40 min, equation of time -1.7 min in June,
    # +1.9 min in December), hour angle H ≈ 9.5° / 10.5°.
    # sin(el) = sin φ sin δ + cos φ cos δ cos H:
    # June:     0.8043·0.3978 + 0.5942·0.9175·cos 9.55°  -> 59.04°, + refraction 0.01°
    # December: -0.8043·0.3978 + 0.5942·0.9175·cos 10.5° -> 12.48°, + refraction 0.07°
    pos = solar_position(["2024-06-21T12:00:00", "2024-12-21T12:00:00"], *HAMBURG)
    np.testing.assert_allclose(pos.elevation, [59.05, 12.55], atol=0.3)
    assert (pos.azimuth > 180).all()  # afternoon: sun west of south
    np.testing.assert_allclose(pos.declination, [23.44, -23.44], atol=0.05)


def test_vectorised_and_timezone_aware():
    cet = dt.timezone(dt.timedelta(hours=1))
    aware = solar_position(dt.datetime(2024, 3, 20, 13, 0, tzinfo=cet), *HAMBURG)
    naive_utc = solar_position(dt.datetime(2024, 3, 20, 12, 0), *HAMBURG)
    assert aware.elevation[0] == pytest.approx(naive_utc.elevation[0])
    lats = np.array([0.0, 45.0, 80.0])
    pos = solar_position("2024-03-20T12:00:00", lats, 0.0)
    assert pos.elevation.shape == (3,)
    assert pos.elevation[0] > pos.elevation[1] > pos.elevation[2]


def test_polar_night_sun_below_horizon():
    path = sun_path("winter_solstice", 80.0, 10.0, step_minutes=10)
    assert (path.elevation < 0).all()


def test_day_times_and_presets():
    assert resolve_day("equinox") == EQUINOX == dt.date(2024, 3, 20)
    assert resolve_day("winter_solstice") == WINTER_SOLSTICE == dt.date(2024, 12, 21)
    assert resolve_day("2024-05-01") == dt.date(2024, 5, 1)
    assert set(DAY_PRESETS) >= {"equinox", "winter_solstice"}
    times = day_times("equinox", lon=15.0, step_minutes=60)
    assert len(times) == 24
    # 15° E: local mean midnight is 23:00 UTC the day before; the first step is half an hour later
    assert times[0] == np.datetime64("2024-03-19T23:30:00")
    with pytest.raises(ValueError):
        day_times("equinox", lon=0.0, step_minutes=7)
