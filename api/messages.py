"""The German/English messages of the HTTP routes below ``/api``, ``/open311`` and the guards in front of every
request (``api/access.py``, ``api/edges.py``, limits) that a person reads when a request is refused.

A catalogue of the form :mod:`schema.bilingual` describes: ``key -> (Deutsch, English)`` with the same fields.
What a lower package says already is used from there (:mod:`access.messages` for who may do what,
:mod:`intake.messages` for features, :mod:`participation.messages`, :mod:`scenarios.messages` for the studio).
"""

from __future__ import annotations

from schema.bilingual import Catalogue

MESSAGES: dict[str, tuple[str, str]] = {
    # -- the request: size, body, type, path (api/access.py, api/edges.py, api/production.py, api/wsgi.py …) ------
    "request_too_large": (
        "Die Anfrage ist zu groß (höchstens {max} Bytes)",
        "the request body is too large (at most {max} bytes)",
    ),
    "json_too_deep": (
        "Das JSON ist zu tief verschachtelt ({depth} Ebenen, höchstens {max})",
        "the JSON body is nested too deeply ({depth} levels, at most {max})",
    ),
    "store_unavailable": (
        "Der Datenspeicher ist gerade nicht erreichbar; bitte versuchen Sie es in einigen Sekunden erneut",
        "the data store is unavailable right now; please try again in a few seconds",
    ),
    "feature_body_empty": ("Leerer Inhalt", "the request body is empty: send a GeoJSON Feature"),
    "body_not_utf8": ("Der Inhalt ist kein UTF-8", "the body is not UTF-8 encoded JSON"),
    "body_malformed_json": ("Fehlerhaftes JSON", "malformed JSON: {error}"),
    "body_one_feature": (
        "Erwartet wird ein GeoJSON-Feature",
        'the body must be one GeoJSON Feature ({{"type": "Feature", "geometry": …, "properties": …}})',
    ),
    "feature_content_type": (
        "Ein GeoJSON-Feature bitte als Content-Type: {geojson} senden, nicht {got_de}",
        "send a GeoJSON Feature with Content-Type: {geojson} (got {got}); application/json bodies are "
        "read as CQL2-JSON queries",
    ),
    "no_type": ("ohne Typ", "none"),
    "put_content_type": (
        "Bitte als Content-Type: {geojson} senden, nicht {got}",
        "send the feature as {geojson} (got {got})",
    ),
    "body_empty": ("Leerer Inhalt", "the body is empty: send JSON"),
    "body_malformed": ("Fehlerhaftes JSON", "malformed JSON"),
    "no_such_resource": ("Diese Adresse gibt es nicht: {path}", "no such resource: {path}"),
    # -- what pygeoapi would answer with 500 or without a reason (api/compat.py) -----------------------------------
    "filter_invalid": ("Ungültiger Filter ({language})", "invalid filter ({language}): {error}"),
    "query_not_utf8": (
        "Der Inhalt ist kein UTF-8",
        "the body is not UTF-8: send a CQL2-JSON query as application/json or a GeoJSON Feature as "
        "application/geo+json",
    ),
    "execute_not_utf8": ("Der Inhalt ist kein UTF-8", "the execute request is not UTF-8 encoded JSON"),
    "execute_not_object": (
        "Erwartet wird ein JSON-Objekt",
        'the execute request must be a JSON object: {{"inputs": {{…}}}}',
    ),
    "execute_inputs_object": (
        "'inputs' muss ein Objekt sein",
        "'inputs' must be an object of input values by name",
    ),
    "execute_no_callbacks": (
        "Rückrufe (subscriber) werden nicht unterstützt",
        "callbacks are not supported: leave out 'subscriber' (use Prefer: respond-async and poll the job instead)",
    ),
    # -- what GIS clients expect (api/standards.py) -----------------------------------------------------------------
    "content_crs_unknown": (
        "Content-Crs: unbekanntes Koordinatenreferenzsystem {uri!r}",
        "Content-Crs: unknown CRS {uri!r}; use e.g. <http://www.opengis.net/def/crs/EPSG/0/25832>",
    ),
    "content_crs_geometry": ("Geometrie nicht lesbar", "geometry cannot be read in the Content-Crs: {error}"),
    "not_a_feature_collection": ("Keine Objektsammlung {id!r}", "no feature collection {id!r}"),
    "tileset_not_served": ("Diese Kachelung gibt es hier nicht", "no such tileset here: {error}"),
    "bbox_across_antimeridian": (
        "bbox: minx ist größer als maxx (über die Datumsgrenze geht eine Box nur in CRS84)",
        "bbox: minx is larger than maxx (a box crosses the antimeridian only in CRS84)",
    ),
    "openapi_unauthorized": ("Anmeldung fehlt", "credentials missing (WWW-Authenticate: Bearer)"),
    "openapi_forbidden": ("Keine Berechtigung", "not allowed"),
    # -- limits (api/limits.py, api/token_throttle.py, api/jobs.py, api/voters.py) ----------------------------------
    "too_many_requests": (
        "Zu viele Anfragen in kurzer Zeit ({limit}); bitte in {wait} s erneut versuchen",
        "too many requests in a short time ({limit}); please try again in {wait} s",
    ),
    "token_locked_out": (
        "Zu viele Anfragen mit falschem Token ({limit}); Anmeldung mit Token erst in {wait} s wieder möglich",
        "too many requests with a wrong token ({limit}); signing in with a token is possible again in {wait} s",
    ),
    "jobs_busy": (
        "Gerade laufen schon {count} Berechnungen; bitte in {wait} s erneut versuchen",
        "{count} runs are in progress already; please try again in {wait} s",
    ),
    "job_not_found": (
        "Auftrag {id!r} nicht gefunden; einen Auftrag sieht nur, wer ihn gestartet hat (mit dem {header} der "
        "Ausführung oder derselben Anmeldung), und die Planung",
        "job {id!r} not found; a job is visible only to whoever started it (with the {header} of its execution "
        "or the same sign-in) and to planners",
    ),
    "voter_forged": (
        "Ungültige Browser-Kennung (Cookie verändert); bitte die Seite neu laden",
        "invalid browser id (the cookie was altered); please reload the page",
    ),
    "voter_cookie_needed": (
        "Zum Mitzählen braucht es ein Cookie dieses Portals; bitte Cookies erlauben und die Seite neu laden",
        "a like needs this portal's cookie; please allow cookies and reload",
    ),
    "voters_too_many": (
        "Zu viele neue Browser-Kennungen von dieser Adresse ({limit}); bitte in {wait} s erneut versuchen und "
        "Cookies behalten",
        "too many new browser ids from this address ({limit}); please try again in {wait} s and keep the cookie",
    ),
    "voter_header": (
        "Bitte eine Browser-Kennung im Header {header} senden (16-128 Zeichen A-Z a-z 0-9 _ -)",
        "send a per-browser voter id in the {header} header (16-128 characters A-Z a-z 0-9 _ -)",
    ),
    # -- parameters (api/bursts.py, api/search.py, api/feeds.py, api/media.py) --------------------------------------
    "whole_number": ("{name}: eine ganze Zahl", "{name}: a whole number"),
    "number_between": ("{name}: zwischen {low} und {high}", "{name}: between {low} and {high}"),
    "search_term_missing": ("Bitte einen Suchbegriff angeben (q)", "please give a search term (q)"),
    "search_term_too_long": (
        "Suchbegriff zu lang (höchstens {max} Zeichen)",
        "search term too long (at most {max} characters)",
    ),
    "search_term_invalid": ("Ungültiges Zeichen im Suchbegriff", "invalid character in the search term"),
    "search_limit": ("limit muss eine Zahl von 1 bis {max} sein", "limit must be a number from 1 to {max}"),
    "feed_numbers": (
        "'{name}' braucht {count} Zahlen, durch Kommas getrennt",
        "'{name}' needs {count} comma-separated numbers",
    ),
    "feed_lonlat": (
        "'{name}' ist außerhalb von Länge/Breite (WGS 84)",
        "'{name}' is outside longitude/latitude (WGS 84)",
    ),
    "feed_bbox_or_point": ("Entweder 'bbox' oder 'point' mit 'radius'", "either 'bbox' or 'point' with 'radius'"),
    "feed_bbox_order": (
        "'bbox' ist minlon,minlat,maxlon,maxlat (Westen vor Osten, Süden vor Norden)",
        "'bbox' is minlon,minlat,maxlon,maxlat (west before east, south before north)",
    ),
    "feed_radius": (
        "'radius' in Metern, größer 0 und höchstens {max_de}",
        "'radius' in metres, above 0 and at most {max:,.0f}",
    ),
    "feed_radius_needs_point": ("'radius' nur mit 'point'", "'radius' only with 'point'"),
    "feed_limit": ("'limit' ist eine Zahl von 1 bis {max}", "'limit' is a number from 1 to {max}"),
    "feed_kind": ("'kind' ist eine von {kinds}", "'kind' is one of {kinds}"),
    "nearby_lonlat_required": (
        "lon und lat (WGS 84, Dezimalgrad) sind nötig, radius in Metern",
        "lon and lat (WGS 84 decimal degrees) are required, radius in metres",
    ),
    "lonlat_out_of_range": ("lon/lat außerhalb des Wertebereichs", "lon/lat out of range"),
    "nearby_radius": ("radius: mehr als 0 und höchstens {max:g} m", "radius: above 0 and at most {max:g} m"),
    # -- moderation (api/contributions.py) --------------------------------------------------------------------------
    "status_body": ("Erwartet", 'expected {{"status": "freigegeben", "note": optional text}}'),
    "status_many_body": ("Erwartet", 'expected {{"ids": [1-500 ids], "status": "freigegeben", "note": optional}}'),
    # -- photos (api/media.py, api/open311.py) -------------------------------------------------------------------------
    "photos_defects_only": ("Fotos gibt es nur zu Mängelmeldungen", "photos belong to defect reports only"),
    "photos_reviewed": (
        "Die Meldung ist schon geprüft; Fotos ändert jetzt nur die Moderation",
        "the report has been reviewed; only moderators may change its photos now",
    ),
    "photos_request_too_large": (
        "Die Anfrage ist zu groß (höchstens {mb:.0f} MB für alle Fotos zusammen)",
        "the request is too large (at most {mb:.0f} MB for all photos together)",
    ),
    "photo_field_missing": (
        "Kein Foto im Feld '{field}' (multipart/form-data)",
        "no photo in the form field '{field}' (multipart/form-data)",
    ),
    "photos_multipart": (
        "Fotos bitte als multipart/form-data im Feld '{field}' senden, nicht {got_de}",
        "send photos as multipart/form-data in the field '{field}' (got {got})",
    ),
    "photo_not_of_report": ("Kein Foto {name!r} an dieser Meldung", "no photo {name!r} of this report"),
    "photo_not_found": ("Kein Foto {name!r}", "no photo {name!r}"),
    "open311_too_large": (
        "Die Anfrage ist zu groß (höchstens {mb:.0f} MB)",
        "the request is too large (at most {mb:.0f} MB)",
    ),
    "open311_too_large_bytes": (
        "Die Anfrage ist zu groß (höchstens {max} Bytes; Fotos als multipart/form-data)",
        "the request is too large (at most {max} bytes; photos as multipart/form-data)",
    ),
    "open311_no_resource": (
        "Diese Adresse gibt es nicht (Formate: {formats}): /open311/v2/{path}",
        "no such resource (formats: {formats}): /open311/v2/{path}",
    ),
    # -- e-mail updates (api/notifications.py) ----------------------------------------------------------------------
    "notify_secret_required": (
        "Nur mit dem Geheimnis des Beitrags ({header})",
        "send the contribution's secret in the {header} header",
    ),
    "notify_body": ("Erwartet", 'expected {{"email": "name@example.org"}}'),
    "notify_confirmation_sent": (
        "Bestätigungs-E-Mail unterwegs: bitte den Link darin öffnen",
        "a confirmation e-mail is on its way: please open its link",
    ),
    "to_the_portal": ("Zum Portal", "to the portal"),
    # -- procedures and the Abwägung (api/procedures.py) ------------------------------------------------------------
    "procedure_not_found": ("Kein Verfahren {id!r}", "no procedure {id!r}"),
    "statement_reference_unknown": (
        "Keine Stellungnahme mit der Nummer {reference!r}",
        "no statement with reference {reference!r}",
    ),
    "statement_not_in_procedure": (
        "Keine Stellungnahme {id!r} in einem Verfahren",
        "no statement {id!r} in a procedure",
    ),
    "area_malformed": ("Fehlerhafte Fläche", "malformed area: {error}"),
    "procedure_plans_unknown": ("Unbekannte Pläne: {plans}", "unknown plans: {plans}"),
    "procedure_variant_missing": ("Die Variante {id!r} gibt es nicht", "no planning variant {id!r}"),
    "procedure_overlaps": (
        "Für diese Pläne läuft im selben Zeitraum schon ein Verfahren dieser Art: „{title_de}“ ({id})",
        "a procedure of this kind already covers these plans in this period: {title}({id})",
    ),
    "procedure_has_statements": (
        "Das Verfahren hat schon Stellungnahmen; beenden Sie es statt es zu löschen",
        "the procedure already has statements: close it instead of deleting it",
    ),
    "export_format_unknown": (
        "Format {format!r} gibt es nicht; möglich: {formats}",
        "unknown format {format!r}; one of: {formats}",
    ),
    "template_body": ("Erwartet", 'expected {{"title": "…" (≤ 120), "text": "…", "result": optional}}'),
    "template_not_found": ("Kein Textbaustein {id!r}", "no answer template {id!r}"),
    # -- XPlanGML and JSON-FG export (api/xplan_export.py) ----------------------------------------------------------
    "plan_not_stored": ("Plan {id!r} ist nicht gespeichert", "plan {id!r} is not stored"),
    "export_xplangml_failed": (
        "Export nach XPlanGML 6.0 nicht möglich: {error_de}",
        "export to XPlanGML 6.0 failed: {error}",
    ),
    "export_jsonfg_failed": ("Export nach JSON-FG nicht möglich: {error_de}", "export to JSON-FG failed: {error}"),
}

CATALOGUE = Catalogue(MESSAGES)
message = CATALOGUE.message
pair = CATALOGUE.pair
