"""The city-scale Process benchmark runs end to end on a small synthetic city (``./dev heavy``).

Its figures are the benchmark's business; the test checks that the Process read fewer buildings
for a one-plan variant than the whole store holds, and that both ways give the same variant.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import fresh_postgis_database

pytestmark = pytest.mark.heavy


def test_scenario_city_benchmark_reads_only_the_variants_plans(postgis, capsys):
    from benchmarks import scenario_city

    url = fresh_postgis_database(postgis, "scenario_city_smoke")
    assert scenario_city.main(["--buildings", "5000", "--plans", "1", "--repeat", "1", "--pg", url]) == 0
    rows = {
        m[0]: (int(m[1]), int(m[2]))
        for m in re.findall(r"\| 1 \| (its plans|whole store) \| [\d.]+ \| (\d+) \| (\d+) \|", capsys.readouterr().out)
    }
    (own_read, own_variant), (whole_read, whole_variant) = rows["its plans"], rows["whole store"]
    assert own_read < whole_read / 10 and own_variant == whole_variant > 0
