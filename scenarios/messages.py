"""The German/English messages of the scenario studio (``scenarios/studio.py`` and its HTTP face,
``api/variants.py``) a person reads when a step, a document or a request is refused.

A catalogue of the form :mod:`schema.bilingual` describes: ``key -> (Deutsch, English)`` with the same fields.
``name_de``/``name`` are the control's name in both languages (``scenarios.studio.FIELD_NAMES``). The process
inputs (``scenarios/processes.py``) use :mod:`intake.messages`; the scenario files' own errors name file, line
and reason in English (``scenarios/model.py``), which the studio puts into German with ``studio._GERMAN``.
"""

from __future__ import annotations

from schema.bilingual import Catalogue

MESSAGES: dict[str, tuple[str, str]] = {
    # -- a request to the studio (api/variants.py) ---------------------------------------------------------------
    "studio_body_empty": ("Leerer Inhalt: bitte JSON senden", "the body is empty: send JSON"),
    "body_not_object": ("Fehlerhaftes JSON: erwartet wird ein Objekt", "malformed JSON: expected an object"),
    "name_text": ("{name} muss Text sein", "{name} must be text"),
    "name_too_long": ("{name}: höchstens {max} Zeichen", "{name}: at most {max} characters"),
    "evaluate_body": (
        'Erwartet: {{"yaml": …}} oder {{"document": {{…}}}}',
        'expected {{"yaml": …}} or {{"document": {{…}}}}',
    ),
    "publish_body": ('Erwartet: {{"published": true | false}}', 'expected {{"published": true | false}}'),
    "variant_not_in_studio": ("Keine Variante {id!r} im Studio", "no variant {id!r} in the studio"),
    "version_missing": ("Keine Version {number} der Variante {id!r}", "no version {number} of variant {id!r}"),
    "variant_id_taken": (
        "Eine Variante mit der Kennung {id!r} gibt es schon",
        "a variant with the id {id!r} exists already",
    ),
    "base_unknown": ("Unbekannte Ausgangsvariante {base!r}", "unknown base variant {base!r}"),
    "own_base": ("Eine Variante kann nicht auf sich selbst aufbauen", "a variant cannot be its own base"),
    "base_not_published": (
        "Die Ausgangsvariante {base!r} ist nicht veröffentlicht; bitte zuerst sie veröffentlichen",
        "the base variant {base!r} is not published; publish it first",
    ),
    "plan_ids_list": ("plan_ids muss eine Liste von Plan-Kennungen sein", "plan_ids must be a list of plan ids"),
    "plans_unknown": ("Unbekannte(r) Plan/Pläne: {ids}", "unknown plan(s): {ids}"),
    "steps_max": ("Höchstens {max} Schritte", "at most {max} steps"),
    "step_selects_nothing": (
        "Der Schritt trifft nichts (keine Zone, kein Gebäude ausgewählt)",
        "the step selects nothing (no zone, no building)",
    ),
    "nothing_to_undo": ("Nichts rückgängig zu machen", "nothing to undo"),
    "nothing_to_redo": ("Nichts wiederherzustellen", "nothing to redo"),
    "save_first": ("Bitte die Variante zuerst speichern", "please save the variant first"),
    "unpublish_first": (
        "Eine veröffentlichte Variante bitte erst intern stellen, dann löschen",
        "make a published variant internal before deleting it",
    ),
    # -- documents: "what: where: reason; …" --------------------------------------------------------------------
    "yaml_empty": ("Die YAML-Datei ist leer", "the YAML file is empty"),
    "yaml_syntax": ("Die YAML-Datei lässt sich nicht lesen", "the YAML file does not parse"),
    "yaml_invalid": ("Die YAML-Datei ist kein gültiges Szenario", "the YAML file is no valid scenario"),
    "variant_invalid": ("Ungültige Variante", "invalid variant"),
    "scenario_invalid_document": ("Ungültiges Szenario", "invalid scenario"),
    "step_not_applicable": ("Der Schritt lässt sich nicht anwenden", "the step cannot be applied"),
    "at_line": ("Zeile {line}", "line {line}"),
    "at_column": (", Spalte {column}", ", column {column}"),
    "variant_unknown": ("Unbekannte Variante: {error}", "unknown variant: {error}"),
    # -- a step: its values (pydantic's findings in words) -------------------------------------------------------
    "step_object": ("Ein Schritt muss ein Objekt mit 'op' sein", "a step must be an object with 'op'"),
    "grz_range": ("{name_de} muss zwischen 0 und 1 liegen", "{name} must be between 0 and 1"),
    "height_max": ("{name_de}: höchstens {max:g} m", "{name}: at most {max:g} m"),
    "storeys_max": ("{name_de}: höchstens {max}", "{name}: at most {max}"),
    "value_at_most": ("{name_de} darf höchstens {limit} sein", "{name} must be at most {limit}"),
    "value_at_least": ("{name_de} muss mindestens {limit} sein", "{name} must be at least {limit}"),
    "value_greater": ("{name_de} muss größer als {limit} sein", "{name} must be greater than {limit}"),
    "value_less": ("{name_de} muss kleiner als {limit} sein", "{name} must be less than {limit}"),
    "value_allowed": ("{name_de}: erlaubt sind {allowed}", "{name}: allowed are {allowed}"),
    "value_whole_number": ("{name_de} muss eine ganze Zahl sein", "{name} must be a whole number"),
    "value_number": ("{name_de} muss eine Zahl sein", "{name} must be a number"),
    "value_missing": ("{name_de} fehlt", "{name} is missing"),
    "field_unknown": ("unbekanntes Feld {field!r}", "unknown field {field!r}"),
    "op_unknown": ("unbekannte Operation; erlaubt: {ops}", "unknown operation; allowed: {ops}"),
    "footprint_self_intersects": (
        "Der Grundriss überschneidet sich selbst",
        "the footprint intersects itself ({detail})",
    ),
    "footprint_no_area": ("Der Grundriss hat keine Fläche", "the footprint has no area ({detail})"),
    "footprint_invalid": ("Der Grundriss ist kein gültiges Polygon", "the footprint is not valid ({detail})"),
    "building_needs_height": (
        "Ein neues Gebäude braucht Höhe oder Geschosse",
        "a new building needs height or storeys",
    ),
    "change_needs_value": (
        "Bitte mindestens einen Wert ändern (GRZ, GFZ, Z, Höhe)",
        "please change at least one value (GRZ, GFZ, Z, height)",
    ),
    "choose_zones_or_buildings": (
        "Bitte zuerst Zonen oder Gebäude auswählen",
        "please choose zones or buildings first",
    ),
    "id_pattern": (
        "{name_de}: nur Buchstaben, Ziffern, _ . - (höchstens 100 Zeichen)",
        "{name}: letters, digits, _ . - only (at most 100 characters)",
    ),
    "value_invalid": ("{name_de}: ungültiger Wert ({detail})", "{name}: invalid value ({detail})"),
    # -- a step: plausible values, before and after it ----------------------------------------------------------
    "height_absurd": (
        "Höhe {height:g} m ist unrealistisch (höchstens {max:g} m)",
        "a height of {height:g} m is absurd (at most {max:g} m)",
    ),
    "storeys_absurd": (
        "{storeys} Geschosse sind unrealistisch (höchstens {max})",
        "{storeys} storeys are absurd (at most {max})",
    ),
    "z_absurd": (
        "Z = {value} ist unrealistisch (höchstens {max} Vollgeschosse)",
        "Z = {value} is absurd (at most {max} full storeys)",
    ),
    "grz_after": (
        "{name_de} muss zwischen 0 und 1 liegen (ergäbe {value:g})",
        "{name} must be between 0 and 1 (would be {value:g})",
    ),
    "value_after": (
        "{name_de} muss zwischen {low:g} und {high:g} liegen (ergäbe {value:g})",
        "{name} must be between {low:g} and {high:g} (would be {value:g})",
    ),
    # -- a step: where it acts -----------------------------------------------------------------------------------
    "zone_other_plan": (
        "Die Zone {zone} gehört zu einem anderen Plan ({plan}), nicht zu den Plänen dieser Variante",
        "zone {zone} belongs to another plan ({plan}), not to this variant's plans",
    ),
    "zones_unknown": ("Unbekannte Zone(n): {ids}", "unknown zone(s): {ids}"),
    "plan_not_in_variant": (
        "Der Plan {plan} gehört nicht zu dieser Variante",
        "plan {plan} is not part of this variant",
    ),
    "choose_zones": ("Bitte zuerst Zonen auswählen", "please choose zones first"),
    "footprint_small": (
        "Der Grundriss ist mit {area:.1f} m² zu klein (mindestens {min:g} m²)",
        "the footprint of {area:.1f} m² is too small (at least {min:g} m²)",
    ),
    "footprint_large": (
        "Der Grundriss ist mit {area_de} m² unrealistisch groß",
        "the footprint of {area:,.0f} m² is absurdly large",
    ),
    "footprint_outside": (
        "Der Grundriss liegt außerhalb des Gebiets der Variante (ihrer Bebauungspläne)",
        "the footprint lies outside the variant's area (its zoning plans)",
    ),
    # -- sun and shadows --------------------------------------------------------------------------------------------
    "day_format": (
        "Tag: bitte als JJJJ-MM-TT angeben (z. B. 2026-03-20)",
        "day: please give it as YYYY-MM-DD (e.g. 2026-03-20)",
    ),
    "day_invalid": ("Tag: ungültig", "day: invalid"),
    "hour": ("Uhrzeit: bitte eine Zahl von 0 bis 24", "hour: please a number from 0 to 24"),
    "point_invalid": ("Orte: {part!r} ist kein Punkt (Länge,Breite)", "places: {part!r} is no point (lon,lat)"),
    "point_off_earth": ("Orte: {part!r} liegt außerhalb der Erde", "places: {part!r} is off the earth"),
    "points_too_many": ("Orte: höchstens {max}", "places: at most {max}"),
}

CATALOGUE = Catalogue(MESSAGES)
message = CATALOGUE.message
pair = CATALOGUE.pair
