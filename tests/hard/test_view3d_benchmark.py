"""The 3D city-scale benchmark runs end to end on a small synthetic city (``./dev heavy``).

It starts the portal under gunicorn, loads both places in Chromium, and fails when no tile
building reaches the screen; the figures themselves are the benchmark's business, not a test's.
"""

from __future__ import annotations

import pytest

from tests.conftest import fresh_postgis_database

pytestmark = [pytest.mark.heavy, pytest.mark.browser]


def test_view3d_benchmark_draws_both_places(postgis, chromium_paths, capsys):
    from benchmarks import view3d

    url = fresh_postgis_database(postgis, "view3d_smoke")
    assert view3d.main(["--buildings", "3000", "--runs", "1", "--pg", url]) == 0
    out = capsys.readouterr().out
    assert "| district | 15 |" in out and "| whole city |" in out and "NOT DRAWN" not in out
