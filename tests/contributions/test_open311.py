"""Open311 GeoReport v2 at /open311/v2: services, requests GET/POST, request status."""

import requests

from tests.contributions.common import MODERATOR, SECRET, TIMEOUT, created, get_item, set_status


def base(server):
    return f"{server.url}/open311/v2"


def post_request(server, **params):
    form = {"service_code": "strasse", "lat": "53.67", "long": "10.0", "description": "Schlagloch (Open311-Test)",
            "email": "someone@example.org", "first_name": "Erika", **params}
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
    mine = requests.get(f"{base(contrib_server)}/requests/{rid}.json", headers={SECRET: r.headers[SECRET]},
                        timeout=TIMEOUT)
    assert mine.status_code == 200 and mine.json()[0]["status"] == "open"


def test_status_flow_is_public(contrib_server):
    rid = post_request(contrib_server, service_code="beleuchtung", description="Laterne aus (Open311)").json()[0][
        "service_request_id"]
    set_status(contrib_server, rid, "in_bearbeitung")
    one = requests.get(f"{base(contrib_server)}/requests/{rid}.json", timeout=TIMEOUT).json()[0]
    assert one["status"] == "open" and "Bearbeitung" in one["status_notes"]
    assert one["service_code"] == "beleuchtung" and one["description"] == "Laterne aus (Open311)"
    assert abs(one["lat"] - 53.67) < 1e-6 and abs(one["long"] - 10.0) < 1e-6
    assert one["requested_datetime"] and one["updated_datetime"]
    set_status(contrib_server, rid, "erledigt")
    assert requests.get(f"{base(contrib_server)}/requests/{rid}.json",
                        timeout=TIMEOUT).json()[0]["status"] == "closed"


def test_requests_list_filters(contrib_server):
    open_id = post_request(contrib_server, service_code="gruen", description="Ast abgebrochen").json()[0][
        "service_request_id"]
    done_id = post_request(contrib_server, service_code="muell", description="Sperrmüll").json()[0][
        "service_request_id"]
    pending_id = post_request(contrib_server, service_code="muell", description="wartet").json()[0][
        "service_request_id"]
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
    r = requests.post(f"{base(contrib_server)}/requests.json", data="{bad", timeout=TIMEOUT,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert requests.get(f"{base(contrib_server)}/requests/nope.json", timeout=TIMEOUT).status_code == 404


def test_json_post_is_accepted(contrib_server):
    r = requests.post(f"{base(contrib_server)}/requests.json", timeout=TIMEOUT,
                      json={"service_code": "sonstiges", "lat": 53.671, "long": 10.001, "description": "JSON-Meldung"})
    assert r.status_code == 201, r.text
