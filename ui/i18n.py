"""Every UI string in German (default) and English, in one table.

Components show translated text through :func:`T` (a span or any tag whose
children follow the language switch) or by calling :func:`t` inside callbacks.
One pattern-matching callback (``ui.layout``) re-renders every ``T`` when the
language changes, so panels keep their state (the map is never re-created).

The plain-language explanations of Festsetzungen live in ``ui.festsetzungen``;
this table holds the interface texts only.
"""

from __future__ import annotations

import itertools

from dash import html

LANGS = ("de", "en")
DEFAULT_LANG = "de"

#: key -> (German, English). Keep keys grouped by the panel that uses them.
TEXTS: dict[str, tuple[str, str]] = {
    # --- page frame ---------------------------------------------------------
    "app.title": ("Bürger-GIS", "Bürger-GIS"),
    "app.subtitle": ("Bebauungspläne verstehen und mitreden", "Understand zoning plans and have your say"),
    "app.skip": ("Zum Inhalt springen", "Skip to content"),
    "app.lang_label": ("Sprache", "Language"),
    "app.lang_de": ("Deutsch", "German"),
    "app.lang_en": ("Englisch", "English"),
    "app.nav_label": ("Ansichten", "Views"),
    "app.footer_api": ("Offene Schnittstelle (OGC API)", "Open interface (OGC API)"),
    "app.footer_data": (
        "Daten: Bebauungspläne Hamburg-Langenhorn (XPlanung, Testkopien), Gebäude teils synthetisch.",
        "Data: zoning plans Hamburg-Langenhorn (XPlanung, test copies), buildings partly synthetic.",
    ),
    "app.footer_licence": ("Freie Software (AGPL-3.0)", "Free software (AGPL-3.0)"),
    # --- tabs ----------------------------------------------------------------
    "tab.map": ("Karte", "Map"),
    "tab.3d": ("3D", "3D"),
    "tab.list": ("Liste", "List"),
    "tab.dashboard": ("Planer-Dashboard", "Planner dashboard"),
    # --- map -----------------------------------------------------------------
    "map.region": ("Karte der Bebauungspläne", "Map of the zoning plans"),
    "map.search_label": ("Plan suchen", "Find a plan"),
    "map.search_placeholder": ("Name oder Nummer, z. B. LA 22", "Name or number, e.g. LA 22"),
    "map.layers": ("Ebenen", "Layers"),
    "map.zoom_in_for": ("Erst ab Zoomstufe {zoom} sichtbar (zu viele für die ganze Stadt), bitte hineinzoomen: {layers}",
                        "Shown from zoom level {zoom} on (too many for the whole city), please zoom in: {layers}"),
    "map.legend": ("Legende", "Legend"),
    "map.help": (
        "Tipp: Klicken Sie auf eine farbige Fläche, um ihre Festsetzungen in einfacher Sprache zu lesen. "
        "Ohne Maus: Plan oben auswählen oder die Ansicht „Liste“ nutzen.",
        "Tip: click a coloured area to read its provisions in plain language. "
        "Without a mouse: choose a plan above or use the “List” view.",
    ),
    "layer.bp_plan": ("Geltungsbereiche", "Plan boundaries"),
    "layer.bp_baugebiet": ("Baugebiete (Art der Nutzung)", "Building zones (type of use)"),
    "layer.bp_baugrenze": ("Baugrenzen und Baulinien", "Building limits and lines"),
    "layer.xplan_objekt": ("Weitere Planinhalte (Planzeichen)", "Further plan contents (plan symbols)"),
    "layer.bp_gruenflaeche": ("Grünflächen", "Green spaces"),
    "layer.bp_verkehrsflaeche": ("Verkehrsflächen", "Traffic areas"),
    "layer.bp_planraster": ("Planzeichnung (Bild)", "Plan drawing (image)"),
    "layer.buildings": ("Gebäude (Bestand)", "Buildings (existing)"),
    "layer.streets": ("Straßen", "Streets"),
    "layer.parcels": ("Flurstücke", "Parcels"),
    "layer.contributions": ("Beiträge", "Contributions"),
    "layer.osm": ("Stadtplan online (OpenStreetMap)", "Online street map (OpenStreetMap)"),
    "layer.raster_opacity": ("Deckkraft der Planzeichnung", "Opacity of the plan drawing"),
    "legend.baugrenze": ("Baugrenze (gestrichelt)", "Building limit (dashed)"),
    "legend.baulinie": ("Baulinie", "Building line"),
    "legend.plan": ("Geltungsbereich", "Plan boundary"),
    "legend.building": ("Gebäude", "Building"),
    "legend.building_synthetic": ("Gebäude, synthetisch", "Building, synthetic"),
    "legend.gruen": ("Grünfläche", "Green space"),
    "legend.verkehr": ("Verkehrsfläche", "Traffic area"),
    "legend.contribution": ("Beitrag", "Contribution"),
    # --- plan panel ----------------------------------------------------------
    "panel.title": ("Details", "Details"),
    "panel.empty": (
        "Wählen Sie einen Plan oder klicken Sie in der Karte auf eine Fläche.",
        "Choose a plan or click an area on the map.",
    ),
    "panel.close": ("Auswahl aufheben", "Clear selection"),
    "panel.plan": ("Bebauungsplan", "Zoning plan"),
    "panel.zone": ("Baugebietsteilfläche", "Building zone"),
    "panel.line": ("Baugrenze / Baulinie", "Building limit / line"),
    "panel.festsetzungen": ("Was hier gilt (einfach erklärt)", "What applies here (plain language)"),
    "panel.overview": ("Festsetzungen im Überblick", "Provisions at a glance"),
    "panel.zone_count": ("{n} Flächen", "{n} areas"),
    "panel.no_festsetzungen": ("Für diese Fläche sind keine Maße festgesetzt.", "No measures are fixed for this area."),
    "panel.status": ("Stand des Verfahrens", "Status of the procedure"),
    "panel.participation": ("Beteiligung", "Participation"),
    "panel.texts": ("Textliche Festsetzungen", "Textual provisions"),
    "panel.no_texts": ("Keine textlichen Festsetzungen hinterlegt.", "No textual provisions recorded."),
    "panel.contributions": ("Beiträge zu diesem Plan", "Contributions on this plan"),
    "panel.no_contributions": ("Noch keine freigegebenen Beiträge.", "No approved contributions yet."),
    "panel.contributions_unavailable": (
        "Beiträge sind noch nicht verfügbar (Sammlung „contributions“ fehlt).",
        "Contributions are not available yet (collection “contributions” missing).",
    ),
    "panel.of_plan": ("Teil des Plans", "Part of plan"),
    "panel.zoom": ("In der Karte zeigen", "Show on map"),
    "panel.load_error": ("Die Daten konnten nicht geladen werden.", "The data could not be loaded."),
    "panel.likes": ("Zustimmungen", "likes"),
    "panel.replies": ("Antworten", "replies"),
    "panel.like": ("Zustimmen", "Like"),
    "panel.reply": ("Antworten", "Reply"),
    "panel.anonymous": ("anonym", "anonymous"),
    # --- contribution form ---------------------------------------------------
    "form.title": ("Beitrag schreiben", "Write a contribution"),
    "form.intro": (
        "Zeichnen Sie in der Karte einen Punkt, eine Linie oder eine Fläche (Werkzeuge links oben in der Karte) – "
        "oder beziehen Sie sich auf die ausgewählte Fläche.",
        "Draw a point, line or area on the map (tools at the top left of the map) – "
        "or refer to the selected area.",
    ),
    "form.kind": ("Art des Beitrags", "Kind of contribution"),
    "form.kind.kommentar": ("Hinweis / Kommentar zum Plan", "Comment on the plan"),
    "form.kind.vorschlag": ("Vorschlag", "Proposal"),
    "form.kind.maengelmeldung": ("Mängelmeldung", "Defect report"),
    "form.category": ("Thema", "Topic"),
    "form.category.allgemein": ("Allgemein", "General"),
    "form.category.wohnen": ("Wohnen und Bauen", "Housing and building"),
    "form.category.verkehr": ("Verkehr", "Traffic"),
    "form.category.gruen": ("Grün und Bäume", "Green spaces and trees"),
    "form.category.soziales": ("Soziales und Freizeit", "Social and leisure"),
    "form.category.strasse": ("Straßenschaden", "Road damage"),
    "form.category.beleuchtung": ("Straßenbeleuchtung", "Street lighting"),
    "form.category.muell": ("Müll und Sauberkeit", "Litter and cleanliness"),
    "form.category.sonstiges": ("Sonstiges", "Other"),
    "form.reply_to": ("Antwort auf: „{text}“", "Reply to: “{text}”"),
    "form.reply_cancel": ("Keine Antwort, neuer Beitrag", "Not a reply, new contribution"),
    "status.eingereicht": ("eingereicht (wird geprüft)", "submitted (being reviewed)"),
    "status.freigegeben": ("freigegeben", "approved"),
    "status.abgelehnt": ("abgelehnt", "rejected"),
    "status.in_bearbeitung": ("in Bearbeitung", "in progress"),
    "status.erledigt": ("erledigt", "done"),
    "form.text": ("Ihr Text", "Your text"),
    "form.text_hint": ("Höchstens 2.000 Zeichen. Bitte keine persönlichen Daten.", "At most 2,000 characters. Please no personal data."),
    "form.pseudonym_hint": ("Höchstens 40 Zeichen; wird öffentlich angezeigt.", "At most 40 characters; shown publicly."),
    "form.pseudonym": ("Name oder Pseudonym (freiwillig)", "Name or pseudonym (optional)"),
    "form.link": ("Bezug zur ausgewählten Fläche herstellen", "Link to the selected area"),
    "form.linked_to": ("Bezug", "Linked to"),
    "form.no_link": ("Keine Fläche ausgewählt.", "No area selected."),
    "form.geometry": ("Ort", "Location"),
    "form.geometry_none": ("Noch nichts gezeichnet.", "Nothing drawn yet."),
    "form.geometry_drawn": ("Gezeichnet: {n} Objekt(e), verwendet wird das zuletzt gezeichnete ({kind}).",
                            "Drawn: {n} object(s); the last one drawn is used ({kind})."),
    "form.geometry_selected": ("Ohne Zeichnung wird die Mitte der ausgewählten Fläche verwendet (wenn der Bezug gesetzt ist).",
                               "Without a drawing the centre of the selected area is used (when linked)."),
    "form.use_centre": ("Kartenmitte als Ort verwenden", "Use the map centre as location"),
    "form.geometry_centre": ("Ort: Kartenmitte ({lat}, {lon}).", "Location: map centre ({lat}, {lon})."),
    "form.submit": ("Beitrag absenden", "Submit contribution"),
    "form.sent": (
        "Danke! Ihr Beitrag ist eingegangen. Er erscheint nach der Prüfung (Moderation) für alle.",
        "Thank you! Your contribution was received. It will appear for everyone after moderation.",
    ),
    "form.err.text": ("Bitte schreiben Sie einen Text (mindestens 3 Zeichen).", "Please write a text (at least 3 characters)."),
    "form.err.text_long": ("Der Text ist zu lang (höchstens 2.000 Zeichen).", "The text is too long (at most 2,000 characters)."),
    "form.err.geometry": (
        "Bitte zeichnen Sie einen Ort in der Karte oder wählen Sie eine Fläche aus.",
        "Please draw a location on the map or select an area.",
    ),
    "form.err.401": (
        "Sie sind nicht angemeldet oder das Schreiben ist hier nicht erlaubt (401). Bitte melden Sie sich an.",
        "You are not signed in or writing is not allowed here (401). Please sign in.",
    ),
    "form.err.403": (
        "Das ist gerade nicht erlaubt (403).",
        "This is not allowed right now (403).",
    ),
    "form.err.404": (
        "Beiträge können noch nicht angenommen werden: die Sammlung „contributions“ gibt es auf diesem Server noch nicht (404).",
        "Contributions cannot be accepted yet: this server has no “contributions” collection (404).",
    ),
    "form.err.413": ("Der Beitrag ist zu groß (413).", "The contribution is too large (413)."),
    "form.err.4xx": ("Der Beitrag wurde nicht angenommen ({status}): {detail}", "The contribution was not accepted ({status}): {detail}"),
    "form.err.5xx": (
        "Der Server hat einen Fehler gemeldet ({status}). Bitte versuchen Sie es später erneut.",
        "The server reported an error ({status}). Please try again later.",
    ),
    "form.err.network": (
        "Der Server ist nicht erreichbar. Bitte prüfen Sie die Verbindung.",
        "The server cannot be reached. Please check the connection.",
    ),
    "form.phase_closed": (
        "Für diesen Plan läuft gerade keine Beteiligungsphase; Hinweise und Vorschläge werden nicht angenommen. "
        "Mängelmeldungen sind jederzeit möglich.",
        "No participation phase is open for this plan; comments and proposals are not accepted. "
        "Defect reports are possible at any time.",
    ),
    # --- 3D ------------------------------------------------------------------
    "3d.region": ("3D-Ansicht: Gebäude und zulässige Bebauung", "3D view: buildings and permitted building volume"),
    "3d.camera": ("Blickwinkel", "Camera"),
    "3d.cam.overview": ("Übersicht", "Overview"),
    "3d.cam.oblique": ("Schräg von Süden", "Oblique from the south"),
    "3d.cam.top": ("Von oben", "From above"),
    "3d.cam.street": ("Straßenperspektive", "Street level"),
    "3d.layers": ("Im 3D-Modell zeigen", "Show in the 3D model"),
    "3d.buildings": ("Gebäude (Bestand, LoD1)", "Buildings (existing, LoD1)"),
    "3d.envelope": ("Zulässiges Bauvolumen laut Plan", "Building volume permitted by the plan"),
    "3d.contributions": ("Beiträge (Stecknadeln)", "Contributions (pins)"),
    "3d.explain": (
        "Graue Körper: vorhandene Gebäude, nach Höhe hochgezogen (synthetische Gebäude sind heller). "
        "Durchscheinend orange: was der Plan höchstens erlaubt – Baufläche × Zahl der Vollgeschosse × 3 m.",
        "Grey blocks: existing buildings extruded by height (synthetic buildings are lighter). "
        "Translucent orange: the most the plan permits – buildable area × number of full storeys × 3 m.",
    ),
    "3d.synthetic_note": (
        "Hinweis: Die Gebäude in Langenhorn sind synthetisch (erzeugt, keine Vermessung).",
        "Note: the buildings in Langenhorn are synthetic (generated, not surveyed).",
    ),
    "3d.envelope_note": ("Zulässiges Bauvolumen: {n} Bauflächen – {plans}.", "Permitted volume: {n} building areas – {plans}."),
    "3d.all_plans": ("alle Pläne", "all plans"),
    "3d.choose_plan": ("Wählen Sie einen Plan (Karte, Liste oder Suche), um sein zulässiges Bauvolumen zu sehen.",
                       "Choose a plan (map, list or search) to see its permitted volume."),
    "variants.not_here": ("Die Planungsvarianten betreffen Pläne, die hier nicht geladen sind; "
                          "gezeigt wird der Gebäudebestand.",
                          "The planning variants concern plans not loaded here; the stored buildings are shown."),
    # --- scenario variants (3D view) ------------------------------------------
    "variants.heading": ("Varianten vergleichen", "Compare variants"),
    "variants.a": ("Variante A", "Variant A"),
    "variants.b": ("Variante B", "Variant B"),
    "variants.mode": ("Darstellung", "Display"),
    "variants.mode.a": ("Nur A", "A only"),
    "variants.mode.b": ("Nur B", "B only"),
    "variants.mode.side": ("Nebeneinander", "Side by side"),
    "variants.explain": (
        "Die Gebäude der Varianten rechnet der Dienst „Planungsszenario rechnen“ (OGC API Processes). "
        "Nebeneinander: links A, rechts B.",
        "The variants' buildings are computed by the “Run a planning scenario” service (OGC API Processes). "
        "Side by side: A on the left, B on the right.",
    ),
    "variants.region_b": ("3D-Ansicht der Variante B", "3D view of variant B"),
    "variants.loading": ("Varianten werden gerechnet …", "Computing the variants …"),
    "variants.unavailable": (
        "Die Varianten konnten gerade nicht gerechnet werden; gezeigt wird der Bestand.",
        "The variants could not be computed just now; the existing buildings are shown.",
    ),
    "variants.none": ("Keine Szenarien vorhanden.", "No scenarios available."),
    "variants.compare": ("Kennzahlen im Vergleich", "Indicators compared"),
    "variants.caption": ("Kennzahlen von A ({a}) nach B ({b})", "Indicators from A ({a}) to B ({b})"),
    "variants.same": ("A und B sind dieselbe Variante; alle Differenzen sind null.",
                      "A and B are the same variant; all differences are zero."),
    "variants.col.indicator": ("Kennzahl", "Indicator"),
    "variants.col.delta": ("Differenz B − A", "Difference B − A"),
    "variants.col.relative": ("relativ", "relative"),
    "variants.ind.floor_area": ("Geschossfläche", "Floor area"),
    "variants.ind.grz": ("GRZ (Grundflächenzahl)", "GRZ (site coverage ratio)"),
    "variants.ind.gfz": ("GFZ (Geschossflächenzahl)", "GFZ (floor area ratio)"),
    "variants.ind.dwellings": ("Wohneinheiten (geschätzt)", "Dwellings (estimated)"),
    "variants.ind.residents": ("Einwohner (geschätzt)", "Residents (estimated)"),
    "variants.ind.sealed_share": ("Versiegelter Anteil", "Sealed share"),
    "variants.ind.violations": ("Verstöße gegen Festsetzungen", "Violations of the provisions"),
    # --- list ----------------------------------------------------------------
    "list.region": ("Listenansicht", "List view"),
    "list.search": ("Suchen", "Search"),
    "list.search_placeholder": ("Suchbegriff, z. B. WA oder Langenhorn", "Search term, e.g. WA or Langenhorn"),
    "list.what": ("Inhalt", "Content"),
    "list.what.plans": ("Bebauungspläne", "Zoning plans"),
    "list.what.objects": ("Alle Planinhalte", "All plan contents"),
    "list.objects_choose_plan": ("Bitte unten einen Plan wählen: Dann stehen hier alle seine Inhalte, nach Themen "
                                 "geordnet und erklärt.",
                                 "Please choose a plan below: all its contents are then listed here, grouped by "
                                 "topic and explained."),
    "col.object": ("Inhalt", "Content"),
    "col.label": ("Beschriftung", "Label"),
    "col.values": ("Festgesetzte Werte", "Values set"),
    "list.what.zones": ("Festsetzungen (Baugebiete)", "Provisions (building zones)"),
    "list.what.texts": ("Textliche Festsetzungen", "Textual provisions"),
    "list.what.contributions": ("Beiträge", "Contributions"),
    "list.what.variants": ("Planungsvarianten", "Planning variants"),
    "col.variant": ("Variante", "Variant"),
    "col.floor_area": ("Geschossfläche", "Floor area"),
    "col.grz": ("GRZ", "GRZ"),
    "col.gfz": ("GFZ", "GFZ"),
    "col.dwellings": ("Wohneinheiten (geschätzt)", "Dwellings (estimated)"),
    "col.violations": ("Verstöße", "Violations"),
    "col.likes": ("Bevorzugt von", "Preferred by"),
    "variants.prefer": ("Bevorzugen", "Prefer"),
    "variants.prefer_of": ("Variante „{name}“ bevorzugen, bisher {n}", "Prefer the variant “{name}”, so far {n}"),
    "variants.synthetic_note": ("(gerechnet auf synthetischem Gebäudebestand)",
                                "(computed on synthetic buildings)"),
    "variants.none_stored": (
        "Noch keine gerechneten Varianten gespeichert (buergergis run-scenarios).",
        "No computed variants stored yet (buergergis run-scenarios).",
    ),
    "list.plan_filter": ("Plan", "Plan"),
    "list.all_plans": ("Alle Pläne", "All plans"),
    "list.count": ("{n} Einträge", "{n} entries"),
    "list.details": ("Details", "Details"),
    "list.details_of": ("Details zu {name}", "Details of {name}"),
    "list.empty": ("Keine Einträge gefunden.", "No entries found."),
    "list.caption": ("{what}: {n} Einträge", "{what}: {n} entries"),
    "list.caption_part": ("{what}: die ersten {shown} von {n} Einträgen (Suche und Planfilter grenzen ein)",
                          "{what}: the first {shown} of {n} entries (search and the plan filter narrow it down)"),
    "list.many_plans": ("{n} Pläne: geben Sie Nummer oder Name des Plans in die Suche ein.",
                        "{n} plans: type the plan's number or name into the search."),
    "list.more": ("Weitere {k} anzeigen", "Show {k} more"),
    "list.contributions_newest": (
        "Durchsucht werden die neuesten {n} von {total} Beiträgen; der Planfilter holt die Beiträge eines Plans.",
        "Searching the newest {n} of {total} contributions; the plan filter fetches the contributions of one plan."),
    "col.name": ("Name", "Name"),
    "col.nummer": ("Nummer", "Number"),
    "col.rechtsstand": ("Rechtsstand", "Legal status"),
    "col.participation": ("Beteiligung", "Participation"),
    "col.plan": ("Plan", "Plan"),
    "col.art": ("Art der Nutzung", "Type of use"),
    "col.measures": ("Maß der Nutzung", "Intensity of use"),
    "col.explanation": ("Einfach erklärt", "Plain language"),
    "col.key": ("Nr.", "No."),
    "col.text": ("Text", "Text"),
    "col.kind": ("Art", "Kind"),
    "col.status": ("Status", "Status"),
    "col.date": ("Datum", "Date"),
    "col.action": ("Aktion", "Action"),
    # --- dashboard -----------------------------------------------------------
    "dash.region": ("Planer-Dashboard", "Planner dashboard"),
    "dash.intro": (
        "Überblick über die Beteiligung; mit einem Moderations-Token auch die Warteschlange zum Freigeben und Ablehnen.",
        "Overview of participation; with a moderation token also the queue to approve and reject.",
    ),
    "dash.refresh": ("Aktualisieren", "Refresh"),
    "dash.token": ("Token für Moderation (Moderator/Planer)", "Moderation token (moderator/planner)"),
    "dash.login": ("Anmelden", "Sign in"),
    "dash.logout": ("Abmelden", "Sign out"),
    "dash.signed_in": ("Angemeldet: Zahlen und Warteschlange enthalten alle Beiträge.",
                       "Signed in: counts and queue include all contributions."),
    "dash.public_only": ("Ohne Anmeldung zählen nur öffentliche (freigegebene) Beiträge.",
                         "Without signing in only public (approved) contributions are counted."),
    "dash.bad_token": ("Das Token wurde nicht akzeptiert; gezeigt werden nur öffentliche Beiträge.",
                       "The token was not accepted; only public contributions are shown."),
    "dash.queue": ("Moderation: wartende Beiträge", "Moderation: waiting contributions"),
    "dash.queue_caption": ("{n} Beiträge warten auf Prüfung", "{n} contributions waiting for review"),
    "dash.queue_empty": ("Keine Beiträge warten auf Prüfung.", "No contributions are waiting for review."),
    "dash.approve": ("Freigeben", "Approve"),
    "dash.reject": ("Ablehnen", "Reject"),
    "dash.moderated": ("Erledigt: Beitrag ist jetzt „{status}“.", "Done: the contribution is now “{status}”."),
    "col.author": ("Verfasst von", "Written by"),
    "dash.total": ("Beiträge gesamt", "Contributions in total"),
    "dash.plans": ("Bebauungspläne", "Zoning plans"),
    "dash.zones": ("Baugebietsteilflächen", "Building zones"),
    "dash.buildings": ("Gebäude", "Buildings"),
    "dash.by_status": ("nach Status", "by status"),
    "dash.by_kind": ("nach Art", "by kind"),
    "dash.by_plan": ("nach Plan", "by plan"),
    "dash.by_week": ("nach Woche", "by week"),
    "dash.none": ("Keine Daten.", "No data."),
    "dash.unavailable": (
        "Die Sammlung „contributions“ ist noch nicht verfügbar; Zahlen erscheinen, sobald sie existiert.",
        "The “contributions” collection is not available yet; counts appear once it exists.",
    ),
    # --- participation phase / general ----------------------------------------
    "phase.open": ("Beteiligung läuft: bis {end}", "Participation open: until {end}"),
    "phase.open_since": ("Beteiligung läuft seit {start}", "Participation open since {start}"),
    "phase.upcoming": ("Beteiligung ab {start}", "Participation from {start}"),
    "phase.closed": ("Beteiligung beendet am {end}", "Participation closed on {end}"),
    "phase.none": ("Zurzeit keine Beteiligungsphase", "No participation phase at the moment"),
    "common.loading": ("Lädt …", "Loading …"),
    "common.synthetic": ("synthetisch", "synthetic"),
    "common.unknown": ("nicht angegeben", "not stated"),
    "common.height": ("Höhe", "Height"),
    "common.storeys": ("Geschosse", "Storeys"),
}

_counter = itertools.count()


def t(key: str, lang: str | None = None, **values) -> str:
    """The text for ``key`` in ``lang`` (German when unknown), with ``{name}`` values filled in."""
    try:
        de, en = TEXTS[key]
    except KeyError:
        raise KeyError(f"no UI text {key!r} in ui/i18n.py") from None
    text = en if lang == "en" else de
    return text.format(**values) if values else text


def value_label(prefix: str, value, lang: str | None = None) -> str:
    """The translated label of a stored code (``value_label("status", "freigegeben", "en")`` -> ``approved``).

    Unknown codes are shown as they are, so new values from the API never break a page.
    """
    key = f"{prefix}.{value}"
    return t(key, lang) if key in TEXTS else str(value if value not in (None, "") else "–")


def normalize_lang(lang: str | None) -> str:
    """``de`` or ``en`` from anything a URL or a browser may send (``en-GB``, ``EN``, None)."""
    lang = (lang or "").lower()[:2]
    return lang if lang in LANGS else DEFAULT_LANG


def text_id(key: str) -> dict:
    """A unique pattern-matching id whose ``key`` tells the language callback what to show."""
    return {"type": "i18n", "key": key, "n": next(_counter)}


def T(key: str, tag=html.Span, lang: str = DEFAULT_LANG, **props):
    """A component (span by default) whose text follows the language switch.

    With an ``id`` of its own (e.g. for ``aria-labelledby``) the text goes into an inner span.
    """
    if "id" in props:
        return tag(html.Span(t(key, lang), id=text_id(key)), **props)
    return tag(t(key, lang), id=text_id(key), **props)
