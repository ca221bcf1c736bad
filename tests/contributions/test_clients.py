"""Real clients: OWSLib creates, updates and deletes; after moderation GDAL (OAPIF) reads it with its plan link."""

import pyogrio
import pytest
from owslib.ogcapi.features import Features

from tests.contributions.common import GEOJSON, MODERATOR, SECRET, get_item, ids


def client(api: str, **headers) -> Features:
    """An OWSLib client with its own headers.

    OWSLib 0.3x's ``API.__init__`` does ``self.headers = REQUEST_HEADERS`` and then
    ``.update(headers)``: every client shares (and adds to) one module-level dict, so
    one client's token would travel with all later ones. Each gets a copy here.
    """
    features = Features(api)
    features.headers = {**features.headers, **headers}
    return features


def test_owslib_create_moderate_read_with_gdal_delete(contrib_server):
    citizen = client(contrib_server.api, **GEOJSON)
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [10.0, 53.67]},
        "properties": {
            "kind": "vorschlag",
            "category": "gruen",
            "text": "Ein Spielplatz hier (OWSLib)",
            "target_collection": "bp_baugebiet",
            "target_id": contrib_server.zone,
        },
    }
    assert citizen.collection_item_create("contributions", body) is True
    cid = citizen.response_headers["Location"].rsplit("/", 1)[-1]
    secret = citizen.response_headers[SECRET]
    assert cid not in ids(contrib_server)

    author = client(contrib_server.api, **GEOJSON, **{SECRET: secret})
    body["properties"]["text"] = "Ein Spielplatz hier, mit Bäumen (OWSLib)"
    assert author.collection_item_update("contributions", cid, body) is True
    assert author.collection_item(  # the author sees the pending item
        "contributions", cid
    )["properties"]["text"].endswith("(OWSLib)")

    stranger = client(contrib_server.api, **GEOJSON, **{SECRET: "somebody-else-entirely-0000"})
    with pytest.raises(RuntimeError):
        stranger.collection_item_update("contributions", cid, body)

    moderator = client(contrib_server.api, **GEOJSON, **MODERATOR)
    item = moderator.collection_item("contributions", cid)
    item["properties"]["status"] = "freigegeben"
    assert moderator.collection_item_update("contributions", cid, item) is True

    public = client(contrib_server.api).collection_items("contributions", limit=1000)
    assert cid in {f["id"] for f in public["features"]}

    frame = pyogrio.read_dataframe(f"OAPIF:{contrib_server.api}", layer="contributions")
    id_column = "id" if "id" in frame.columns else frame.columns[0]
    row = frame[frame[id_column] == cid].iloc[0]
    assert row["plan_id"] == contrib_server.plans["open"]
    assert row["target_collection"] == "bp_baugebiet" and row["target_id"] == contrib_server.zone
    assert row["status"] == "freigegeben" and "author_secret_hash" not in frame.columns
    assert set(frame["status"]) <= {"freigegeben", "in_bearbeitung", "erledigt"}

    assert author.collection_item_delete("contributions", cid) is True
    assert get_item(contrib_server, cid, MODERATOR).status_code == 404
