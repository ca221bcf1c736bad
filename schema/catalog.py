"""The catalogue of every layer the project stores and serves.

One entry per table: its columns (the common schema every importer writes and
every store creates), its geometry type, and the metadata pygeoapi shows
(titles, descriptions, keywords in German and English).  ``pygeoapi-config.yml``
is generated from this catalogue (``buergergis config``) and a test checks the
committed file is in step, so a layer is added in exactly one place.

Column types are deliberately few: ``text``, ``integer``, ``real``, ``boolean``,
``date`` (ISO string), ``datetime`` (ISO string, UTC), ``json`` (text holding a
JSON document).  Both stores map them to their own SQL types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Storage CRS of the demo; a Kommune sets ``BUERGERGIS_STORAGE_EPSG`` for its own.
DEFAULT_STORAGE_EPSG = 25832

COLUMN_TYPES = {"text", "integer", "real", "boolean", "date", "datetime", "json"}


@dataclass(frozen=True)
class Layer:
    """A stored and served layer (one table, one OGC API collection)."""

    id: str
    title_de: str
    title_en: str
    description_de: str
    description_en: str
    geometry_type: str | None  # GeoPackage name: POINT, MULTIPOLYGON, GEOMETRY, ...; None = no geometry
    columns: dict[str, str]
    keywords: tuple[str, ...] = ()
    #: Rows belong to one plan (column ``plan_id``); a re-import replaces them.
    plan_scoped: bool = False
    #: Rows belong to one imported source (column ``source``); a re-import replaces them.
    source_scoped: bool = False
    #: Citizens may write (through access control); other layers are planner-only.
    citizen_writable: bool = False
    #: Served read-only over OGC API (written through its own ``/api`` routes, e.g. procedures).
    read_only: bool = False
    title_field: str | None = None
    #: Columns worth an index besides the primary key and the spatial index.
    indexes: tuple[str, ...] = field(default=())

    def __post_init__(self):
        unknown = set(self.columns.values()) - COLUMN_TYPES
        if unknown:
            raise ValueError(f"layer {self.id}: unknown column types {unknown}")
        if "id" not in self.columns:
            raise ValueError(f"layer {self.id}: every layer needs an 'id' text column")


# Columns shared by every XPlanung object: the original gml:id is the feature id,
# so a plan object keeps its identity across re-imports and in links from contributions.
_XPLAN_COMMON = {
    "id": "text",  # original gml:id
    "plan_id": "text",  # gml:id of the BP_Plan it belongs to
    "bereich_id": "text",  # gml:id of the BP_Bereich (gehoertZuBereich), if any
    "rechtscharakter": "text",  # e.g. "Festsetzung", "Hinweis" (decoded from the code list)
    "xplan_class": "text",  # XPlanung class name, e.g. "BP_BaugebietsTeilFlaeche"
}

LAYERS: dict[str, Layer] = {}


def _add(layer: Layer) -> Layer:
    LAYERS[layer.id] = layer
    return layer


BP_PLAN = _add(
    Layer(
        id="bp_plan",
        title_de="Bebauungspläne",
        title_en="Zoning plans (Bebauungspläne)",
        description_de="Bebauungspläne (XPlanung BP_Plan) mit Geltungsbereich, Nummer, Rechtsstand und Verfahrensdaten.",
        description_en="Zoning plans (XPlanung BP_Plan) with their area of application, number, legal status and procedure dates.",
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",
            "plan_id": "text",
            "name": "text",
            "nummer": "text",
            "beschreibung": "text",
            "gemeinde": "text",
            "planart": "text",
            "rechtsstand": "text",
            "rechtsstand_code": "text",
            "aufstellungsbeschluss_datum": "date",
            "auslegung_start_datum": "date",
            "auslegung_end_datum": "date",
            "satzungsbeschluss_datum": "date",
            "inkrafttretens_datum": "date",
            "rechtsverordnungs_datum": "date",
            "xplan_version": "text",
            "source_file": "text",
            "imported_at": "datetime",
        },
        keywords=("Bebauungsplan", "XPlanung", "BP_Plan", "zoning plan"),
        plan_scoped=True,
        title_field="name",
        indexes=("nummer", "rechtsstand"),
    )
)

BP_BEREICH = _add(
    Layer(
        id="bp_bereich",
        title_de="Planbereiche",
        title_en="Plan sections (Bereiche)",
        description_de="Bereiche eines Bebauungsplans (XPlanung BP_Bereich).",
        description_en="Sections of a zoning plan (XPlanung BP_Bereich).",
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",
            "plan_id": "text",
            "nummer": "text",
            "name": "text",
            "xplan_class": "text",
        },
        keywords=("Bebauungsplan", "XPlanung", "BP_Bereich"),
        plan_scoped=True,
        title_field="name",
        indexes=("plan_id",),
    )
)

BP_BAUGEBIET = _add(
    Layer(
        id="bp_baugebiet",
        title_de="Baugebietsteilflächen",
        title_en="Building zones (Baugebietsteilflächen)",
        description_de=(
            "Baugebietsteilflächen (XPlanung BP_BaugebietsTeilFlaeche) mit Art und Maß der baulichen Nutzung: "
            "GRZ, GFZ, GR, GF, Zahl der Vollgeschosse (Z), BMZ und Bauweise."
        ),
        description_en=(
            "Building zones (XPlanung BP_BaugebietsTeilFlaeche) with type and intensity of use: site occupancy (GRZ), "
            "floor area ratio (GFZ), floor areas, number of full storeys (Z), building mass ratio (BMZ), building pattern."
        ),
        geometry_type="MULTIPOLYGON",
        columns={
            **_XPLAN_COMMON,
            "allg_art_der_baulichen_nutzung": "text",  # decoded, e.g. "WohnBauflaeche"
            "besondere_art_der_baulichen_nutzung": "text",  # decoded, e.g. "AllgWohngebiet" (WA)
            "art_code": "text",  # short sign as on the plan, e.g. "WA", "MI", "GE"
            "grz": "real",
            "grz_min": "real",
            "grz_max": "real",
            "gfz": "real",
            "gfz_min": "real",
            "gfz_max": "real",
            "gr": "real",
            "gr_min": "real",
            "gr_max": "real",  # m²
            "gf": "real",
            "gf_min": "real",
            "gf_max": "real",  # m²
            "bmz": "real",
            "z": "integer",
            "z_min": "integer",
            "z_max": "integer",
            "z_zwingend": "integer",
            "bauweise": "text",  # decoded, e.g. "OffeneBauweise"
            "bauweise_code": "text",
            "dachform": "text",
            "h_max": "real",  # maximum height (m) where the plan fixes one
            "flaeche_m2": "real",
            "bebauungsart": "text",  # decoded BP_BebauungsArt, e.g. "Einzelhaeuser", "EinzelDoppelhaeuser"
            "max_zahl_wohnungen": "integer",  # MaxZahlWohnungen: most dwellings per building
            "h_max_nhn": "real",  # maximum building top as absolute height (m above NHN), when the plan gives one
        },
        keywords=("Bebauungsplan", "XPlanung", "BP_BaugebietsTeilFlaeche", "GRZ", "GFZ", "Festsetzung"),
        plan_scoped=True,
        title_field="art_code",
        indexes=("plan_id", "besondere_art_der_baulichen_nutzung"),
    )
)

BP_BAUFENSTER = _add(
    Layer(
        id="bp_baufenster",
        title_de="Überbaubare Grundstücksflächen (Baufenster)",
        title_en="Buildable areas (building envelopes)",
        description_de=(
            "Überbaubare Grundstücksflächen (XPlanung BP_UeberbaubareGrundstuecksFlaeche): nur hier dürfen Gebäude "
            "stehen. Mit den Maßen, die das Baufenster selbst festsetzt (Z, GRZ, GFZ, Höhen)."
        ),
        description_en=(
            "Buildable areas (XPlanung BP_UeberbaubareGrundstuecksFlaeche): buildings may stand only here. With the "
            "measures the area itself fixes (storeys, GRZ, GFZ, heights)."
        ),
        geometry_type="MULTIPOLYGON",
        columns={
            **_XPLAN_COMMON,
            "grz": "real",
            "gfz": "real",
            "gr": "real",
            "gf": "real",
            "z": "integer",
            "z_min": "integer",
            "z_max": "integer",
            "z_zwingend": "integer",
            "h_max": "real",  # highest building top above the local reference (m), from its Höhenangaben
            "h_max_nhn": "real",  # the same as absolute height (m above NHN)
            "bauweise": "text",
            "bauweise_code": "text",
        },
        keywords=("Bebauungsplan", "XPlanung", "BP_UeberbaubareGrundstuecksFlaeche", "Baufenster"),
        plan_scoped=True,
        indexes=("plan_id",),
    )
)

BP_BAUGRENZE = _add(
    Layer(
        id="bp_baugrenze",
        title_de="Baugrenzen und Baulinien",
        title_en="Building lines (Baugrenzen, Baulinien)",
        description_de="Baugrenzen (dürfen nicht überschritten werden) und Baulinien (auf ihnen muss gebaut werden).",
        description_en="Building limits (Baugrenze: must not be crossed) and building lines (Baulinie: must be built on).",
        geometry_type="GEOMETRY",
        columns={**_XPLAN_COMMON, "art": "text"},  # "Baugrenze" | "Baulinie"
        keywords=("Bebauungsplan", "XPlanung", "BP_BauGrenze", "BP_BauLinie"),
        plan_scoped=True,
        indexes=("plan_id",),
    )
)

BP_VERKEHRSFLAECHE = _add(
    Layer(
        id="bp_verkehrsflaeche",
        title_de="Verkehrsflächen",
        title_en="Traffic areas",
        description_de="Straßen- und Verkehrsflächen eines Bebauungsplans (BP_StrassenVerkehrsFlaeche, BP_VerkehrsflaecheBesondererZweckbestimmung).",
        description_en="Streets and other traffic areas fixed by a zoning plan.",
        geometry_type="GEOMETRY",
        columns={**_XPLAN_COMMON, "zweckbestimmung": "text"},
        keywords=("Bebauungsplan", "XPlanung", "Verkehrsfläche"),
        plan_scoped=True,
        indexes=("plan_id",),
    )
)

BP_GRUENFLAECHE = _add(
    Layer(
        id="bp_gruenflaeche",
        title_de="Grünflächen",
        title_en="Green spaces",
        description_de="Öffentliche und private Grünflächen eines Bebauungsplans (BP_GruenFlaeche).",
        description_en="Public and private green spaces fixed by a zoning plan.",
        geometry_type="GEOMETRY",
        columns={**_XPLAN_COMMON, "zweckbestimmung": "text", "nutzungsform": "text"},
        keywords=("Bebauungsplan", "XPlanung", "Grünfläche"),
        plan_scoped=True,
        indexes=("plan_id",),
    )
)

BP_TEXT = _add(
    Layer(
        id="bp_textabschnitt",
        title_de="Textliche Festsetzungen",
        title_en="Textual provisions",
        description_de="Textliche Festsetzungen und Hinweise eines Bebauungsplans (BP_TextAbschnitt).",
        description_en="Textual provisions and notes of a zoning plan (BP_TextAbschnitt).",
        geometry_type="MULTIPOLYGON",  # the plan's Geltungsbereich, so text can be found on the map
        columns={
            "id": "text",
            "plan_id": "text",
            "schluessel": "text",
            "gesetzliche_grundlage": "text",
            "text": "text",
            "rechtscharakter": "text",
            "sort_key": "integer",
        },
        keywords=("Bebauungsplan", "XPlanung", "BP_TextAbschnitt", "Festsetzung"),
        plan_scoped=True,
        title_field="schluessel",
        indexes=("plan_id",),
    )
)

BP_RASTER = _add(
    Layer(
        id="bp_planraster",
        title_de="Planzeichnungen (Raster)",
        title_en="Plan drawings (raster)",
        description_de="Georeferenzierte Planzeichnungen; Umriss als Fläche, Bild als PNG in Web-Mercator (image_url).",
        description_en="Georeferenced plan drawings; footprint as a polygon, the image as PNG in Web Mercator (image_url).",
        geometry_type="POLYGON",
        columns={
            "id": "text",
            "plan_id": "text",
            "name": "text",
            "source_file": "text",
            "image_url": "text",  # path below the server's /static/rasters/ (PNG warped to EPSG:3857)
            "bounds_wgs84": "json",  # [[south, west], [north, east]] for a Leaflet ImageOverlay
            "width_px": "integer",
            "height_px": "integer",
        },
        keywords=("Bebauungsplan", "Planzeichnung", "Raster"),
        plan_scoped=True,
        title_field="name",
    )
)

# Every plan of every plan type (BP, FP, SO, RP, LP) and XPlanung version, with its validation report.
XPLAN_PLAN = _add(
    Layer(
        id="xplan_plan",
        title_de="Pläne (alle Planarten)",
        title_en="Plans (all plan types)",
        description_de=(
            "Jeder importierte XPlanung-Plan: Bebauungspläne (BP), Flächennutzungspläne (FP), sonstige Planwerke (SO), "
            "Raumordnungspläne (RP) und Landschaftspläne (LP), XPlanung 4.0 bis 6.0, mit Geltungsbereich, Rechtsstand, "
            "Daten, allen Attributen (attributes) und dem Prüfbericht der Validierung (validation)."
        ),
        description_en=(
            "Every imported XPlanung plan: zoning plans (BP), land-use plans (FP), other plans (SO), regional plans (RP) "
            "and landscape plans (LP), XPlanung 4.0 to 6.0, with area of application, legal status, dates, every "
            "attribute (attributes) and the validation report (validation)."
        ),
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",  # gml:id of the plan
            "plan_id": "text",  # the same (plan-scoped layers are replaced by plan_id)
            "plan_type": "text",  # BP | FP | SO | RP | LP
            "xplan_class": "text",  # BP_Plan, FP_Plan, ...
            "name": "text",
            "nummer": "text",
            "gemeinde": "text",
            "planart": "text",  # decoded label(s) of planArt
            "rechtsstand": "text",  # decoded name, e.g. "InkraftGetreten", "Wirksamkeit"
            "rechtsstand_label": "text",  # German label from the schema
            "in_kraft": "boolean",  # in force / wirksam by its Rechtsstand (null when the plan says nothing)
            "aufstellungsbeschluss_datum": "date",
            "auslegung_start_datum": "date",
            "auslegung_end_datum": "date",
            "satzungsbeschluss_datum": "date",  # BP: Satzungsbeschluss; FP: planbeschlussDatum
            "inkrafttretens_datum": "date",  # BP: inkrafttretensDatum; FP: wirksamkeitsDatum
            "untergangs_datum": "date",
            "aendert": "json",  # plans this one changes ([{"name", "nummer", "art"}] from aendert / wurdeGeaendertVon)
            "xplan_version": "text",
            "source_file": "text",
            "imported_at": "datetime",
            "valid": "boolean",  # no error in the validation report
            "error_count": "integer",
            "warning_count": "integer",
            "validation": "json",  # the report: {"valid", "findings": [{severity, rule, object_id, message_de, ...}]}
            "import_report": "json",  # per class: {"BP_BaugebietsTeilFlaeche": {"in_file": 12, "stored": 12}, ...}
            "attributes": "json",  # every property of the plan as read (see layers/xplanung/model.py)
        },
        keywords=("XPlanung", "Bebauungsplan", "Flächennutzungsplan", "Landschaftsplan", "Raumordnungsplan"),
        plan_scoped=True,
        title_field="name",
        indexes=("plan_type", "nummer"),
    )
)

# Every object of every plan, whatever its class: the complete plan, served generically.
XPLAN_OBJEKT = _add(
    Layer(
        id="xplan_objekt",
        title_de="Planinhalte (alle Objekte aller Pläne)",
        title_en="Plan contents (every object of every plan)",
        description_de=(
            "Jedes Objekt jedes importierten XPlanung-Plans (alle Klassen: Festsetzungen, Darstellungen, Hinweise, "
            "Bereiche, Texte und Präsentationsobjekte) mit gml:id, Klasse, Plan, Bereich, Rechtscharakter, Geometrie "
            "wie in der Datei und allen Attributen als JSON (Codes mit ihren Bezeichnungen). Filtern z. B. mit "
            "xplan_class, plan_id oder rechtscharakter."
        ),
        description_en=(
            "Every object of every imported XPlanung plan (all classes: provisions, representations, notes, sections, "
            "texts and presentation objects) with gml:id, class, plan, section, legal character, geometry as in the "
            "file and every attribute as JSON (codes with their labels). Filter e.g. by xplan_class, plan_id or "
            "rechtscharakter."
        ),
        geometry_type="GEOMETRY",
        columns={
            "id": "text",  # gml:id
            "plan_id": "text",
            "bereich_id": "text",
            "plan_type": "text",  # BP | FP | SO | RP | LP | XP (classes shared by all plan types)
            "xplan_class": "text",
            "class_group": "text",  # the abstract base class, e.g. BP_Ueberlagerungsobjekt, FP_Flaechenschlussobjekt
            "geometry_kind": "text",  # Flaeche | Linie | Punkt | null (texts, Rasterdarstellung)
            "rechtscharakter": "text",  # name from the schema, e.g. "Festsetzung", "FestsetzungBPlan", "Hinweis"
            "ebene": "integer",
            "flaechenschluss": "boolean",
            "label": "text",  # Schriftinhalt, name, Schlüssel or number, for map labels and lists
            "attributes": "json",  # every property as read (see layers/xplanung/model.py)
            "xplan_version": "text",
        },
        keywords=("XPlanung", "Festsetzung", "Darstellung", "Planinhalt", "plan content"),
        plan_scoped=True,
        title_field="label",
        indexes=("plan_id", "xplan_class"),
    )
)


BUILDINGS = _add(
    Layer(
        id="buildings",
        title_de="Gebäude",
        title_en="Buildings",
        description_de="Gebäudegrundrisse mit Höhe und Geschosszahl (LoD1) aus CityGML, OpenStreetMap oder synthetisch erzeugt (Feld synthetic).",
        description_en="Building footprints with height and storeys (LoD1) from CityGML, OpenStreetMap, or synthetic (see field synthetic).",
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",
            "source": "text",  # e.g. "citygml:Berlin1b_3900_5820.gml", "osm:Helsinki.osm.pbf", "synthetic:langenhorn"
            "source_id": "text",
            "name": "text",
            "function": "text",
            "height": "real",  # m above ground
            "storeys": "integer",
            "height_estimated": "boolean",  # height derived from storeys or a default, not measured
            "base_height": "real",  # terrain height (m) at the footprint, from the DEM where one exists
            "roof_type": "text",
            "synthetic": "boolean",
        },
        keywords=("Gebäude", "building", "LoD1", "CityGML", "OSM"),
        source_scoped=True,
        title_field="name",
        indexes=("source",),
    )
)

STREETS = _add(
    Layer(
        id="streets",
        title_de="Straßen",
        title_en="Streets",
        description_de="Straßen und Wege (Linien), z. B. aus OpenStreetMap.",
        description_en="Streets and paths (lines), e.g. from OpenStreetMap.",
        geometry_type="MULTILINESTRING",
        columns={
            "id": "text",
            "source": "text",
            "source_id": "text",
            "name": "text",
            "highway": "text",
            "synthetic": "boolean",
        },
        keywords=("Straße", "street", "OSM"),
        source_scoped=True,
        title_field="name",
        indexes=("source",),
    )
)

PARCELS = _add(
    Layer(
        id="parcels",
        title_de="Flurstücke",
        title_en="Parcels",
        description_de="Flurstücke (z. B. aus ALKIS); synthetisch erzeugte sind im Feld synthetic gekennzeichnet.",
        description_en="Cadastral parcels (e.g. from ALKIS); synthetic ones are flagged in the field synthetic.",
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",
            "source": "text",
            "source_id": "text",
            "flurstueck_nummer": "text",
            "synthetic": "boolean",
        },
        keywords=("Flurstück", "parcel", "ALKIS"),
        source_scoped=True,
        indexes=("source",),
    )
)

# What the place search finds (api/search.py): house addresses, named streets and places, from OpenStreetMap
# (addr:*, named ways, place=*) and the Kommune's own address list (Hauskoordinaten/ALKIS); layers/addresses.py.
ADDRESSES = _add(
    Layer(
        id="addresses",
        title_de="Adressen, Straßen und Orte",
        title_en="Addresses, streets and places",
        description_de=(
            "Hausadressen (Straße, Hausnummer, Postleitzahl, Ort), benannte Straßen und Orte aus den importierten Daten "
            "(OpenStreetMap addr:*, Hauskoordinaten/ALKIS der Kommune); Grundlage der Ortssuche. kind: address, street "
            "oder place; search_key: der Name in Suchschreibweise (klein, ohne Umlaute, 'str' für Straße)."
        ),
        description_en=(
            "House addresses (street, house number, postcode, city), named streets and places from the imported data "
            "(OpenStreetMap addr:*, the Kommune's house coordinates/ALKIS); what the place search finds. kind: address, "
            "street or place; search_key: the name as searched (lower case, umlauts folded, 'str' for Straße)."
        ),
        geometry_type="GEOMETRY",  # points (addresses, places), lines (streets)
        columns={
            "id": "text",
            "source": "text",
            "source_id": "text",
            "kind": "text",  # address | street | place
            "name": "text",  # "Kaivokatu 8", "Kaivokatu", "Kluuvi"
            "street": "text",
            "housenumber": "text",
            "postcode": "text",
            "city": "text",
            "search_key": "text",  # layers.addresses.search_key(name)
        },
        keywords=("Adresse", "Straße", "Hauskoordinaten", "address", "street", "geocoding"),
        source_scoped=True,
        title_field="name",
        indexes=("source", "kind", "search_key"),
    )
)

# Water and green areas for the map's background drawn from the store's own data (e.g. OSM natural/landuse).
LANDCOVER = _add(
    Layer(
        id="landcover",
        title_de="Wasser- und Grünflächen",
        title_en="Water and green areas",
        description_de="Gewässer und Grünflächen (z. B. aus OpenStreetMap) für die Hintergrundkarte; kind: water oder green.",
        description_en="Water bodies and green areas (e.g. from OpenStreetMap) for the background map; kind: water or green.",
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",
            "source": "text",
            "source_id": "text",
            "kind": "text",  # water | green
            "category": "text",  # the source's own word, e.g. water, park, grass, wood
            "name": "text",
        },
        keywords=("Gewässer", "Grünfläche", "water", "green", "OSM"),
        source_scoped=True,
        title_field="name",
        indexes=("source",),
    )
)


CONTRIBUTIONS = _add(
    Layer(
        id="contributions",
        title_de="Bürgerbeiträge",
        title_en="Citizen contributions",
        description_de=(
            "Kommentare, Vorschläge und Mängelmeldungen von Bürgerinnen und Bürgern, verknüpft mit dem Plan, "
            "der Festsetzung oder dem Szenario, auf das sie sich beziehen. Öffentlich sind nur freigegebene "
            "Beiträge (und Mängelmeldungen in Bearbeitung oder erledigt, mit ihrem Statusverlauf)."
        ),
        description_en=(
            "Comments, proposals and defect reports (Mängelmeldungen) by citizens, linked to the plan, provision "
            "or scenario they are about. Only approved contributions are public (and defect reports in progress "
            "or done, with their status history)."
        ),
        geometry_type="GEOMETRY",  # point, line or polygon
        columns={
            "id": "text",
            "kind": "text",  # kommentar | vorschlag | maengelmeldung
            "category": "text",  # e.g. strasse, beleuchtung, gruen, muell, sonstiges (Open311 service_code)
            "text": "text",  # at most 2000 characters, stored as plain text
            "plan_id": "text",  # gml:id of the BP_Plan it is about
            "target_collection": "text",  # bp_plan, bp_baugebiet, bp_textabschnitt, ... (the linked object)
            "target_id": "text",  # gml:id of the linked plan object
            "scenario_id": "text",  # or a scenario variant
            "parent_id": "text",  # the contribution this one replies to
            "pseudonym": "text",  # optional, at most 40 characters
            "status": "text",  # eingereicht -> freigegeben | abgelehnt; Mängel: in_bearbeitung -> erledigt
            "status_history": "json",  # [{"status": ..., "at": ISO datetime, "note": ...}, ...]
            # public note of the moderation: reason of a rejection, state of a Mängelmeldung
            "status_note": "text",
            "procedure_id": "text",  # the participation procedure it was made in (a statement)
            "reference": "text",  # reference number of a statement, e.g. LA22-2026-0042
            "late": "boolean",  # made after the procedure's end, admitted by staff
            "like_count": "integer",
            "created_at": "datetime",
            "updated_at": "datetime",
            # SHA-256 of the author's edit secret; never served (providers/contributions.py hides it)
            "author_secret_hash": "text",
        },
        keywords=("Bürgerbeteiligung", "Mängelmeldung", "public participation", "Open311"),
        citizen_writable=True,
        title_field="kind",
        indexes=("plan_id", "status", "parent_id", "author_secret_hash", "created_at", "procedure_id", "reference"),
    )
)

# Participation procedures (participation/model.py): written through /api/procedures, served read-only.
PROCEDURES = _add(
    Layer(
        id="procedures",
        title_de="Beteiligungsverfahren",
        title_en="Participation procedures",
        description_de=(
            "Verfahren, in denen Stellungnahmen zu Plänen angenommen werden: Art (frühzeitige Beteiligung "
            "§ 3 Abs. 1 BauGB, Veröffentlichung § 3 Abs. 2, Behördenbeteiligung § 4, informell), Zeitraum, Pläne. "
            "Geometrie: das Gebiet der Pläne oder eine gezeichnete Fläche."
        ),
        description_en=(
            "Procedures in which statements on plans are accepted: kind (early participation § 3 (1) BauGB, "
            "publication § 3 (2), authorities § 4, informal), period, plans. Geometry: the plans' area or a drawn area."
        ),
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",
            "source": "text",  # "procedure:<id>" (one row per source)
            "kind": "text",  # fruehzeitig | veroeffentlichung | behoerden | informell
            "title_de": "text",
            "title_en": "text",
            "description_de": "text",
            "description_en": "text",
            "plan_ids": "json",  # gml:ids of the plans; [] with a drawn area or for general contributions
            "scenario_id": "text",  # or a planning variant
            "opens_at": "datetime",
            "closes_at": "datetime",
            "allowed_kinds": "json",  # ["kommentar", "vorschlag"]
            "reference_prefix": "text",  # e.g. LA22: statements are numbered LA22-2026-0001, ...
            "closed_at": "datetime",  # closed early by a planner
            "created_by": "text",
            "created_at": "datetime",
            "updated_at": "datetime",
        },
        keywords=("Beteiligung", "Verfahren", "BauGB", "participation"),
        source_scoped=True,
        read_only=True,
        title_field="title_de",
        indexes=("source", "kind"),
    )
)

# The published Abwägung: one row per statement (or section) whose result the council decided and a planner
# published; written by api/procedures.py, served read-only so GIS tools see results beside the plan objects.
STATEMENT_RESULTS = _add(
    Layer(
        id="statement_results",
        title_de="Stellungnahmen und ihre Abwägung",
        title_en="Statements and how they were weighed",
        description_de=(
            "Veröffentlichte Ergebnisse der Abwägung (§ 1 Abs. 7 BauGB): je Stellungnahme (oder Abschnitt) "
            "Eingangsnummer, Text, Abwägungsvorschlag, Ergebnis und Beschluss, mit dem Planinhalt, den sie betrifft."
        ),
        description_en=(
            "Published results of the Abwägung (weighing, § 1 (7) BauGB): per statement (or section) its reference "
            "number, text, proposed answer, result and decision, with the plan object it concerns."
        ),
        geometry_type="GEOMETRY",
        columns={
            "id": "text",  # reference, "/n" for sections
            "source": "text",  # "procedure:<id>"
            "procedure_id": "text",
            "reference": "text",
            "section_no": "integer",
            "contribution_id": "text",
            "plan_id": "text",
            "target_collection": "text",
            "target_id": "text",
            "kind": "text",
            "text": "text",
            "proposal": "text",  # Abwägungsvorschlag
            "result": "text",  # beruecksichtigt | teilweise_beruecksichtigt | nicht_beruecksichtigt | zur_kenntnis
            "result_label": "text",
            "decision": "text",  # Beschluss
            "published_at": "datetime",
        },
        keywords=("Abwägung", "Stellungnahme", "BauGB"),
        source_scoped=True,
        read_only=True,
        title_field="reference",
        indexes=("source", "procedure_id", "reference", "plan_id", "target_id"),
    )
)

# Scenario results (written by ``scenarios/results.py``: ``buergergis run-scenarios``, the demo loader, or the
# run-scenario process with ``store_results``). Rows of one variant share ``source = "scenario:<id>"``, so
# re-running a variant replaces its rows and nothing else.
SCENARIOS = _add(
    Layer(
        id="scenarios",
        title_de="Planungsvarianten (Szenarien)",
        title_en="Planning variants (scenarios)",
        description_de=(
            "Gerechnete Planungsvarianten mit ihren Kennzahlen insgesamt (Geschossfläche, GRZ, GFZ, Wohneinheiten, "
            "Einwohner, Versiegelung, Verstöße) und der Zahl der Unterstützungen durch Bürgerinnen und Bürger. "
            "Geometrie: das Plangebiet, für das gerechnet wurde. Varianten auf synthetischem Gebäudebestand sind im "
            "Feld synthetic gekennzeichnet."
        ),
        description_en=(
            "Computed planning variants with their total indicators (floor area, GRZ, GFZ, dwellings, residents, "
            "sealed share, violations) and how many citizens prefer each. Geometry: the plan area the variant was "
            "computed for. Variants computed on synthetic buildings are flagged in the field synthetic."
        ),
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",  # scenario id, e.g. langenhorn_nachverdichtung (baseline: "baseline")
            "source": "text",  # "scenario:<id>"
            "title_de": "text",
            "title_en": "text",
            "description": "text",
            "base": "text",  # the variant it builds on
            "plan_ids": "json",  # plans it was computed for
            "buildings": "integer",
            "footprint_m2": "real",
            "floor_area_m2": "real",
            "volume_m3": "real",
            "grz": "real",
            "gfz": "real",
            "dwellings": "real",
            "residents": "real",
            "sealed_share": "real",
            "green_share": "real",
            "violations": "integer",
            "totals": "json",  # every total of ScenarioResult.totals
            "changes": "json",  # what was applied: [{"op", "line", ...counts}]
            "like_count": "integer",  # citizens preferring this variant (api/scenarios.py)
            "synthetic": "boolean",  # computed on synthetic buildings
            "computed_at": "datetime",
        },
        keywords=("Szenario", "Planungsvariante", "scenario", "digital twin"),
        source_scoped=True,
        title_field="title_de",
        indexes=("source",),
    )
)

SCENARIO_BUILDINGS = _add(
    Layer(
        id="scenario_buildings",
        title_de="Gebäude je Planungsvariante",
        title_en="Buildings per planning variant",
        description_de=(
            "Die Gebäude (LoD1) jeder gerechneten Variante, mit Geschossfläche und Kubatur; filtern mit "
            "scenario_id. Gebäude des synthetischen Bestands sind im Feld synthetic gekennzeichnet."
        ),
        description_en=(
            "The buildings (LoD1) of every computed variant, with floor area and volume; filter by scenario_id. "
            "Buildings of the synthetic stock are flagged in the field synthetic."
        ),
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",  # "<scenario id>~<building id>": unique across variants
            "source": "text",  # "scenario:<scenario id>"
            "scenario_id": "text",
            "building_id": "text",  # id in the buildings layer (or the scenario's id of a planned building)
            "building_source": "text",  # source of the building (e.g. synthetic:demo, scenario:<id>)
            "name": "text",
            "function": "text",
            "height": "real",
            "storeys": "integer",
            "height_estimated": "boolean",
            "base_height": "real",
            "floor_area_m2": "real",  # footprint × storeys
            "volume_m3": "real",  # footprint × height
            "synthetic": "boolean",
        },
        keywords=("Szenario", "Gebäude", "scenario", "building", "LoD1"),
        source_scoped=True,
        title_field="name",
        indexes=("source", "scenario_id"),
    )
)

SCENARIO_ZONE_INDICATORS = _add(
    Layer(
        id="scenario_zone_indicators",
        title_de="Kennzahlen je Baugebietsteilfläche und Variante",
        title_en="Indicators per building zone and variant",
        description_de=(
            "Für jede gerechnete Variante und jede Baugebietsteilfläche: erreichte und zulässige GRZ und GFZ, "
            "Grundfläche, Geschossfläche, Kubatur, Wohneinheiten und Einwohner (Schätzung); filtern mit scenario_id."
        ),
        description_en=(
            "For every computed variant and building zone: achieved and permitted GRZ and GFZ, footprint, floor "
            "area, volume, dwellings and residents (estimated); filter by scenario_id."
        ),
        geometry_type="MULTIPOLYGON",
        columns={
            "id": "text",  # "<scenario id>~<zone id>"
            "source": "text",  # "scenario:<scenario id>"
            "scenario_id": "text",
            "zone_id": "text",  # gml:id of the BP_BaugebietsTeilFlaeche
            "plan_id": "text",
            "art_code": "text",
            "area_m2": "real",
            "buildings": "integer",
            "footprint_m2": "real",
            "floor_area_m2": "real",
            "volume_m3": "real",
            "grz": "real",
            "grz_permitted": "real",
            "gfz": "real",
            "gfz_permitted": "real",
            "z_permitted": "real",
            "max_storeys": "real",
            "dwellings": "real",
            "residents": "real",
        },
        keywords=("Szenario", "GRZ", "GFZ", "Kennzahlen", "indicators"),
        source_scoped=True,
        title_field="zone_id",
        indexes=("source", "scenario_id", "plan_id"),
    )
)


#: Tables that support a layer but are no collection of their own (no geometry, never served by
#: pygeoapi, not in LAYERS): stores create them like layers, ``store.create_schema(SUPPORT_TABLES.values())``.
SUPPORT_TABLES: dict[str, Layer] = {}


def _add_support(table: Layer) -> Layer:
    SUPPORT_TABLES[table.id] = table
    return table


# The planners' working Abwägung: one row per statement, or per section of one (section_no 1, 2, ...).
ABWAEGUNG = _add_support(
    Layer(
        id="abwaegung",
        title_de="Abwägung (Arbeitsstand)",
        title_en="Abwägung (work in progress)",
        description_de="Abwägungsvorschläge, Ergebnisse und Beschlussvorschläge der Planung je Stellungnahme.",
        description_en="Proposed answers, results and decisions of the planners per statement.",
        geometry_type=None,
        columns={
            "id": "text",  # "<contribution id>" or "<contribution id>#<section no>"
            "contribution_id": "text",
            "procedure_id": "text",
            "section_no": "integer",  # null: the whole statement
            "section_text": "text",  # the part of the statement this section covers
            "proposal": "text",  # Abwägungsvorschlag
            "result": "text",
            "decision": "text",  # Beschlussvorschlag / Beschluss
            "tags": "json",
            "group_name": "text",
            "published_at": "datetime",
            "updated_by": "text",
            "updated_at": "datetime",
        },
        indexes=("contribution_id", "procedure_id"),
    )
)

# Every staff action: who, when, what (participation/audit.py).
AUDIT_LOG = _add_support(
    Layer(
        id="audit_log",
        title_de="Protokoll der Handlungen der Verwaltung",
        title_en="Audit trail of staff actions",
        description_de="Wer hat wann was getan: Freigaben, Ablehnungen, Status, Abwägung, Verfahren.",
        description_en="Who did what when: approvals, rejections, statuses, Abwägung, procedures.",
        geometry_type=None,
        columns={
            "id": "text",
            "at": "datetime",
            "actor": "text",  # person (OpenID Connect) or "token:<name>"
            "role": "text",
            "action": "text",  # e.g. contribution.status, procedure.create, abwaegung.save
            "target_type": "text",
            "target_id": "text",
            "detail": "json",
        },
        indexes=("at", "actor", "target_id"),
    )
)

# Counters for reference numbers: id "<prefix>-<year>", value the last number given (atomic upsert).
REFERENCE_COUNTERS = _add_support(
    Layer(
        id="reference_counters",
        title_de="Zähler der Eingangsnummern",
        title_en="Counters of reference numbers",
        description_de="Die zuletzt vergebene laufende Nummer je Präfix und Jahr.",
        description_en="The last sequence number given per prefix and year.",
        geometry_type=None,
        columns={"id": "text", "value": "integer"},
    )
)

# Reusable answers for the Abwägung.
ANSWER_TEMPLATES = _add_support(
    Layer(
        id="answer_templates",
        title_de="Textbausteine der Abwägung",
        title_en="Answer templates of the Abwägung",
        description_de="Wiederkehrende Abwägungsvorschläge, von der Planung gepflegt.",
        description_en="Recurring proposed answers, kept by the planners.",
        geometry_type=None,
        columns={
            "id": "text",
            "title": "text",
            "text": "text",
            "result": "text",
            "created_by": "text",
            "created_at": "datetime",
        },
    )
)

# One row per (contribution, voter): the id is "<contribution id>:<voter hash>", so a second like is a no-op.
CONTRIBUTION_LIKES = _add_support(
    Layer(
        id="contribution_likes",
        title_de="Unterstützungen von Beiträgen",
        title_en="Likes of contributions",
        description_de="Wer (pseudonym, als Hash einer Browser-Kennung) welchen Beitrag unterstützt.",
        description_en="Who (as the hash of a per-browser id) likes which contribution.",
        geometry_type=None,
        columns={
            "id": "text",
            "contribution_id": "text",
            "voter_hash": "text",
            "created_at": "datetime",
        },
        indexes=("contribution_id",),
    )
)


# One row per (scenario, voter), like contribution_likes: a simple preference count per variant. Kept apart
# from ``scenarios`` so re-running a variant keeps its likes.
SCENARIO_LIKES = _add_support(
    Layer(
        id="scenario_likes",
        title_de="Unterstützungen von Planungsvarianten",
        title_en="Likes of planning variants",
        description_de="Wer (als Hash einer Browser-Kennung) welche Variante bevorzugt.",
        description_en="Who (as the hash of a per-browser id) prefers which variant.",
        geometry_type=None,
        columns={
            "id": "text",  # "<scenario id>:<voter hash>"
            "scenario_id": "text",
            "voter_hash": "text",
            "created_at": "datetime",
        },
        indexes=("scenario_id",),
    )
)


# Staff sign-in (access/sessions.py): one row per signed-in person, or per sign-in under way (kind "login",
# holding the OpenID Connect state, nonce and PKCE verifier). The id is the SHA-256 of the cookie's value, so
# whoever reads the table cannot take over a session. Shared by every worker of an installation.
STAFF_SESSIONS = _add_support(
    Layer(
        id="staff_sessions",
        title_de="Sitzungen der Mitarbeitenden",
        title_en="Staff sessions",
        description_de="Angemeldete Mitarbeitende (OpenID Connect): Person, Rolle, Ablauf; nur der Hash der Sitzungs-ID.",
        description_en="Signed-in staff (OpenID Connect): person, role, expiry; only the hash of the session id.",
        geometry_type=None,
        columns={
            "id": "text",  # SHA-256 (hex) of the session id in the cookie
            "kind": "text",  # "session" | "login" (an OpenID Connect sign-in under way)
            "subject": "text",  # the identity provider's "sub"
            "name": "text",
            "email": "text",
            "role": "text",  # citizen | moderator | planner | admin
            "csrf_token": "text",
            "login_state": "json",  # kind "login": state, nonce, PKCE verifier, where to go next
            "created_at": "datetime",
            "last_seen_at": "datetime",
            "expires_at": "datetime",  # absolute end; idle end = last_seen_at + idle time
        },
        indexes=("expires_at",),
    )
)

# Named, revocable tokens for scripts and other systems (access/tokens.py); only the token's SHA-256 is stored.
SERVICE_TOKENS = _add_support(
    Layer(
        id="service_tokens",
        title_de="Dienst-Tokens",
        title_en="Service tokens",
        description_de="Benannte, widerrufbare Zugangs-Tokens für Skripte und Fachverfahren (nur als Hash).",
        description_en="Named, revocable access tokens for scripts and other systems (stored as hashes only).",
        geometry_type=None,
        columns={
            "id": "text",
            "name": "text",
            "role": "text",  # moderator | planner | admin
            "token_hash": "text",  # SHA-256 (hex)
            "created_at": "datetime",
            "revoked_at": "datetime",
            "last_used_at": "datetime",
        },
        indexes=("name", "token_hash"),
    )
)

# Planning variants made in the scenario studio (scenarios/studio.py, api/variants.py): per variant one working
# row (version 0: the document being edited, its redo steps, status) and one row per saved version (1, 2, ...).
# Only published ones reach the public collection ``scenarios``; internal ones stay here, for planners.
SCENARIO_VARIANTS = _add_support(
    Layer(
        id="scenario_variants",
        title_de="Planungsvarianten des Szenario-Studios",
        title_en="Planning variants of the scenario studio",
        description_de="Szenario-Dokumente der Planung mit Versionen, Autor, Zeit und Status (intern/veröffentlicht).",
        description_en="The planners' scenario documents with versions, author, time and status (internal/published).",
        geometry_type=None,
        columns={
            "id": "text",  # "<variant id>~v<version>" (version 0: the working copy)
            "variant_id": "text",
            "version": "integer",
            "document": "text",  # the scenario as YAML (scenarios/model.py)
            "redo": "json",  # version 0: changes undone, most recent last
            "title_de": "text",
            "title_en": "text",
            "description_de": "text",
            "description_en": "text",
            "base": "text",
            "status": "text",  # internal | published (version 0)
            "published_version": "integer",  # version 0: the saved version citizens see
            "author": "text",
            "saved_at": "datetime",
            "note": "text",
        },
        indexes=("variant_id",),
    )
)


def layer(layer_id: str) -> Layer:
    """Return the catalogue entry, with a clear error for an unknown id."""
    try:
        return LAYERS[layer_id]
    except KeyError:
        raise KeyError(f"unknown layer {layer_id!r}; known: {', '.join(sorted(LAYERS))}") from None
