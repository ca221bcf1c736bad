"""The German/English messages a person reads when the intake (or a provider) refuses something.

The catalogue of writes (every catalogue has the form :mod:`schema.bilingual` describes): messages kept
here instead of inline at each check, so that the same refusal reads the same on every store and every
write path, and a translator finds every text in one place. Each entry is ``key -> (Deutsch, English)``;
both templates take the same ``str.format`` fields. :func:`message` joins them as ``"Deutsch / English"``,
the form every error of this application has; :func:`pair` gives the two apart.

>>> message("geometry_empty")
'Die Geometrie ist leer / the geometry is empty'
>>> message("id_exists", id="b1", collection="buildings")
"Ein Objekt mit der id 'b1' gibt es in buildings schon / an item with id 'b1' exists already in buildings"
"""

from __future__ import annotations

from schema.bilingual import Catalogue

#: key -> (German template, English template); the fields of both are the same.
MESSAGES: dict[str, tuple[str, str]] = {
    # -- the body --------------------------------------------------------------------------------------------------
    "body_json": ("Fehlerhaftes JSON", "the body is not valid JSON: {error}"),
    "body_feature": (
        "Erwartet wird ein GeoJSON-Feature",
        'the body must be a GeoJSON Feature ({{"type": "Feature", "geometry": …, "properties": …}})',
    ),
    "properties_object": ("'properties' muss ein Objekt sein", "'properties' must be an object"),
    "not_editable": ("Die Sammlung {collection} ist nicht bearbeitbar", "collection {collection} is not editable"),
    # -- the id ----------------------------------------------------------------------------------------------------
    "id_type": ("Die Feature-id muss Text sein, nicht {got}", "the feature id must be a string, got {got}"),
    "id_new": (
        "Die Feature-id {id!r} passt nicht: 1–{max} Zeichen aus A–Z, a–z, 0–9, '.', '_', '~', '-' "
        "(kein '/', keine Leer- oder Steuerzeichen)",
        "the feature id {id!r} is not valid: 1-{max} characters of A-Z, a-z, 0-9, '.', '_', '~', '-' "
        "(no '/', spaces or control characters)",
    ),
    "id_existing": (
        "Die Feature-id muss 1–{max} Zeichen ohne Steuerzeichen haben",
        "the feature id must be 1-{max} characters without control characters",
    ),
    "id_differs": (
        "Die id im Feature ({body!r}) ist nicht {id!r}",
        "the feature's id {body!r} differs from the item {id!r} it replaces",
    ),
    "id_property_differs": (
        "properties.{field} {value!r} weicht von der Feature-id {id!r} ab",
        "properties.{field} {value!r} differs from the feature id {id!r}",
    ),
    "id_exists": (
        "Ein Objekt mit der id {id!r} gibt es in {collection} schon",
        "an item with id {id!r} exists already in {collection}",
    ),
    # -- properties ------------------------------------------------------------------------------------------------
    "property_unknown": (
        "unbekannte Eigenschaft {names}; erlaubt: {allowed}",
        "unknown properties {names}; allowed: {allowed}",
    ),
    "property_type": ("Eigenschaft {name!r}: erwartet wird {expected_de}", "property {name!r} ({expected}): {reason}"),
    "property_range": ("Eigenschaft {name!r}: {problem_de}", "property {name!r} {problem}"),
    # -- geometry --------------------------------------------------------------------------------------------------
    "geometry_required": ("Eine Geometrie ist nötig ({expected_de})", "a geometry is required ({expected})"),
    "geometry_object": (
        "'geometry' muss ein GeoJSON-Geometrieobjekt sein",
        "'geometry' must be a GeoJSON geometry object",
    ),
    "geometry_type": (
        "Geometrietyp {got} wird hier nicht angenommen; erwartet: {accepted}",
        "geometry type {got} not accepted here; use {accepted}",
    ),
    "geometry_malformed": ("Fehlerhafte Geometrie", "malformed geometry: {error}"),
    "geometry_empty": ("Die Geometrie ist leer", "the geometry is empty"),
    "geometry_nonfinite": ("Die Geometrie hat ungültige Koordinaten", "the geometry has non-finite coordinates"),
    "geometry_range": (
        "Koordinaten außerhalb von Länge/Breite: GeoJSON ist CRS84 (Länge, Breite), außer ein Content-Crs sagt anderes",
        "coordinates are outside longitude/latitude range: GeoJSON is CRS84 (lon/lat) unless a "
        "Content-Crs says otherwise",
    ),
    "crs_unknown": ("Unbekanntes Koordinatenreferenzsystem {uri!r}", "unknown CRS {uri!r}"),
    "geometry_vertices": (
        "Die Geometrie hat zu viele Punkte ({count}, höchstens {max})",
        "the geometry has too many vertices ({count}, at most {max})",
    ),
    "geometry_parts": (
        "Die Geometrie hat zu viele Teile ({count}, höchstens {max})",
        "the geometry has too many parts ({count}, at most {max})",
    ),
    "geometry_holes": (
        "Die Fläche hat zu viele Löcher ({count}, höchstens {max})",
        "the polygon has too many holes ({count}, at most {max})",
    ),
    "geometry_area": (
        "Die Fläche ist zu groß ({size_de}; höchstens {max:g} km²)",
        "the polygon is too large ({size}; at most {max:g} km²): please draw the place you mean",
    ),
    "geometry_span": ("mehr als 5° weit", "spans more than 5°"),
    "geometry_wrong_type": (
        "Falscher Geometrietyp {got}: {collection} speichert {expected}",
        "wrong geometry type {got}: {collection} stores {expected}",
    ),
    "geometry_unrepairable": (
        "Ungültige Geometrie ({reason}), die sich nicht ohne Verlust zu {expected} "
        "reparieren lässt; bitte neu zeichnen",
        "invalid geometry ({reason}) that cannot be repaired into a {expected} without losing a part; please redraw it",
    ),
    "geometry_outside_city": (
        "Der Ort liegt außerhalb des Stadtgebiets",
        "the geometry lies outside the city's extent (GeoJSON coordinates are longitude, latitude in WGS 84)",
    ),
    "geometry_beyond_city": (
        "Der Ort reicht über das Stadtgebiet hinaus",
        "the geometry reaches beyond the city's extent (outside it in part)",
    ),
    # -- writing to a store ----------------------------------------------------------------------------------------
    "value_does_not_fit": ("Ein Wert passt nicht in seine Spalte", "a value does not fit its column: {detail}"),
    "text_nul": ("Text darf keine NUL-Zeichen enthalten", "text may not contain NUL characters"),
    # -- contributions (participation) -----------------------------------------------------------------------------
    "contribution_not_found": ("Beitrag {id!r} nicht gefunden", "no contribution {id!r}"),
    "text_required": ("'{name}' fehlt", "'{name}' is required"),
    "text_type": ("'{name}' muss Text sein", "'{name}' must be a string"),
    "text_control": ("'{name}' enthält Steuerzeichen", "'{name}' contains control characters"),
    "text_too_long": (
        "'{name}' ist zu lang ({length} Zeichen, höchstens {max})",
        "'{name}' is too long ({length} characters, at most {max})",
    ),
    "reference_invalid": ("'{name}' ist keine gültige Kennung", "'{name}' is not a valid id"),
    "kind_type": ("'kind' muss Text sein, eine von {allowed}", "'kind' must be a string, one of {allowed}"),
    "kind_unknown": ("unbekannte Art {value!r}; erlaubt: {allowed}", "unknown kind {value!r}; allowed: {allowed}"),
    "category_type": ("'category' muss Text sein", "'category' must be a string"),
    "category_defect_unknown": (
        "unbekannte Kategorie einer Mängelmeldung {value!r}; erlaubt: {allowed}",
        "unknown defect category {value!r}; allowed: {allowed}",
    ),
    "category_unknown": (
        "unbekannte Kategorie {value!r}; erlaubt: {allowed}",
        "unknown category {value!r}; allowed: {allowed}",
    ),
    "pseudonym_email": ("Bitte keine E-Mail-Adresse als Pseudonym", "please do not use an e-mail address as pseudonym"),
    "target_collection": (
        "'target_collection' muss eine von {allowed} sein",
        "'target_collection' must be one of {allowed}",
    ),
    "target_together": (
        "'target_collection' und 'target_id' nur zusammen",
        "'target_collection' and 'target_id' go together",
    ),
    "status_type": ("'status' muss Text sein", "'status' must be a string"),
    "status_unknown": (
        "Status {status!r} gibt es für {kind} nicht; erlaubt: {allowed}",
        "no status {status!r} for a {kind}; allowed: {allowed}",
    ),
    "honeypot": ("Der Beitrag konnte nicht angenommen werden", "the contribution could not be accepted"),
    "reply_to_self": ("Ein Beitrag antwortet nicht auf sich selbst", "a contribution cannot reply to itself"),
    "statement_moves": (
        "Eine Stellungnahme bleibt bei ihrem Plan; schreiben Sie zu einem anderen Plan bitte eine neue",
        "a statement stays with its plan: write a new one for another plan",
    ),
    "parent_missing": (
        "Der Beitrag {id!r}, auf den geantwortet wird, existiert nicht",
        "the parent contribution {id!r} does not exist",
    ),
    "reply_cycle": ("Antworten dürfen keinen Kreis bilden", "replies cannot form a cycle"),
    "reply_differs": (
        "Eine Antwort gehört zum Plan/Objekt ihres Beitrags ('{name}' weicht ab)",
        "a reply belongs to its parent's plan and object ('{name}' differs)",
    ),
    "target_missing": ("{collection} {id!r} gibt es nicht", "no {collection} with id {id!r}"),
    "target_other_plan": (
        "{id!r} gehört zum Plan {plan!r}, nicht {asked!r}",
        "{id!r} belongs to plan {plan!r}, not {asked!r}",
    ),
    "plan_missing": ("Den Plan {id!r} gibt es nicht", "no plan {id!r}"),
    "variant_missing": ("Die Planungsvariante {id!r} gibt es nicht", "no planning variant {id!r}"),
    "status_moderators_set": ("Den Status setzt die Moderation", "only moderators may set 'status'"),
    "status_moderators_change": ("Den Status setzt die Moderation", "only moderators may change 'status'"),
    "secret_required": ("Nur mit Ihrem Geheimnis ({header})", "send your secret in the {header} header"),
    "procedure_kinds": (
        "In diesem Verfahren sind nur {kinds} möglich, nicht {kind}",
        "this procedure accepts only {kinds}, not {kind}",
    ),
    "procedure_ended": (
        "Das Verfahren ist beendet; Stellungnahmen lassen sich nicht mehr ändern",
        "the procedure has ended; statements can no longer be changed",
    ),
    # -- the terrain model (providers/dem.py) ----------------------------------------------------------------------
    "coverage_no_time": ("Das Geländemodell hat keine Zeitachse", "this coverage has no time axis: leave out datetime"),
    "bbox_crs_unknown": ("bbox-crs: unbekanntes Koordinatenreferenzsystem {uri!r}", "unknown CRS {uri!r}"),
    "query_does_not_fit": ("Die Abfrage passt nicht zu den Daten", "the query does not fit the data: {detail}"),
    # -- process inputs (scenarios) --------------------------------------------------------------------------------
    "input_required": ("Eingabe {name!r} fehlt ({expected_de})", "input {name!r} is required ({expected})"),
    "scenario_input": (
        "'scenario' muss die id oder das Dokument einer Planungsvariante sein",
        "scenario must be a scenario id or a scenario document",
    ),
    "scenario_unknown": (
        "Unbekannte Planungsvariante {id!r}; bekannt: {known}",
        "unknown scenario {id!r}; known: {known}",
    ),
    "variant_compare_unknown": ("Unbekannte Vergleichsvariante {id!r}", "unknown variant to compare to: {id!r}"),
    "scenario_invalid": ("Ungültige Planungsvariante", "invalid scenario: {error}"),
}

CATALOGUE = Catalogue(MESSAGES)
message = CATALOGUE.message
pair = CATALOGUE.pair
