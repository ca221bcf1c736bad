"""Photos of Mängelmeldungen (api/media.py, participation/photos.py) on both stores: re-encoded without EXIF/GPS,
upright, hidden until the report is published, at most 3, bombs and non-images refused; the duplicate hint before
submitting; reports followed by their number; the honeypot field."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
import requests
from PIL import Image

from participation.photos import HEIF_SUPPORTED, PhotoError, PhotoSettings, reencode
from providers.contributions import HONEYPOT_MESSAGE
from tests.contributions.common import (
    INSIDE,
    MODERATOR,
    SECRET,
    TIMEOUT,
    count_all,
    create,
    created,
    feature,
    get_item,
    item_url,
    set_status,
)

GPS_IFD, ORIENTATION = 0x8825, 0x0112


def jpeg_with_gps(size=(64, 32), orientation: int = 6) -> bytes:
    """A phone-like JPEG: GPS position (Hamburg), camera make, and 'rotate 90°' in its EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (53.0, 40.0, 12.0), 3: "E", 4: (10.0, 0.0, 5.0)})
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the test photo must carry GPS"
    return data


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A tiny PNG whose header claims 10 gigapixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def report(server, category="strasse", coordinates=None, text="Schlagloch mit Foto (Test)") -> tuple[str, str]:
    body = feature(
        text, {"type": "Point", "coordinates": coordinates or INSIDE}, kind="maengelmeldung", category=category
    )
    return created(server, body)


def upload(server, cid, files: list[tuple[str, bytes, str]], headers=None) -> requests.Response:
    return requests.post(
        f"{server.url}/api/contributions/{cid}/photos",
        headers=headers or {},
        timeout=TIMEOUT,
        files=[("photo", f) for f in files],
    )


def media(server, url: str, headers=None) -> requests.Response:
    return requests.get(f"{server.url}/api/media/{url.rsplit('/', 1)[-1]}", headers=headers or {}, timeout=TIMEOUT)


def test_a_photo_loses_its_gps_and_is_turned_upright(contrib_server):
    cid, secret = report(contrib_server)
    r = upload(contrib_server, cid, [("handy.jpg", jpeg_with_gps(), "image/jpeg")], {SECRET: secret})
    assert r.status_code == 201, r.text
    url = r.json()["photos"][0]["media_url"]
    stored = media(contrib_server, url, MODERATOR)  # the moderator's view of it
    assert stored.status_code == 200 and stored.headers["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(stored.content))
    assert not image.getexif() and "exif" not in image.info and b"Exif" not in stored.content
    assert not image.getexif().get_ifd(GPS_IFD) and b"PhoneMaker" not in stored.content
    assert image.size == (32, 64)  # EXIF orientation 6 applied before EXIF was dropped
    props = get_item(contrib_server, cid, MODERATOR).json()["properties"]
    assert props["media_urls"] == [url] and url.endswith(".jpg")


def test_a_photo_is_public_only_once_its_report_is(contrib_server):
    cid, secret = report(contrib_server, "muell")
    url = upload(contrib_server, cid, [("a.png", _png(), "image/png")], {SECRET: secret}).json()["photos"][0][
        "media_url"
    ]
    assert media(contrib_server, url).status_code == 404  # pending: not public
    assert media(contrib_server, url, {SECRET: secret}).status_code == 200  # its author
    assert media(contrib_server, url, MODERATOR).headers["Cache-Control"] == "private, no-store"
    assert set_status(contrib_server, cid, "freigegeben").status_code == 200
    public = media(contrib_server, url)
    assert public.status_code == 200 and public.headers["Cache-Control"].startswith("public")
    assert get_item(contrib_server, cid).json()["properties"]["media_urls"] == [url]
    # once reviewed, the author no longer changes photos; the moderation may remove one (a face, a number plate)
    assert upload(contrib_server, cid, [("b.png", _png(), "image/png")], {SECRET: secret}).status_code == 403
    name = url.rsplit("/", 1)[-1]
    assert (
        requests.delete(
            f"{contrib_server.url}/api/contributions/{cid}/photos/{name}", headers=MODERATOR, timeout=TIMEOUT
        ).status_code
        == 204
    )
    assert media(contrib_server, url).status_code == 404


def test_at_most_three_photos_per_report(contrib_server):
    cid, secret = report(contrib_server, "gruen")
    four = [(f"p{i}.png", _png(), "image/png") for i in range(4)]
    too_many = upload(contrib_server, cid, four, {SECRET: secret})
    assert too_many.status_code == 400 and "Höchstens 3" in too_many.json()["description"]
    assert upload(contrib_server, cid, four[:2], {SECRET: secret}).status_code == 201
    assert upload(contrib_server, cid, four[2:3], {SECRET: secret}).status_code == 201
    fourth = upload(contrib_server, cid, four[3:], {SECRET: secret})
    assert fourth.status_code == 400 and "at most 3 photos" in fourth.json()["description"]
    assert len(get_item(contrib_server, cid, MODERATOR).json()["properties"]["media_urls"]) == 3


def test_bombs_non_images_and_oversized_files_are_refused(contrib_server):
    cid, secret = report(contrib_server, "verkehr")
    own = {SECRET: secret}
    bomb = upload(contrib_server, cid, [("bomb.png", png_bomb(), "image/png")], own)
    assert bomb.status_code == 413 and "bomb.png" in bomb.json()["description"] and "Pixel" in bomb.text
    text = upload(contrib_server, cid, [("notes.jpg", b"not a photo at all", "image/jpeg")], own)
    assert text.status_code == 415 and "Kein lesbares Foto" in text.json()["description"]
    huge = upload(
        contrib_server, cid, [("big.jpg", b"\xff" * (PhotoSettings().max_file_bytes + 10), "image/jpeg")], own
    )
    assert huge.status_code == 413 and "zu groß" in huge.json()["description"]
    no_file = requests.post(
        f"{contrib_server.url}/api/contributions/{cid}/photos",
        files=[("note", (None, "x"))],
        headers=own,
        timeout=TIMEOUT,
    )
    assert no_file.status_code == 400 and "'photo'" in no_file.json()["description"]
    json_body = requests.post(
        f"{contrib_server.url}/api/contributions/{cid}/photos", json={"photo": "x"}, headers=own, timeout=TIMEOUT
    )
    assert json_body.status_code == 415
    assert "media_urls" not in get_item(contrib_server, cid, MODERATOR).json()["properties"]  # nothing kept


def test_only_the_author_adds_photos_and_only_to_reports(contrib_server):
    cid, _secret = report(contrib_server, "beleuchtung")
    _other, other_secret = report(contrib_server, "beleuchtung", text="eine andere Meldung")
    photo = [("a.png", _png(), "image/png")]
    assert upload(contrib_server, cid, photo).status_code in (401, 404)
    assert upload(contrib_server, cid, photo, {SECRET: other_secret}).status_code in (403, 404)
    comment, comment_secret = created(contrib_server, text="nur ein Kommentar mit Foto?")
    assert upload(contrib_server, comment, photo, {SECRET: comment_secret}).status_code == 400


def test_heic_from_phones(contrib_server):
    cid, secret = report(contrib_server, "sonstiges")
    heic = _heic() if HEIF_SUPPORTED else b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64
    r = upload(contrib_server, cid, [("IMG_0001.HEIC", heic, "image/heic")], {SECRET: secret})
    if HEIF_SUPPORTED:
        assert r.status_code == 201, r.text
        stored = media(contrib_server, r.json()["photos"][0]["media_url"], MODERATOR)
        assert Image.open(io.BytesIO(stored.content)).format == "JPEG"
    else:
        assert r.status_code == 415 and "HEIC" in r.json()["description"] and "JPEG" in r.json()["description"]


def test_deleting_a_report_deletes_its_photos(contrib_server):
    cid, secret = report(contrib_server, "strasse")
    url = upload(contrib_server, cid, [("a.png", _png(), "image/png")], {SECRET: secret}).json()["photos"][0][
        "media_url"
    ]
    assert requests.delete(item_url(contrib_server, cid), headers={SECRET: secret}, timeout=TIMEOUT).status_code == 200
    assert media(contrib_server, url, MODERATOR).status_code == 404


def test_reencode_keeps_large_photos_small_and_refuses_bombs_without_decoding():
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), "white").save(out, format="PNG")
    photo = reencode(out.getvalue(), "gross.png")
    assert (photo.width, photo.height) == (2048, 1536)
    with pytest.raises(PhotoError) as refused:
        reencode(png_bomb(), "bomb.png")
    assert refused.value.status == 413
    transparent = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(transparent, format="PNG")
    flat = Image.open(io.BytesIO(reencode(transparent.getvalue()).data))
    assert flat.mode == "RGB" and flat.getpixel((0, 0)) == (255, 255, 255)


# -- before submitting: is it reported already? and following a report by its number ----------------------------


def test_nearby_reports_of_the_same_category(contrib_server):
    lon, lat = 10.0031, 53.6712
    published, _ = report(contrib_server, "beleuchtung", [lon, lat], text="Laterne defekt (nearby)")
    set_status(contrib_server, published, "in_bearbeitung")
    pending, _ = report(contrib_server, "beleuchtung", [lon + 0.00005, lat], text="noch nicht geprüft (nearby)")
    url = f"{contrib_server.url}/api/contributions/nearby"
    six_m_away = {"category": "beleuchtung", "lon": lon + 0.00009, "lat": lat}
    found = requests.get(url, params=six_m_away, timeout=TIMEOUT).json()
    ids = [r["id"] for r in found["reports"]]
    assert published in ids and pending not in ids and found["pending_count"] >= 1
    hit = next(r for r in found["reports"] if r["id"] == published)
    assert hit["distance_m"] < 10 and hit["reference"] and hit["text"] == "Laterne defekt (nearby)"
    other = requests.get(url, params={**six_m_away, "category": "muell"}, timeout=TIMEOUT).json()
    assert published not in [r["id"] for r in other["reports"]]
    far = requests.get(url, params={**six_m_away, "lat": lat + 0.01}, timeout=TIMEOUT).json()
    assert published not in [r["id"] for r in far["reports"]]
    for bad in (
        {"lon": "x", "lat": lat},
        {"lon": lon, "lat": 95},
        {"lon": lon, "lat": lat, "radius": 5000},
        {"lon": lon, "lat": lat, "category": "wohnen"},
    ):
        r = requests.get(url, params={"category": "beleuchtung", **bad}, timeout=TIMEOUT)
        assert r.status_code == 400 and " / " in r.json()["description"]


def test_a_report_gets_a_number_to_follow_it_by(contrib_server):
    cid, secret = report(contrib_server, "muell", text="Müll am Spielplatz (Nummer)")
    reference = get_item(contrib_server, cid, {SECRET: secret}).json()["properties"]["reference"]
    assert re.fullmatch(r"MM-\d{4}-\d{4}", reference)
    state = requests.get(f"{contrib_server.url}/api/statements/{reference}", timeout=TIMEOUT)
    assert state.status_code == 200 and state.json()["status"] == "eingereicht"
    requests.post(
        f"{contrib_server.url}/api/contributions/{cid}/status",
        headers=MODERATOR,
        timeout=TIMEOUT,
        json={"status": "in_bearbeitung", "note": "Der Bauhof kommt am Montag."},
    )
    state = requests.get(f"{contrib_server.url}/api/statements/{reference}", timeout=TIMEOUT).json()
    assert state["status"] == "in_bearbeitung" and state["status_note"] == "Der Bauhof kommt am Montag."


# -- the honeypot ---------------------------------------------------------------------------------------------------


def test_a_filled_honeypot_is_refused_and_stores_nothing(contrib_server):
    before = count_all(contrib_server)
    bot = create(contrib_server, feature("Tolle Angebote (Bot)", website="http://spam.example"))
    assert bot.status_code == 400
    assert (
        bot.json()["description"]
        == HONEYPOT_MESSAGE
        == ("Der Beitrag konnte nicht angenommen werden / the contribution could not be accepted")
    )
    assert count_all(contrib_server) == before
    person = create(contrib_server, feature("Ein Mensch lässt das Feld leer", website=""))
    assert person.status_code == 201 and count_all(contrib_server) == before + 1


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def _heic() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(out, format="HEIF")
    return out.getvalue()


# -- the portal's pure parts (ui/reports.py) ----------------------------------------------------------------------


def test_portal_parts_of_the_report_form():
    import base64
    from datetime import UTC, datetime, timedelta

    from ui.reports import decode_uploads, duplicates_view, latest_report_without_photos

    png = _png()
    files = decode_uploads([f"data:image/png;base64,{base64.b64encode(png).decode()}"], ["a.png"])
    assert files == [("a.png", png, "image/png")]
    now = datetime.now(UTC)
    rows = [
        {"id": "c", "kind": "kommentar", "created_at": now.isoformat()},
        {"id": "r", "kind": "maengelmeldung", "created_at": (now - timedelta(minutes=1)).isoformat()},
    ]
    assert latest_report_without_photos(rows, now)["id"] == "r"
    assert latest_report_without_photos(rows, now + timedelta(minutes=10)) is None
    view = str(
        duplicates_view(
            {
                "reports": [
                    {
                        "id": "x1",
                        "reference": "MM-2026-0007",
                        "distance_m": 6.2,
                        "status": "in_bearbeitung",
                        "text": "<b>Laterne</b>",
                    }
                ],
                "pending_count": 1,
            },
            "de",
        )
    )
    assert "Diese Meldung unterstützen" in view and "MM-2026-0007" in view and "support-report" in view
    assert duplicates_view({"reports": [], "pending_count": 0}, "de") == []
