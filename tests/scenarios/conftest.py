"""A small hand-made twin (numbers easy to check by hand) and the real demo plans."""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, box

X0, Y0 = 566_000.0, 5_947_000.0  # EPSG:25832, Hamburg-Langenhorn
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "xplan"
DEMO_PLANS = ("Langenhorn51_5-2", "LA22_5-2", "LA67_5-2")


def rect(x, y, w, h):
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def make_hand_frames() -> dict:
    """Two zones side by side.

    * ``wa``: WA, 50 m × 40 m = 2000 m², GRZ 0.4, GFZ 0.8, Z 2; a Baufenster 30 m × 20 m = 600 m²
      (closed Baugrenze at 10..40 × 10..30); building ``b1`` 10 m × 12 m = 120 m², 2 storeys, 6 m.
    * ``mi``: MI, 40 m × 40 m = 1600 m² east of it, GRZ 0.6, GFZ 1.2, Z 3, no Baugrenze;
      building ``b2`` 20 m × 10 m = 200 m², 3 storeys, 9 m.

    Baseline: GF = 120·2 + 200·3 = 840 m².
    """
    zones = gpd.GeoDataFrame(
        {
            "id": ["wa", "mi"],
            "plan_id": ["plan-a", "plan-a"],
            "art_code": ["WA", "MI"],
            "grz": [0.4, 0.6],
            "gfz": [0.8, 1.2],
            "z": pd.array([2, 3], dtype="Int64"),
        },
        geometry=[rect(0, 0, 50, 40), rect(50, 0, 40, 40)],
        crs=25832,
    )
    baugrenzen = gpd.GeoDataFrame(
        {"id": ["bg1"], "plan_id": ["plan-a"], "art": ["Baugrenze"]},
        geometry=[
            LineString(
                [(X0 + 10, Y0 + 10), (X0 + 40, Y0 + 10), (X0 + 40, Y0 + 30), (X0 + 10, Y0 + 30), (X0 + 10, Y0 + 10)]
            ),
        ],
        crs=25832,
    )
    buildings = gpd.GeoDataFrame(
        {
            "id": ["b1", "b2"],
            "source": ["test", "test"],
            "name": ["Haus 1", "Haus 2"],
            "function": ["Wohnhaus", "Büro"],
            "height": [6.0, 9.0],
            "storeys": pd.array([2, 3], dtype="Int64"),
            "synthetic": [False, False],
        },
        geometry=[rect(12, 12, 10, 12), rect(60, 5, 20, 10)],
        crs=25832,
    )
    plans = gpd.GeoDataFrame(
        {"id": ["plan-a"], "plan_id": ["plan-a"], "name": ["Testplan A"]}, geometry=[rect(0, 0, 90, 40)], crs=25832
    )
    street = gpd.GeoDataFrame({"id": ["street"], "plan_id": ["plan-a"]}, geometry=[rect(0, 40, 90, 10)], crs=25832)
    return {
        "bp_plan": plans,
        "bp_baugebiet": zones,
        "bp_baugrenze": baugrenzen,
        "bp_verkehrsflaeche": street,
        "buildings": buildings,
    }


@pytest.fixture
def hand_frames() -> dict:
    """Fresh frames of the hand-made twin (see :func:`make_hand_frames`)."""
    return make_hand_frames()


@pytest.fixture
def hand_model(hand_frames):
    from twin.model import CityModel

    return CityModel.from_frames(hand_frames)


@pytest.fixture(scope="session")
def demo_frames() -> dict:
    """The three Langenhorn demo plans read with layers/xplanung, merged per layer."""
    from layers.xplanung import read_xplan

    merged: dict[str, list] = {}
    for name in DEMO_PLANS:
        for plan in read_xplan(SAMPLE / name / "xplan.gml"):
            for layer_id, frame in plan.frames.items():
                if len(frame):
                    merged.setdefault(layer_id, []).append(frame)
    return {k: gpd.GeoDataFrame(pd.concat(v, ignore_index=True), crs=v[0].crs) for k, v in merged.items()}


@pytest.fixture(scope="session")
def demo_model(demo_frames):
    from twin.model import CityModel

    return CityModel.from_frames(demo_frames, synthesize=True)
