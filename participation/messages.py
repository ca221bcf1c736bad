"""The German/English messages of the procedure side (``participation/``) a person reads when something is
refused: procedures and the Abwägung, photos, e-mail updates, Open311 extras, accessibility feedback.

A catalogue of the form :mod:`schema.bilingual` describes: ``key -> (Deutsch, English)`` with the same fields.
Texts the intake has already (``'{name}' fehlt``, a contribution not found …) are used from
:mod:`intake.messages`, not repeated here.
"""

from __future__ import annotations

from schema.bilingual import Catalogue

MESSAGES: dict[str, tuple[str, str]] = {
    # -- procedures and the Abwägung (participation/model.py) --------------------------------------------------
    "not_a_date": (
        "'{name}' ist kein Datum: {text!r}",
        "'{name}' is not an ISO 8601 date or date-time (e.g. 2026-07-01 or 2026-07-01T08:00:00+02:00): {text!r}",
    ),
    "field_text": ("'{name}' muss Text sein", "'{name}' must be text"),
    "field_too_long": (
        "'{name}' ist zu lang (höchstens {max} Zeichen)",
        "'{name}' is too long (at most {max} characters)",
    ),
    "field_id_list": ("'{name}' muss eine Liste von Kennungen sein", "'{name}' must be a list of ids"),
    "body_object": ("Erwartet wird ein JSON-Objekt", "expected a JSON object"),
    "fields_unknown": ("unbekannte Felder: {names}", "unknown fields: {names}"),
    "procedure_kind_unknown": (
        "Unbekannte Verfahrensart {kind!r}; möglich: {kinds}",
        "unknown kind of procedure {kind!r}; one of: {kinds}",
    ),
    "procedure_window_required": ("Beginn und Ende sind nötig", "'opens_at' and 'closes_at' are required"),
    "procedure_window_order": ("Das Ende liegt vor dem Beginn", "'closes_at' must be after 'opens_at'"),
    "allowed_kinds": ("'allowed_kinds' muss eine Liste aus {kinds} sein", "'allowed_kinds' must be a list of {kinds}"),
    "reference_prefix": ("'reference_prefix': 1-12 Buchstaben oder Ziffern", "1-12 letters or digits"),
    "area_polygon": ("'area' muss ein GeoJSON-Polygon sein", "'area' must be a GeoJSON Polygon"),
    "plans_or_variant": (
        "Ein Verfahren gilt für Pläne (oder eine Fläche) oder für eine Variante",
        "a procedure covers plans (or an area) or one planning variant, not both",
    ),
    "publication_too_short": (
        "Eine Veröffentlichung nach § 3 Abs. 2 BauGB dauert mindestens {min} Tage; geplant sind {days:.0f}.",
        "A publication under § 3 (2) BauGB lasts at least {min} days; {days:.0f} are planned.",
    ),
    "procedure_end_past": (
        "Das Ende liegt in der Vergangenheit: das Verfahren nimmt nichts an.",
        "The end lies in the past: the procedure accepts nothing.",
    ),
    "sections_list": (
        "'sections' muss eine Liste mit 1-50 Abschnitten sein",
        "'sections' must be a list of 1-50 sections",
    ),
    "section_object": ("Jeder Abschnitt ist ein JSON-Objekt", "every section is a JSON object"),
    "result_unknown": (
        "Unbekanntes Ergebnis {result!r}; möglich: {results}",
        "unknown result {result!r}; one of: {results}",
    ),
    "tags": ("'tags': höchstens 20 Schlagworte zu je 60 Zeichen", "at most 20 tags of 60 characters each"),
    # -- accessibility feedback (participation/feedback.py) ----------------------------------------------------
    "feedback_too_short": (
        "Bitte beschreiben Sie die Barriere in mindestens {min} Zeichen",
        "please describe the barrier in at least {min} characters",
    ),
    "feedback_too_long": (
        "Höchstens {max} Zeichen (jetzt {length})",
        "at most {max} characters (now {length})",
    ),
    "at_most_characters": ("Höchstens {max} Zeichen", "at most {max} characters"),
    # -- e-mail updates (participation/notify.py) --------------------------------------------------------------
    "notify_not_configured": (
        "E-Mail-Benachrichtigungen sind hier nicht eingerichtet; bitte ohne E-Mail-Adresse senden",
        "e-mail updates are not set up here; please send without an e-mail address",
    ),
    "email_invalid": (
        "'{field}' ist keine gültige E-Mail-Adresse: {value!r}",
        "'{field}' is not a valid e-mail address: {value!r}",
    ),
    "link_expired": (
        "Der Bestätigungslink ist abgelaufen; bitte geben Sie die Adresse erneut an",
        "the confirmation link has expired; please give the address again",
    ),
    "link_invalid": (
        "Der Link ist ungültig (unvollständig kopiert?)",
        "the link is not valid (copied incompletely?)",
    ),
    "subscription_gone": (
        "Diese Anmeldung gibt es nicht mehr (abbestellt oder Beitrag gelöscht)",
        "this subscription no longer exists (unsubscribed or contribution deleted)",
    ),
    # -- photos of Mängelmeldungen (participation/photos.py): "file: reason" ------------------------------------
    "photo_heic": (
        "{name}: HEIC/HEIF-Fotos kann dieser Server nicht lesen; bitte als JPEG senden (iPhone: "
        "Einstellungen → Kamera → Formate → „Maximale Kompatibilität“)",
        "{name}: this server cannot read HEIC/HEIF photos; please send a JPEG (iPhone: Settings → Camera → "
        "Formats → Most Compatible)",
    ),
    "photo_file_too_large": (
        "{name}: Die Datei ist zu groß ({mb:.1f} MB, höchstens {max_mb:.0f} MB)",
        "{name}: the file is too large ({mb:.1f} MB, at most {max_mb:.0f} MB)",
    ),
    "photo_file_empty": ("{name}: Die Datei ist leer", "{name}: the file is empty"),
    "photo_unreadable": (
        "{name}: Kein lesbares Foto (erlaubt: JPEG, PNG, WebP{heic})",
        "{name}: not a readable photo (allowed: JPEG, PNG, WebP{heic})",
    ),
    "photo_format": (
        "{name}: Format {format} wird nicht angenommen (erlaubt: JPEG, PNG, WebP{heic})",
        "{name}: format {format} is not accepted (allowed: JPEG, PNG, WebP{heic})",
    ),
    "photo_damaged": ("{name}: Das Foto ist beschädigt ({error})", "{name}: the photo is damaged ({error})"),
    "photo_too_many_pixels": (
        "{name}: Das Bild ist zu groß ({size_de}; höchstens {max:.0f} Megapixel)",
        "{name}: the image is too large ({size}; at most {max:.0f} megapixels)",
    ),
    "photo_size": ("{width} × {height} Pixel", "{width} × {height} pixels"),
    "photo_size_unknown": ("zu viele Pixel", "too many pixels"),
    "photos_too_many": (
        "Höchstens {max} Fotos je Meldung (vorhanden: {have})",
        "at most {max} photos per report (already {have})",
    ),
    # -- Open311 extras (participation/reports.py) -------------------------------------------------------------
    "address_string": (
        "address_string: höchstens {max} Zeichen Text ohne Steuerzeichen",
        "at most {max} characters of text without control characters",
    ),
    "media_url": (
        "media_url: eine http(s)-Adresse mit höchstens {max} Zeichen",
        "an http(s) URL of at most {max} characters",
    ),
}

CATALOGUE = Catalogue(MESSAGES)
message = CATALOGUE.message
pair = CATALOGUE.pair
