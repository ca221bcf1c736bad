"""Open311 GeoReport v2 at /open311/v2: services, requests GET/POST, request status."""

import requests

from tests.contributions.common import MODERATOR, SECRET, TIMEOUT, created, get_item, set_status


def base(server):
    return f"{server.url}/open311/v2"


def post_request(server, **params):
    form = {
        "service_code": "strasse",
        "lat": "53.67",
        "long": "10.0",
        "description": "Schlagloch (Open311-Test)",
        "email": "someone@example.org",
        "first_name": "Erika",
        **params,
    }
    return requests.post(f"{base(server)}/requests.json", data=form, timeout=TIMEOUT)


def test_services_list_the_defect_categories(contrib_server):
    services = requests.get(f"{base(contrib_server)}/services.json", timeout=TIMEOUT).json()
    codes = {s["service_code"] for s in services}
    assert {"strasse", "beleuchtung", "gruen", "muell", "sonstiges"} <= codes
    assert all(s["metadata"] is False and s["type"] == "realtime" and s["service_name"] for s in services)
    definition = requests.get(f"{base(contrib_server)}/services/muell.json", timeout=TIMEOUT)
    assert definition.json()["service_code"] == "muell"
    assert requests.get(f"{base(contrib_server)}/services/nope.json", timeout=TIMEOUT).status_code == 404
    assert requests.get(f"{base(contrib_server)}/discovery.json", timeout=TIMEOUT).json()["endpoints"]


def test_post_creates_a_moderated_maengelmeldung_through_the_provider(contrib_server):
    r = post_request(contrib_server)
    assert r.status_code == 201, r.text
    answer = r.json()[0]
    rid = answer["service_request_id"]
    assert answer["service_notice"] and r.headers[SECRET]
    # the same contribution in the OGC API, with no personal data stored
    props = get_item(contrib_server, rid, MODERATOR).json()["properties"]
    assert props["kind"] == "maengelmeldung" and props["category"] == "strasse" and props["status"] == "eingereicht"
    assert "example.org" not in str(props) and "Erika" not in str(props)
    # not public before moderation
    assert requests.get(f"{base(contrib_server)}/requests/{rid}.json", timeout=TIMEOUT).status_code == 404
    mine = requests.get(
        f"{base(contrib_server)}/requests/{rid}.json", headers={SECRET: r.headers[SECRET]}, timeout=TIMEOUT
    )
    assert mine.status_code == 200 and mine.json()[0]["status"] == "open"


def test_status_flow_is_public(contrib_server):
    rid = post_request(contrib_server, service_code="beleuchtung", description="Laterne aus (Open311)").json()[0][
        "service_request_id"
    ]
    set_status(contrib_server, rid, "in_bearbeitung")
    one = requests.get(f"{base(contrib_server)}/requests/{rid}.json", timeout=TIMEOUT).json()[0]
    assert one["status"] == "open" and "Bearbeitung" in one["status_notes"]
    assert one["service_code"] == "beleuchtung" and one["description"] == "Laterne aus (Open311)"
    assert abs(one["lat"] - 53.67) < 1e-6 and abs(one["long"] - 10.0) < 1e-6
    assert one["requested_datetime"] and one["updated_datetime"]
    set_status(contrib_server, rid, "erledigt")
    assert requests.get(f"{base(contrib_server)}/requests/{rid}.json", timeout=TIMEOUT).json()[0]["status"] == "closed"


def test_requests_list_filters(contrib_server):
    open_id = post_request(contrib_server, service_code="gruen", description="Ast abgebrochen").json()[0][
        "service_request_id"
    ]
    done_id = post_request(contrib_server, service_code="muell", description="Sperrmüll").json()[0][
        "service_request_id"
    ]
    pending_id = post_request(contrib_server, service_code="muell", description="wartet").json()[0][
        "service_request_id"
    ]
    set_status(contrib_server, open_id, "freigegeben")
    set_status(contrib_server, done_id, "erledigt")
    url = f"{base(contrib_server)}/requests.json"

    def listed(**params):
        r = requests.get(url, params=params, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return {x["service_request_id"] for x in r.json()}

    everything = listed()
    assert {open_id, done_id} <= everything and pending_id not in everything
    assert done_id in listed(service_code="muell") and open_id not in listed(service_code="muell")
    assert done_id in listed(status="closed") and open_id not in listed(status="closed")
    assert open_id in listed(status="open") and done_id not in listed(status="open")
    assert not listed(start_date="2099-01-01T00:00:00Z")
    assert not listed(end_date="2000-01-01T00:00:00Z")
    assert listed(service_request_id=f"{open_id},{pending_id}") == {open_id}
    assert pending_id in {x["service_request_id"] for x in requests.get(url, headers=MODERATOR, timeout=TIMEOUT).json()}
    # comments and proposals are not service requests
    comment, _ = created(contrib_server, text="nur ein Kommentar")
    set_status(contrib_server, comment, "freigegeben")
    assert comment not in listed()
    assert requests.get(f"{base(contrib_server)}/requests/{comment}.json", timeout=TIMEOUT).status_code == 404


def test_bad_requests(contrib_server):
    assert post_request(contrib_server, service_code="").status_code == 400
    assert post_request(contrib_server, service_code="wohnen").status_code == 404
    assert post_request(contrib_server, lat="").status_code == 400
    assert post_request(contrib_server, lat="nan").status_code == 400
    assert post_request(contrib_server, description="").status_code == 400
    too_long = post_request(contrib_server, description="x" * 2001)
    assert too_long.status_code == 400 and too_long.json()[0]["code"] == 400
    outside = post_request(contrib_server, lat="48.1", long="11.5")
    assert outside.status_code == 400 and "outside" in outside.json()[0]["description"]
    r = requests.get(f"{base(contrib_server)}/requests.json", params={"status": "maybe"}, timeout=TIMEOUT)
    assert r.status_code == 400
    r = requests.get(f"{base(contrib_server)}/requests.json", params={"start_date": "yesterday"}, timeout=TIMEOUT)
    assert r.status_code == 400
    r = requests.post(
        f"{base(contrib_server)}/requests.json",
        data="{bad",
        timeout=TIMEOUT,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert requests.get(f"{base(contrib_server)}/requests/nope.json", timeout=TIMEOUT).status_code == 404


def test_json_post_is_accepted(contrib_server):
    r = requests.post(
        f"{base(contrib_server)}/requests.json",
        timeout=TIMEOUT,
        json={"service_code": "sonstiges", "lat": 53.671, "long": 10.001, "description": "JSON-Meldung"},
    )
    assert r.status_code == 201, r.text


# -- address, media, following one's own report, lat/long/radius, XML ------------------------------------------------


def test_address_and_media_url_are_kept_and_the_submitter_follows_the_report(contrib_server):
    r = post_request(
        contrib_server,
        address_string="Tangstedter Landstraße 300, 22417 Hamburg",
        media_url="https://fotos.example.org/schlagloch.jpg",
    )
    assert r.status_code == 201, r.text
    answer = r.json()[0]
    rid, token = answer["service_request_id"], answer["token"]
    assert token == r.headers[SECRET]
    url = f"{base(contrib_server)}/requests/{rid}.json"
    assert requests.get(url, timeout=TIMEOUT).status_code == 404  # not public before moderation
    own = requests.get(url, params={"token": token}, timeout=TIMEOUT)
    assert own.status_code == 200 and own.headers["Cache-Control"] == "no-store"
    mine = own.json()[0]
    assert mine["address"] == "Tangstedter Landstraße 300, 22417 Hamburg"
    assert mine["media_url"] == "https://fotos.example.org/schlagloch.jpg"
    assert mine["status"] == "open" and mine["reference"].startswith("MM-")
    assert requests.get(url, params={"token": "x" * 40}, timeout=TIMEOUT).status_code == 404  # someone else's token
    tokens = requests.get(f"{base(contrib_server)}/tokens/{token}.json", timeout=TIMEOUT)
    assert tokens.status_code == 200 and tokens.json()[0]["service_request_id"] == rid
    assert requests.get(f"{base(contrib_server)}/tokens/{'y' * 40}.json", timeout=TIMEOUT).status_code == 404
    set_status(contrib_server, rid, "freigegeben")
    public = requests.get(url, timeout=TIMEOUT).json()[0]
    assert public["address"].startswith("Tangstedter") and public["media_url"].endswith("schlagloch.jpg")
    for bad in ({"media_url": "javascript:alert(1)"}, {"address_string": "x" * 301}):
        refused = post_request(contrib_server, **bad)
        assert refused.status_code == 400 and next(iter(bad)) in refused.json()[0]["description"]


def test_a_photo_sent_with_the_report_loses_its_gps(contrib_server):
    from tests.contributions.test_photos import GPS_IFD, jpeg_with_gps

    form = {"service_code": "muell", "lat": "53.6702", "long": "10.0004", "description": "Sperrmüll mit Foto"}
    r = requests.post(
        f"{base(contrib_server)}/requests.json",
        data=form,
        timeout=TIMEOUT,
        files=[("media", ("IMG_1.jpg", jpeg_with_gps(), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    rid, token = r.json()[0]["service_request_id"], r.json()[0]["token"]
    photo_url = requests.get(
        f"{base(contrib_server)}/requests/{rid}.json", params={"token": token}, timeout=TIMEOUT
    ).json()[0]["media_url"]
    assert "/api/media/" in photo_url
    name = photo_url.rsplit("/", 1)[-1]
    assert requests.get(f"{contrib_server.url}/api/media/{name}", timeout=TIMEOUT).status_code == 404  # pending
    stored = requests.get(f"{contrib_server.url}/api/media/{name}", headers=MODERATOR, timeout=TIMEOUT)
    import io

    from PIL import Image

    assert not Image.open(io.BytesIO(stored.content)).getexif().get_ifd(GPS_IFD)
    bad = requests.post(
        f"{base(contrib_server)}/requests.json",
        data=form,
        timeout=TIMEOUT,
        files=[("media", ("x.jpg", b"no photo", "image/jpeg"))],
    )
    assert bad.status_code == 415 and "x.jpg" in bad.json()[0]["description"]


def test_requests_near_a_place(contrib_server):
    near = post_request(
        contrib_server, service_code="verkehr", lat="53.6655", long="10.0051", description="Schild umgefahren (Radius)"
    ).json()[0]["service_request_id"]
    far = post_request(
        contrib_server, service_code="verkehr", lat="53.6755", long="10.0051", description="Ampel aus (Radius)"
    ).json()[0]["service_request_id"]
    for rid in (near, far):
        set_status(contrib_server, rid, "freigegeben")
    url = f"{base(contrib_server)}/requests.json"

    def listed(**params):
        r = requests.get(url, params={"service_code": "verkehr", **params}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return {x["service_request_id"] for x in r.json()}

    assert {near, far} <= listed()
    around = listed(lat="53.6656", long="10.0052", radius="200")  # ~13 m from one, ~1.1 km from the other
    assert near in around and far not in around
    assert {near, far} <= listed(lat="53.6656", long="10.0052", radius="1500")
    assert near in listed(lat="53.6656", long="10.0052")  # default radius 1000 m
    for bad in (
        {"lat": "53.6"},
        {"lat": "x", "long": "10"},
        {"lat": "53.6", "long": "10", "radius": "0"},
        {"lat": "53.6", "long": "10", "radius": "50000"},
        {"radius": "100"},
    ):
        assert requests.get(url, params=bad, timeout=TIMEOUT).status_code == 400, bad


def test_xml_answers_are_xml_never_html(contrib_server):
    import xml.etree.ElementTree as ET

    services = requests.get(f"{base(contrib_server)}/services.xml", timeout=TIMEOUT)
    assert services.status_code == 200 and services.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(services.content)
    assert root.tag == "services" and "strasse" in {s.findtext("service_code") for s in root.findall("service")}
    assert (
        ET.fromstring(requests.get(f"{base(contrib_server)}/discovery.xml", timeout=TIMEOUT).content)
        .find("endpoints/endpoint/url")
        .text.endswith("/open311/v2/")
    )
    rid = post_request(contrib_server, service_code="gruen", description="Baum <schief> & krumm").json()[0][
        "service_request_id"
    ]
    set_status(contrib_server, rid, "freigegeben")
    one = requests.get(f"{base(contrib_server)}/requests/{rid}.xml", timeout=TIMEOUT)
    request_ = ET.fromstring(one.content).find("request")
    assert (
        request_.findtext("service_request_id") == rid and request_.findtext("description") == "Baum <schief> & krumm"
    )
    created_xml = requests.post(
        f"{base(contrib_server)}/requests.xml",
        timeout=TIMEOUT,
        data={"service_code": "muell", "lat": "53.67", "long": "10.0", "description": "XML"},
    )
    assert created_xml.status_code == 201 and ET.fromstring(created_xml.content).find("request/token").text
    for path, status in (
        ("services/nope.xml", 404),
        ("requests/nope.xml", 404),
        ("whatever.xml", 404),
        ("services.html", 404),
    ):
        r = requests.get(f"{base(contrib_server)}/{path}", timeout=TIMEOUT)
        assert r.status_code == status and "<html" not in r.text.lower(), path
        if path.endswith(".xml"):
            assert r.headers["Content-Type"].startswith("application/xml")
            assert ET.fromstring(r.content).tag == "errors"
    bad = requests.get(f"{base(contrib_server)}/requests.xml", params={"status": "maybe"}, timeout=TIMEOUT)
    assert bad.status_code == 400 and ET.fromstring(bad.content).findtext("error/code") == "400"
